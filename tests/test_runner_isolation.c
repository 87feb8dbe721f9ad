/* Isolation of the runner: a case that forks grandchildren, closes its
 * result pipe, floods stdout and stderr or its result pipe, changes its
 * rlimits, signal mask or dispositions, leaves a zombie, or outlives a
 * killed harness must not stall or corrupt the run; each is classified and
 * named, and the case after it runs as if nothing happened. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "result.h"
#include "runner.h"

#define BACKEND "poll"

/* Where cases leave a pid for the test to look at afterwards. */
static char pid_file[256];

static void write_pid(long pid)
{
    FILE *f = fopen(pid_file, "w");
    if (f) {
        fprintf(f, "%ld\n", pid);
        fclose(f);
    }
}

static long read_pid(void)
{
    long pid = 0;
    FILE *f = fopen(pid_file, "r");
    ck_assert_msg(f != NULL, "%s: the case left no pid", pid_file);
    ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    unlink(pid_file);
    return pid;
}

/* Gone, or a zombie waiting for its (new) parent: not running. */
static int running(long pid)
{
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *st = fopen(path, "r");
    if (!st)
        return 0;
    int n = fscanf(st, "%*d %*s %c", &state);
    fclose(st);
    return !(n == 1 && (state == 'Z' || state == 'X'));
}

static int stops_running(long pid, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (!running(pid))
            return 1;
        usleep(10000);
    }
    return !running(pid);
}

/* ---- the injected cases ---- */

static void c_pass(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    lc_case_pass(ctx, "fine");
}

/* A grandchild that runs on after the case passed: named as a leak, and
 * killed with the case's process group when the case is done. */
static void c_grandchild_left_running(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    write_pid(pid);
    lc_case_pass(ctx, "left a grandchild running");
}

/* close(2) every fd above stderr: the result pipe goes with them. */
static void close_all_above_stderr(void)
{
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
}

static void c_close_result_pipe(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    close_all_above_stderr();
    /* Long enough for the parent to see the EOF well before the exit. */
    usleep(200000);
    lc_case_pass(ctx, "closed the result pipe");
}

/* Closes the pipe and opens files until one lands on its fd number: the
 * record must not be written into that file. */
static void c_replace_result_pipe(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    close_all_above_stderr();
    char path[300];
    snprintf(path, sizeof path, "%s.victim", pid_file);
    for (int i = 0; i < 64; i++)
        if (open(path, O_WRONLY | O_CREAT | O_APPEND, 0600) < 0)
            break;
    usleep(200000);
    lc_case_pass(ctx, "replaced the result pipe with a file");
}

#define FLOOD_BYTES (32 * 1024 * 1024)

static void flood(int fd, size_t total)
{
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    for (size_t done = 0; done < total;) {
        ssize_t n = write(fd, buf, sizeof buf);
        if (n <= 0)
            return;
        done += (size_t)n;
    }
}

static void c_flood_output(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    flood(1, FLOOD_BYTES);
    flood(2, FLOOD_BYTES);
    lc_case_pass(ctx, "wrote %d MiB to stdout and to stderr", 2 * (FLOOD_BYTES >> 20));
}

static void c_flood_output_forever(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    for (;;)
        flood(1, FLOOD_BYTES);
}

/* Writes far more than any record into the result pipe (fd 3 upwards are
 * the case's own only after it opened them: the pipe is the lowest fd
 * above stderr that is a FIFO). */
static void c_flood_result_pipe(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    for (int fd = 3; fd < 64; fd++) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY) {
            flood(fd, 64 * 1024 * 1024);
            break;
        }
    }
    lc_case_pass(ctx, "flooded the result pipe");
}

/* Lowers its rlimits, blocks every signal, ignores SIGTERM, sets umask:
 * all of it process state that must die with the case process. */
static void c_change_process_state(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    struct rlimit rl = {64, 64};
    setrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    signal(SIGTERM, SIG_IGN);
    signal(SIGALRM, SIG_IGN);
    umask(0777);
    lc_case_pass(ctx, "changed rlimits, mask, dispositions and umask");
}

static struct rlimit parent_nofile;

static void c_check_process_state(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    LC_REQUIRE(ctx, rl.rlim_cur == parent_nofile.rlim_cur && rl.rlim_max == parent_nofile.rlim_max,
               "RLIMIT_NOFILE is %llu/%llu, the harness has %llu/%llu",
               (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
               (unsigned long long)parent_nofile.rlim_cur, (unsigned long long)parent_nofile.rlim_max);
    sigset_t mask;
    sigprocmask(SIG_SETMASK, NULL, &mask);
    for (int sig = 1; sig < 32; sig++)
        LC_REQUIRE(ctx, !sigismember(&mask, sig), "signal %d is blocked", sig);
    struct sigaction sa;
    sigaction(SIGTERM, NULL, &sa);
    LC_REQUIRE(ctx, sa.sa_handler == SIG_DFL, "SIGTERM is not at its default disposition");
    sigaction(SIGALRM, NULL, &sa);
    LC_REQUIRE(ctx, sa.sa_handler == SIG_DFL, "SIGALRM is not at its default disposition");
    mode_t um = umask(022);
    umask(um);
    LC_REQUIRE(ctx, um != 0777, "umask is 0777");
    lc_case_pass(ctx, "a fresh process state");
}

/* A child that exited and was never waited for. */
static void c_leave_zombie(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    usleep(50000);
    write_pid(pid);
    lc_case_pass(ctx, "left a zombie");
}

static void c_hang_report_pid(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    write_pid(getpid());
    for (;;)
        pause();
}

#define CASE(name, fn, timeout) {name, "isolation test case", fn, 0, NULL, timeout}
static const lc_case k_pass = CASE("test/pass", c_pass, 0);
static const lc_case k_grandchild = CASE("test/grandchild-left-running", c_grandchild_left_running, 0);
static const lc_case k_close_pipe = CASE("test/close-result-pipe", c_close_result_pipe, 0);
static const lc_case k_replace_pipe = CASE("test/replace-result-pipe", c_replace_result_pipe, 0);
static const lc_case k_flood = CASE("test/flood-output", c_flood_output, 20);
static const lc_case k_flood_forever = CASE("test/flood-output-forever", c_flood_output_forever, 1);
static const lc_case k_flood_pipe = CASE("test/flood-result-pipe", c_flood_result_pipe, 20);
static const lc_case k_change = CASE("test/change-process-state", c_change_process_state, 0);
static const lc_case k_check = CASE("test/check-process-state", c_check_process_state, 0);
static const lc_case k_zombie = CASE("test/leave-zombie", c_leave_zombie, 0);
static const lc_case k_hang = CASE("test/hang", c_hang_report_pid, 30);

static lc_result *run(const lc_case *const *cases, size_t n, int jobs, lc_plan *plan)
{
    lc_plan_init(plan);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(lc_plan_add(plan, cases[i], BACKEND, NULL), 0);
    lc_result *res = calloc(n, sizeof *res);
    lc_runner_opts o = {jobs, 1, NULL, NULL, NULL};
    ck_assert_int_eq(lc_runner_run(plan, &o, res), LC_RUNNER_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(res[i].done, "item %zu has no result", i);
    return res;
}

static void free_run(lc_plan *plan, lc_result *r)
{
    for (size_t i = 0; i < plan->n; i++)
        lc_result_clear(&r[i]);
    free(r);
    lc_plan_free(plan);
}

static void setup(void)
{
    snprintf(pid_file, sizeof pid_file, "/tmp/lc-isolation-%ld", (long)getpid());
    getrlimit(RLIMIT_NOFILE, &parent_nofile);
}

static void teardown(void)
{
    char victim[300];
    snprintf(victim, sizeof victim, "%s.victim", pid_file);
    unlink(pid_file);
    unlink(victim);
}

START_TEST(test_grandchild_killed_with_the_group)
{
    const lc_case *cases[] = {&k_grandchild, &k_pass};
    lc_plan plan;
    lc_result *r = run(cases, 2, 1, &plan);
    /* The case's PASS turns into FAIL: it left a process behind. */
    ck_assert_int_eq(r[0].status, LC_STATUS_FAIL);
    ck_assert_msg(strstr(r[0].message, "still running") != NULL, "message: %s", r[0].message);
    ck_assert_int_eq(r[1].status, LC_STATUS_PASS);
    long pid = read_pid();
    ck_assert_msg(stops_running(pid, 1000), "grandchild %ld outlived its case", pid);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_closed_result_pipe_is_named)
{
    const lc_case *cases[] = {&k_close_pipe, &k_pass};
    lc_plan plan;
    lc_result *r = run(cases, 2, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_ERROR);
    ck_assert_msg(strstr(r[0].message, "closed its result pipe") != NULL, "message: %s",
                  r[0].message);
    ck_assert_int_eq(r[1].status, LC_STATUS_PASS);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_replaced_result_pipe_gets_no_record)
{
    const lc_case *cases[] = {&k_replace_pipe, &k_pass};
    lc_plan plan;
    lc_result *r = run(cases, 2, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_ERROR);
    ck_assert_msg(strstr(r[0].message, "closed its result pipe") != NULL, "message: %s",
                  r[0].message);
    char victim[300];
    snprintf(victim, sizeof victim, "%s.victim", pid_file);
    struct stat st;
    ck_assert_int_eq(stat(victim, &st), 0);
    ck_assert_msg(st.st_size == 0, "the record went into the case's file (%lld bytes)",
                  (long long)st.st_size);
    ck_assert_int_eq(r[1].status, LC_STATUS_PASS);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_flooded_output_is_drained_and_capped)
{
    /* Two at once, beside a quick case: nobody waits for the flood. */
    const lc_case *cases[] = {&k_flood, &k_pass, &k_flood_forever, &k_pass};
    lc_plan plan;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    lc_result *r = run(cases, 4, 2, &plan);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_msg(r[0].status == LC_STATUS_PASS, "flood: %s", r[0].message);
    ck_assert_int_eq(r[1].status, LC_STATUS_PASS);
    ck_assert_int_eq(r[2].status, LC_STATUS_TIMEOUT);
    ck_assert_int_eq(r[3].status, LC_STATUS_PASS);
    /* The endless writer: the tail of what it wrote, and how much. */
    json_t *bytes = json_object_get(r[2].evidence, "output_bytes");
    ck_assert_msg(json_is_integer(bytes) && json_integer_value(bytes) > 128 * 1024,
                  "output_bytes missing or small");
    const char *tail = json_string_value(json_object_get(r[2].evidence, "stderr"));
    ck_assert_ptr_nonnull(tail);
    ck_assert_uint_le(strlen(tail), 1024);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(s < 15, "the run took %.1f s", s);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_flooded_result_pipe_is_error)
{
    const lc_case *cases[] = {&k_flood_pipe, &k_pass};
    lc_plan plan;
    lc_result *r = run(cases, 2, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_ERROR);
    ck_assert_msg(strstr(r[0].message, "larger than") != NULL, "message: %s", r[0].message);
    ck_assert_int_eq(r[1].status, LC_STATUS_PASS);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_process_state_does_not_carry_over)
{
    /* One slot: the second case runs after the first, in a new child. */
    const lc_case *cases[] = {&k_change, &k_check};
    lc_plan plan;
    lc_result *r = run(cases, 2, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_PASS);
    ck_assert_msg(r[1].status == LC_STATUS_PASS, "after the change: %s", r[1].message);
    /* Nor into the harness. */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    ck_assert(rl.rlim_cur == parent_nofile.rlim_cur);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_zombie_is_named)
{
    const lc_case *cases[] = {&k_zombie, &k_pass};
    lc_plan plan;
    lc_result *r = run(cases, 2, 1, &plan);
    ck_assert_int_eq(r[0].status, LC_STATUS_FAIL);
    ck_assert_msg(strstr(r[0].message, "a zombie") != NULL, "message: %s",
                  r[0].message);
    ck_assert_int_eq(r[1].status, LC_STATUS_PASS);
    long pid = read_pid();
    ck_assert_msg(stops_running(pid, 1000), "zombie %ld still there", pid);
    free_run(&plan, r);
}
END_TEST

/* SIGKILL of the harness itself: its case processes go with it
 * (PR_SET_PDEATHSIG), instead of running on unsupervised. */
START_TEST(test_cases_die_with_a_killed_harness)
{
    pid_t harness = fork();
    ck_assert_int_ge(harness, 0);
    if (harness == 0) {
        const lc_case *cases[] = {&k_hang};
        lc_plan plan;
        lc_plan_init(&plan);
        lc_plan_add(&plan, cases[0], BACKEND, NULL);
        lc_result res[1];
        memset(res, 0, sizeof res);
        lc_runner_opts o = {1, 1, NULL, NULL, NULL};
        lc_runner_run(&plan, &o, res);
        _exit(0);
    }
    long pid = 0;
    for (int i = 0; i < 300 && pid == 0; i++) {
        FILE *f = fopen(pid_file, "r");
        if (f) {
            if (fscanf(f, "%ld", &pid) != 1)
                pid = 0;
            fclose(f);
        }
        if (pid == 0)
            usleep(10000);
    }
    ck_assert_msg(pid > 0, "the case never started");
    ck_assert(running(pid));
    kill(harness, SIGKILL);
    waitpid(harness, NULL, 0);
    ck_assert_msg(stops_running(pid, 2000), "case %ld runs on after its harness was killed", pid);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runner_isolation");
    TCase *tc = tcase_create("isolation");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_grandchild_killed_with_the_group);
    tcase_add_test(tc, test_closed_result_pipe_is_named);
    tcase_add_test(tc, test_replaced_result_pipe_gets_no_record);
    tcase_add_test(tc, test_flooded_output_is_drained_and_capped);
    tcase_add_test(tc, test_flooded_result_pipe_is_error);
    tcase_add_test(tc, test_process_state_does_not_carry_over);
    tcase_add_test(tc, test_zombie_is_named);
    tcase_add_test(tc, test_cases_die_with_a_killed_harness);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
