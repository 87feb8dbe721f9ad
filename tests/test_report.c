/* The v1 report: built from a real run of injected cases (every status and
 * measurement kind), written atomically; host probes.  The files written to
 * $LC_TEST_REPORT_DIR are validated against the JSON Schema by the
 * report_schema_samples test. */
#include <check.h>
#include <dirent.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expectations.h"
#include "probe.h"
#include "report_json.h"
#include "result.h"
#include "runner.h"

static void c_pass(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    double s[5] = {5, 1, 4, 2, 3};
    lc_case_measure_distribution(ctx, "lateness", s, 5, "us");
    lc_case_measure_counter(ctx, "iterations", 3, "iteration");
    lc_case_measure_limit(ctx, "max_watched", 1000, "fd", "cap");
    lc_case_measure_value(ctx, "elapsed", 0.25, "ms");
    lc_case_pass(ctx, "measured");
}
static void c_fail(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    lc_case_fail(ctx, "wrong order: %d before %d", 2, 1);
}
static void c_unsup(lc_case_ctx *ctx, lc_loop *loop)
{
    lc_case_unsupported(ctx, loop, LC_ENOTSUP, "refused");
    lc_case_evidence(ctx, "decided_by", "library"); /* no OS call behind it */
}
static void c_skip(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    lc_case_skip(ctx, "no controlling tty");
}
static void c_crash(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    abort();
}
static void c_hang(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    for (;;)
        pause();
}
static void c_error(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
}

static const char *const variants[] = {"pidfd", "sigchld", NULL};
static const lc_case k_cases[] = {
    {"sample/pass", "all measurement kinds", c_pass, 0, NULL, 0},
    {"sample/fail", "fails", c_fail, 0, NULL, 0},
    {"sample/unsupported", "refuses", c_unsup, 0, NULL, 0},
    {"sample/skip", "skips", c_skip, 0, NULL, 0},
    {"sample/crash", "aborts", c_crash, 0, NULL, 0},
    {"sample/timeout", "hangs", c_hang, 0, NULL, 0.2},
    {"sample/error", "records nothing", c_error, 0, NULL, 0},
    {"sample/variants", "has variants", c_skip, 0, variants, 0},
};
#define N_CASES (sizeof k_cases / sizeof k_cases[0])

static const char *k_expectations =
    "{\"format\":\"loopcompat-expectations\",\"format_version\":1,\"cases\":{"
    "\"sample/pass\":{\"*\":[{\"expected\":\"PASS\"}]},"
    "\"sample/fail\":{\"*\":[{\"expected\":\"PASS\",\"known_intermittent\":[\"FAIL\"]}]},"
    "\"sample/unsupported\":{\"*\":[{\"expected\":\"UNSUPPORTED\",\"refs\":[\"man:poll(2)\"]}]},"
    "\"sample/skip\":{\"*\":[{\"expected\":\"SKIP\"}]},"
    "\"sample/crash\":{\"*\":[{\"expected\":\"PASS\"}]},"
    "\"sample/timeout\":{\"*\":[{\"expected\":\"TIMEOUT\"}]}}}";

static const char *out_dir(void)
{
    static char dir[512];
    const char *d = getenv("LC_TEST_REPORT_DIR");
    if (d && *d)
        return d;
    snprintf(dir, sizeof dir, "/tmp/lc-report-test-%ld", (long)getpid());
    return dir;
}

/* Run the sample cases on every available backend and build the report;
 * with `half`, only the first half is marked done (an interrupted run). */
static json_t *sample_report(int half)
{
    const lc_case *cases[N_CASES];
    for (size_t i = 0; i < N_CASES; i++)
        cases[i] = &k_cases[i];
    lc_plan plan;
    lc_plan_init(&plan);
    char err[512];
    ck_assert_msg(lc_plan_build(&plan, cases, N_CASES, NULL, err, sizeof err) == 0, "%s", err);
    lc_result *res = calloc(plan.n, sizeof *res);
    lc_runner_opts o = {4, 1, NULL, NULL, NULL};
    ck_assert_int_eq(lc_runner_run(&plan, &o, res), LC_RUNNER_OK);

    lc_expectations e;
    e.root = json_loads(k_expectations, 0, NULL);
    e.path = strdup("sample-expectations.json");
    ck_assert_int_eq(lc_expectations_validate(e.root, e.path, err, sizeof err), 0);
    json_t *run_info = lc_probe_run_info(), *bk = lc_probe_backends(), *limits = lc_probe_platform_limits();
    for (size_t i = 0; i < plan.n; i++) {
        lc_expectations_classify(&e, plan.items[i].c->id, plan.items[i].backend, run_info, &res[i]);
        if (half && i >= plan.n / 2)
            res[i].done = 0;
    }
    lc_report_info info = {run_info, bk, limits, lc_report_now_ms() - 5, lc_report_now_ms(), half};
    json_t *doc = lc_report_build(&info, &plan, res);
    for (size_t i = 0; i < plan.n; i++)
        lc_result_clear(&res[i]);
    free(res);
    lc_plan_free(&plan);
    lc_expectations_free(&e);
    json_decref(run_info);
    json_decref(bk);
    json_decref(limits);
    return doc;
}

static json_t *find_row(json_t *doc, const char *case_id)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(doc, "results"), i, row) if (
        strcmp(json_string_value(json_object_get(row, "case")), case_id) == 0) return row;
    return NULL;
}

static const char *row_str(json_t *row, const char *key)
{
    return json_string_value(json_object_get(row, key));
}

START_TEST(test_report_from_a_real_run)
{
    json_t *doc = sample_report(0);
    ck_assert_str_eq(row_str(doc, "format"), "loopcompat-report");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "format_version")), 1);
    ck_assert_ptr_null(json_object_get(doc, "incomplete"));
    ck_assert_str_eq(row_str(json_object_get(doc, "generator"), "name"), "loopcompat");

    json_t *row = find_row(doc, "sample/pass");
    ck_assert_str_eq(row_str(row, "status"), "PASS");
    ck_assert(json_is_false(json_object_get(row, "unexpected")));
    ck_assert_ptr_nonnull(json_object_get(json_object_get(row, "measurements"), "lateness"));
    row = find_row(doc, "sample/fail");
    ck_assert_str_eq(row_str(row, "status"), "FAIL");
    ck_assert(json_is_false(json_object_get(row, "unexpected"))); /* known intermittent */
    row = find_row(doc, "sample/unsupported");
    ck_assert_str_eq(row_str(row, "expected"), "UNSUPPORTED");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(row, "refs"), 0)), "man:poll(2)");
    row = find_row(doc, "sample/crash");
    ck_assert_str_eq(row_str(row, "status"), "CRASH");
    ck_assert_str_eq(row_str(json_object_get(row, "evidence"), "signal"), "SIGABRT");
    ck_assert(json_is_true(json_object_get(row, "unexpected")));
    row = find_row(doc, "sample/timeout");
    ck_assert_str_eq(row_str(row, "status"), "TIMEOUT");
    ck_assert(json_is_false(json_object_get(row, "unexpected")));
    row = find_row(doc, "sample/error");
    ck_assert_str_eq(row_str(row, "status"), "ERROR");
    ck_assert(json_is_null(json_object_get(row, "expected")));
    row = find_row(doc, "sample/variants");
    ck_assert_str_eq(row_str(row, "variant"), "pidfd");

    char path[600];
    snprintf(path, sizeof path, "%s/statuses.json", out_dir());
    char err[512];
    ck_assert_msg(lc_report_write(doc, path, err, sizeof err) == 0, "%s", err);
    json_t *back = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(back);
    ck_assert(json_equal(back, doc));
    json_decref(back);
    json_decref(doc);
}
END_TEST

START_TEST(test_incomplete_report)
{
    json_t *doc = sample_report(1);
    ck_assert(json_is_true(json_object_get(doc, "incomplete")));
    char path[600], err[512];
    snprintf(path, sizeof path, "%s/incomplete.json", out_dir());
    ck_assert_msg(lc_report_write(doc, path, err, sizeof err) == 0, "%s", err);
    json_decref(doc);
}
END_TEST

START_TEST(test_write_is_atomic_and_tidy)
{
    char dir[256], path[300], err[512];
    snprintf(dir, sizeof dir, "/tmp/lc-atomic-%ld", (long)getpid());
    snprintf(path, sizeof path, "%s/r.json", dir);
    json_t *a = json_pack("{s:i}", "a", 1), *b = json_pack("{s:i}", "b", 2);
    /* The directory is created when missing. */
    ck_assert_msg(lc_report_write(a, path, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(lc_report_write(b, path, err, sizeof err) == 0, "%s", err);
    json_t *back = json_load_file(path, 0, NULL);
    ck_assert(json_equal(back, b));
    json_decref(back);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    /* Not mkstemp's 0600: the mode any new file of this user gets. */
    mode_t um = umask(0);
    umask(um);
    ck_assert_uint_eq(st.st_mode & 0777, 0666 & ~um);
    DIR *d = opendir(dir);
    struct dirent *ent;
    int entries = 0;
    while ((ent = readdir(d)) != NULL)
        if (ent->d_name[0] != '.')
            entries++;
    closedir(d);
    ck_assert_int_eq(entries, 1); /* no temporary files left behind */

    /* A path under a regular file cannot be written: error names the path. */
    char bad[400];
    snprintf(bad, sizeof bad, "%s/sub/r.json", path);
    ck_assert_int_lt(lc_report_write(a, bad, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, bad));
    unlink(path);
    rmdir(dir);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(test_probes)
{
    json_t *ri = lc_probe_run_info();
    regex_t re;
    /* docs/reports.md: os-version[-flavour]-arch[-libc] */
    ck_assert_int_eq(regcomp(&re, "^[a-z0-9]+-[0-9]+(\\.[0-9]+)+(-[a-z0-9]+)?-[a-z0-9_]+(-musl)?$",
                             REG_EXTENDED),
                     0);
    const char *pid = row_str(ri, "platform_id");
    ck_assert_msg(regexec(&re, pid, 0, NULL, 0) == 0, "platform_id %s", pid);
    regfree(&re);
    ck_assert_int_ge(json_integer_value(json_object_get(ri, "cpu_count")), 1);
    ck_assert_ptr_nonnull(strstr(row_str(ri, "compiler"), " "));
#ifdef __GLIBC__
    ck_assert_int_eq(strncmp(row_str(ri, "libc"), "glibc 2.", 8), 0);
#endif
    char path[256];
    lc_report_default_path(ri, path, sizeof path);
    ck_assert_int_eq(strncmp(path, "reports/", 8), 0);
    ck_assert_ptr_nonnull(strstr(path, pid));
    json_decref(ri);

    json_t *l = lc_probe_platform_limits();
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(l, "fd_setsize"), "value")), FD_SETSIZE);
    ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(l, "clock_resolution"), "value")), 1);
    ck_assert_ptr_nonnull(json_object_get(l, "rlimit_nofile"));
    json_decref(l);

    json_t *bk = lc_probe_backends();
    json_t *poll_b = json_object_get(bk, "poll");
    ck_assert(json_is_true(json_object_get(poll_b, "available")));
    ck_assert_int_ge(json_integer_value(json_object_get(poll_b, "timeout_granularity_ns")), 1);
    const char *name;
    json_t *v;
    json_object_foreach(bk, name, v)
    {
        if (!json_is_true(json_object_get(v, "available")))
            ck_assert_ptr_nonnull(row_str(json_object_get(v, "reason"), "code"));
    }
    json_decref(bk);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, test_report_from_a_real_run);
    tcase_add_test(tc, test_incomplete_report);
    tcase_add_test(tc, test_write_is_atomic_and_tidy);
    tcase_add_test(tc, test_probes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
