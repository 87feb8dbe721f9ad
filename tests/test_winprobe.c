/* Host facts on Windows (harness/probe_win.c and the portable backends part
 * of harness/probe.c): the fields report format v1 requires, and the wine
 * runtime when $LC_TEST_WINE says the program runs under wine (1) or on
 * Windows (0). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "%s: not a string", key);
    ck_assert_msg(json_string_length(v) > 0, "%s: empty", key);
    return json_string_value(v);
}

START_TEST(t_run_info)
{
    json_t *ri = lc_probe_run_info();
    ck_assert_ptr_nonnull(ri);
    ck_assert_str_eq(str(ri, "os"), "windows");
    const char *id = str(ri, "platform_id");
    ck_assert_int_eq(strncmp(id, "windows-", 8), 0);
    /* report-v1.schema.json: platform_id matches ^[a-z0-9._-]+$ */
    ck_assert_uint_eq(strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789._-"), strlen(id));
    const char *ver = str(ri, "os_version");
    ck_assert(ver[0] >= '1' && ver[0] <= '9'); /* RtlGetVersion answered */
    ck_assert_str_eq(str(ri, "arch"), "x86_64");
    str(ri, "libc");
    str(ri, "compiler");
    ck_assert(json_integer_value(json_object_get(ri, "cpu_count")) >= 1);
    ck_assert(json_is_string(json_object_get(ri, "build_type")));

    const char *wine = getenv("LC_TEST_WINE");
    if (wine && strcmp(wine, "1") == 0) {
        ck_assert_str_eq(str(ri, "runtime"), "wine");
        const char *rv = str(ri, "runtime_version");
        ck_assert(rv[0] >= '0' && rv[0] <= '9');
        ck_assert_ptr_nonnull(strchr(rv, '.'));
        /* wine is its own column next to Windows (docs/reports.md). */
        ck_assert_str_eq(str(ri, "virtualization"), "wine");
        size_t n = strlen(id);
        ck_assert_msg(n > 5 && strcmp(id + n - 5, "-wine") == 0, "%s", id);
    } else if (wine && strcmp(wine, "0") == 0) {
        ck_assert_str_ne(str(ri, "virtualization"), "wine");
        ck_assert_ptr_null(strstr(id, "wine"));
        ck_assert_ptr_null(json_object_get(ri, "runtime"));
        ck_assert_ptr_null(json_object_get(ri, "runtime_version"));
    }
    json_decref(ri);
}
END_TEST

START_TEST(t_platform_limits)
{
    json_t *l = lc_probe_platform_limits();
    ck_assert_ptr_nonnull(l);
    json_t *fs = json_object_get(l, "fd_setsize");
    ck_assert_int_eq(json_integer_value(json_object_get(fs, "value")), 512);
    ck_assert_str_eq(str(fs, "unit"), "fd");
    json_t *cr = json_object_get(l, "clock_resolution");
    ck_assert_ptr_nonnull(cr);
    json_int_t ns = json_integer_value(json_object_get(cr, "value"));
    ck_assert(ns >= 1 && ns <= 1000000); /* QueryPerformanceFrequency: >= 1 kHz */
    ck_assert_str_eq(str(cr, "unit"), "ns");
    /* Only the keys the report schema allows. */
    const char *key;
    json_t *v;
    json_object_foreach(l, key, v)
    {
        ck_assert_msg(strcmp(key, "rlimit_nofile") == 0 || strcmp(key, "fd_setsize") == 0 ||
                          strcmp(key, "clock_resolution") == 0 || strcmp(key, "timer_slack") == 0 ||
                          strncmp(key, "timer_", 6) == 0 || strncmp(key, "sleep_1ms", 9) == 0,
                      "unexpected key %s", key);
    }
    json_decref(l);
}
END_TEST

/* The timer tick rows (docs/windows.md, "The timer tick"): present, with
 * units; under wine their source says so and they carry wine 8.0's fixed
 * answers (measured: an increment of 15.625 ms, NtQueryTimerResolution
 * coarsest 15.625 ms, finest and current 1 ms); on Windows the documented
 * 0.5 to 15.625 ms. */
static json_int_t tick_row(json_t *l, const char *name, const char *unit, int wine)
{
    json_t *r = json_object_get(l, name);
    ck_assert_msg(r != NULL, "no %s row", name);
    ck_assert_str_eq(str(r, "unit"), unit);
    const char *src = str(r, "source");
    if (wine)
        ck_assert_msg(strstr(src, "wine") != NULL, "%s: source %s", name, src);
    else
        ck_assert_msg(strstr(src, "wine") == NULL, "%s: source %s", name, src);
    return json_integer_value(json_object_get(r, "value"));
}

START_TEST(t_timer_tick)
{
    const char *env = getenv("LC_TEST_WINE");
    int wine = env && strcmp(env, "1") == 0;
    json_t *l = lc_probe_platform_limits();
    ck_assert_ptr_nonnull(l);
    json_int_t inc = tick_row(l, "timer_increment", "ns", wine);
    json_int_t cur = tick_row(l, "timer_resolution", "ns", wine);
    json_int_t coarse = tick_row(l, "timer_resolution_coarsest", "ns", wine);
    json_int_t fine = tick_row(l, "timer_resolution_finest", "ns", wine);
    json_int_t s1 = tick_row(l, "sleep_1ms", "us", wine);
    json_int_t s1p = tick_row(l, "sleep_1ms_time_begin_period", "us", wine);
    /* Each Sleep(1) starts just after a tick (tick_win.c), so its median
     * lasts at least a tick: 0.5 ms at the finest documented. */
    ck_assert_msg(s1 >= 500 && s1p >= 500, "Sleep(1) %lld / %lld us", (long long)s1,
                  (long long)s1p);
    ck_assert(fine <= cur && cur <= coarse);
    if (wine) {
        ck_assert_int_eq(inc, 15625000);
        ck_assert_int_eq(coarse, 15625000);
        ck_assert_int_eq(fine, 1000000);
        ck_assert_int_eq(cur, 1000000);
    } else if (env && strcmp(env, "0") == 0) {
        ck_assert(inc >= 500000 && inc <= 15625000);
        ck_assert(fine >= 500000 && coarse <= 15625000);
    }
    json_decref(l);
}
END_TEST

START_TEST(t_backends)
{
    json_t *b = lc_probe_backends();
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(json_object_size(b), 2);
    json_t *iocp = json_object_get(b, "iocp"), *ws = json_object_get(b, "winselect");
    ck_assert(json_is_true(json_object_get(iocp, "available")));
    ck_assert(json_is_true(json_object_get(ws, "available")));
    ck_assert_int_eq(json_integer_value(json_object_get(iocp, "timeout_granularity_ns")), 1000000);
    ck_assert_int_eq(json_integer_value(json_object_get(ws, "timeout_granularity_ns")), 1000);
    json_decref(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("winprobe");
    TCase *tc = tcase_create("winprobe");
    tcase_add_test(tc, t_run_info);
    tcase_add_test(tc, t_platform_limits);
    tcase_add_test(tc, t_timer_tick);
    tcase_add_test(tc, t_backends);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
