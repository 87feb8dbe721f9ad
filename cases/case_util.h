/* Helpers shared by the case areas: guarded runs, "does a reader fire"
 * checks, refusal reporting, fd counting.  Internal to cases/. */
#ifndef LC_CASE_UTIL_H
#define LC_CASE_UTIL_H

#include <stdint.h>

#include "lc_case.h"

#define LC__MS(n) ((int64_t)(n) * 1000000)
#define LC__US(n) ((int64_t)(n) * 1000)

/* Run the loop until a callback stops it or `limit_ns` passes (a guard
 * timer stops it then).  Returns lc_loop_run's result; *guard_fired is set
 * to 1 if the guard ended the run. */
int lc__case_run_guarded(lc_loop *loop, int64_t limit_ns, int *guard_fired);

/* Whether an add_reader/add_writer result is a refusal the case should
 * report as UNSUPPORTED: the backend's LC_ENOTSUP, or an errno from the
 * kernel (epoll_ctl's EPERM).  Other codes (LC_ECLOSED, LC_EINVAL, …) are
 * failures of the loop, not documented refusals. */
int lc__case_is_refusal(int rc);

/* Record a failed add_reader/add_writer: UNSUPPORTED for a refusal (with
 * the loop's evidence), FAIL otherwise. */
void lc__case_report_add_failure(lc_case_ctx *ctx, lc_loop *loop, int rc, const char *what);

/* The common shape of the fd-type cases: register a reader on fd and wait
 * up to `limit_ns` for it to fire.  PASS if it fired (latency recorded),
 * FAIL if not, UNSUPPORTED if add_reader refused.  The reader is removed
 * before returning; fd stays open. */
void lc__case_expect_reader_fires(lc_case_ctx *ctx, lc_loop *loop, int fd, const char *what,
                                  int64_t limit_ns);

/* Open file descriptors of this process, or -1 if they cannot be counted. */
int lc__case_count_fds(void);

/* Spin on the clock for `ns` (a callback that runs long). */
void lc__case_busy_ns(int64_t ns);

/* Sleep for `ns` on the real clock (restarted after signals). */
void lc__case_sleep_ns(int64_t ns);

#endif
