/* policy: the current loop of a thread, as asyncio-policy documents it
 * (Python 3.6-3.13 semantics: the default policy creates a loop on first
 * get_event_loop() in the main thread only).  CPython test_events.py
 * PolicyTests and GetEventLoopTestsMixin. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "case_util.h"

/* Loops a case made itself: freed after the policy state is reset. */
#define POL_MAX_OWNED 4

struct pol_ctx {
    lc_case_ctx *ctx;
    lc_loop *owned[POL_MAX_OWNED];
    int n;
};

static lc_loop *pol_new_loop(struct pol_ctx *pc)
{
    lc_loop *l = NULL;
    int rc = lc_loop_new(&l, lc_case_loop_options(pc->ctx));
    if (rc < 0) {
        lc_case_fail(pc->ctx, "lc_loop_new: %s (%s)", lc_strerror(rc), lc_errname(rc));
        return NULL;
    }
    if (pc->n < POL_MAX_OWNED)
        pc->owned[pc->n++] = l;
    return l;
}

static void pol_own(struct pol_ctx *pc, lc_loop *l)
{
    if (l && pc->n < POL_MAX_OWNED)
        pc->owned[pc->n++] = l;
}

static void pol_mark(lc_loop *loop, void *arg)
{
    (*(int *)arg)++;
}

/* Does the loop run a callback?  A loop handed out by the policy must be a
 * working loop. */
static int pol_loop_works(lc_loop *l)
{
    int ran = 0;
    if (lc_call_soon(l, pol_mark, &ran) < 0 || lc_loop_run_once(l, 0) < 0)
        return 0;
    return ran == 1;
}

typedef void (*pol_body)(struct pol_ctx *pc);

/* Every policy case starts from the default policy and a fresh thread
 * state, and leaves them so: loops freed, nothing current. */
static void pol_run(lc_case_ctx *ctx, pol_body body)
{
    struct pol_ctx pc;
    memset(&pc, 0, sizeof pc);
    pc.ctx = ctx;
    /* Loops the default policy creates use the backend under test
     * ($LOOPCOMPAT_BACKEND, see lc_backend_default). */
    setenv("LOOPCOMPAT_BACKEND", lc_case_backend(ctx), 1);
    lc_set_event_loop_policy(NULL);
    lc_policy_reset_thread();
    body(&pc);
    lc_set_event_loop_policy(NULL);
    lc_policy_reset_thread();
    for (int i = 0; i < pc.n; i++)
        lc_loop_free(pc.owned[i]);
}

/* ---- policy/get-creates-in-main-thread ---------------------------------- */

static void get_creates_body(struct pol_ctx *pc)
{
    lc_case_ctx *ctx = pc->ctx;
    if (!lc_is_main_thread()) {
        lc_case_skip(ctx, "the case does not run in the process's main thread");
        return;
    }
    int err = 0;
    lc_loop *l1 = lc_get_event_loop(&err);
    LC_REQUIRE(ctx, l1, "get_event_loop in the main thread with no loop set: %s (%s)", lc_strerror(err),
               lc_errname(err));
    err = 0;
    lc_loop *l2 = lc_get_event_loop(&err);
    LC_REQUIRE(ctx, l2 == l1, "a second get_event_loop returned a different loop (%p, %p)", (void *)l1,
               (void *)l2);
    lc_case_evidence(ctx, "created_backend", lc_loop_backend_name(l1));
    LC_REQUIRE(ctx, !lc_loop_is_closed(l1) && pol_loop_works(l1), "the implicitly created loop does not run callbacks");
    err = 0;
    LC_REQUIRE(ctx, lc_get_running_loop(&err) == NULL && err == LC_ENOLOOP,
               "get_running_loop outside a running loop: %s (want LC_ENOLOOP)", lc_errname(err));
    lc_case_pass(ctx, "get_event_loop created a loop (%s) in the main thread and returned it again",
                 lc_loop_backend_name(l1));
}

static void policy_get_creates_in_main_thread(lc_case_ctx *ctx, lc_loop *unused)
{
    pol_run(ctx, get_creates_body);
}

/* ---- policy/get-in-other-thread-errors ---------------------------------- */

struct pol_thread {
    const lc_loop_options *opts;
    int is_main;
    lc_loop *got;
    int err;
    lc_loop *running;
    int running_err;
    int new_rc, set_rc, err2;
    lc_loop *own, *after_set;
};

static void *pol_thread_fn(void *arg)
{
    struct pol_thread *t = arg;
    t->is_main = lc_is_main_thread();
    t->got = lc_get_event_loop(&t->err);
    t->running = lc_get_running_loop(&t->running_err);
    /* Setting a loop explicitly works in any thread. */
    t->new_rc = lc_loop_new(&t->own, t->opts);
    if (t->new_rc == 0) {
        t->set_rc = lc_set_event_loop(t->own);
        t->after_set = lc_get_event_loop(&t->err2);
        lc_set_event_loop(NULL);
    }
    lc_policy_reset_thread();
    lc_loop_free(t->own);
    return NULL;
}

static void other_thread_body(struct pol_ctx *pc)
{
    lc_case_ctx *ctx = pc->ctx;
    struct pol_thread t;
    memset(&t, 0, sizeof t);
    t.opts = lc_case_loop_options(ctx);
    pthread_t th;
    int prc = pthread_create(&th, NULL, pol_thread_fn, &t);
    if (prc != 0) {
        lc_case_skip(ctx, "pthread_create: %s", strerror(prc));
        return;
    }
    pthread_join(th, NULL);
    LC_REQUIRE(ctx, !t.is_main, "lc_is_main_thread() is true in a new thread");
    LC_REQUIRE(ctx, t.got == NULL, "get_event_loop in a non-main thread returned a loop");
    LC_REQUIRE(ctx, t.err == LC_ENOLOOP, "get_event_loop in a non-main thread failed with %s (want LC_ENOLOOP)",
               lc_errname(t.err));
    LC_REQUIRE(ctx, t.running == NULL && t.running_err == LC_ENOLOOP,
               "get_running_loop in an idle thread: %s (want LC_ENOLOOP)", lc_errname(t.running_err));
    LC_REQUIRE(ctx, t.new_rc == 0, "lc_loop_new in the thread: %s", lc_strerror(t.new_rc));
    LC_REQUIRE(ctx, t.set_rc == 0 && t.after_set == t.own,
               "set_event_loop then get_event_loop in the thread did not return the loop (%s)",
               lc_errname(t.set_rc ? t.set_rc : t.err2));
    lc_case_pass(ctx, "get_event_loop in a non-main thread failed with LC_ENOLOOP; an explicitly set loop was returned");
}

static void policy_get_in_other_thread_errors(lc_case_ctx *ctx, lc_loop *unused)
{
    pol_run(ctx, other_thread_body);
}

/* ---- policy/set-and-get ------------------------------------------------- */

static void set_and_get_body(struct pol_ctx *pc)
{
    lc_case_ctx *ctx = pc->ctx;
    lc_loop *a = pol_new_loop(pc), *b = a ? pol_new_loop(pc) : NULL;
    if (!b)
        return;
    int err = 0;
    LC_REQUIRE_OK(ctx, lc_set_event_loop(a));
    LC_REQUIRE(ctx, lc_get_event_loop(&err) == a, "get_event_loop after set_event_loop(a) is not a");
    LC_REQUIRE_OK(ctx, lc_set_event_loop(b));
    LC_REQUIRE(ctx, lc_get_event_loop(&err) == b, "get_event_loop after set_event_loop(b) is not b");
    /* After set_event_loop(NULL) there is no current loop, and none is
     * created, even in the main thread (test_get_event_loop_after_set_none). */
    LC_REQUIRE_OK(ctx, lc_set_event_loop(NULL));
    err = 0;
    lc_loop *none = lc_get_event_loop(&err);
    LC_REQUIRE(ctx, none == NULL, "get_event_loop after set_event_loop(NULL) returned a loop%s",
               none == a || none == b ? " set earlier" : "");
    LC_REQUIRE(ctx, err == LC_ENOLOOP, "get_event_loop after set_event_loop(NULL) failed with %s (want LC_ENOLOOP)",
               lc_errname(err));
    lc_case_pass(ctx, "set_event_loop/get_event_loop round-trip; after set_event_loop(NULL): LC_ENOLOOP");
}

static void policy_set_and_get(lc_case_ctx *ctx, lc_loop *unused)
{
    pol_run(ctx, set_and_get_body);
}

/* ---- policy/new-loop-not-current ---------------------------------------- */

static void new_loop_body(struct pol_ctx *pc)
{
    lc_case_ctx *ctx = pc->ctx;
    lc_loop *a = pol_new_loop(pc);
    if (!a)
        return;
    LC_REQUIRE_OK(ctx, lc_set_event_loop(a));
    lc_loop *n = NULL;
    int rc = lc_new_event_loop(&n);
    pol_own(pc, n);
    LC_REQUIRE(ctx, rc == 0 && n, "new_event_loop: %s (%s)", lc_strerror(rc), lc_errname(rc));
    LC_REQUIRE(ctx, n != a, "new_event_loop returned the current loop");
    int err = 0;
    LC_REQUIRE(ctx, lc_get_event_loop(&err) == a, "new_event_loop changed the current loop");
    LC_REQUIRE(ctx, pol_loop_works(n), "the new loop does not run callbacks");
    lc_case_evidence(ctx, "new_loop_backend", lc_loop_backend_name(n));

    /* In a fresh main thread, the loop get_event_loop creates is another
     * one than a loop new_event_loop returned before. */
    if (lc_is_main_thread()) {
        lc_set_event_loop(NULL);
        lc_policy_reset_thread();
        lc_loop *n2 = NULL;
        rc = lc_new_event_loop(&n2);
        pol_own(pc, n2);
        LC_REQUIRE(ctx, rc == 0 && n2, "new_event_loop: %s", lc_strerror(rc));
        lc_loop *g = lc_get_event_loop(&err);
        LC_REQUIRE(ctx, g != n2, "get_event_loop returned the loop new_event_loop made");
    }
    lc_case_pass(ctx, "new_event_loop returned a fresh working loop and did not make it current");
}

static void policy_new_loop_not_current(lc_case_ctx *ctx, lc_loop *unused)
{
    pol_run(ctx, new_loop_body);
}

/* ---- custom policies ------------------------------------------------------ */

struct custom_state {
    int gets, sets, news;
    int fail_get;
    lc_loop *ret;
    lc_loop *last_set;
    const lc_loop_options *opts;
};

static lc_loop *custom_get(void *self, int *err)
{
    struct custom_state *cs = self;
    cs->gets++;
    if (cs->fail_get) {
        if (err)
            *err = LC_ENOLOOP;
        return NULL;
    }
    return cs->ret;
}

static int custom_set(void *self, lc_loop *loop)
{
    struct custom_state *cs = self;
    cs->sets++;
    cs->last_set = loop;
    return 0;
}

static int custom_new(void *self, lc_loop **out)
{
    struct custom_state *cs = self;
    cs->news++;
    return lc_loop_new(out, cs->opts);
}

/* ---- policy/restore-default --------------------------------------------- */

static struct custom_state restore_cs;
static const lc_policy restore_policy = {&restore_cs, custom_get, custom_set, custom_new};

static void restore_body(struct pol_ctx *pc)
{
    lc_case_ctx *ctx = pc->ctx;
    struct custom_state *cs = &restore_cs;
    memset(cs, 0, sizeof *cs);
    cs->opts = lc_case_loop_options(ctx);
    cs->ret = pol_new_loop(pc);
    if (!cs->ret)
        return;
    LC_REQUIRE_OK(ctx, lc_set_event_loop_policy(&restore_policy));
    LC_REQUIRE(ctx, lc_get_event_loop_policy() == &restore_policy, "get_event_loop_policy is not the policy just set");
    int err = 0;
    LC_REQUIRE(ctx, lc_get_event_loop(&err) == cs->ret && cs->gets == 1,
               "get_event_loop did not go through the custom policy");
    LC_REQUIRE_OK(ctx, lc_set_event_loop(cs->ret));
    LC_REQUIRE(ctx, cs->sets == 1 && cs->last_set == cs->ret, "set_event_loop did not go through the custom policy");
    lc_loop *n = NULL;
    int rc = lc_new_event_loop(&n);
    pol_own(pc, n);
    LC_REQUIRE(ctx, rc == 0 && n && cs->news == 1, "new_event_loop did not go through the custom policy");

    LC_REQUIRE_OK(ctx, lc_set_event_loop_policy(NULL));
    const lc_policy *def = lc_get_event_loop_policy();
    LC_REQUIRE(ctx, def && def != &restore_policy, "set_event_loop_policy(NULL) did not restore the default");
    lc_loop *a = pol_new_loop(pc);
    if (!a)
        return;
    LC_REQUIRE_OK(ctx, lc_set_event_loop(a));
    LC_REQUIRE(ctx, lc_get_event_loop(&err) == a, "the restored default policy did not return the loop set");
    if (lc_is_main_thread()) {
        lc_set_event_loop(NULL);
        lc_policy_reset_thread();
        lc_loop *g = lc_get_event_loop(&err);
        LC_REQUIRE(ctx, g && g != cs->ret, "the restored default policy did not create a loop in the main thread");
    }
    LC_REQUIRE(ctx, cs->gets == 1 && cs->sets == 1 && cs->news == 1,
               "the custom policy was still called after set_event_loop_policy(NULL)");
    lc_case_pass(ctx, "a custom policy served get/set/new; set_event_loop_policy(NULL) restored the default");
}

static void policy_restore_default(lc_case_ctx *ctx, lc_loop *unused)
{
    pol_run(ctx, restore_body);
}

/* ---- policy/running-loop-returned --------------------------------------- */

static struct custom_state failing_cs;
static const lc_policy failing_policy = {&failing_cs, custom_get, custom_set, custom_new};

struct inside {
    lc_loop *got, *running;
    int err, running_err, gets_before, gets_after;
};

static void inside_cb(lc_loop *loop, void *arg)
{
    struct inside *in = arg;
    in->gets_before = failing_cs.gets;
    in->got = lc_get_event_loop(&in->err);
    in->running = lc_get_running_loop(&in->running_err);
    in->gets_after = failing_cs.gets;
    lc_loop_stop(loop);
}

static void running_body(struct pol_ctx *pc)
{
    lc_case_ctx *ctx = pc->ctx;
    struct custom_state *cs = &failing_cs;
    memset(cs, 0, sizeof *cs);
    cs->opts = lc_case_loop_options(ctx);
    cs->fail_get = 1;
    lc_loop *l = pol_new_loop(pc);
    if (!l)
        return;
    LC_REQUIRE_OK(ctx, lc_set_event_loop_policy(&failing_policy));
    int err = 0;
    LC_REQUIRE(ctx, lc_get_event_loop(&err) == NULL && err == LC_ENOLOOP && cs->gets == 1,
               "outside a running loop get_event_loop did not defer to the policy");

    struct inside in;
    memset(&in, 0, sizeof in);
    LC_REQUIRE_OK(ctx, lc_call_soon(l, inside_cb, &in));
    int guard = 0;
    LC_REQUIRE_OK(ctx, lc__case_run_guarded(l, LC__MS(2000), &guard));
    LC_REQUIRE(ctx, !guard, "the callback did not run");
    LC_REQUIRE(ctx, in.got == l, "inside a running callback get_event_loop returned %s (want the running loop)",
               in.got ? "another loop" : lc_errname(in.err));
    LC_REQUIRE(ctx, in.gets_after == in.gets_before,
               "inside a running callback get_event_loop consulted the policy");
    LC_REQUIRE(ctx, in.running == l, "inside a running callback get_running_loop: %s",
               in.running ? "another loop" : lc_errname(in.running_err));
    err = 0;
    LC_REQUIRE(ctx, lc_get_running_loop(&err) == NULL && err == LC_ENOLOOP,
               "after the run get_running_loop still returns a loop");
    lc_case_pass(ctx, "inside a running callback get_event_loop returned the running loop, bypassing a failing policy");
}

static void policy_running_loop_returned(lc_case_ctx *ctx, lc_loop *unused)
{
    pol_run(ctx, running_body);
}

const lc_case lc_cases_policy[] = {
    {"policy/get-creates-in-main-thread",
     "get_event_loop in the main thread with nothing set creates a loop and returns it again",
     policy_get_creates_in_main_thread, LC_CASE_OWN_LOOP, NULL, 0},
    {"policy/get-in-other-thread-errors", "get_event_loop in another thread with nothing set fails (LC_ENOLOOP)",
     policy_get_in_other_thread_errors, LC_CASE_OWN_LOOP, NULL, 0},
    {"policy/set-and-get", "set_event_loop then get_event_loop round-trips; after set(NULL) no loop",
     policy_set_and_get, LC_CASE_OWN_LOOP, NULL, 0},
    {"policy/new-loop-not-current", "new_event_loop returns a fresh loop without making it current",
     policy_new_loop_not_current, LC_CASE_OWN_LOOP, NULL, 0},
    {"policy/restore-default", "a custom policy serves get/set/new; set_event_loop_policy(NULL) restores the default",
     policy_restore_default, LC_CASE_OWN_LOOP, NULL, 0},
    {"policy/running-loop-returned",
     "inside a running callback get_event_loop returns the running loop even if the policy would fail",
     policy_running_loop_returned, LC_CASE_OWN_LOOP, NULL, 0},
    {0},
};
