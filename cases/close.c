/* close: what a closed loop answers, close from inside a running loop, and
 * close releasing the loop's own fds.  Semantics: asyncio-eventloop
 * "loop.close()"; CPython test_events.py test_close,
 * test_close_running_event_loop, test_add_fds_after_closing,
 * test_remove_fds_after_closing, test_internal_fds. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case_util.h"

static void close_mark(lc_loop *loop, void *arg)
{
    (*(int *)arg)++;
}

static void close_io_mark(lc_loop *loop, int fd, void *arg)
{
    (*(int *)arg)++;
}

/* ---- close/closed-loop-errors ------------------------------------------- */

struct close_call {
    const char *name;
    int rc;
    int want;
};

struct close_inside {
    int rc;
    int closed_after;
};

static void close_from_callback(lc_loop *loop, void *arg)
{
    struct close_inside *st = arg;
    st->rc = lc_loop_close(loop);
    st->closed_after = lc_loop_is_closed(loop);
    lc_loop_stop(loop);
}

static void close_closed_loop_errors(lc_case_ctx *ctx, lc_loop *unused)
{
    int sv[2];
    LC_REQUIRE(ctx, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0,
               "socketpair failed");
    lc_loop *l = NULL;
    int rc = lc_loop_new(&l, lc_case_loop_options(ctx));
    if (rc < 0) {
        close(sv[0]);
        close(sv[1]);
        lc_case_fail(ctx, "lc_loop_new: %s (%s)", lc_strerror(rc), lc_errname(rc));
        return;
    }
    int pending_ran = 0, io_ran = 0;
    lc_timer t = {0}, t2 = {0};
    lc_handle h;
    memset(&h, 0, sizeof h);
    /* Something pending when the loop closes: dropped, never called. */
    int setup = lc_call_soon(l, close_mark, &pending_ran);
    if (setup == 0)
        setup = lc_call_later(l, &t, 0, close_mark, &pending_ran);
    if (setup < 0) {
        lc_loop_free(l);
        close(sv[0]);
        close(sv[1]);
        lc_case_fail(ctx, "scheduling before close: %s (%s)", lc_strerror(setup), lc_errname(setup));
        return;
    }
    int close_rc = lc_loop_close(l);
    if (close_rc != 0) {
        lc_loop_free(l);
        close(sv[0]);
        close(sv[1]);
        lc_case_fail(ctx, "close: %s (%s)", lc_strerror(close_rc), lc_errname(close_rc));
        return;
    }

    struct close_call calls[] = {
        {"run", lc_loop_run(l), LC_ECLOSED},
        {"run_once(0)", lc_loop_run_once(l, 0), LC_ECLOSED},
        {"run_once(1)", lc_loop_run_once(l, 1), LC_ECLOSED},
        {"call_soon", lc_call_soon(l, close_mark, &pending_ran), LC_ECLOSED},
        {"call_soon_handle", lc_call_soon_handle(l, &h, close_mark, &pending_ran), LC_ECLOSED},
        {"call_soon_threadsafe", lc_call_soon_threadsafe(l, close_mark, &pending_ran), LC_ECLOSED},
        {"call_later", lc_call_later(l, &t2, LC__MS(1), close_mark, &pending_ran), LC_ECLOSED},
        {"call_at", lc_call_at(l, &t2, lc_time_ns(), close_mark, &pending_ran), LC_ECLOSED},
        {"add_reader", lc_add_reader(l, sv[0], close_io_mark, &io_ran), LC_ECLOSED},
        {"add_writer", lc_add_writer(l, sv[0], close_io_mark, &io_ran), LC_ECLOSED},
        {"remove_reader", lc_remove_reader(l, sv[0]), 0},
        {"remove_writer", lc_remove_writer(l, sv[0]), 0},
    };
    lc_loop_free(l);
    close(sv[0]);
    close(sv[1]);

    char bad[512] = "";
    size_t bl = 0;
    size_t ncalls = sizeof calls / sizeof calls[0];
    for (size_t i = 0; i < ncalls; i++)
        if (calls[i].rc != calls[i].want && bl < sizeof bad)
            bl += (size_t)snprintf(bad + bl, sizeof bad - bl, "%s%s -> %s (want %s)", bl ? "; " : "",
                                   calls[i].name, lc_errname(calls[i].rc),
                                   calls[i].want ? lc_errname(calls[i].want) : "0");
    LC_REQUIRE(ctx, bl == 0, "after close: %s", bad);
    LC_REQUIRE(ctx, pending_ran == 0 && io_ran == 0, "a callback ran after close");

    /* close() from a callback of the running loop (test_close_running_event_loop). */
    struct close_inside in = {0, 0};
    rc = lc_loop_new(&l, lc_case_loop_options(ctx));
    LC_REQUIRE(ctx, rc == 0, "lc_loop_new: %s", lc_strerror(rc));
    rc = lc_call_soon(l, close_from_callback, &in);
    int run_rc = rc == 0 ? lc_loop_run(l) : rc;
    int closed_after_run = lc_loop_is_closed(l);
    int still_usable = run_rc == 0 && !closed_after_run ? lc_call_soon(l, close_mark, &pending_ran) : -1;
    if (still_usable == 0)
        still_usable = lc_loop_run_once(l, 0);
    int final_close = lc_loop_close(l);
    lc_loop_free(l);
    LC_REQUIRE_OK(ctx, run_rc);
    LC_REQUIRE(ctx, in.rc == LC_ERUNNING, "close() inside the running loop returned %s (want LC_ERUNNING)",
               lc_errname(in.rc));
    LC_REQUIRE(ctx, !in.closed_after && !closed_after_run, "a refused close() still closed the loop");
    LC_REQUIRE(ctx, still_usable == 0 && pending_ran == 1, "the loop did not keep working after a refused close()");
    LC_REQUIRE(ctx, final_close == 0, "close after the run: %s", lc_strerror(final_close));
    lc_case_pass(ctx, "after close: %zu calls answered LC_ECLOSED / 0; close() while running: LC_ERUNNING",
                 ncalls);
}

/* ---- close/idempotent ---------------------------------------------------- */

static void close_idempotent(lc_case_ctx *ctx, lc_loop *unused)
{
    int sv[2];
    LC_REQUIRE(ctx, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0,
               "socketpair failed");
    int n0 = lc__case_count_fds();
    lc_loop *l = NULL;
    int rc = lc_loop_new(&l, lc_case_loop_options(ctx));
    if (rc < 0) {
        close(sv[0]);
        close(sv[1]);
        lc_case_fail(ctx, "lc_loop_new: %s (%s)", lc_strerror(rc), lc_errname(rc));
        return;
    }
    int n1 = lc__case_count_fds();
    int ran = 0;
    lc_timer t = {0};
    /* Registrations for close to release: a reader and a writer (where the
     * backend watches fds at all), a timer, a ready callback. */
    int io_rc = lc_add_reader(l, sv[0], close_io_mark, &ran);
    if (io_rc == 0)
        io_rc = lc_add_writer(l, sv[0], close_io_mark, &ran);
    int setup = io_rc == 0 || lc__case_is_refusal(io_rc) ? 0 : io_rc;
    lc_case_evidence(ctx, "fd_registration", io_rc == 0 ? "reader+writer" : lc_errname(io_rc));
    if (setup == 0)
        setup = lc_call_later(l, &t, LC__MS(1000), close_mark, &ran);
    if (setup == 0)
        setup = lc_call_soon(l, close_mark, &ran);
    int open_before = lc_loop_is_closed(l);
    int rc1 = lc_loop_close(l);
    int closed1 = lc_loop_is_closed(l);
    int rc2 = lc_loop_close(l);
    int closed2 = lc_loop_is_closed(l);
    int n2 = lc__case_count_fds();
    lc_loop_free(l);
    int n3 = lc__case_count_fds();
    close(sv[0]);
    close(sv[1]);

    LC_REQUIRE(ctx, setup == 0, "registering before close: %s (%s)", lc_strerror(setup), lc_errname(setup));
    LC_REQUIRE(ctx, open_before == 0, "a new loop reports itself closed");
    LC_REQUIRE(ctx, rc1 == 0, "first close: %s (%s)", lc_strerror(rc1), lc_errname(rc1));
    LC_REQUIRE(ctx, closed1 == 1, "is_closed is %d after close", closed1);
    LC_REQUIRE(ctx, rc2 == 0, "second close: %s (%s) (want 0: close is idempotent)", lc_strerror(rc2),
               lc_errname(rc2));
    LC_REQUIRE(ctx, closed2 == 1, "is_closed is %d after the second close", closed2);
    LC_REQUIRE(ctx, ran == 0, "a pending callback ran during close");
    if (n0 < 0 || n1 < 0 || n2 < 0 || n3 < 0) {
        lc_case_pass(ctx, "close twice returned 0 both times, is_closed flipped (open fds cannot be counted here)");
        return;
    }
    lc_case_measure_counter(ctx, "loop_fds", n1 - n0, "fd");
    LC_REQUIRE(ctx, n2 == n0, "the loop held %d fds; %d still open after close", n1 - n0, n2 - n0);
    LC_REQUIRE(ctx, n3 == n0, "%d fds open after free", n3 - n0);
    lc_case_pass(ctx, "close twice returned 0 both times, is_closed flipped, the loop's %d fds were released",
                 n1 - n0);
}

const lc_case lc_cases_close[] = {
    {"close/closed-loop-errors",
     "a closed loop answers LC_ECLOSED (remove_*: 0); close() inside the running loop is LC_ERUNNING",
     close_closed_loop_errors, LC_CASE_OWN_LOOP, NULL, 0},
    {"close/idempotent", "close() twice returns 0 both times, is_closed flips, the loop's fds are released",
     close_idempotent, LC_CASE_OWN_LOOP, NULL, 0},
    {0},
};
