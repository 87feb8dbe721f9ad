/* The Windows child-process plumbing of the runner (harness/winproc.c),
 * against tests/winproc_child.c: records, exit codes, exceptions,
 * deadlines, output floods, left-over grandchildren, argument quoting. */
#include <windows.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "winproc.h"

static char child[MAX_PATH];

static void run(const char *const *args, double timeout_s, lc_winproc_result *r)
{
    ck_assert_int_eq(lc_winproc_run(child, args, timeout_s, 4096, 8192, r), 0);
    ck_assert_int_eq(r->started, 1);
}

START_TEST(t_record_and_output)
{
    const char *args[] = {"record", "{\"status\":\"PASS\"}", NULL};
    lc_winproc_result r;
    run(args, 10, &r);
    ck_assert_uint_eq(r.exit_code, 0);
    ck_assert_int_eq(r.timed_out, 0);
    ck_assert_str_eq(r.record, "{\"status\":\"PASS\"}");
    ck_assert_ptr_nonnull(strstr(r.output, "some output"));
    ck_assert_int_eq(r.leftovers, 0);
    lc_winproc_result_free(&r);
}
END_TEST

START_TEST(t_exit_code)
{
    const char *args[] = {"exit", "7", NULL};
    lc_winproc_result r;
    run(args, 10, &r);
    ck_assert_uint_eq(r.exit_code, 7);
    ck_assert_uint_eq(r.record_len, 0);
    ck_assert_ptr_null(lc_winproc_exception_name(r.exit_code));
    lc_winproc_result_free(&r);
}
END_TEST

START_TEST(t_access_violation)
{
    const char *args[] = {"crash", "16", NULL};
    lc_winproc_result r;
    run(args, 10, &r);
    ck_assert_uint_eq(r.exit_code, 0xC0000005UL);
    ck_assert_str_eq(lc_winproc_exception_name(r.exit_code), "STATUS_ACCESS_VIOLATION");
    ck_assert_int_eq(r.timed_out, 0);
    lc_winproc_result_free(&r);
}
END_TEST

START_TEST(t_deadline)
{
    const char *args[] = {"sleep", "x", NULL};
    lc_winproc_result r;
    run(args, 0.3, &r);
    ck_assert_int_eq(r.timed_out, 1);
    ck_assert_str_eq(r.record, "started");
    ck_assert_int_ge(r.duration_ns, 300000000LL);
    ck_assert_int_lt(r.duration_ns, 5000000000LL);
    lc_winproc_result_free(&r);
}
END_TEST

START_TEST(t_flood_is_capped_and_drained)
{
    const char *args[] = {"flood", "x", NULL};
    lc_winproc_result r;
    run(args, 20, &r);
    ck_assert_uint_eq(r.exit_code, 0);
    ck_assert_int_eq(r.timed_out, 0);
    ck_assert_uint_eq(r.output_len, 8192);
    ck_assert_int_eq(r.output_truncated, 1);
    ck_assert_str_eq(r.record, "flooded");
    lc_winproc_result_free(&r);
}
END_TEST

START_TEST(t_orphan_counted_and_killed)
{
    const char *args[] = {"orphan", "x", NULL};
    lc_winproc_result r;
    run(args, 10, &r);
    ck_assert_uint_eq(r.exit_code, 0);
    ck_assert_str_eq(r.record, "orphaned");
    /* The grandchild was still in the job; the run returned anyway, so the
     * job was terminated and the output pipe reached EOF. */
    ck_assert_int_eq(r.leftovers, 1);
    lc_winproc_result_free(&r);
}
END_TEST

START_TEST(t_quoting_round_trip)
{
    const char *args[] = {"argv", "plain", "two words", "", "quote\"inside", "trail\\", "back\\\\\"q",
                          "tab\there", NULL};
    lc_winproc_result r;
    run(args, 10, &r);
    ck_assert_str_eq(r.record, "plain\ntwo words\n\nquote\"inside\ntrail\\\nback\\\\\"q\ntab\there\n");
    lc_winproc_result_free(&r);
}
END_TEST

START_TEST(t_spawn_failure)
{
    lc_winproc_result r;
    const char *args[] = {NULL};
    ck_assert_int_eq(lc_winproc_run("C:\\no\\such\\program.exe", args, 1, 16, 16, &r), -1);
    ck_assert_int_eq(r.started, 0);
    ck_assert_ptr_nonnull(strstr(r.error, "CreateProcess"));
}
END_TEST

int main(void)
{
    /* winproc_child.exe sits next to this program. */
    DWORD n = GetModuleFileNameA(NULL, child, sizeof child);
    char *slash = strrchr(child, '\\');
    if (n == 0 || slash == NULL || (size_t)(slash - child) + 20 > sizeof child)
        return 1;
    strcpy(slash + 1, "winproc_child.exe");
    Suite *s = suite_create("winproc");
    TCase *tc = tcase_create("winproc");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_record_and_output);
    tcase_add_test(tc, t_exit_code);
    tcase_add_test(tc, t_access_violation);
    tcase_add_test(tc, t_deadline);
    tcase_add_test(tc, t_flood_is_capped_and_drained);
    tcase_add_test(tc, t_orphan_counted_and_killed);
    tcase_add_test(tc, t_quoting_round_trip);
    tcase_add_test(tc, t_spawn_failure);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
