/* The Windows timer tick (tick_win.h).
 *
 * asyncio-platforms, "Windows": "the resolution of the monotonic clock on
 * Windows is usually around 15.6 msec.  The best resolution is 0.5 msec."
 * The wait calls (Sleep, WaitFor*, GetQueuedCompletionStatusEx) end on a
 * clock interrupt, so that period is what a short timer meets:
 *  - GetSystemTimeAdjustment's lpTimeIncrement is "the interval, in 100-
 *    nanosecond units, between periodic time adjustments ... the time
 *    between clock interrupts";
 *  - ntdll's NtQueryTimerResolution answers the coarsest (MaximumTime),
 *    finest (MinimumTime) and current period, 100 ns units (undocumented
 *    by Microsoft; the NtSetTimerResolution pair that timeBeginPeriod uses);
 *  - Sleep: "If dwMilliseconds is less than the resolution of the system
 *    clock, the thread may sleep for less than the specified length of
 *    time.  If dwMilliseconds is greater than one tick but less than two,
 *    the wait can be anywhere between one and two ticks";
 *  - timeBeginPeriod(1) asks for 1 ms ("Use caution when calling
 *    timeBeginPeriod, as frequent calls can significantly affect the
 *    system clock").
 * https://learn.microsoft.com/en-us/windows/win32/api/sysinfoapi/nf-sysinfoapi-getsystemtimeadjustment
 * https://learn.microsoft.com/en-us/windows/win32/api/synchapi/nf-synchapi-sleep
 * https://learn.microsoft.com/en-us/windows/win32/api/timeapi/nf-timeapi-timebeginperiod */
#ifdef _WIN32
#include "tick_win.h"

#include <windows.h>

#include <stdlib.h>
#include <string.h>

typedef LONG(NTAPI *nt_query_timer_resolution_fn)(PULONG, PULONG, PULONG);
typedef UINT(WINAPI *time_period_fn)(UINT);

static FARPROC export_of(HMODULE m, const char *name) { return m ? GetProcAddress(m, name) : NULL; }

void lc__win_tick_query(lc__win_tick *t)
{
    memset(t, 0, sizeof *t);
    DWORD adj = 0, inc = 0;
    BOOL disabled = FALSE;
    t->adj_ok = GetSystemTimeAdjustment(&adj, &inc, &disabled) != 0;
    t->adj_err = t->adj_ok ? 0 : GetLastError();
    t->increment_100ns = inc;
    FARPROC p = export_of(GetModuleHandleA("ntdll.dll"), "NtQueryTimerResolution");
    if (p == NULL)
        return;
    nt_query_timer_resolution_fn fn;
    memcpy(&fn, &p, sizeof fn);
    ULONG coarsest = 0, finest = 0, current = 0;
    t->nt_ok = 1;
    t->nt_status = fn(&coarsest, &finest, &current);
    t->coarsest_100ns = coarsest;
    t->finest_100ns = finest;
    t->current_100ns = current;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t lc__win_sleep1_median_ns(int n, int with_period, int *period_rc)
{
    int64_t d[64];
    time_period_fn begin = NULL, end = NULL;
    HMODULE winmm = NULL;
    *period_rc = 0;
    if (n < 1 || n > 64)
        return -1;
    if (with_period) {
        winmm = LoadLibraryA("winmm.dll");
        FARPROC b = export_of(winmm, "timeBeginPeriod"), e = export_of(winmm, "timeEndPeriod");
        if (b == NULL || e == NULL) {
            if (winmm)
                FreeLibrary(winmm);
            *period_rc = -1;
            return -1;
        }
        memcpy(&begin, &b, sizeof begin);
        memcpy(&end, &e, sizeof end);
        *period_rc = (int)begin(1);
    }
    LARGE_INTEGER f, a, z;
    QueryPerformanceFrequency(&f);
    Sleep(1); /* start just after a tick, as every later sample does */
    for (int i = 0; i < n; i++) {
        QueryPerformanceCounter(&a);
        Sleep(1);
        QueryPerformanceCounter(&z);
        d[i] = (int64_t)((double)(z.QuadPart - a.QuadPart) * 1e9 / (double)f.QuadPart);
    }
    if (with_period && *period_rc == 0)
        end(1);
    if (winmm)
        FreeLibrary(winmm);
    qsort(d, (size_t)n, sizeof d[0], cmp_i64);
    return d[n / 2];
}
#endif
