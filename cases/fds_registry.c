/* fds: the registration table against fds that close, get reused, are
 * invalid or belong to a transport, and epoll's registration on the open
 * file description.
 *
 * Sources: CPython's test_selectors.py (test_unregister_after_fd_close,
 * ..._and_reuse, test_unregister_after_socket_close), test_unix_events.py
 * (test_add_reader_or_writer_transport_fd), epoll(7) Q&A 6, epoll_ctl(2). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case_transport.h"

static void reg_mark(lc_loop *loop, int fd, void *arg)
{
    (*(int *)arg)++;
}

static void reg_stop_mark(lc_loop *loop, int fd, void *arg)
{
    (*(int *)arg)++;
    lc_loop_stop(loop);
}

/* One more iteration of the loop must work after the fds went away: a
 * backend that kept a closed fd in its set (select's EBADF, poll's
 * POLLNVAL) would fail it or spin. */
static int reg_iterate_ok(lc_case_ctx *ctx, lc_loop *loop, const char *when)
{
    int rc = lc_loop_run_once(loop, 0);
    if (rc < 0) {
        lc_case_fail(ctx, "the next iteration %s failed: %s (%s)", when, lc_strerror(rc), lc_errname(rc));
        return -1;
    }
    return 0;
}

/* ---- fds/unregister-after-close, fds/unregister-after-close-and-reuse --- */

static void unregister_after_close(lc_case_ctx *ctx, lc_loop *loop, int reuse)
{
    int sv[2], nv[2] = {-1, -1};
    LC_REQUIRE(ctx, socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
    int r = sv[0], w = sv[1], fired_r = 0, fired_w = 0;
    int rc = lc_add_reader(loop, r, reg_mark, &fired_r);
    if (rc == 0)
        rc = lc_add_writer(loop, w, reg_mark, &fired_w);
    if (rc < 0) {
        lc_remove_reader(loop, r);
        close(r);
        close(w);
        lc__case_report_add_failure(ctx, loop, rc, "add_reader/add_writer on a socketpair");
        return;
    }
    if (reuse && socketpair(AF_UNIX, SOCK_STREAM, 0, nv) != 0) {
        lc_case_fail(ctx, "socketpair: %s", strerror(errno));
        return;
    }
    close(r);
    close(w);
    if (reuse) {
        /* The numbers now name other sockets (test_selectors.py dup2s the
         * new pair onto them). */
        if (dup2(nv[0], r) < 0 || dup2(nv[1], w) < 0) {
            lc_case_fail(ctx, "dup2: %s", strerror(errno));
            return;
        }
        close(nv[0]);
        close(nv[1]);
    }
    int rr = lc_remove_reader(loop, r), rw = lc_remove_writer(loop, w);
    lc_case_evidence_int(ctx, "remove_reader", rr);
    lc_case_evidence_int(ctx, "remove_writer", rw);
    if (rr != 1 || rw != 1) {
        lc_case_fail(ctx, "remove_reader/remove_writer after close%s returned %d/%d, want 1/1 (a callback "
                          "was registered)",
                     reuse ? " and reuse" : "", rr, rw);
        goto out;
    }
    if (reg_iterate_ok(ctx, loop, "after the removal") < 0)
        goto out;
    if (!reuse) {
        lc_case_pass(ctx, "reader and writer removed after their fds were closed (1/1); the loop runs on");
        return;
    }
    /* The reused numbers register afresh and fire for the new socket: a
     * registration left behind for the old one would make the add fail
     * (EEXIST) or watch the wrong file. */
    int fired_new = 0;
    rc = lc_add_reader(loop, r, reg_stop_mark, &fired_new);
    if (rc < 0) {
        lc__case_report_add_failure(ctx, loop, rc, "add_reader on the reused fd number");
        goto out;
    }
    if (write(w, "x", 1) != 1) {
        lc_case_fail(ctx, "write: %s", strerror(errno));
        lc_remove_reader(loop, r);
        goto out;
    }
    int guard = 0;
    rc = lc__case_run_guarded(loop, LC__MS(2000), &guard);
    lc_remove_reader(loop, r);
    if (rc < 0)
        lc_case_fail(ctx, "loop error: %s", lc_strerror(rc));
    else if (fired_new != 1)
        lc_case_fail(ctx, "a reader on the reused fd number fired %d times for a byte from its new peer",
                     fired_new);
    else if (fired_r)
        lc_case_fail(ctx, "the removed reader of the closed socket ran");
    else
        lc_case_pass(ctx, "removed after close and reuse of the numbers (1/1); the reused number registers "
                          "afresh and fires for its new socket");
out:
    if (reuse) {
        close(r);
        close(w);
    }
}

static void fds_unregister_after_close(lc_case_ctx *ctx, lc_loop *loop)
{
    unregister_after_close(ctx, loop, 0);
}

static void fds_unregister_after_close_and_reuse(lc_case_ctx *ctx, lc_loop *loop)
{
    unregister_after_close(ctx, loop, 1);
}

/* ---- fds/unregister-after-socket-close ----------------------------------
 * test_unregister_after_socket_close unregisters by the socket object after
 * socket.close(); C has no socket object, so the nearest thing is the
 * socket closed by the callback its own readiness ran, then unregistered
 * in that callback, with more readiness of it in the same batch. */

struct usc_state {
    int sv[2];
    int ran, removed_rc;
};

static void usc_reader(lc_loop *loop, int fd, void *arg)
{
    struct usc_state *st = arg;
    st->ran++;
    shutdown(fd, SHUT_RDWR);
    close(fd);
    st->sv[0] = -1;
    st->removed_rc = lc_remove_reader(loop, fd) + 10 * lc_remove_writer(loop, fd);
    lc_loop_stop(loop);
}

static void fds_unregister_after_socket_close(lc_case_ctx *ctx, lc_loop *loop)
{
    struct usc_state st;
    memset(&st, 0, sizeof st);
    LC_REQUIRE(ctx, socketpair(AF_UNIX, SOCK_STREAM, 0, st.sv) == 0, "socketpair: %s", strerror(errno));
    int rc = lc_add_reader(loop, st.sv[0], usc_reader, &st);
    if (rc == 0)
        rc = lc_add_writer(loop, st.sv[0], usc_reader, &st);
    if (rc < 0) {
        lc_remove_reader(loop, st.sv[0]);
        close(st.sv[0]);
        close(st.sv[1]);
        lc__case_report_add_failure(ctx, loop, rc, "add_reader/add_writer on a socketpair");
        return;
    }
    /* Readable and writable at once: both callbacks are in one batch. */
    if (write(st.sv[1], "x", 1) != 1) {
        lc_case_fail(ctx, "write: %s", strerror(errno));
        return;
    }
    int guard = 0;
    rc = lc__case_run_guarded(loop, LC__MS(2000), &guard);
    if (st.sv[0] >= 0) {
        lc_remove_reader(loop, st.sv[0]);
        lc_remove_writer(loop, st.sv[0]);
        close(st.sv[0]);
    }
    close(st.sv[1]);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, st.ran == 1, "the callbacks of the socket closed and removed in the batch ran %d times "
                                 "(want 1: the other was removed before its turn)",
               st.ran);
    LC_REQUIRE(ctx, st.removed_rc == 11, "remove_reader/remove_writer after the close returned %d/%d, want 1/1",
               st.removed_rc % 10, st.removed_rc / 10);
    if (reg_iterate_ok(ctx, loop, "after the socket closed") < 0)
        return;
    lc_case_pass(ctx, "a socket closed and removed by its own callback: removal 1/1, its other callback of "
                      "the batch did not run, the loop runs on");
}

/* ---- fds/add-reader-invalid-fd ------------------------------------------ */

static void fds_add_reader_invalid_fd(lc_case_ctx *ctx, lc_loop *loop)
{
    /* A number that was open a moment ago and is not now. */
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    LC_REQUIRE(ctx, fd >= 0, "open /dev/null: %s", strerror(errno));
    close(fd);
    int fired = 0;
    int rc = lc_add_reader(loop, fd, reg_mark, &fired);
    int rcw = lc_add_writer(loop, fd, reg_mark, &fired);
    int rneg = lc_add_reader(loop, -1, reg_mark, &fired);
    lc_remove_reader(loop, fd);
    lc_remove_writer(loop, fd);
    lc_case_evidence(ctx, "add_reader", lc_errname(rc));
    lc_case_evidence(ctx, "add_writer", lc_errname(rcw));
    lc_case_evidence(ctx, "add_reader_minus_1", lc_errname(rneg));
    /* Who noticed: epoll's own epoll_ctl(2) ADD ("EBADF fd is not a valid
     * file descriptor"); select and poll only report a closed fd at the
     * wait (select(2) EBADF, poll(2) POLLNVAL), so the library asks
     * fcntl(2) F_GETFD first (backends/fdtable.c). */
    int by_os = strcmp(lc_case_backend(ctx), "epoll") == 0;
    lc_case_evidence(ctx, "call", by_os ? "epoll_ctl" : "fcntl(F_GETFD)");
    lc_case_evidence(ctx, "errno", "EBADF");
    lc_case_evidence(ctx, "decided_by", by_os ? "os" : "library");
    LC_REQUIRE(ctx, rc == LC_EBADF && rcw == LC_EBADF,
               "add_reader/add_writer on a closed fd returned %s/%s, want LC_EBADF", lc_errname(rc),
               lc_errname(rcw));
    LC_REQUIRE(ctx, rneg == LC_EINVAL || rneg == LC_EBADF, "add_reader(-1) returned %s", lc_errname(rneg));
    if (reg_iterate_ok(ctx, loop, "after the refusals") < 0)
        return;
    LC_REQUIRE(ctx, fired == 0, "a callback on an invalid fd ran");
    lc_case_pass(ctx, "add_reader/add_writer on a closed fd: LC_EBADF (from %s); on -1: %s",
                 by_os ? "epoll_ctl" : "fcntl(F_GETFD) in the library", lc_errname(rneg));
}

/* ---- fds/add-reader-transport-fd ---------------------------------------- */

static void fds_add_reader_transport_fd(lc_case_ctx *ctx, lc_loop *loop)
{
    int sv[2];
    LC_REQUIRE(ctx, socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
    lc__rec r;
    lc_transport *t;
    int rc = lc__case_stream_on_pair(ctx, loop, sv, &r, &t);
    if (rc < 0)
        return;
    int fired = 0;
    int ra = lc_add_reader(loop, sv[0], reg_mark, &fired);
    int wa = lc_add_writer(loop, sv[0], reg_mark, &fired);
    lc_case_evidence(ctx, "add_reader", lc_errname(ra));
    lc_case_evidence(ctx, "add_writer", lc_errname(wa));
    /* The transport still reads: nothing of its registration was taken. */
    r.stop_at = 3;
    int sent = write(sv[1], "abc", 3) == 3;
    int in_time = sent && lc__case_wait(loop, LC__MS(2000));
    size_t got = r.len;
    if (ra == 0)
        lc_remove_reader(loop, sv[0]);
    if (wa == 0)
        lc_remove_writer(loop, sv[0]);
    lc__rec_finish(loop, &r, 1);
    lc__rec_free(&r);
    close(sv[1]);
    LC_REQUIRE(ctx, ra == LC_EBUSY && wa == LC_EBUSY,
               "add_reader/add_writer on a transport's fd returned %s/%s, want LC_EBUSY", lc_errname(ra),
               lc_errname(wa));
    LC_REQUIRE(ctx, in_time && got == 3, "the transport received %zu of 3 bytes after the refused adds", got);
    LC_REQUIRE(ctx, fired == 0, "a refused callback ran");
    lc_case_pass(ctx, "add_reader/add_writer on an fd a transport owns: LC_EBUSY; the transport reads on");
}

/* ---- fds/epoll-dup-registration ------------------------------------------
 * epoll(7) Q&A 6: "Will closing a file descriptor cause it to be removed
 * from all epoll interest lists?  Yes, but ... a file descriptor is a
 * reference to an open file description ... The file descriptor is removed
 * from an interest list only after all the file descriptors referring to
 * the underlying open file description have been closed."  So with a dup()
 * open, events for the closed number keep coming. */

static void fds_epoll_dup_registration(lc_case_ctx *ctx, lc_loop *loop)
{
    if (strcmp(lc_case_backend(ctx), "epoll") != 0) {
        lc_case_skip(ctx, "the registration on the open file description is epoll(7)'s rule; %s is not epoll",
                     lc_case_backend(ctx));
        return;
    }
    int sv[2];
    LC_REQUIRE(ctx, socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
    int fired = 0;
    int rc = lc_add_reader(loop, sv[0], reg_stop_mark, &fired);
    if (rc < 0) {
        close(sv[0]);
        close(sv[1]);
        lc__case_report_add_failure(ctx, loop, rc, "add_reader on a socketpair");
        return;
    }
    int dupfd = dup(sv[0]);
    int orig = sv[0];
    close(orig);
    int sent = dupfd >= 0 && write(sv[1], "x", 1) == 1;
    int guard = 0;
    rc = sent ? lc__case_run_guarded(loop, LC__MS(500), &guard) : 0;
    lc_remove_reader(loop, orig); /* the closed number: epoll_ctl DEL fails, ignored */
    lc_case_evidence(ctx, "call", "epoll_ctl");
    lc_case_measure_counter(ctx, "fires_after_close", fired, "callback");
    /* The registration outlives the number as long as the dup is open:
     * close the dup, then check the loop is quiet. */
    if (dupfd >= 0)
        close(dupfd);
    close(sv[1]);
    LC_REQUIRE(ctx, dupfd >= 0 && sent, "dup/write: %s", strerror(errno));
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, fired >= 1, "no event for the closed fd while its dup() was open (epoll(7) Q&A 6 says they "
                                "keep coming)");
    if (reg_iterate_ok(ctx, loop, "after the dup closed") < 0)
        return;
    lc_case_pass(ctx, "the reader of an fd closed while a dup() stays open still fired (%d): the registration "
                      "is on the open file description",
                 fired);
}

/* ---- fds/epoll-max-user-watches ------------------------------------------ */

static void fds_epoll_max_user_watches(lc_case_ctx *ctx, lc_loop *loop)
{
    if (strcmp(lc_case_backend(ctx), "epoll") != 0) {
        lc_case_skip(ctx, "max_user_watches is epoll's limit (epoll(7) /proc interfaces)");
        return;
    }
    long long limit = -1;
    FILE *f = fopen("/proc/sys/fs/epoll/max_user_watches", "r");
    if (f) {
        if (fscanf(f, "%lld", &limit) != 1)
            limit = -1;
        fclose(f);
    }
    if (limit < 0) {
        lc_case_skip(ctx, "/proc/sys/fs/epoll/max_user_watches cannot be read");
        return;
    }
    lc_case_measure_value(ctx, "max_user_watches", (double)limit, "entry");
    /* Reaching it takes one watch per (fd, epoll instance) of this user:
     * within one loop, one fd each.  The limit is per user, so every other
     * process of the user shares it: only a limit this process reaches with
     * its own fds is tried, and the watches are freed at once. */
    int fds_now = lc__case_count_fds();
    long max_fds = sysconf(_SC_OPEN_MAX);
    long reach = max_fds - (fds_now > 0 ? fds_now : 64) - 16;
    if (limit > reach / 2 * 2) {
        lc_case_skip(ctx, "max_user_watches is %lld: more than the %ld fds this process can open "
                          "(RLIMIT_NOFILE), so ENOSPC cannot be reached from one loop",
                     limit, reach);
        return;
    }
    /* Reachable: socketpairs until ENOSPC. */
    int (*pairs)[2] = calloc((size_t)(reach / 2 + 1), sizeof *pairs);
    LC_REQUIRE(ctx, pairs, "out of memory");
    long n = 0, watched = 0;
    int rc = 0, fired = 0;
    while (n < reach / 2 && socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[n]) == 0) {
        n++;
        rc = lc_add_reader(loop, pairs[n - 1][0], reg_mark, &fired);
        if (rc < 0)
            break;
        watched++;
        rc = lc_add_reader(loop, pairs[n - 1][1], reg_mark, &fired);
        if (rc < 0)
            break;
        watched++;
    }
    lc_refusal why = {0};
    lc_loop_last_refusal(loop, &why);
    for (long i = 0; i < n; i++) {
        lc_remove_reader(loop, pairs[i][0]);
        lc_remove_reader(loop, pairs[i][1]);
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
    free(pairs);
    lc_case_measure_limit(ctx, "watches", watched, "entry", rc < 0 ? lc_errname(rc) : "fds");
    if (rc == -ENOSPC)
        lc_case_unsupported(ctx, loop, rc, "epoll_ctl(EPOLL_CTL_ADD) refused watch %ld: ENOSPC "
                                           "(max_user_watches %lld)",
                            watched + 1, limit);
    else if (rc < 0)
        lc_case_fail(ctx, "watch %ld refused with %s, not ENOSPC", watched + 1, lc_errname(rc));
    else
        lc_case_skip(ctx, "ran out of fds after %ld watches before the limit of %lld", watched, limit);
}

const lc_case lc_cases_fds_registry[] = {
    {"fds/unregister-after-close", "remove_reader/remove_writer after the fds were closed: 1 each, the loop runs on",
     fds_unregister_after_close, 0, NULL, 0},
    {"fds/unregister-after-close-and-reuse",
     "remove after close and reuse of the fd numbers; the reused number then registers afresh and fires",
     fds_unregister_after_close_and_reuse, 0, NULL, 0},
    {"fds/unregister-after-socket-close",
     "a socket closed and removed by its own callback: the batch's other callback for it does not run",
     fds_unregister_after_socket_close, 0, NULL, 0},
    {"fds/add-reader-invalid-fd", "add_reader/add_writer on a closed fd: LC_EBADF; the loop runs on",
     fds_add_reader_invalid_fd, 0, NULL, 0},
    {"fds/add-reader-transport-fd", "add_reader/add_writer on an fd a transport owns: LC_EBUSY",
     fds_add_reader_transport_fd, 0, NULL, 0},
    {"fds/epoll-dup-registration",
     "epoll: an fd closed while a dup() of it is open still reports events (open file description)",
     fds_epoll_dup_registration, 0, NULL, 0},
    {"fds/epoll-max-user-watches", "epoll: watches past max_user_watches are refused with ENOSPC, if reachable",
     fds_epoll_max_user_watches, 0, NULL, 0},
    {0},
};
