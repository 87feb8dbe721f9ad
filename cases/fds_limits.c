/* fds/max-watched: how many fds one loop can watch, and what stops it.
 *
 * As CPython's ScalableSelectorMixIn.test_above_fd_setsize does: raise the
 * soft RLIMIT_NOFILE to the hard limit (capped at 65536; getrlimit(2): no
 * privilege needed), keep a few fds spare, then register socketpairs (a
 * reader on both ends) until the fd limit or the backend refuses.  Then one
 * byte into every pair must wake every reader that saw it: a backend that
 * accepted an fd also has to watch it.
 *
 * select(2) takes fds below FD_SETSIZE only; the select backend refuses
 * larger ones (LC_ENOTSUP), so its limit is FD_SETSIZE minus the fds already
 * open.  epoll_ctl(2) may stop at fs.epoll.max_user_watches (ENOSPC).  The
 * limit reached and the reason are the result; any of them is a PASS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/resource.h>
#endif
#include <sys/socket.h>
#include <unistd.h>

#include "case_util.h"

#define MW_CAP 65536
#define MW_WIN_CAP 2048 /* Windows: sockets made at most (no rlimit there) */
#define MW_SPARE 32 /* for the harness, the loop and the guard (CPython keeps 32) */

struct mw_state {
    int *fds;          /* registered fds, pairs at 2i, 2i+1 */
    size_t nfds;
    unsigned char *seen; /* by fd number */
    size_t nseen_cap;
    size_t want, got;
};

static void mw_reader(lc_loop *loop, int fd, void *arg)
{
    struct mw_state *st = arg;
    char b;
    while (read(fd, &b, 1) > 0)
        ;
    if ((size_t)fd < st->nseen_cap && !st->seen[fd]) {
        st->seen[fd] = 1;
        if (++st->got == st->want)
            lc_loop_stop(loop);
    }
}

static void mw_cleanup(lc_loop *loop, struct mw_state *st)
{
    for (size_t i = 0; i < st->nfds; i++) {
        if (st->fds[i] < 0)
            continue;
        lc_remove_reader(loop, st->fds[i]);
        close(st->fds[i]);
    }
    free(st->fds);
    free(st->seen);
}

static void fds_max_watched(lc_case_ctx *ctx, lc_loop *loop)
{
#ifdef _WIN32
    /* Windows has no descriptor limit to raise: sockets are kernel handles
     * (a process may hold about 2^24).  A budget of MW_WIN_CAP sockets is
     * far above Winsock select's 512 per set; `seen` is indexed by SOCKET
     * value, which is a handle (a multiple of 4). */
    struct {
        size_t rlim_cur;
    } rl = {MW_WIN_CAP};
    size_t budget = MW_WIN_CAP;
    const size_t seen_cap = (size_t)1 << 22;
#else
    struct rlimit rl;
    LC_REQUIRE(ctx, getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit: %s", strerror(errno));
    rlim_t target = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > MW_CAP ? MW_CAP : rl.rlim_max;
    if (rl.rlim_cur < target) {
        struct rlimit nrl = {target, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &nrl) == 0)
            rl.rlim_cur = target;
        else
            lc_case_evidence(ctx, "setrlimit", strerror(errno));
    }
    lc_case_measure_value(ctx, "rlimit_nofile_soft", (double)rl.rlim_cur, "fd");
    int open_now = lc__case_count_fds();
    size_t budget = (size_t)rl.rlim_cur - MW_SPARE - (open_now > 0 ? (size_t)open_now : 0);
    const size_t seen_cap = rl.rlim_cur;
#endif

    struct mw_state st;
    memset(&st, 0, sizeof st);
    st.nseen_cap = seen_cap;
    st.fds = malloc(budget * sizeof *st.fds);
    st.seen = calloc(st.nseen_cap, 1);
    if (!st.fds || !st.seen) {
        free(st.fds);
        free(st.seen);
        lc_case_fail(ctx, "out of memory for %zu fds", budget);
        return;
    }

    /* Ran out of the fd budget: the soft limit, or the 65536 cap on it. */
    const char *stopped_by = rl.rlim_cur >= MW_CAP ? "cap" : "RLIMIT_NOFILE";
    int refusal = 0;
    while (st.nfds + 2 <= budget) {
        int p[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p) < 0) {
            stopped_by = errno == EMFILE ? "EMFILE" : errno == ENFILE ? "ENFILE" : "socketpair";
            lc_case_evidence(ctx, "socketpair", strerror(errno));
            break;
        }
        int rc = 0;
        size_t added = 0;
        for (int k = 0; k < 2 && rc == 0; k++) {
            rc = lc_add_reader(loop, p[k], mw_reader, &st);
            if (rc == 0)
                st.fds[st.nfds + added++] = p[k];
        }
        if (rc < 0) {
            /* Drop a half-registered pair: its closed peer would make the
             * registered end readable. */
            for (size_t k = 0; k < added; k++)
                lc_remove_reader(loop, p[k]);
            close(p[0]);
            close(p[1]);
            refusal = rc;
            stopped_by = lc_errname(rc);
            /* Readers accepted before the refusal, the refused pair's
             * first end included: the backend's own count. */
            lc_case_measure_counter(ctx, "readers_accepted", (long long)(st.nfds + added), "fd");
            break;
        }
        st.nfds += added;
    }
    if (refusal && st.nfds == 0 && lc__case_is_refusal(refusal)) {
        /* Refused from the first fd: the backend watches none at all. */
        mw_cleanup(loop, &st);
        lc__case_report_add_failure(ctx, loop, refusal, "add_reader(socketpair)");
        return;
    }
    if (refusal) {
        if (!lc__case_is_refusal(refusal)) {
            lc_case_fail(ctx, "add_reader failed after %zu fds: %s (%s)", st.nfds,
                         lc_strerror(refusal), lc_errname(refusal));
            mw_cleanup(loop, &st);
            return;
        }
        lc_refusal why;
        lc_loop_last_refusal(loop, &why);
        if (why.call)
            lc_case_evidence(ctx, "call", why.call);
        if (why.sys_errno)
            lc_case_evidence(ctx, "errno", lc_errname(-why.sys_errno));
        if (why.ref)
            lc_case_ref(ctx, why.ref);
        if (why.decided_by)
            lc_case_evidence(ctx, "decided_by", why.decided_by);
    }
    lc_case_measure_limit(ctx, "watched_fds", (long long)st.nfds, "fd", stopped_by);

    /* Make the first end of every complete pair readable. */
    for (size_t i = 0; i + 1 < st.nfds; i += 2) {
        if (write(st.fds[i + 1], "x", 1) == 1)
            st.want++;
    }
    int guard = 0;
    int rc = st.want ? lc__case_run_guarded(loop, LC__MS(10000), &guard) : 0;
    size_t want = st.want, got = st.got, n = st.nfds;
    mw_cleanup(loop, &st);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, n >= 2, "no fd could be watched (stopped by %s)", stopped_by);
    LC_REQUIRE(ctx, got == want, "only %zu of %zu readable fds were reported within 10 s", got,
               want);
    lc_case_pass(ctx, "%zu fds watched (stopped by %s); all %zu readable ones reported", n,
                 stopped_by, want);
}

const lc_case lc_cases_fds_limits[] = {
    {"fds/max-watched",
     "register socketpairs until RLIMIT_NOFILE (raised to the hard limit, max 65536) or a refusal",
     fds_max_watched, LC_CASE_SLOW, NULL, 60},
    {0},
};
