/*
 * The app side of the late-cancel repro (see driver.c): lines requests up behind a sleeping
 * dispatch so that Wine's one request queue holds, in order,
 *   COMPLETE_ALL | PARK(Y) | CANCEL(X)
 * and reports what the stale cancel of X did. Prints one line per round and a summary:
 *   hit      Y was cancelled though only X's cancel was asked for (X was completed first)
 *   miss     nothing visible (X's freed memory was not reused by Y)
 *   dead     the device stopped answering (winedevice.exe crashed)
 * Exit code: 0 when at least one round showed the use-after-free (hit or dead), 1 otherwise.
 */
#include <windows.h>
#include <winioctl.h>
#include <stdio.h>

#define REPRO_TYPE 0x8E5F
#define IOCTL_PARK CTL_CODE(REPRO_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_COMPLETE_ALL CTL_CODE(REPRO_TYPE, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_SLEEP CTL_CODE(REPRO_TYPE, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)

static HANDLE open_device(void)
{
    return CreateFileW(L"\\\\.\\CancelRepro", GENERIC_READ | GENERIC_WRITE, 0, NULL,
                       OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
}

/* A synchronous IOCTL on an overlapped handle: issue, then wait for it. */
static BOOL call(HANDLE device, DWORD code)
{
    OVERLAPPED ov = {0};
    DWORD out = 0, got = 0;
    BOOL ok;
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ok = DeviceIoControl(device, code, NULL, 0, &out, sizeof(out), &got, &ov);
    if (!ok && GetLastError() == ERROR_IO_PENDING)
        ok = GetOverlappedResult(device, &ov, &got, TRUE);
    CloseHandle(ov.hEvent);
    return ok;
}

struct job {
    HANDLE device;
    DWORD code;
};

static DWORD WINAPI run_job(void *arg)
{
    struct job *job = arg;
    return call(job->device, job->code) ? 0 : GetLastError();
}

/* Starts an overlapped PARK; returns once the driver has parked it (the dispatch returned). */
static BOOL park(HANDLE device, OVERLAPPED *ov, DWORD *out)
{
    DWORD got;
    ov->hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    return !DeviceIoControl(device, IOCTL_PARK, NULL, 0, out, sizeof(*out), &got, ov) &&
           GetLastError() == ERROR_IO_PENDING;
}

struct park_job {
    HANDLE device;
    OVERLAPPED *ov;
    DWORD *out;
    BOOL parked;
};

static DWORD WINAPI run_park(void *arg)
{
    struct park_job *job = arg;
    job->parked = park(job->device, job->ov, job->out);
    return 0;
}

static HANDLE start(LPTHREAD_START_ROUTINE routine, void *arg)
{
    return CreateThread(NULL, 0, routine, arg, 0, NULL);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    int hits = 0, misses = 0, dead = 0, round;
    for (round = 0; round < rounds; round++) {
        HANDLE device = open_device(), other = open_device(), threads[3];
        OVERLAPPED ov_x = {0}, ov_y = {0};
        DWORD out_x = 0, out_y = 0, got = 0, wait;
        struct job sleep_job, complete_job;
        struct park_job park_y;
        if (device == INVALID_HANDLE_VALUE || other == INVALID_HANDLE_VALUE) {
            printf("round %d: dead (cannot open the device: %lu)\n", round, GetLastError());
            dead++;
            break;
        }
        if (!park(device, &ov_x, &out_x)) {
            printf("round %d: dead (PARK X failed: %lu)\n", round, GetLastError());
            dead++;
            break;
        }
        /* Keep the dispatch thread busy, then queue COMPLETE_ALL, PARK(Y), CANCEL(X). */
        sleep_job.device = other;
        sleep_job.code = IOCTL_SLEEP;
        threads[0] = start(run_job, &sleep_job);
        Sleep(60);
        complete_job.device = other;
        complete_job.code = IOCTL_COMPLETE_ALL;
        threads[1] = start(run_job, &complete_job);
        Sleep(60);
        park_y.device = device;
        park_y.ov = &ov_y;
        park_y.out = &out_y;
        park_y.parked = FALSE;
        threads[2] = start(run_park, &park_y);
        Sleep(60);
        CancelIoEx(device, &ov_x);
        wait = WaitForMultipleObjects(3, threads, TRUE, 5000);
        if (wait == WAIT_TIMEOUT) {
            printf("round %d: dead (requests hang)\n", round);
            dead++;
            break;
        }
        if (!GetOverlappedResult(device, &ov_x, &got, FALSE)) {
            printf("round %d: X ended %lu (not completed by COMPLETE_ALL: no race this round)\n",
                   round, GetLastError());
            misses++;
        } else if (!park_y.parked) {
            printf("round %d: Y was not parked\n", round);
            misses++;
        } else if (WaitForSingleObject(ov_y.hEvent, 500) == WAIT_OBJECT_0 &&
                   !GetOverlappedResult(device, &ov_y, &got, FALSE) &&
                   GetLastError() == ERROR_OPERATION_ABORTED) {
            printf("round %d: hit (X's stale cancel cancelled Y)\n", round);
            hits++;
        } else {
            printf("round %d: miss\n", round);
            misses++;
        }
        if (!call(other, IOCTL_COMPLETE_ALL)) {
            printf("round %d: dead (COMPLETE_ALL failed afterwards: %lu)\n", round, GetLastError());
            dead++;
            break;
        }
        CloseHandle(threads[0]);
        CloseHandle(threads[1]);
        CloseHandle(threads[2]);
        CloseHandle(ov_x.hEvent);
        CloseHandle(ov_y.hEvent);
        CloseHandle(device);
        CloseHandle(other);
    }
    printf("rounds %d: hit %d, miss %d, dead %d\n", hits + misses + dead, hits, misses, dead);
    return hits + dead > 0 ? 0 : 1;
}
