/* The Windows timer tick, as the OS reports it and as a 1 ms sleep meets
 * it: shared by the report's platform_limits (harness/probe_win.c) and
 * the timers/windows-tick case (timers_tick_win.c). */
#ifndef LC_TICK_WIN_H
#define LC_TICK_WIN_H
#ifdef _WIN32
#include <stdint.h>

typedef struct lc__win_tick {
    /* GetSystemTimeAdjustment: lpTimeIncrement, the clock interrupt's
     * period, in 100 ns units; ok 0 if the call failed (err: GetLastError). */
    int adj_ok;
    unsigned long adj_err;
    unsigned long increment_100ns;
    /* NtQueryTimerResolution (ntdll): the coarsest, finest and current
     * timer resolution, 100 ns units; status is the NTSTATUS (0 = success),
     * nt_ok 0 if ntdll has no such export. */
    int nt_ok;
    long nt_status;
    unsigned long coarsest_100ns, finest_100ns, current_100ns;
} lc__win_tick;

void lc__win_tick_query(lc__win_tick *t);

/* Sleep(1) n times (n <= 64) and the median of their durations in ns
 * (QueryPerformanceCounter).  with_period: between timeBeginPeriod(1) and
 * timeEndPeriod(1) (winmm); *period_rc gets timeBeginPeriod's result
 * (0 = TIMERR_NOERROR), or -1 when winmm or the export is missing, and
 * then nothing is measured (returns -1). */
int64_t lc__win_sleep1_median_ns(int n, int with_period, int *period_rc);

#endif
#endif
