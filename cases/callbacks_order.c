/* callbacks: cancelling a call_soon handle, call_soon_threadsafe from the
 * loop's own thread keeping FIFO order with call_soon, and a re-entrant run
 * refused.  Semantics: asyncio-eventloop "Scheduling callbacks"
 * (Handle.cancel, call_soon_threadsafe) and "Running and stopping the loop"
 * (run_forever raises RuntimeError if the loop is already running). */
#include <stdio.h>
#include <string.h>

#include "case_util.h"

/* ---- callbacks/handle-cancel -------------------------------------------- */

struct hc_state {
    lc_handle before, victim, after, ran_then_cancelled;
    int ran_before, ran_victim, ran_after, ran_rtc, ran_canceller;
    int order[8], n;
};

static void hc_note(struct hc_state *st, int id)
{
    if (st->n < 8)
        st->order[st->n] = id;
    st->n++;
}

static void hc_before(lc_loop *loop, void *arg)
{
    struct hc_state *st = arg;
    st->ran_before++;
    hc_note(st, 1);
}

/* An earlier callback of the same iteration cancels a later one. */
static void hc_canceller(lc_loop *loop, void *arg)
{
    struct hc_state *st = arg;
    st->ran_canceller++;
    hc_note(st, 2);
    lc_handle_cancel(&st->victim);
}

static void hc_victim(lc_loop *loop, void *arg)
{
    struct hc_state *st = arg;
    st->ran_victim++;
    hc_note(st, 3);
}

static void hc_after(lc_loop *loop, void *arg)
{
    struct hc_state *st = arg;
    st->ran_after++;
    hc_note(st, 4);
}

static void hc_rtc(lc_loop *loop, void *arg)
{
    struct hc_state *st = arg;
    st->ran_rtc++;
    hc_note(st, 5);
}

static void hc_count(lc_loop *loop, void *arg)
{
    (*(int *)arg)++;
}

static void callbacks_handle_cancel(lc_case_ctx *ctx, lc_loop *loop)
{
    struct hc_state st;
    memset(&st, 0, sizeof st);
    lc_handle pre;
    memset(&pre, 0, sizeof pre);
    int ran_pre = 0;

    /* 1. Cancelled before the loop runs: never called. */
    LC_REQUIRE_OK(ctx, lc_call_soon_handle(loop, &pre, hc_count, &ran_pre));
    LC_REQUIRE(ctx, !lc_handle_cancelled(&pre), "a queued handle reads as cancelled");
    lc_handle_cancel(&pre);
    LC_REQUIRE(ctx, lc_handle_cancelled(&pre), "lc_handle_cancel did not mark the handle cancelled");

    /* 2. Cancelled by an earlier callback of the same iteration. */
    LC_REQUIRE_OK(ctx, lc_call_soon_handle(loop, &st.before, hc_before, &st));
    LC_REQUIRE_OK(ctx, lc_call_soon(loop, hc_canceller, &st));
    LC_REQUIRE_OK(ctx, lc_call_soon_handle(loop, &st.victim, hc_victim, &st));
    LC_REQUIRE_OK(ctx, lc_call_soon_handle(loop, &st.after, hc_after, &st));
    /* 3. Cancelled after it ran: a no-op. */
    LC_REQUIRE_OK(ctx, lc_call_soon_handle(loop, &st.ran_then_cancelled, hc_rtc, &st));

    /* One iteration runs everything queued before it (call_soon: FIFO). */
    LC_REQUIRE_OK(ctx, lc_loop_run_once(loop, 0));
    lc_handle_cancel(&st.ran_then_cancelled);
    LC_REQUIRE_OK(ctx, lc_loop_run_once(loop, 0));
    LC_REQUIRE_OK(ctx, lc_loop_run_once(loop, 0));

    LC_REQUIRE(ctx, ran_pre == 0, "a handle cancelled before the run ran %d times", ran_pre);
    LC_REQUIRE(ctx, st.ran_victim == 0,
               "a handle cancelled by an earlier callback of the same iteration ran anyway");
    LC_REQUIRE(ctx, st.ran_before == 1 && st.ran_canceller == 1 && st.ran_after == 1 && st.ran_rtc == 1,
               "live callbacks ran before=%d canceller=%d after=%d last=%d times (want 1 each)",
               st.ran_before, st.ran_canceller, st.ran_after, st.ran_rtc);
    LC_REQUIRE(ctx, st.n == 4 && st.order[0] == 1 && st.order[1] == 2 && st.order[2] == 4 && st.order[3] == 5,
               "%d callbacks ran, order %d,%d,%d,%d (want 1,2,4,5)", st.n, st.order[0], st.order[1],
               st.order[2], st.order[3]);
    LC_REQUIRE(ctx, lc_handle_cancelled(&st.victim), "the cancelled handle no longer reads as cancelled");
    lc_case_pass(ctx, "handles cancelled before the run and by an earlier callback of the same iteration "
                      "never ran; the others ran once each, in order");
}

/* ---- callbacks/threadsafe-same-thread-fifo ------------------------------ */

#define TS_N 12

struct tsf_state {
    int order[TS_N], n;
    int ids[TS_N];
    int arm_err;
};

static void tsf_cb(lc_loop *loop, void *arg);

static int tsf_queue(lc_loop *loop, struct tsf_state *st, int id, int threadsafe)
{
    return threadsafe ? lc_call_soon_threadsafe(loop, tsf_cb, &st->ids[id])
                      : lc_call_soon(loop, tsf_cb, &st->ids[id]);
}

static struct tsf_state *tsf_g;

static void tsf_cb(lc_loop *loop, void *arg)
{
    struct tsf_state *st = tsf_g;
    int id = *(int *)arg;
    if (st->n < TS_N)
        st->order[st->n] = id;
    st->n++;
    /* From inside a callback, the same interleaving again: these run in the
     * next iteration, in the order queued. */
    if (id == 0) {
        for (int i = 6; i < TS_N && !st->arm_err; i++) {
            int rc = tsf_queue(loop, st, i, i % 3 == 1);
            if (rc < 0)
                st->arm_err = rc;
        }
    }
    if (st->n == TS_N)
        lc_loop_stop(loop);
}

static void callbacks_threadsafe_same_thread_fifo(lc_case_ctx *ctx, lc_loop *loop)
{
    struct tsf_state st;
    memset(&st, 0, sizeof st);
    tsf_g = &st;
    for (int i = 0; i < TS_N; i++)
        st.ids[i] = i;
    /* test_events.py test_call_soon_threadsafe_same_thread: threadsafe
     * first, then call_soon; here interleaved both ways. */
    static const int ts_first[6] = {1, 0, 1, 1, 0, 0};
    for (int i = 0; i < 6; i++)
        LC_REQUIRE_OK(ctx, tsf_queue(loop, &st, i, ts_first[i]));
    int guard = 0;
    LC_REQUIRE_OK(ctx, lc__case_run_guarded(loop, LC__MS(2000), &guard));
    LC_REQUIRE_OK(ctx, st.arm_err);
    LC_REQUIRE(ctx, st.n == TS_N, "%d of %d callbacks ran within 2 s", st.n, TS_N);
    char got[64];
    size_t len = 0;
    int bad = -1;
    for (int i = 0; i < TS_N; i++) {
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%d", i ? "," : "", st.order[i]);
        if (st.order[i] != i && bad < 0)
            bad = i;
    }
    LC_REQUIRE(ctx, bad < 0,
               "call_soon and call_soon_threadsafe from the loop's thread ran as %s (want 0..11 in order)", got);
    lc_case_pass(ctx, "call_soon and same-thread call_soon_threadsafe interleaved, before the run and from a "
                      "callback: one FIFO order");
}

/* ---- callbacks/reentrant-run-refused ------------------------------------ */

struct rr_state {
    int inside, rc_run, rc_once, rc_other, other_made;
    lc_loop *other;
};

static void rr_cb(lc_loop *loop, void *arg)
{
    struct rr_state *st = arg;
    st->inside = lc_loop_is_running(loop);
    st->rc_run = lc_loop_run(loop);
    st->rc_once = lc_loop_run_once(loop, 0);
    if (st->other)
        st->rc_other = lc_loop_run_once(st->other, 0);
    lc_loop_stop(loop);
}

static void rr_after(lc_loop *loop, void *arg)
{
    (*(int *)arg)++;
    lc_loop_stop(loop);
}

static void callbacks_reentrant_run_refused(lc_case_ctx *ctx, lc_loop *loop)
{
    struct rr_state st;
    memset(&st, 0, sizeof st);
    /* A second loop of the same backend: asyncio refuses to run any loop
     * while another runs in the thread (base_events._check_running). */
    int rc = lc_loop_new(&st.other, lc_case_loop_options(ctx));
    if (rc < 0)
        st.other = NULL;
    rc = lc_call_soon(loop, rr_cb, &st);
    int guard = 0;
    if (rc == 0)
        rc = lc__case_run_guarded(loop, LC__MS(2000), &guard);
    int after = 0;
    int rc2 = rc == 0 ? lc_call_soon(loop, rr_after, &after) : rc;
    if (rc2 == 0)
        rc2 = lc__case_run_guarded(loop, LC__MS(2000), &guard);
    lc_loop_free(st.other);
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, st.inside, "lc_loop_is_running was 0 inside a callback");
    lc_case_evidence(ctx, "run_inside", lc_errname(st.rc_run));
    LC_REQUIRE(ctx, st.rc_run == LC_ERUNNING, "lc_loop_run from a callback returned %s, want LC_ERUNNING",
               lc_errname(st.rc_run));
    LC_REQUIRE(ctx, st.rc_once == LC_ERUNNING,
               "lc_loop_run_once from a callback returned %s, want LC_ERUNNING", lc_errname(st.rc_once));
    if (st.other)
        LC_REQUIRE(ctx, st.rc_other == LC_ERUNNING,
                   "running a second loop from a callback returned %s, want LC_ERUNNING",
                   lc_errname(st.rc_other));
    LC_REQUIRE_OK(ctx, rc2);
    LC_REQUIRE(ctx, after == 1, "the loop did not run again after the refused nested run");
    lc_case_pass(ctx, "run and run_once of the running loop%s from a callback: LC_ERUNNING; the loop ran "
                      "again afterwards",
                 st.other ? " and of a second loop" : "");
}

const lc_case lc_cases_callbacks_order[] = {
    {"callbacks/handle-cancel",
     "a call_soon handle cancelled before the run, or by an earlier callback of its iteration, never runs",
     callbacks_handle_cancel, 0, NULL, 0},
    {"callbacks/threadsafe-same-thread-fifo",
     "call_soon and call_soon_threadsafe from the loop's own thread run in one FIFO order",
     callbacks_threadsafe_same_thread_fifo, 0, NULL, 0},
    {"callbacks/reentrant-run-refused", "running the loop (or another) from one of its callbacks: LC_ERUNNING",
     callbacks_reentrant_run_refused, 0, NULL, 0},
    {0},
};
