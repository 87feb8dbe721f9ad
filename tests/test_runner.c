/* The runner and the case API: injected cases that crash, hang, exit
 * early, send garbage or leak must come back as CRASH, TIMEOUT, ERROR and
 * FAIL, and the run must go on after each. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "result.h"
#include "runner.h"

#define BACKEND "poll"

static char grandchild_file[256];

/* Case functions run in the case process, which inherits none of the
 * test's fds (Check's included): they report through the case API only. */
static void c_pass(lc_case_ctx *ctx, lc_loop *loop)
{
    if (!loop)
        lc_case_fail(ctx, "no loop");
    else
        lc_case_pass(ctx, "fine on %s", lc_case_backend(ctx));
}

static void c_segv(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    raise(SIGSEGV);
}

static void c_hang(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    for (;;)
        pause();
}

/* A grandchild in the case's process group: the timeout must kill it too. */
static void c_hang_with_grandchild(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    FILE *f = fopen(grandchild_file, "w");
    fprintf(f, "%ld\n", (long)pid);
    fclose(f);
    for (;;)
        pause();
}

static void c_exit_early(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    _exit(0);
}

/* Write garbage to the record pipe: the only pipe above stderr opened for
 * writing (a case process inherits no other fd of the harness's). */
static void c_garbage(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    for (int fd = 3; fd < 1024; fd++) {
        struct stat st;
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || (fl & O_ACCMODE) != O_WRONLY || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
            continue;
        if (write(fd, "{\"status\": \"PA", 14) < 0)
            _exit(5);
    }
    _exit(0);
}

/* What a sanitizer prints before it exits with status 1. */
static void c_sanitizer_report(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    fprintf(stderr, "==42==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000\n"
                    "    #0 0x1 in main\n");
    fflush(stderr);
    _exit(1);
}

static void c_exit_3(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    fprintf(stderr, "something went wrong\n");
    fflush(stderr);
    _exit(3);
}

static void c_leak_fd(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    int p[2];
    if (pipe(p) != 0)
        lc_case_fail(ctx, "pipe: %s", strerror(errno));
    else
        lc_case_pass(ctx, "opened a pipe and kept it");
}

static void c_leak_child(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    usleep(50000);
    lc_case_pass(ctx, "forked and never waited");
}

static void c_no_status(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
}

static void c_bad_unit(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    lc_case_measure_counter(ctx, "n", 3, "furlongs");
    lc_case_pass(ctx, "measured");
}

static void c_own_loop(lc_case_ctx *ctx, lc_loop *loop)
{
    if (loop)
        lc_case_fail(ctx, "got a loop although the case makes its own");
    else
        lc_case_pass(ctx, "%s", lc_case_loop_options(ctx)->backend);
}

static void c_variant(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    struct stat st;
    const char *dir = lc_case_tmpdir(ctx);
    if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        lc_case_fail(ctx, "no scratch directory");
    else
        lc_case_pass(ctx, "variant %s", lc_case_variant(ctx) ? lc_case_variant(ctx) : "none");
}

static void c_sleep_300ms(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    usleep(300000);
    lc_case_pass(ctx, "slept");
}

static void c_unsupported(lc_case_ctx *ctx, lc_loop *loop)
{
    lc_case_unsupported(ctx, loop, LC_ENOTSUP, "refused");
    lc_case_ref(ctx, "man:poll(2)");
    lc_case_pass(ctx, "too late: the first status wins");
}

#define CASE(name, fn, flags, timeout) {name, "test case", fn, flags, NULL, timeout}
static const lc_case k_pass = CASE("test/pass", c_pass, 0, 0);
static const lc_case k_segv = CASE("test/segv", c_segv, 0, 0);
static const lc_case k_hang = CASE("test/hang", c_hang, 0, 0.2);
static const lc_case k_hang_gc = CASE("test/hang-grandchild", c_hang_with_grandchild, 0, 1);
static const lc_case k_exit = CASE("test/exit-early", c_exit_early, 0, 0);
static const lc_case k_garbage = CASE("test/garbage", c_garbage, 0, 0);
static const lc_case k_sanitizer = CASE("test/sanitizer", c_sanitizer_report, 0, 0);
static const lc_case k_exit_3 = CASE("test/exit-3", c_exit_3, 0, 0);
static const lc_case k_leak_fd = CASE("test/leak-fd", c_leak_fd, 0, 0);
static const lc_case k_leak_child = CASE("test/leak-child", c_leak_child, 0, 0);
static const lc_case k_no_status = CASE("test/no-status", c_no_status, 0, 0);
static const lc_case k_bad_unit = CASE("test/bad-unit", c_bad_unit, 0, 0);
static const lc_case k_own_loop = CASE("test/own-loop", c_own_loop, LC_CASE_OWN_LOOP, 0);
static const lc_case k_sleep = CASE("test/sleep", c_sleep_300ms, 0, 0);
static const lc_case k_unsup = CASE("test/unsupported", c_unsupported, 0, 0);
static const char *const two_variants[] = {"alpha", "beta", NULL};
static const lc_case k_variant = {"test/variant", "test case", c_variant, 0, two_variants, 0};

static size_t n_reported;
static void count_result(const lc_plan *plan, size_t index, lc_result *r, void *arg)
{
    (void)plan;
    (void)index;
    (void)arg;
    ck_assert(r->done);
    n_reported++;
}

static lc_result *run(const lc_case *const *cases, size_t n, int jobs, double mult, lc_plan *plan)
{
    lc_plan_init(plan);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(lc_plan_add(plan, cases[i], BACKEND, NULL), 0);
    lc_result *res = calloc(n, sizeof *res);
    lc_runner_opts o = {jobs, mult, NULL, count_result, NULL};
    n_reported = 0;
    ck_assert_int_eq(lc_runner_run(plan, &o, res), LC_RUNNER_OK);
    ck_assert_uint_eq(n_reported, n);
    return res;
}

static const char *evidence(const lc_result *r, const char *key)
{
    return json_string_value(json_object_get(r->evidence, key));
}

static void free_run(lc_plan *plan, lc_result *res)
{
    for (size_t i = 0; i < plan->n; i++)
        lc_result_clear(&res[i]);
    free(res);
    lc_plan_free(plan);
}

START_TEST(test_bad_cases_do_not_stop_the_run)
{
    const lc_case *cases[] = {&k_segv, &k_pass, &k_hang, &k_pass, &k_exit, &k_pass, &k_garbage, &k_pass};
    lc_plan plan;
    lc_result *r = run(cases, 8, 1, 1, &plan);

    ck_assert_int_eq(r[0].status, LC_STATUS_CRASH);
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer handles the SIGSEGV itself: it reports, then aborts
     * (abort_on_error=1) or exits 1; either way still a CRASH. */
    ck_assert_msg(evidence(&r[0], "signal") || evidence(&r[0], "sanitizer"),
                  "a sanitizer crash carries a signal or sanitizer evidence");
#else
    ck_assert_str_eq(evidence(&r[0], "signal"), "SIGSEGV");
    ck_assert_ptr_nonnull(strstr(r[0].message, "SIGSEGV"));
#endif
    ck_assert_int_eq(r[2].status, LC_STATUS_TIMEOUT);
    ck_assert_int_ge(r[2].duration_ms, 200);
    ck_assert_int_lt(r[2].duration_ms, 5000);
    ck_assert_int_eq(r[4].status, LC_STATUS_ERROR);
    ck_assert_ptr_nonnull(strstr(r[4].message, "without a result record"));
    ck_assert_int_eq(r[6].status, LC_STATUS_ERROR);
    ck_assert_ptr_nonnull(strstr(r[6].message, "malformed result record"));
    for (size_t i = 1; i < 8; i += 2) {
        ck_assert_msg(r[i].status == LC_STATUS_PASS, "item %zu: %s: %s", i,
                      lc_status_name(r[i].status), r[i].message ? r[i].message : "");
        ck_assert_str_eq(r[i].message, "fine on " BACKEND);
    }
    free_run(&plan, r);
}
END_TEST

START_TEST(test_timeout_multiplier_scales)
{
    const lc_case *cases[] = {&k_hang};
    lc_plan plan;
    lc_result *r = run(cases, 1, 1, 3, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_TIMEOUT);
    ck_assert_int_ge(r[0].duration_ms, 600);
    ck_assert_int_eq(json_integer_value(json_object_get(r[0].evidence, "timeout_ms")), 600);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_timeout_kills_the_process_group)
{
    snprintf(grandchild_file, sizeof grandchild_file, "/tmp/lc-test-gc-%ld", (long)getpid());
    const lc_case *cases[] = {&k_hang_gc};
    lc_plan plan;
    lc_result *r = run(cases, 1, 1, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_TIMEOUT);
    FILE *f = fopen(grandchild_file, "r");
    ck_assert_ptr_nonnull(f);
    long pid = 0;
    ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    unlink(grandchild_file);
    ck_assert_int_gt(pid, 0);
    /* The grandchild was reparented (to init or a subreaper) and killed;
     * give its reaper a moment. */
    int alive = 1;
    for (int i = 0; i < 100 && alive; i++) {
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *st = fopen(path, "r");
        if (!st) {
            alive = 0;
            break;
        }
        if (fscanf(st, "%*d %*s %c", &state) == 1 && (state == 'Z' || state == 'X'))
            alive = 0;
        fclose(st);
        if (alive)
            usleep(10000);
    }
    ck_assert_msg(!alive, "grandchild %ld survived the timeout", pid);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_sanitizer_report_is_crash)
{
    const lc_case *cases[] = {&k_sanitizer, &k_exit_3};
    lc_plan plan;
    lc_result *r = run(cases, 2, 2, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_CRASH);
    ck_assert_str_eq(evidence(&r[0], "sanitizer"), "AddressSanitizer");
    ck_assert_str_eq(evidence(&r[0], "signal"), "SIGSEGV");
    ck_assert_ptr_nonnull(strstr(r[0].message, "SEGV on unknown address"));
    ck_assert_int_eq(r[1].status, LC_STATUS_ERROR);
    ck_assert_ptr_nonnull(strstr(r[1].message, "status 3"));
    ck_assert_str_eq(evidence(&r[1], "stderr"), "something went wrong");
    free_run(&plan, r);
}
END_TEST

START_TEST(test_leaks_turn_pass_into_fail)
{
    const lc_case *cases[] = {&k_leak_fd, &k_leak_child, &k_pass};
    lc_plan plan;
    lc_result *r = run(cases, 3, 2, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_FAIL);
    ck_assert_ptr_nonnull(strstr(r[0].message, "leaked"));
    ck_assert_ptr_nonnull(strstr(r[0].message, "pipe:"));
    ck_assert_int_eq(r[1].status, LC_STATUS_FAIL);
    ck_assert_ptr_nonnull(strstr(r[1].message, "child process"));
    ck_assert_int_eq(r[2].status, LC_STATUS_PASS);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_case_misuse_is_error)
{
    const lc_case *cases[] = {&k_no_status, &k_bad_unit};
    lc_plan plan;
    lc_result *r = run(cases, 2, 2, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_ERROR);
    ck_assert_ptr_nonnull(strstr(r[0].message, "without recording a status"));
    ck_assert_int_eq(r[1].status, LC_STATUS_ERROR);
    ck_assert_ptr_nonnull(strstr(r[1].message, "furlongs"));
    free_run(&plan, r);
}
END_TEST

START_TEST(test_own_loop_and_unsupported_evidence)
{
    const lc_case *cases[] = {&k_own_loop, &k_unsup};
    lc_plan plan;
    lc_result *r = run(cases, 2, 1, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_PASS);
    ck_assert_str_eq(r[0].message, BACKEND);
    ck_assert_int_eq(r[1].status, LC_STATUS_UNSUPPORTED);
    ck_assert_str_eq(r[1].message, "refused");
    ck_assert_str_eq(evidence(&r[1], "error"), "LC_ENOTSUP");
    ck_assert_str_eq(json_string_value(json_array_get(r[1].refs, 0)), "man:poll(2)");
    free_run(&plan, r);
}
END_TEST

START_TEST(test_parallel_jobs_overlap)
{
    const lc_case *cases[] = {&k_sleep, &k_sleep, &k_sleep, &k_sleep};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    lc_plan plan;
    lc_result *r = run(cases, 4, 4, 1, &plan);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(r[i].status, LC_STATUS_PASS);
    /* Serially this is at least 1.2 s. */
    ck_assert_msg(took < 1.2, "4 × 300 ms with -j 4 took %.2f s", took);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_done_items_are_skipped)
{
    const lc_case *cases[] = {&k_segv, &k_pass};
    lc_plan plan;
    lc_plan_init(&plan);
    lc_plan_add(&plan, cases[0], BACKEND, NULL);
    lc_plan_add(&plan, cases[1], BACKEND, NULL);
    lc_result res[2];
    memset(res, 0, sizeof res);
    res[0].done = 1;
    res[0].status = LC_STATUS_PASS;
    lc_runner_opts o = {1, 1, NULL, NULL, NULL};
    ck_assert_int_eq(lc_runner_run(&plan, &o, res), LC_RUNNER_OK);
    ck_assert_int_eq(res[0].status, LC_STATUS_PASS);
    ck_assert_int_eq(res[1].status, LC_STATUS_PASS);
    lc_result_clear(&res[0]);
    lc_result_clear(&res[1]);
    lc_plan_free(&plan);
}
END_TEST

/* The long measurement cases start first, whatever their place in the plan;
 * the results stay in plan order. */
static size_t start_seq[4];
static size_t n_started;
static void note_start(const lc_plan *plan, size_t index, size_t started, void *arg)
{
    (void)plan;
    (void)started;
    (void)arg;
    if (n_started < 4)
        start_seq[n_started] = index;
    n_started++;
}

START_TEST(test_slow_cases_start_first)
{
    static const lc_case k_slow = CASE("test/slow", c_pass, LC_CASE_SLOW, 0);
    lc_plan plan;
    lc_plan_init(&plan);
    ck_assert_int_eq(lc_plan_add(&plan, &k_pass, BACKEND, NULL), 0);
    ck_assert_int_eq(lc_plan_add(&plan, &k_unsup, BACKEND, NULL), 0);
    ck_assert_int_eq(lc_plan_add(&plan, &k_slow, BACKEND, NULL), 0);
    lc_result res[3];
    memset(res, 0, sizeof res);
    n_started = 0;
    lc_runner_opts o = {1, 1, note_start, NULL, NULL};
    ck_assert_int_eq(lc_runner_run(&plan, &o, res), LC_RUNNER_OK);
    ck_assert_uint_eq(n_started, 3);
    ck_assert_uint_eq(start_seq[0], 2);
    ck_assert_uint_eq(start_seq[1], 0);
    ck_assert_uint_eq(start_seq[2], 1);
    ck_assert_int_eq(res[0].status, LC_STATUS_PASS);
    ck_assert_int_eq(res[1].status, LC_STATUS_UNSUPPORTED);
    ck_assert_int_eq(res[2].status, LC_STATUS_PASS);
    for (size_t i = 0; i < 3; i++)
        lc_result_clear(&res[i]);
    lc_plan_free(&plan);
}
END_TEST

START_TEST(test_plan_variants_and_filters)
{
    const lc_case *cases[] = {&k_pass, &k_variant};
    const char *globs[] = {"test/var*", NULL};
    lc_plan_filter f = {.backends = "poll,select", .case_globs = globs};
    char err[256];
    lc_plan plan;
    lc_plan_init(&plan);
    ck_assert_int_eq(lc_plan_build(&plan, cases, 2, &f, err, sizeof err), 0);
    ck_assert_uint_eq(plan.n, 4);
    ck_assert_str_eq(plan.items[0].variant, "alpha");
    ck_assert_str_eq(plan.items[1].variant, "alpha");
    ck_assert_str_eq(plan.items[2].variant, "beta");
    ck_assert_uint_eq(plan.n_backends, 2);
    lc_result *r = calloc(plan.n, sizeof *r);
    lc_runner_opts o = {2, 1, NULL, NULL, NULL};
    ck_assert_int_eq(lc_runner_run(&plan, &o, r), LC_RUNNER_OK);
    ck_assert_str_eq(r[0].message, "variant alpha");
    ck_assert_str_eq(r[3].message, "variant beta");
    free_run(&plan, r);

    lc_plan_init(&plan);
    f.backends = "poll,kqeue";
    ck_assert_int_eq(lc_plan_build(&plan, cases, 2, &f, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown backend 'kqeue'"));
    f.backends = NULL;
    globs[0] = "nosuch/*";
    ck_assert_int_eq(lc_plan_build(&plan, cases, 2, &f, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no case matches 'nosuch/*'"));
    lc_plan_free(&plan);
}
END_TEST

START_TEST(test_status_rules)
{
    lc_case_ctx *ctx = lc_ctx_new(BACKEND, NULL, NULL, "/tmp");
    lc_case_pass(ctx, "first");
    lc_case_skip(ctx, "ignored");
    ck_assert_int_eq(lc_case_status(ctx), LC_STATUS_PASS);
    lc_case_fail(ctx, "late check %d", 2);
    lc_case_pass(ctx, "ignored");
    lc_case_fail(ctx, "second failure");
    json_t *rec = lc_ctx_record(ctx);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "status")), "FAIL");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "message")), "late check 2");
    json_decref(rec);
    lc_ctx_free(ctx);

    ctx = lc_ctx_new(BACKEND, NULL, NULL, "/tmp");
    lc_case_skip(ctx, "no tty");
    lc_case_fail(ctx, "not after a skip");
    ck_assert_int_eq(lc_case_status(ctx), LC_STATUS_SKIP);
    lc_ctx_free(ctx);

    for (int s = LC_STATUS_PASS; s <= LC_STATUS_ERROR; s++)
        ck_assert_int_eq(lc_status_from_name(lc_status_name((lc_status)s)), s);
    ck_assert_int_eq(lc_status_from_name("pass"), LC_STATUS_NONE);
}
END_TEST

START_TEST(test_measurements)
{
    lc_case_ctx *ctx = lc_ctx_new(BACKEND, NULL, NULL, "/tmp");
    double s[100];
    for (int i = 0; i < 100; i++)
        s[i] = 100 - i; /* 100 … 1, unsorted */
    lc_case_measure_distribution(ctx, "lateness", s, 100, "us");
    lc_case_measure_counter(ctx, "iterations", 7, "iteration");
    lc_case_measure_limit(ctx, "max_fds", 1021, "fd", "EMFILE");
    lc_case_measure_value(ctx, "elapsed", 1.5, "ms");
    lc_case_pass(ctx, "ok");
    json_t *rec = lc_ctx_record(ctx);
    json_t *m = json_object_get(rec, "measurements");
    json_t *d = json_object_get(m, "lateness");
    ck_assert_str_eq(json_string_value(json_object_get(d, "kind")), "distribution");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "n")), 100);
    ck_assert_double_eq(json_real_value(json_object_get(d, "min")), 1);
    ck_assert_double_eq(json_real_value(json_object_get(d, "p50")), 50);
    ck_assert_double_eq(json_real_value(json_object_get(d, "p90")), 90);
    ck_assert_double_eq(json_real_value(json_object_get(d, "p99")), 99);
    ck_assert_double_eq(json_real_value(json_object_get(d, "max")), 100);
    ck_assert_double_eq(json_real_value(json_object_get(d, "mean")), 50.5);
    /* Its shape beside them (histogram.h): 1..100 in log2x8 buckets, one
     * sample each up to 8, then wider; [96, 104) holds 96..100. */
    json_t *b = json_object_get(json_object_get(d, "histogram"), "buckets");
    ck_assert_uint_gt(json_array_size(b), 8);
    ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(b, 0), 0)), 1);
    json_t *last = json_array_get(b, json_array_size(b) - 1);
    ck_assert_int_eq(json_integer_value(json_array_get(last, 0)), 96);
    ck_assert_int_eq(json_integer_value(json_array_get(last, 1)), 104);
    ck_assert_int_eq(json_integer_value(json_array_get(last, 2)), 5);
    json_int_t sum = 0;
    size_t bi;
    json_t *bv;
    json_array_foreach(b, bi, bv) sum += json_integer_value(json_array_get(bv, 2));
    ck_assert_int_eq(sum, 100);
    json_t *l = json_object_get(m, "max_fds");
    ck_assert_str_eq(json_string_value(json_object_get(l, "kind")), "limit");
    ck_assert_str_eq(json_string_value(json_object_get(l, "stopped_by")), "EMFILE");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "iterations"), "value")), 7);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "elapsed"), "unit")), "ms");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "status")), "PASS");
    json_decref(rec);
    lc_ctx_free(ctx);

    ctx = lc_ctx_new(BACKEND, NULL, NULL, "/tmp");
    lc_case_pass(ctx, "ok");
    lc_case_measure_distribution(ctx, "empty", s, 0, "us");
    rec = lc_ctx_record(ctx);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "status")), "ERROR");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(rec, "message")), "no samples"));
    json_decref(rec);
    lc_ctx_free(ctx);
}
END_TEST

START_TEST(test_parse_record_rejects_wrong_shapes)
{
    lc_result r;
    char err[256];
    memset(&r, 0, sizeof r);
    const char *good = "{\"status\":\"SKIP\",\"message\":\"no tty\",\"evidence\":{},\"refs\":[],\"measurements\":{}}";
    ck_assert_int_eq(lc_runner_parse_record(good, strlen(good), &r, err, sizeof err), 0);
    ck_assert_int_eq(r.status, LC_STATUS_SKIP);
    const char *bad[] = {
        "{\"status\":\"MAYBE\",\"message\":null,\"evidence\":{},\"refs\":[],\"measurements\":{}}",
        "{\"status\":\"PASS\",\"message\":null,\"evidence\":[],\"refs\":[],\"measurements\":{}}",
        "{\"status\":\"PASS\",\"message\":null,\"evidence\":{},\"refs\":[]}",
        "{\"status\":\"PASS\",\"message\":null,\"evidence\":{},\"refs\":[],\"measurements\":{},\"x\":1}",
        "[1, 2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(lc_runner_parse_record(bad[i], strlen(bad[i]), &r, err, sizeof err) == -1,
                      "accepted %s", bad[i]);
    lc_result_clear(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runner");
    TCase *tc = tcase_create("runner");
    tcase_add_test(tc, test_bad_cases_do_not_stop_the_run);
    tcase_add_test(tc, test_timeout_multiplier_scales);
    tcase_add_test(tc, test_timeout_kills_the_process_group);
    tcase_add_test(tc, test_sanitizer_report_is_crash);
    tcase_add_test(tc, test_leaks_turn_pass_into_fail);
    tcase_add_test(tc, test_case_misuse_is_error);
    tcase_add_test(tc, test_own_loop_and_unsupported_evidence);
    tcase_add_test(tc, test_parallel_jobs_overlap);
    tcase_add_test(tc, test_done_items_are_skipped);
    tcase_add_test(tc, test_plan_variants_and_filters);
    tcase_add_test(tc, test_slow_cases_start_first);
    tcase_add_test(tc, test_status_rules);
    tcase_add_test(tc, test_measurements);
    tcase_add_test(tc, test_parse_record_rejects_wrong_shapes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
