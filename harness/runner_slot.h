/* The fork runner's per-item state, shared by its loop (runner.c) and its
 * verdicts (runner_verdict.c).  Internal to those two files. */
#ifndef LC_HARNESS_RUNNER_SLOT_H
#define LC_HARNESS_RUNNER_SLOT_H

#include <stdint.h>
#include <sys/types.h>

#include "runner.h"

/* A record pipe at EOF this long before its writer exited was closed by
 * the case itself (an exit closes it microseconds before the exit shows). */
#define EARLY_EOF_NS 50000000LL
/* Keep this much of a child's stderr for CRASH/ERROR/TIMEOUT evidence. */
#define STDERR_TAIL 1024
/* A case's stdout and stderr come through a pipe the parent drains, so a
 * case that floods them neither blocks nor fills a disk: the first
 * OUT_HEAD bytes (where a sanitizer report usually is) and the last
 * OUT_TAIL are kept, the middle only counted. */
#define OUT_HEAD (64 * 1024)
#define OUT_TAIL (64 * 1024)
/* A pipe that never runs dry (a flooding case) must not keep the parent
 * from its other slots and deadlines: read at most this much per turn. */
#define READ_BUDGET (1024 * 1024)
/* A result record is a few KiB; one this large is broken. */
#define RECORD_MAX (16 * 1024 * 1024)
/* The keeper's report: a few lines. */
#define STATUS_MAX 4096

typedef struct capture {
    int fd;             /* read end of the child's stdout+stderr, -1 at EOF */
    char *buf;          /* OUT_HEAD bytes, then a ring of OUT_TAIL */
    uint64_t total;     /* bytes written by the case */
} capture;

typedef struct slot {
    int used;
    size_t index;
    pid_t pid;          /* the keeper; the case process is its child */
    int fd;             /* read end of the record pipe, -1 at EOF */
    int st_fd;          /* read end of the keeper's status pipe, -1 at EOF */
    char st[STATUS_MAX];
    size_t st_len;
    int keeper_lost;    /* the keeper died without its report */
    json_t *leaks;      /* what the keeper killed after the case: strings */
    int64_t term_ns;    /* when the keeper was told to kill the case */
    capture out;        /* the child's stdout+stderr */
    char *buf;
    size_t len, cap;
    int64_t start_ns, deadline_ns, drain_until_ns;
    int reaped, wstatus, timed_out;
    int overflow;       /* the record pipe carried more than RECORD_MAX */
    int64_t eof_ns, reaped_ns; /* when the record pipe hit EOF; when reaped */
    char tmpdir[64];
} slot;

int64_t lc__runner_now_ns(void);
/* Drain what the case wrote to its stdout and stderr so far; never blocks. */
void lc__runner_capture_read(capture *c);
/* Turn what the item left (exit status, record, deadline, the keeper's
 * report) into r, and hand it to o->on_result. */
void lc__runner_finish(slot *s, const lc_plan *plan, const lc_runner_opts *o, lc_result *r,
                       double timeout_s);

#endif
