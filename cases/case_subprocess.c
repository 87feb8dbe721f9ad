/* The subprocess cases' protocol, spawn and wait (case_subprocess.h). */
#include <string.h>

#include "case_subprocess.h"

static void sp_maybe_stop(struct lc__sp_run *r)
{
    if (r->exited && r->lost[0] + r->lost[1] + r->lost[2] >= r->need_lost)
        lc_loop_stop(r->loop);
}

static void sp_data(lc_process *p, int fd, const void *d, size_t n, void *ud)
{
    (void)p;
    struct lc__sp_run *r = ud;
    if (fd < 1 || fd > 2)
        return;
    r->total[fd - 1] += n;
    if (r->exited)
        r->bytes_after_exit += n;
    size_t room = sizeof r->out[0] - 1 - r->len[fd - 1];
    n = n < room ? n : room;
    memcpy(r->out[fd - 1] + r->len[fd - 1], d, n);
    r->len[fd - 1] += n;
    r->out[fd - 1][r->len[fd - 1]] = 0;
}

static void sp_lost(lc_process *p, int fd, int err, void *ud)
{
    (void)p;
    struct lc__sp_run *r = ud;
    r->lost[fd]++;
    r->lost_err[fd] = err;
    if (r->stop_on_lost_fd == fd + 1)
        lc_loop_stop(r->loop);
    sp_maybe_stop(r);
}

static void sp_exited(lc_process *p, int rc, void *ud)
{
    (void)p;
    struct lc__sp_run *r = ud;
    r->exited++;
    r->rc = rc;
    sp_maybe_stop(r);
}

const lc_process_callbacks lc__sp_cbs = {sp_data, sp_lost, sp_exited};

void lc__sp_evidence(lc_case_ctx *ctx, lc_loop *loop)
{
    const char *w = lc_loop_child_watcher_name(loop);
    lc_case_evidence(ctx, "child_watcher", w ? w : "none");
}

lc_process *lc__sp_spawn(lc_case_ctx *ctx, lc_loop *loop, lc_spawn_options *so,
                         const lc_process_callbacks *cbs, void *ud)
{
    lc_process *p = NULL;
    int rc = lc_spawn(loop, so, cbs, ud, &p);
    if (rc == LC_ENOTSUP) {
#ifdef _WIN32
        lc_case_unsupported(ctx, loop, rc, "lc_spawn refused: %s", lc_errname(rc));
#else
        lc_case_ref(ctx, "man:pidfd_open(2)");
        lc_case_unsupported(ctx, loop, rc, "lc_spawn refused: the %s child watcher is not available here (%s)",
                            lc_case_variant(ctx) ? lc_case_variant(ctx) : "default", lc_errname(rc));
#endif
        return NULL;
    }
    if (rc < 0) {
        lc_case_fail(ctx, "lc_spawn(%s): %s (%s)", so->shell ? so->shell : so->file,
                     lc_strerror(rc), lc_errname(rc));
        return NULL;
    }
    return p;
}

int lc__sp_wait_ms(lc_case_ctx *ctx, lc_loop *loop, struct lc__sp_run *r, const char *what,
                   int limit_ms)
{
    r->loop = loop;
    int guard = 0;
    int rc = lc__case_run_guarded(loop, LC__MS(limit_ms), &guard);
    if (rc < 0) {
        lc_case_fail(ctx, "lc_loop_run: %s", lc_strerror(rc));
        return -1;
    }
    if (guard) {
        lc_case_fail(ctx, "%s: within %d ms exited=%d, pipes lost=%d/%d", what, limit_ms,
                     r->exited, r->lost[0] + r->lost[1] + r->lost[2], r->need_lost);
        return -1;
    }
    return 0;
}
