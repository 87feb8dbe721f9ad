/* Helpers for the subprocess case areas (subprocess, subprocess_streams,
 * and the signal cases that start children): a SubprocessProtocol that
 * records what the loop delivered, spawning with refusals reported, and a
 * guarded wait for the child's exit.  Internal to cases/. */
#ifndef LC_CASE_SUBPROCESS_H
#define LC_CASE_SUBPROCESS_H

#include <stddef.h>

#include "case_util.h"
#include "loopcompat/process.h"

/* What the protocol saw.  out[0] is stdout, out[1] stderr (NUL-ended,
 * truncated past the buffer; len counts what was kept, total all bytes). */
struct lc__sp_run {
    char out[2][4096];
    size_t len[2], total[2];
    int lost[3], lost_err[3];
    int exited, rc;
    int need_lost;           /* stop once exited and this many pipes lost */
    int stop_on_lost_fd;     /* 1 + fd: also stop when that pipe is lost */
    size_t bytes_after_exit; /* data delivered after process_exited */
    lc_loop *loop;
};

extern const lc_process_callbacks lc__sp_cbs;

/* The child watcher in the evidence. */
void lc__sp_evidence(lc_case_ctx *ctx, lc_loop *loop);

/* Spawn; a refusal (LC_ENOTSUP: the variant's watcher is not available)
 * is UNSUPPORTED, another error FAIL.  NULL then. */
lc_process *lc__sp_spawn(lc_case_ctx *ctx, lc_loop *loop, lc_spawn_options *so,
                         const lc_process_callbacks *cbs, void *ud);

/* Run until a callback stops the loop (exit and pipes, see need_lost);
 * FAIL after limit_ms.  0, or -1 when the case failed. */
int lc__sp_wait_ms(lc_case_ctx *ctx, lc_loop *loop, struct lc__sp_run *r, const char *what,
                   int limit_ms);
#define lc__sp_wait(ctx, loop, r, what) lc__sp_wait_ms(ctx, loop, r, what, 5000)

#endif
