/*
 * evshare-sample-c.sys: a WDM driver written in C that embeds evshare through its C API
 * (crates/kernel-c: libevshare_kernel_c.a and include/evshare_kernel.h).
 *
 * It owns its device, \Device\EvshareSampleC (\DosDevices\EvshareSampleC), of type 0x9A12,
 * and keeps one evshare instance whose IOCTLs live on that device type from function 0x900.
 * Next to them it has one IOCTL of its own (function 0x800: the tick count), and a periodic
 * KTIMER + KDPC at 2 Hz that stands in for an interrupt's DPC: each tick publishes two
 * channels, a 64-bit counter and a short status string.
 *
 * Every request goes to evshare_dispatch first; what it declines (the driver's own IOCTL,
 * anything unknown) the driver completes here.
 */
#include <ntddk.h>

#include "evshare_kernel.h"

#define SAMPLE_DEVICE_TYPE 0x9A12
#define SAMPLE_EVSHARE_BASE 0x900
#define IOCTL_SAMPLE_TICKS CTL_CODE(SAMPLE_DEVICE_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* The timer's period, in milliseconds (2 Hz), and its first expiry (relative, 100 ns units). */
#define TICK_PERIOD_MS 500
#define TICK_FIRST_DUE (-10LL * 1000 * TICK_PERIOD_MS)

/* The channels, by their index in `channels`. */
enum { CHANNEL_COUNTER = 0, CHANNEL_STATUS = 1, CHANNEL_COUNT = 2 };
#define STATUS_MAX 40

static const EVSHARE_CHANNEL channels[CHANNEL_COUNT] = {
    [CHANNEL_COUNTER] = { "sample.counter", sizeof(ULONG64) },
    [CHANNEL_STATUS] = { "sample.status", STATUS_MAX },
};

static const EVSHARE_CONFIG config = {
    .device_type = SAMPLE_DEVICE_TYPE,
    .function_base = SAMPLE_EVSHARE_BASE,
    .channels = channels,
    .channel_count = CHANNEL_COUNT,
};

/* The instance: static, so zeroed until evshare_instance_start. */
static EVSHARE_INSTANCE evshare;

static UNICODE_STRING device_name = RTL_CONSTANT_STRING(L"\\Device\\EvshareSampleC");
static UNICODE_STRING link_name = RTL_CONSTANT_STRING(L"\\DosDevices\\EvshareSampleC");
/* Set once the device exists (DriverEntry), cleared before it is deleted (unload). */
static PDEVICE_OBJECT device;
static BOOLEAN link_created;

static KTIMER timer;
static KDPC tick_dpc;
/* Ticks so far; written by the DPC, read by the IOCTL (interlocked on both sides). */
static volatile LONG64 ticks;
/* Publishes that failed (never expected; logged with the first tick and every 8th). */
static volatile LONG publish_failures;

/* Writes "tick N, M failed" (at most STATUS_MAX bytes, no NUL) into `out`; returns its length. */
static size_t format_status(char out[STATUS_MAX], ULONG64 tick, LONG failed)
{
    static const char tick_word[] = "tick ";
    static const char failed_word[] = " failed";
    char digits[20];
    size_t len = 0;
    size_t i;
    int part;

    for (part = 0; part < 2; part++) {
        ULONG64 value = part == 0 ? tick : (ULONG64)failed;
        const char *word = part == 0 ? tick_word : ", ";
        size_t count = 0;

        for (i = 0; word[i] != '\0' && len < STATUS_MAX; i++) {
            out[len++] = word[i];
        }
        do {
            digits[count++] = (char)('0' + value % 10);
            value /= 10;
        } while (value != 0 && count < sizeof(digits));
        while (count > 0 && len < STATUS_MAX) {
            out[len++] = digits[--count];
        }
    }
    for (i = 0; failed_word[i] != '\0' && len < STATUS_MAX; i++) {
        out[len++] = failed_word[i];
    }
    return len;
}

/* The timer's DPC (DISPATCH_LEVEL): count, publish both channels. */
static VOID NTAPI on_tick(PKDPC dpc, PVOID context, PVOID arg1, PVOID arg2)
{
    char status[STATUS_MAX];
    ULONG64 tick;
    size_t len;
    NTSTATUS published;

    UNREFERENCED_PARAMETER(dpc);
    UNREFERENCED_PARAMETER(context);
    UNREFERENCED_PARAMETER(arg1);
    UNREFERENCED_PARAMETER(arg2);

    tick = (ULONG64)InterlockedIncrement64(&ticks);
    published = evshare_publish(&evshare, CHANNEL_COUNTER, &tick, sizeof(tick), NULL);
    if (!NT_SUCCESS(published)) {
        InterlockedIncrement(&publish_failures);
    }
    len = format_status(status, tick, publish_failures);
    published = evshare_publish(&evshare, CHANNEL_STATUS, status, len, NULL);
    if (!NT_SUCCESS(published)) {
        InterlockedIncrement(&publish_failures);
    }
    if (tick == 1 || tick % 8 == 0) {
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL,
                   "evshare-sample-c: published tick %I64u on both channels, %ld failed\n",
                   tick, publish_failures);
    }
}

/* The driver's own IOCTL: the tick count, as a 64-bit value. */
static NTSTATUS query_ticks(PIRP irp, PIO_STACK_LOCATION stack)
{
    ULONG64 now;

    if (stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(now)) {
        irp->IoStatus.Information = 0;
        return STATUS_BUFFER_TOO_SMALL;
    }
    now = (ULONG64)InterlockedCompareExchange64(&ticks, 0, 0);
    RtlCopyMemory(irp->AssociatedIrp.SystemBuffer, &now, sizeof(now));
    irp->IoStatus.Information = sizeof(now);
    return STATUS_SUCCESS;
}

/* Every request of the driver: evshare's first, then the driver's own. */
static NTSTATUS NTAPI dispatch(PDEVICE_OBJECT target, PIRP irp)
{
    PIO_STACK_LOCATION stack;
    NTSTATUS status;

    /* Another device of this driver (km's fence device under Wine) goes with no instance. */
    if (evshare_dispatch(target == device ? &evshare : NULL, target, irp, &status)) {
        return status;
    }
    stack = IoGetCurrentIrpStackLocation(irp);
    irp->IoStatus.Information = 0;
    if (stack->MajorFunction == IRP_MJ_DEVICE_CONTROL
        && stack->Parameters.DeviceIoControl.IoControlCode == (ULONG)IOCTL_SAMPLE_TICKS) {
        status = query_ticks(irp, stack);
    } else {
        /* Not evshare's, not ours: among them evshare.sys's own codes (device type 0x8E5E). */
        status = STATUS_INVALID_DEVICE_REQUEST;
    }
    irp->IoStatus.Status = status;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

/* Deletes the link and the device; evshare_instance_unload calls it once requests stopped. */
static void NTAPI remove_devices(void *context)
{
    PDEVICE_OBJECT doomed = device;

    UNREFERENCED_PARAMETER(context);
    if (link_created) {
        IoDeleteSymbolicLink(&link_name);
        link_created = FALSE;
    }
    device = NULL;
    if (doomed != NULL) {
        IoDeleteDevice(doomed);
    }
}

static VOID NTAPI unload(PDRIVER_OBJECT driver)
{
    UNREFERENCED_PARAMETER(driver);
    /* Nothing may publish into the instance while it unloads: stop the timer, then wait for
     * a DPC already queued or running on another CPU (KeCancelTimer does not). */
    KeCancelTimer(&timer);
    KeFlushQueuedDpcs();
    evshare_instance_unload(&evshare, remove_devices, NULL);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL,
               "evshare-sample-c: unloaded after %I64d ticks, %ld publishes failed\n",
               ticks, publish_failures);
    evshare_driver_unload();
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path)
{
    NTSTATUS status;
    LARGE_INTEGER due;

    UNREFERENCED_PARAMETER(registry_path);

    /* km's part first: the pool tag and log prefix, the host, Wine's fence device (whose
     * requests reach `dispatch`, so the table is filled in before). */
    driver->MajorFunction[IRP_MJ_CREATE] = dispatch;
    driver->MajorFunction[IRP_MJ_CLEANUP] = dispatch;
    driver->MajorFunction[IRP_MJ_CLOSE] = dispatch;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = dispatch;
    status = evshare_driver_init(driver, EVSHARE_POOL_TAG('E', 'v', 'S', 'C'), "evshare-sample-c");
    if (!NT_SUCCESS(status)) {
        return status;
    }
    /* The instance before the device: no request can reach it unstarted. */
    status = evshare_instance_start(&evshare, &config);
    if (!NT_SUCCESS(status)) {
        evshare_driver_abandon();
        return status;
    }
    status = IoCreateDevice(driver, 0, &device_name, SAMPLE_DEVICE_TYPE, FILE_DEVICE_SECURE_OPEN,
                            FALSE, &device);
    if (NT_SUCCESS(status)) {
        status = IoCreateSymbolicLink(&link_name, &device_name);
        link_created = NT_SUCCESS(status);
    }
    if (!NT_SUCCESS(status)) {
        evshare_instance_unload(&evshare, remove_devices, NULL);
        evshare_driver_abandon();
        return status;
    }
    driver->DriverUnload = unload;

    /* Armed once, periodic: never re-armed or cancelled from its own DPC. */
    KeInitializeTimerEx(&timer, NotificationTimer);
    KeInitializeDpc(&tick_dpc, on_tick, NULL);
    due.QuadPart = TICK_FIRST_DUE;
    KeSetTimerEx(&timer, due, TICK_PERIOD_MS, &tick_dpc);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL,
               "evshare-sample-c: loaded: \\Device\\EvshareSampleC, evshare IOCTLs from "
               "function %#x, ticks at 2 Hz\n",
               SAMPLE_EVSHARE_BASE);
    return STATUS_SUCCESS;
}
