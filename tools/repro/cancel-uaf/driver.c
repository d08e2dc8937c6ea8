/*
 * cancelrepro.sys: the smallest driver that shows Wine 8.0's late-cancel use-after-free.
 *
 * It parks IRPs with a cancel routine (PARK), completes every parked IRP (COMPLETE_ALL), and
 * can keep its dispatch thread busy (SLEEP), which is how the app lines requests up in Wine's
 * single per-process request queue:
 *
 *   SLEEP (running) | COMPLETE_ALL | PARK(Y) | CANCEL(X)
 *
 * COMPLETE_ALL completes X, and Wine frees it; PARK(Y) allocates Y, often in X's memory;
 * the CANCEL that the server queued for X before X was completed is then dispatched with X's
 * raw address and runs IoCancelIrp on whatever lives there now: Y is cancelled although nobody
 * asked (or, with other heap states, winedevice.exe faults inside IoCancelIrp).
 *
 * Deliberately written the straightforward way a driver writer would (the classic cancel-safe
 * queue), so the bug is Wine's, not the driver's.
 */
#include <ntddk.h>

#define REPRO_TYPE 0x8E5F
#define IOCTL_PARK CTL_CODE(REPRO_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_COMPLETE_ALL CTL_CODE(REPRO_TYPE, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_SLEEP CTL_CODE(REPRO_TYPE, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define MAX_PARKED 64

static PIRP parked[MAX_PARKED];
static LONG parked_count;
static KSPIN_LOCK lock;
static PDEVICE_OBJECT device;
static UNICODE_STRING device_name = RTL_CONSTANT_STRING(L"\\Device\\CancelRepro");
static UNICODE_STRING link_name = RTL_CONSTANT_STRING(L"\\DosDevices\\CancelRepro");

static void unlink_irp(PIRP irp)
{
    KIRQL irql;
    LONG i;
    KeAcquireSpinLock(&lock, &irql);
    for (i = 0; i < parked_count; i++) {
        if (parked[i] == irp) {
            parked[i] = parked[parked_count - 1];
            parked_count--;
            break;
        }
    }
    KeReleaseSpinLock(&lock, irql);
}

static void NTAPI cancel_routine(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    IoReleaseCancelSpinLock(irp->CancelIrql);
    unlink_irp(irp);
    irp->IoStatus.Status = STATUS_CANCELLED;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
}

static NTSTATUS park(PIRP irp)
{
    KIRQL irql;
    KeAcquireSpinLock(&lock, &irql);
    if (parked_count >= MAX_PARKED) {
        KeReleaseSpinLock(&lock, irql);
        irp->IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    IoMarkIrpPending(irp);
    parked[parked_count++] = irp;
    IoSetCancelRoutine(irp, cancel_routine);
    if (irp->Cancel && IoSetCancelRoutine(irp, NULL)) {
        parked_count--;
        KeReleaseSpinLock(&lock, irql);
        irp->IoStatus.Status = STATUS_CANCELLED;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_PENDING;
    }
    KeReleaseSpinLock(&lock, irql);
    return STATUS_PENDING;
}

static ULONG complete_all(void)
{
    ULONG done = 0;
    for (;;) {
        KIRQL irql;
        PIRP irp = NULL;
        KeAcquireSpinLock(&lock, &irql);
        while (parked_count > 0 && !irp) {
            PIRP candidate = parked[--parked_count];
            if (IoSetCancelRoutine(candidate, NULL))
                irp = candidate; /* ours; a NULL means the cancel routine owns it */
        }
        KeReleaseSpinLock(&lock, irql);
        if (!irp)
            return done;
        irp->IoStatus.Status = STATUS_SUCCESS;
        irp->IoStatus.Information = 0;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        done++;
    }
}

static NTSTATUS NTAPI dispatch_ioctl(PDEVICE_OBJECT dev, PIRP irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
    ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
    ULONG out_len = stack->Parameters.DeviceIoControl.OutputBufferLength;
    (void)dev;
    if (code == (ULONG)IOCTL_PARK)
        return park(irp);
    if (code == (ULONG)IOCTL_COMPLETE_ALL) {
        ULONG done = complete_all();
        ULONG written = 0;
        if (out_len >= sizeof(ULONG) && irp->AssociatedIrp.SystemBuffer) {
            *(ULONG *)irp->AssociatedIrp.SystemBuffer = done;
            written = sizeof(ULONG);
        }
        irp->IoStatus.Status = STATUS_SUCCESS;
        irp->IoStatus.Information = written;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    }
    if (code == (ULONG)IOCTL_SLEEP) {
        LARGE_INTEGER delay;
        delay.QuadPart = -300 * 10000LL; /* 300 ms, relative */
        KeDelayExecutionThread(KernelMode, FALSE, &delay);
        irp->IoStatus.Status = STATUS_SUCCESS;
        irp->IoStatus.Information = 0;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    }
    irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_INVALID_DEVICE_REQUEST;
}

static NTSTATUS NTAPI dispatch_simple(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void NTAPI unload(PDRIVER_OBJECT driver)
{
    (void)driver;
    complete_all();
    IoDeleteSymbolicLink(&link_name);
    IoDeleteDevice(device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
    NTSTATUS status;
    (void)path;
    KeInitializeSpinLock(&lock);
    status = IoCreateDevice(driver, 0, &device_name, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&link_name, &device_name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(device);
        return status;
    }
    driver->MajorFunction[IRP_MJ_CREATE] = dispatch_simple;
    driver->MajorFunction[IRP_MJ_CLOSE] = dispatch_simple;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = dispatch_ioctl;
    driver->DriverUnload = unload;
    return STATUS_SUCCESS;
}
