/* The Windows process record (process_win.c), read by process_common.c. */
#ifndef LC_PROCESS_WIN_H
#define LC_PROCESS_WIN_H

#include "compat_win.h"
#include "lc_process_common.h"

#include <signal.h>
#include <stdbool.h>

/* The CRT's signal.h has no SIGKILL: POSIX's number, for the callers
 * that pass it (process.h). */
#ifndef SIGKILL
#define SIGKILL 9
#endif

struct lc_process {
    lc_loop *loop;
    HANDLE proc, wait;
    DWORD pid;
    bool has_closer, detached, reaped, user_closed;
    struct lc__closer closer;
    int returncode;
    int busy;
    lc_transport *pipes[3];
    int npipes;
    const lc_process_callbacks *cbs;
    void *ud;
};

#endif
