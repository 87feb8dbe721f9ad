/* io_uring blocked by a seccomp filter (as under Docker's default profile):
 * the probe says why, loops on it are refused, other backends still work,
 * and a whole `loopcompat run` reports the backend unavailable — with the
 * reason code and EPERM — and still exits 0. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loopcompat/loop.h"
#include "test_fork.h"
#include "test_util.h"
#include "seccomp_block_uring.h"

struct child_view {
    int filter_rc;
    int probe_rc;
    lc_probe why;
    int uring_loop_rc;
    int poll_loop_rc, poll_run_rc;
};

/* Everything is observed in a forked child: the filter cannot be removed. */
static void observe_child(void *view, void *arg)
{
    struct child_view *v = view;
    (void)arg;
    v->filter_rc = lc_seccomp_block_io_uring();
    v->probe_rc = lc_backend_probe("io_uring", &v->why);
    lc_loop_options o = {.backend = "io_uring"};
    lc_loop *loop = NULL;
    v->uring_loop_rc = lc_loop_new(&loop, &o);
    lc_loop_free(loop);
    o.backend = "poll";
    v->poll_loop_rc = lc_loop_new(&loop, &o);
    if (v->poll_loop_rc == 0) {
        v->poll_run_rc = test_run_1ms(loop);
        lc_loop_free(loop);
    }
}

static struct child_view observe_under_filter(void)
{
    struct child_view v;
    test_in_child(observe_child, NULL, &v, sizeof v);
    return v;
}

START_TEST(test_probe_reports_eperm)
{
    struct child_view v = observe_under_filter();
    ck_assert_msg(v.filter_rc == 0, "installing the filter failed: %s", strerror(-v.filter_rc));
    ck_assert_int_eq(v.probe_rc, 0);
    ck_assert_int_eq(v.why.available, 0);
    ck_assert_int_eq(v.why.sys_errno, EPERM);
    ck_assert_msg(v.why.reason == LC_REASON_DISABLED_BY_POLICY || v.why.reason == LC_REASON_PROBE_FAILED,
                  "reason %s", lc_reason_name(v.why.reason));
    ck_assert_msg(strstr(v.why.message, "EPERM") != NULL, "message: %s", v.why.message);
    ck_assert_int_eq(v.uring_loop_rc, LC_EUNAVAIL);
    ck_assert_int_eq(v.poll_loop_rc, 0);
    ck_assert_int_eq(v.poll_run_rc, 0);
}
END_TEST

START_TEST(test_probe_reason_is_policy_under_seccomp)
{
    /* With kernel.io_uring_disabled = 0, the probe can tell the EPERM came
     * from the seccomp filter (proc(5) "Seccomp: 2"). */
    FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
    int disabled = 0;
    if (f) {
        if (fscanf(f, "%d", &disabled) != 1)
            disabled = 0;
        fclose(f);
    }
    struct child_view v = observe_under_filter();
    if (disabled == 0) {
        ck_assert_str_eq(lc_reason_name(v.why.reason), "DISABLED_BY_POLICY");
        ck_assert_msg(strstr(v.why.message, "seccomp") != NULL, "message: %s", v.why.message);
    }
}
END_TEST

/* `loopcompat run` under the filter, with `--backend backends` unless
 * NULL; stderr goes to errpath. */
static int run_cli_under_filter(const char *out, const char *backends, const char *errpath)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        int errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (errfd >= 0)
            dup2(errfd, STDERR_FILENO);
        const char *exp = LC_TEST_SOURCE_DIR "/cases/expectations.json";
        if (backends)
            execl(LC_SECCOMP_EXEC_PATH, "seccomp_exec", LC_CLI_PATH, "run", "--backend", backends,
                  "--case", "timers/cancel", "-j", "2", "--quiet", "--output", out, "--expectations", exp,
                  (char *)NULL);
        else
            execl(LC_SECCOMP_EXEC_PATH, "seccomp_exec", LC_CLI_PATH, "run", "--case", "timers/cancel", "-j",
                  "2", "--quiet", "--output", out, "--expectations", exp, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(test_run_reports_backend_unavailable)
{
    char dir[] = "/tmp/lc-seccomp-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[PATH_MAX], errpath[PATH_MAX];
    snprintf(out, sizeof out, "%s/report.json", dir);
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);

    /* No --backend: every available backend runs, io_uring is declared. */
    int rc = run_cli_under_filter(out, NULL, errpath);
    ck_assert_msg(rc == 0, "loopcompat run under the filter exited %d", rc);

    json_error_t jerr;
    json_t *doc = json_load_file(out, 0, &jerr);
    unlink(out);
    unlink(errpath);
    rmdir(dir);
    ck_assert_msg(doc != NULL, "report: %s", jerr.text);
    json_t *u = json_object_get(json_object_get(doc, "backends"), "io_uring");
    ck_assert_ptr_nonnull(u);
    ck_assert(json_is_false(json_object_get(u, "available")));
    json_t *reason = json_object_get(u, "reason");
    const char *code = json_string_value(json_object_get(reason, "code"));
    ck_assert_ptr_nonnull(code);
    ck_assert_msg(strcmp(code, "DISABLED_BY_POLICY") == 0 || strcmp(code, "PROBE_FAILED") == 0,
                  "reason code %s", code);
    ck_assert_str_eq(json_string_value(json_object_get(reason, "errno")), "EPERM");

    size_t i, uring_rows = 0, poll_rows = 0;
    json_t *row;
    json_array_foreach(json_object_get(doc, "results"), i, row) {
        const char *b = json_string_value(json_object_get(row, "backend"));
        uring_rows += b && strcmp(b, "io_uring") == 0;
        poll_rows += b && strcmp(b, "poll") == 0;
    }
    ck_assert_uint_eq(uring_rows, 0);
    ck_assert_uint_gt(poll_rows, 0);
    json_decref(doc);
}
END_TEST

/* io_uring named with --backend but unavailable: the run fails at once with
 * exit 2 and one line naming it, and writes no report (an empty run that
 * exited 0 passed for one that never ran). */
START_TEST(test_run_refuses_requested_unavailable_backend)
{
    char dir[] = "/tmp/lc-seccomp-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[PATH_MAX], errpath[PATH_MAX];
    snprintf(out, sizeof out, "%s/report.json", dir);
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);

    int rc = run_cli_under_filter(out, "io_uring,poll", errpath);
    char text[1024] = "";
    FILE *f = fopen(errpath, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = 0;
    if (f)
        fclose(f);
    int wrote = access(out, F_OK) == 0;
    unlink(out);
    unlink(errpath);
    rmdir(dir);
    ck_assert_msg(rc == 2, "exit %d, stderr: %s", rc, text);
    ck_assert_msg(!wrote, "a report was written");
    ck_assert_msg(strstr(text, "io_uring") && strstr(text, "unavailable"), "stderr: %s", text);
    char *nl = strchr(text, '\n');
    ck_assert_msg(nl && nl[1] == 0, "not one line: %s", text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("io_uring_seccomp");
    TCase *tc = tcase_create("seccomp");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_probe_reports_eperm);
    tcase_add_test(tc, test_probe_reason_is_policy_under_seccomp);
    tcase_add_test(tc, test_run_reports_backend_unavailable);
    tcase_add_test(tc, test_run_refuses_requested_unavailable_backend);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
