/* The timer cases judged under a slow arming: run once per backend
 * ($LC_TEST_BACKEND).  The test binary is linked with
 * -Wl,--wrap=lc_call_later, so every lc_call_later the cases make returns
 * only after a 3 ms stall, as a vCPU descheduled between two calls (QEMU
 * TCG on a loaded host) makes it.  The loop then must still fire the timers
 * in the order of their deadlines, and the case must judge them by those
 * deadlines, not by their delays, which a stall reorders. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lc_case.h"
#include "result.h"

int __real_lc_call_later(lc_loop *loop, lc_timer *t, int64_t delay_ns, lc_cb cb, void *arg);
int __wrap_lc_call_later(lc_loop *loop, lc_timer *t, int64_t delay_ns, lc_cb cb, void *arg);

#define STALL_NS 3000000L

static int stalls;

int __wrap_lc_call_later(lc_loop *loop, lc_timer *t, int64_t delay_ns, lc_cb cb, void *arg)
{
    int rc = __real_lc_call_later(loop, t, delay_ns, cb, arg);
    struct timespec ts = {0, STALL_NS};
    while (nanosleep(&ts, &ts) != 0)
        ;
    stalls++;
    return rc;
}

static const char *backend(void)
{
    const char *b = getenv("LC_TEST_BACKEND");
    return b && *b ? b : "poll";
}

START_TEST(call_later_order_judged_by_deadlines_when_arming_stalls)
{
    const lc_case *c = lc_case_find("timers/call-later-order");
    ck_assert_ptr_nonnull(c);
    lc_loop_options o;
    memset(&o, 0, sizeof o);
    o.backend = backend();
    lc_loop *loop = NULL;
    int rc = lc_loop_new(&loop, &o);
    ck_assert_msg(rc == 0, "lc_loop_new(%s): %s", backend(), lc_strerror(rc));
    lc_case_ctx *ctx = lc_ctx_new(backend(), NULL, &o, "/tmp");
    ck_assert_ptr_nonnull(ctx);
    stalls = 0;
    c->fn(ctx, loop);
    json_t *rec = lc_ctx_record(ctx);
    const char *status = json_string_value(json_object_get(rec, "status"));
    const char *msg = json_string_value(json_object_get(rec, "message"));
    /* The case arms 5 of its 10 timers with lc_call_later (the stalls
     * spread them over 15 ms, with delays 1 ms apart). */
    ck_assert_int_ge(stalls, 5);
    ck_assert_msg(status && strcmp(status, "PASS") == 0, "%s: %s", status ? status : "(none)",
                  msg ? msg : "");
    long long arming_us =
        json_integer_value(json_object_get(json_object_get(rec, "evidence"), "arming_us"));
    ck_assert_msg(arming_us >= 5 * STALL_NS / 1000 - 3000, "arming took %lld us", arming_us);
    json_decref(rec);
    lc_ctx_free(ctx);
    lc_loop_free(loop);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("case_timers");
    TCase *tc = tcase_create(backend());
    tcase_add_test(tc, call_later_order_judged_by_deadlines_when_arming_stalls);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
