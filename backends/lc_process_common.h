/* Internal interface to process_common.c: what the POSIX subprocesses
 * (process.c, spawn.c) and the Windows ones (process_win.c) share. */
#ifndef LC_PROCESS_COMMON_H
#define LC_PROCESS_COMMON_H

#include "lc_internal.h"
#include "loopcompat/process.h"

/* LC_EINVAL unless exactly one of file and shell is given (argv only with
 * file) and each stdio mode is one its stream can take (process.h). */
int lc__spawn_check_options(const lc_spawn_options *o);

/* The platform's: free p once nothing holds it any more (the user closed
 * it, the child is reaped or let go of, every pipe delivered
 * connection_lost, no user callback is running). */
void lc__process_maybe_free(lc_process *p);

/* The platform's, for lc_process_close: end a child still running (SIGKILL,
 * or TerminateProcess) and, if the loop is gone, wait for it. */
void lc__process_end_child(lc_process *p);

/* p->returncode is known: process_exited, unless the user closed p, then
 * p is freed if nothing else holds it. */
void lc__process_exited(lc_process *p);

/* The loop closes: the pipe transports let go of p, so their teardown
 * never reaches it. */
void lc__process_detach_pipes(lc_process *p);

/* The protocol of a process's pipe transports: forwards to its callbacks. */
extern const lc_protocol lc__process_pipe_protocol;

#endif
