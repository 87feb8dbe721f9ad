/* The runner: each plan item in a forked child, in its own process group,
 * with a deadline; the result record comes back over a pipe.
 *
 * Parent side (runner.c): fork/pipe plumbing, deadlines, -j N slots,
 * turning a signal death into CRASH, an overrun into TIMEOUT and a missing
 * or broken record into ERROR.  Child side (runner_child.c):
 * lc_runner_child_main(), which needs nothing from the parent but the item
 * and a writable fd, so a platform without fork can re-exec the harness per
 * item and call it there. */
#ifndef LC_HARNESS_RUNNER_H
#define LC_HARNESS_RUNNER_H

#include <stdint.h>

#include <jansson.h>

#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default per-case timeout, and the one for LC_CASE_SLOW cases without
 * their own. */
#define LC_RUNNER_DEFAULT_TIMEOUT_S 10.0
#define LC_RUNNER_SLOW_TIMEOUT_S 60.0

/* What the child needs to run one item. */
typedef struct lc_run_item {
    const lc_case *c;
    const char *backend;
    const char *variant;
    const char *tmpdir;   /* scratch directory, created and removed by the parent */
} lc_run_item;

/* One result row.  Filled by the runner (status … measurements) and by
 * classification (expected … unexpected). */
typedef struct lc_result {
    int done;                 /* the runner skips items already done (resume) */
    lc_status status;
    char *message;            /* may be NULL */
    int64_t duration_ms;      /* the whole child, fork to reap */
    int64_t case_us;          /* the case function alone, from its record */
    int has_case_time;
    json_t *evidence;         /* object */
    json_t *refs;             /* array of strings */
    json_t *measurements;     /* object */
    /* classification */
    int has_expectation;
    lc_status expected;
    unsigned known_intermittent; /* LC_STATUS_BIT set */
    int unexpected;
} lc_result;

typedef void (*lc_runner_start_fn)(const lc_plan *plan, size_t index, size_t n_started, void *arg);
/* Called as each item completes, in completion order (a journal appends here). */
typedef void (*lc_runner_result_fn)(const lc_plan *plan, size_t index, lc_result *r, void *arg);

typedef struct lc_runner_opts {
    int jobs;                   /* <= 0: number of online CPUs; capped by lc_runner_max_jobs() */
    double timeout_multiplier;  /* <= 0: 1 */
    lc_runner_start_fn on_start;
    lc_runner_result_fn on_result;
    void *arg;
} lc_runner_opts;

enum { LC_RUNNER_OK = 0, LC_RUNNER_INTERRUPTED = 1 };

/* Run every item of the plan whose result is not done yet.  results has
 * plan->n entries (zeroed, or pre-filled and marked done).  Returns
 * LC_RUNNER_OK, LC_RUNNER_INTERRUPTED (SIGINT/SIGTERM: running children were
 * killed and their results left not done) or a negative code. */
int lc_runner_run(const lc_plan *plan, const lc_runner_opts *opts, lc_result *results);

/* After a negative return of lc_runner_run: the reason, one line. */
const char *lc_runner_error(void);

/* How many case processes the soft RLIMIT_NOFILE leaves room for, given
 * the fds this process has open now (each running case costs the harness
 * LC_RUNNER_FDS_PER_CASE; starting one needs as many again for a moment);
 * 0: not even one.  INT_MAX where there is no such limit (Windows). */
int lc_runner_max_jobs(void);
#define LC_RUNNER_FDS_PER_CASE 3
/* fds kept free for what the harness opens while cases run (the scratch
 * directory's removal, the orphan sweep's /proc reads). */
#define LC__RUNNER_FD_RESERVE 8

/* The effective timeout of a case in seconds, before the multiplier. */
double lc_runner_case_timeout(const lc_case *c);

/* Apply a variant's loop options (e.g. "pidfd" → child watcher); unknown
 * variants leave opts alone (the case reads the variant itself). */
void lc_runner_variant_options(const char *variant, lc_loop_options *opts);

/* The child side: run the item, write the record to fd, _exit().  Never
 * returns. */
void lc_runner_child_main(const lc_run_item *item, int fd) __attribute__((noreturn));

/* Parse a record read from the child into r (status … measurements).  0, or
 * -1 with the reason in err. */
int lc_runner_parse_record(const char *buf, size_t len, lc_result *r, char *err, size_t errlen);

void lc_result_clear(lc_result *r);

/* The runner's own verdicts: r->message from a format (NULL if it cannot
 * be made); the record's evidence, refs and measurements emptied. */
#ifdef _WIN32
#define LC__RUNNER_PRINTF gnu_printf /* mingw: not the CRT's printf */
#else
#define LC__RUNNER_PRINTF printf
#endif
void lc_runner_set_message(lc_result *r, const char *fmt, ...)
    __attribute__((format(LC__RUNNER_PRINTF, 2, 3)));
void lc_runner_reset_record(lc_result *r);
/* Set what lc_runner_error() returns. */
void lc__runner_set_error(const char *fmt, ...) __attribute__((format(LC__RUNNER_PRINTF, 1, 2)));

#ifndef _WIN32
#include <sys/types.h>
/* Internal to the fork runner (runner.c, runner_keeper.c).  The fds a
 * case's keeper holds: 0 /dev/null, 1 and 2 the output pipe, the record
 * pipe and the status pipe; the case process keeps all but the last. */
enum { LC__RUNNER_FD_RECORD = 3, LC__RUNNER_FD_STATUS = 4 };
/* The keeper process (runner_keeper.c): start the case, wait for it, kill
 * what it left, report to the harness; kill everything if the harness
 * dies.  Never returns. */
void lc__runner_keeper_main(const lc_run_item *item, pid_t harness) __attribute__((noreturn));
/* close(2) every fd >= lowfd. */
void lc__runner_close_from(int lowfd);
/* This process's children (live or zombie), at most cap; how many. */
size_t lc__runner_children(pid_t *out, size_t cap);
/* Kill (SIGKILL) and reap every child of this process but those in spare,
 * round after round until none is left (as a subreaper, each killed
 * child's children become ours); on_leak sees each live one first.
 * Returns how many were killed. */
typedef void (*lc__runner_leak_fn)(pid_t pid, void *arg);
size_t lc__runner_kill_children(const pid_t *spare, size_t nspare, lc__runner_leak_fn on_leak, void *arg);
/* Whether pid is a zombie (or gone), from /proc/PID/stat. */
int lc__runner_is_zombie(pid_t pid);
/* A process's command line (or comm), printable, for a leak report. */
void lc__runner_describe(pid_t pid, char *out, size_t outlen);
#endif

#ifdef __cplusplus
}
#endif
#endif
