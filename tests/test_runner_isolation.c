/* Isolation of the runner: a case that forks grandchildren, double-forks a
 * daemon, moves a child into its own process group, closes its result
 * pipe, floods stdout and stderr or its result pipe, changes its rlimits,
 * signal mask or dispositions, leaves a zombie, or outlives a killed
 * harness must not stall or corrupt the run; each is classified and named,
 * whatever it started is killed, and the case after it runs as if nothing
 * happened.  A case starts with no fd of the harness's but stdio and its
 * result pipe, and a low open-file limit is the harness's to live with. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
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

/* Written whole, then renamed into place: whoever sees the file sees the
 * pid (the daemon may be killed between an open and a write). */
static void write_pid(long pid)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.%ld", pid_file, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%ld\n", pid);
        if (fclose(f) == 0)
            rename(tmp, pid_file);
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

/* A daemon the classic way (a double fork and setsid(2)): its parent, the
 * case's child, exits and is reaped, so nothing of it is the case
 * process's child any more.  It runs sleep(1) under a name the test looks
 * for. */
#define DAEMON_NAME "lc-test-daemon"
static void spawn_daemon(void)
{
    pid_t mid = fork();
    if (mid == 0) {
        setsid();
        pid_t d = fork();
        if (d == 0) {
            write_pid(getpid());
            execl("/bin/sleep", DAEMON_NAME, "300", (char *)NULL);
            for (;;)
                pause();
        }
        _exit(0);
    }
    waitpid(mid, NULL, 0);
    /* Until the daemon wrote its pid: the test reads it. */
    for (int i = 0; i < 500 && access(pid_file, F_OK) != 0; i++)
        usleep(2000);
    usleep(20000); /* and exec'ed */
}

static void c_daemonize(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    spawn_daemon();
    lc_case_pass(ctx, "started a daemon");
}

/* A child in a process group of its own: killing the case's group misses
 * it. */
static void c_child_own_group(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    setpgid(pid, pid);
    write_pid(pid);
    lc_case_pass(ctx, "left a child in its own process group");
}

/* The fds the case process starts with, as "N:TARGET:MODE " items. */
static void c_list_fds(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    char list[2048] = "";
    size_t len = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        lc_case_skip(ctx, "no /proc/self/fd");
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == dirfd(d))
            continue;
        char link[300], target[256] = "";
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        int mode = fcntl(atoi(e->d_name), F_GETFL) & O_ACCMODE;
        len += (size_t)snprintf(list + len, sizeof list - len, "%s:%s:%s ", e->d_name, target,
                                mode == O_WRONLY ? "w" : mode == O_RDONLY ? "r" : "rw");
        if (len >= sizeof list)
            break;
    }
    closedir(d);
    lc_case_pass(ctx, "%s", list);
}

/* Everything at once, then hangs: a daemon, a child in its own group, a
 * grandchild in the case's group. */
static void c_tree_then_hang(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
    spawn_daemon();
    if (fork() == 0) {
        setpgid(0, 0);
        execl("/bin/sleep", "lc-test-pgroup-child", "300", (char *)NULL);
        _exit(1);
    }
    if (fork() == 0) {
        execl("/bin/sleep", "lc-test-grandchild", "300", (char *)NULL);
        _exit(1);
    }
    for (;;)
        pause();
}

/* Kills its keeper, the process that would kill what it started. */
static void c_kill_parent(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    spawn_daemon();
    kill(getppid(), SIGKILL);
    usleep(100000);
    lc_case_pass(ctx, "killed its parent");
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
static const lc_case k_daemon = CASE("test/daemonize", c_daemonize, 0);
static const lc_case k_own_group = CASE("test/child-own-group", c_child_own_group, 0);
static const lc_case k_list_fds = {"test/list-fds", "isolation test case", c_list_fds, LC_CASE_OWN_LOOP, NULL, 0};
static const lc_case k_tree_hang = CASE("test/tree-then-hang", c_tree_then_hang, 30);
static const lc_case k_kill_parent = CASE("test/kill-parent", c_kill_parent, 0);

static lc_result *run(const lc_case *const *cases, size_t n, int jobs, lc_plan *plan)
{
    lc_plan_init(plan);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(lc_plan_add(plan, cases[i], BACKEND, NULL), 0);
    lc_result *res = calloc(n, sizeof *res);
    lc_runner_opts o = {.jobs = jobs, .timeout_multiplier = 1};
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

/* Runs the case, then a passing one, in one slot; the process the case
 * left (its pid in pid_file) must be gone within a second, and the next
 * case unharmed.  *pid gets that process's id. */
static lc_result *run_leaving(const lc_case *c, const char *what, lc_plan *plan, long *pid)
{
    const lc_case *cases[] = {c, &k_pass};
    lc_result *r = run(cases, 2, 1, plan);
    *pid = read_pid();
    int alive = !stops_running(*pid, 1000);
    if (alive)
        kill((pid_t)*pid, SIGKILL);
    ck_assert_msg(!alive, "the %s %ld outlived its case", what, *pid);
    ck_assert_int_eq(r[1].status, LC_STATUS_PASS);
    return r;
}

START_TEST(test_grandchild_killed_with_the_group)
{
    lc_plan plan;
    long pid;
    lc_result *r = run_leaving(&k_grandchild, "grandchild", &plan, &pid);
    /* The case's PASS turns into FAIL: it left a process behind. */
    ck_assert_int_eq(r[0].status, LC_STATUS_FAIL);
    ck_assert_msg(strstr(r[0].message, "still running") != NULL, "message: %s", r[0].message);
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
    lc_plan plan;
    long pid;
    lc_result *r = run_leaving(&k_zombie, "zombie", &plan, &pid);
    ck_assert_int_eq(r[0].status, LC_STATUS_FAIL);
    ck_assert_msg(strstr(r[0].message, "a zombie") != NULL, "message: %s",
                  r[0].message);
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
        lc_runner_opts o = {.jobs = 1, .timeout_multiplier = 1};
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

/* The daemon's own command line, as the harness names it. */
static int names_daemon(const lc_result *r, long pid)
{
    char want[64];
    snprintf(want, sizeof want, "process %ld (" DAEMON_NAME " 300)", pid);
    const char *leaked = json_string_value(json_object_get(r->evidence, "leaked"));
    return leaked && strstr(leaked, want) && r->message && strstr(r->message, want);
}

START_TEST(test_daemon_is_named_and_killed)
{
    lc_plan plan;
    long pid;
    lc_result *r = run_leaving(&k_daemon, "daemon", &plan, &pid);
    ck_assert_msg(r[0].status == LC_STATUS_FAIL, "a case that left a daemon: %s: %s",
                  lc_status_name(r[0].status), r[0].message);
    ck_assert_msg(names_daemon(&r[0], pid), "the daemon %ld is not named: %s", pid, r[0].message);
    free_run(&plan, r);
}
END_TEST

START_TEST(test_child_in_own_group_is_killed)
{
    lc_plan plan;
    long pid;
    lc_result *r = run_leaving(&k_own_group, "child in its own process group", &plan, &pid);
    ck_assert_int_eq(r[0].status, LC_STATUS_FAIL);
    ck_assert_msg(strstr(r[0].message, "still running") != NULL, "message: %s", r[0].message);
    free_run(&plan, r);
}
END_TEST

/* A case that kills the process watching over it: its daemon still goes
 * (the harness is a subreaper too), and the row says what happened. */
START_TEST(test_case_killing_its_parent)
{
    lc_plan plan;
    long pid;
    lc_result *r = run_leaving(&k_kill_parent, "daemon", &plan, &pid);
    ck_assert_msg(r[0].status != LC_STATUS_PASS, "PASS: %s", r[0].message);
    free_run(&plan, r);
}
END_TEST

/* The harness holds files (a journal opened for append, like `run`'s,
 * with and without O_CLOEXEC): the case process starts with stdin,
 * stdout, stderr and its result pipe only. */
START_TEST(test_case_starts_with_stdio_and_its_pipe)
{
    char path[300];
    snprintf(path, sizeof path, "%s.journal", pid_file);
    int j1 = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int j2 = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_ge(j1, 0);
    ck_assert_int_ge(j2, 0);
    const lc_case *cases[] = {&k_list_fds, &k_list_fds};
    lc_plan plan;
    lc_result *r = run(cases, 2, 2, &plan);
    close(j1);
    close(j2);
    unlink(path);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(r[i].status == LC_STATUS_PASS, "%s", r[i].message);
        const char *m = r[i].message;
        int n = 0, pipes = 0, seen[3] = {0, 0, 0};
        char buf[2048];
        snprintf(buf, sizeof buf, "%s", m);
        char *save = NULL;
        for (char *item = strtok_r(buf, " ", &save); item; item = strtok_r(NULL, " ", &save)) {
            int fd = atoi(item);
            n++;
            if (fd <= 2)
                seen[fd] = 1;
            else if (strstr(item, ":pipe:[") && strcmp(item + strlen(item) - 2, ":w") == 0)
                pipes++;
            else
                ck_abort_msg("the case started with fd %s (all: %s)", item, m);
        }
        ck_assert_msg(seen[0] && seen[1] && seen[2], "stdio missing: %s", m);
        ck_assert_msg(pipes == 1 && n == 4, "not stdio and one write-only pipe: %s", m);
    }
    free_run(&plan, r);
}
END_TEST

/* Processes whose environment holds NAME=VALUE (proc(5) environ). */
static int count_marked(const char *marker, char *who, size_t wholen)
{
    int n = 0;
    size_t mlen = strlen(marker);
    who[0] = '\0';
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        static char env[65536];
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(env, 1, sizeof env - 1, f);
        fclose(f);
        for (size_t off = 0; off < len; off += strlen(env + off) + 1) {
            env[len] = '\0';
            if (strncmp(env + off, marker, mlen) == 0 && env[off + mlen] == '\0') {
                if (running(atol(e->d_name))) {
                    n++;
                    size_t wl = strlen(who);
                    snprintf(who + wl, wholen - wl, "%s ", e->d_name);
                }
                break;
            }
        }
    }
    closedir(d);
    return n;
}

/* SIGKILL of the harness at any moment: nothing it started survives, not
 * even a daemon that setsid'ed away or a child in its own group.  Every
 * process of a run carries an environment marker the harness set. */
START_TEST(test_killed_harness_leaves_nothing)
{
    static const int delays_ms[] = {0, 3, 15, 60, 250};
    for (size_t k = 0; k < sizeof delays_ms / sizeof delays_ms[0]; k++) {
        char marker[96];
        snprintf(marker, sizeof marker, "LC_KILL_TEST=%ld-%zu", (long)getpid(), k);
        pid_t harness = fork();
        ck_assert_int_ge(harness, 0);
        if (harness == 0) {
            putenv(marker);
            const lc_case *cases[] = {&k_tree_hang, &k_pass, &k_tree_hang, &k_daemon, &k_pass};
            lc_plan plan;
            lc_plan_init(&plan);
            for (size_t i = 0; i < 5; i++)
                lc_plan_add(&plan, cases[i], BACKEND, NULL);
            lc_result res[5];
            memset(res, 0, sizeof res);
            lc_runner_opts o = {.jobs = 3, .timeout_multiplier = 1};
            lc_runner_run(&plan, &o, res);
            _exit(0);
        }
        usleep((useconds_t)delays_ms[k] * 1000);
        kill(harness, SIGKILL);
        waitpid(harness, NULL, 0);
        char who[512];
        int left = 0;
        for (int i = 0; i < 300; i++) {
            left = count_marked(marker, who, sizeof who);
            if (left == 0)
                break;
            usleep(10000);
        }
        if (left) {
            char cmd[600];
            snprintf(cmd, sizeof cmd, "kill -9 %s 2>/dev/null", who);
            if (system(cmd) != 0)
                ck_abort_msg("could not clean up %s", who);
        }
        ck_assert_msg(left == 0, "killed %d ms into the run, the harness left %d process(es) running: %s",
                      delays_ms[k], left, who);
        unlink(pid_file);
    }
}
END_TEST

/* A harness without enough fds for -j: it runs fewer cases at once (or
 * waits for fds) instead of failing cases with EMFILE. */
START_TEST(test_low_fd_limit_is_not_the_cases_fault)
{
    struct rlimit rl = {40, parent_nofile.rlim_max};
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    enum { N = 48 };
    const lc_case *cases[N];
    for (size_t i = 0; i < N; i++)
        cases[i] = &k_pass;
    lc_plan plan;
    lc_result *r = run(cases, N, 32, &plan);
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(r[i].status == LC_STATUS_PASS, "item %zu: %s: %s", i, lc_status_name(r[i].status),
                      r[i].message);
    free_run(&plan, r);
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
    tcase_add_test(tc, test_daemon_is_named_and_killed);
    tcase_add_test(tc, test_child_in_own_group_is_killed);
    tcase_add_test(tc, test_case_killing_its_parent);
    tcase_add_test(tc, test_case_starts_with_stdio_and_its_pipe);
    tcase_add_test(tc, test_killed_harness_leaves_nothing);
    tcase_add_test(tc, test_low_fd_limit_is_not_the_cases_fault);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
