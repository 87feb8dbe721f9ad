/* Shared plumbing of the benchmark programs: options, clocks, sample series
 * with quantiles, the result table and its JSON file.
 *
 * Every program interleaves its implementations round by round in one
 * invocation (so drift in the machine's state hits all of them alike) and
 * records one sample per implementation per round. */
#ifndef LCB_BENCH_UTIL_H
#define LCB_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

struct lcb_opts {
    int tiny;              /* --tiny: a seconds-long smoke run for CI */
    const char *json_path; /* --json FILE */
    int runs;              /* --runs N (0: the program's default) */
    const char *only;      /* --only SUBSTR: implementations whose name contains it */
    const char *config;    /* --config SUBSTR: configurations whose name contains it */
};

/* Parse the common options; extra usage text names program-specific ones.
 * Bad input prints one line and exits 2. */
void lcb_parse_args(int argc, char **argv, struct lcb_opts *o, const char *what);
/* 1 if implementation `name` was selected by --only. */
int lcb_selected(const struct lcb_opts *o, const char *name);
/* 1 if configuration `config` (as the tables name it) was selected by --config. */
int lcb_config_selected(const struct lcb_opts *o, const char *config);

static inline int64_t lcb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time (user + system) of this process, getrusage(2) RUSAGE_SELF. */
static inline int64_t lcb_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Burn `ns` of CPU in a loop that re-reads the clock (a callback's work). */
void lcb_spin_ns(int64_t ns);

/* Raise the soft RLIMIT_NOFILE to the hard limit; returns the new soft
 * limit (setrlimit(2): an unprivileged process may raise it up to hard). */
long lcb_raise_nofile(void);

/* The raw floors' epoll set: fds[i][0] watched for EPOLLIN with data.u32 =
 * i.  The epoll fd, or -1 with the failing call in `why`. */
int lcb_epoll_read_ends(int (*fds)[2], int n, char *why, size_t len);
/* Close both ends of the first n pairs. */
void lcb_close_pairs(int (*fds)[2], int n);

struct lcb_report;

/* program: the program's name in the JSON; baseline: the implementation
 * every row's ratio is taken against (NULL: none). */
struct lcb_report *lcb_report_new(const char *program, const struct lcb_opts *o,
                                  const char *baseline);
/* Describe the workload and the peers (stored under "parameters"/"peers"). */
void lcb_report_param(struct lcb_report *r, const char *key, const char *value);
void lcb_report_peer(struct lcb_report *r, const char *name, const char *version);
/* Add one sample to the series (config, impl, metric). Rows keep the order
 * in which series were first seen. */
void lcb_add(struct lcb_report *r, const char *config, const char *impl,
             const char *metric, const char *unit, double value);
/* An implementation that could not run in a configuration, with why. */
void lcb_skip(struct lcb_report *r, const char *config, const char *impl, const char *why);
/* Print the table (median, p90, p99, n, ratio of medians to the baseline)
 * and write the JSON file if asked for.  Returns the exit status. */
int lcb_report_finish(struct lcb_report *r);

#endif
