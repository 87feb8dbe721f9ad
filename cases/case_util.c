#include "case_util.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#ifndef _WIN32 /* lc__case_count_fds and lc__case_sleep_ns for Windows: case_win.c */
#include <dirent.h>
#include <sys/resource.h>
#endif

static void guard_cb(lc_loop *loop, void *arg)
{
    *(int *)arg = 1;
    lc_loop_stop(loop);
}

int lc__case_run_guarded(lc_loop *loop, int64_t limit_ns, int *guard_fired)
{
    lc_timer guard = {0};
    int fired = 0;
    int rc = lc_call_later(loop, &guard, limit_ns, guard_cb, &fired);
    if (rc < 0)
        return rc;
    rc = lc_loop_run(loop);
    lc_timer_cancel(&guard);
    if (guard_fired)
        *guard_fired = fired;
    return rc;
}

int lc__case_is_refusal(int rc)
{
    /* -errno passthrough lives in (-4096, 0). */
    return rc == LC_ENOTSUP || (rc < 0 && rc > -4096);
}

void lc__case_report_add_failure(lc_case_ctx *ctx, lc_loop *loop, int rc, const char *what)
{
    if (lc__case_is_refusal(rc)) {
        /* Name the system call and errno behind the refusal when the loop
         * knows them ("epoll_ctl: EPERM"). */
        lc_refusal why = {0};
        if (loop)
            lc_loop_last_refusal(loop, &why);
        if (why.call && why.sys_errno)
            lc_case_unsupported(ctx, loop, rc, "%s refused by %s: %s (%s)", what, why.call,
                                lc_errname(-why.sys_errno), lc_errname(rc));
        else if (why.call)
            lc_case_unsupported(ctx, loop, rc, "%s refused before calling %s: %s", what, why.call,
                                lc_errname(rc));
        else
            lc_case_unsupported(ctx, loop, rc, "%s refused: %s (%s)", what, lc_strerror(rc),
                                lc_errname(rc));
    } else
        lc_case_fail(ctx, "%s failed: %s (%s)", what, lc_strerror(rc), lc_errname(rc));
}

struct fire_state {
    int fired;
    int64_t at;
};

static void fire_cb(lc_loop *loop, int fd, void *arg)
{
    struct fire_state *st = arg;
    if (!st->fired)
        st->at = lc_time_ns();
    st->fired++;
    lc_remove_reader(loop, fd);
    lc_loop_stop(loop);
}

void lc__case_expect_reader_fires(lc_case_ctx *ctx, lc_loop *loop, int fd, const char *what,
                                  int64_t limit_ns)
{
    struct fire_state st = {0};
    lc_case_evidence_int(ctx, "fd", fd);
    int64_t t0 = lc_time_ns();
    int rc = lc_add_reader(loop, fd, fire_cb, &st);
    if (rc < 0) {
        char buf[128];
        snprintf(buf, sizeof buf, "add_reader(%s)", what);
        lc__case_report_add_failure(ctx, loop, rc, buf);
        return;
    }
    int guard = 0;
    rc = lc__case_run_guarded(loop, limit_ns, &guard);
    lc_remove_reader(loop, fd);
    LC_REQUIRE_OK(ctx, rc);
    if (!st.fired) {
        lc_case_fail(ctx, "add_reader(%s) accepted but the reader did not fire within %lld ms",
                     what, (long long)(limit_ns / 1000000));
        return;
    }
    lc_case_measure_value(ctx, "fire_latency", (double)(st.at - t0) / 1e3, "us");
    lc_case_pass(ctx, "add_reader(%s) accepted; the reader fired after %.0f us", what,
                 (double)(st.at - t0) / 1e3);
}

#ifndef _WIN32
int lc__case_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                n++;
        closedir(d);
        return n - 1; /* the directory stream's own fd */
    }
    /* No procfs: probe every possible fd number (fcntl(2) F_GETFD fails
     * with EBADF on a closed one). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    long max = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536 ? 65536 : (long)rl.rlim_cur;
    int n = 0;
    for (long fd = 0; fd < max; fd++)
        if (fcntl((int)fd, F_GETFD) != -1 || errno != EBADF)
            n++;
    return n;
}
#endif

void lc__case_busy_ns(int64_t ns)
{
    int64_t end = lc_time_ns() + ns;
    while (lc_time_ns() < end) {
    }
}

#ifndef _WIN32
void lc__case_sleep_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
#endif
