/* The runner's parts that do not depend on how a case process is made:
 * the fork runner (runner.c) and the Windows runner (runner_win.c) both
 * read the child's record and time items with these. */
#include "runner.h"
#include "text.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

#ifndef _WIN32
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

/* The fds open now: /proc/self/fd (proc(5)), else probed with F_GETFD up
 * to limit. */
static long count_open_fds(long limit)
{
    long n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            n += e->d_name[0] >= '0' && e->d_name[0] <= '9';
        closedir(d);
        return n - 1; /* the directory's own fd */
    }
    for (long fd = 0; fd < limit; fd++)
        n += fcntl((int)fd, F_GETFD) != -1;
    return n;
}
#endif

int lc_runner_max_jobs(void)
{
#ifdef _WIN32
    return INT_MAX;
#else
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX / 2)
        return INT_MAX;
    long soft = (long)rl.rlim_cur;
    /* Starting a case needs its three pipes' both ends for a moment. */
    long room = soft - count_open_fds(soft) - LC__RUNNER_FD_RESERVE - LC_RUNNER_FDS_PER_CASE;
    return room < LC_RUNNER_FDS_PER_CASE ? 0 : (int)(room / LC_RUNNER_FDS_PER_CASE);
#endif
}

double lc_runner_case_timeout(const lc_case *c)
{
    if (c->timeout_s > 0)
        return c->timeout_s;
    return (c->flags & LC_CASE_SLOW) ? LC_RUNNER_SLOW_TIMEOUT_S : LC_RUNNER_DEFAULT_TIMEOUT_S;
}

static char run_error[256];

const char *lc_runner_error(void)
{
    return run_error;
}

void lc__runner_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run_error, sizeof run_error, fmt, ap);
    va_end(ap);
}

void lc_runner_set_message(lc_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(r->message);
    if (vasprintf(&r->message, fmt, ap) < 0)
        r->message = NULL;
    va_end(ap);
}

void lc_runner_reset_record(lc_result *r)
{
    json_decref(r->evidence);
    json_decref(r->refs);
    json_decref(r->measurements);
    r->evidence = json_object();
    r->refs = json_array();
    r->measurements = json_object();
}

void lc_result_clear(lc_result *r)
{
    free(r->message);
    json_decref(r->evidence);
    json_decref(r->refs);
    json_decref(r->measurements);
    memset(r, 0, sizeof *r);
}

int lc_runner_parse_record(const char *buf, size_t len, lc_result *r, char *err, size_t errlen)
{
    json_error_t je;
    json_t *rec = json_loadb(buf, len, 0, &je);
    if (!rec) {
        snprintf(err, errlen, "malformed result record: %s", je.text);
        lc_text_one_line(err);
        return -1;
    }
    const char *status = NULL;
    json_t *msg = NULL, *ev = NULL, *refs = NULL, *meas = NULL;
    json_int_t case_us = -1;
    if (json_unpack_ex(rec, &je, JSON_STRICT, "{s:s, s:o, s:o, s:o, s:o, s?I}", "status", &status,
                       "message", &msg, "evidence", &ev, "refs", &refs, "measurements",
                       &meas, "case_us", &case_us) < 0) {
        snprintf(err, errlen, "malformed result record: %s", je.text);
        lc_text_one_line(err);
        json_decref(rec);
        return -1;
    }
    lc_status st = lc_status_from_name(status);
    const char *bad = NULL;
    if (st == LC_STATUS_NONE)
        bad = "unknown status";
    else if (!json_is_string(msg) && !json_is_null(msg))
        bad = "message is not a string";
    else if (!json_is_object(ev))
        bad = "evidence is not an object";
    else if (!json_is_array(refs))
        bad = "refs is not an array";
    else if (!json_is_object(meas))
        bad = "measurements is not an object";
    if (bad) {
        snprintf(err, errlen, "malformed result record: %s", bad);
        json_decref(rec);
        return -1;
    }
    r->status = st;
    r->has_case_time = case_us >= 0;
    r->case_us = case_us;
    free(r->message);
    r->message = json_is_string(msg) ? strdup(json_string_value(msg)) : NULL;
    json_decref(r->evidence);
    json_decref(r->refs);
    json_decref(r->measurements);
    r->evidence = json_incref(ev);
    r->refs = json_incref(refs);
    r->measurements = json_incref(meas);
    json_decref(rec);
    return 0;
}
