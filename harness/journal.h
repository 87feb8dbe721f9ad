/* The run journal: results appended as they complete, so that a run killed
 * at any point (SIGKILL, power loss) loses no finished result.
 *
 * Next to the report, "<report>.journal", JSON lines:
 *
 *   {"format": "loopcompat-journal", "format_version": 1, "generator": {...},
 *    "time_start": ms, "run_info": {...}, "backends": {...},
 *    "platform_limits": {...}}
 *   {"time": ms, "result": {<a report v1 result row>}}
 *   ...
 *
 * Each line is written whole with one write(2) and fsync(2)ed before the
 * next result is taken, so the file holds every completed result and at
 * most one torn last line (ignored when read).  The tools read a journal
 * wherever they read a report: it is the report so far, marked
 * "incomplete".  `run --resume` appends to it and skips what it holds; a
 * run that completes writes the report by rename and then removes it. */
#ifndef LC_HARNESS_JOURNAL_H
#define LC_HARNESS_JOURNAL_H

#include <stddef.h>

#include <jansson.h>

#include "report_json.h"
#include "runner.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LC_JOURNAL_FORMAT "loopcompat-journal"
#define LC_JOURNAL_SUFFIX ".journal"

typedef struct lc_journal {
    int fd;
    char *path;
    int error;        /* first append failure (errno), 0 if none */
    size_t appended;  /* records written by this process */
    int restarted;    /* lc_journal_create took over a headerless journal */
} lc_journal;

/* "<report_path>.journal" into a malloc'd string. */
char *lc_journal_path(const char *report_path);

/* Start a journal for a new run: the file must not exist (a journal left
 * by an interrupted run is finished with --resume or removed by hand),
 * unless it holds no results (lc_journal_headerless: the run was killed
 * before its header was written), when it is taken over and j->restarted
 * set.  Writes and syncs the header.  0, or -errno with one line in err. */
int lc_journal_create(lc_journal *j, const char *report_path, const lc_report_info *info,
                      char *err, size_t errlen);

/* Reopen an existing journal for appending and lock it (nothing is
 * changed yet).  0, or -errno with one line in err. */
int lc_journal_reopen(lc_journal *j, const char *report_path, char *err, size_t errlen);

/* Whether the open journal is empty or one unfinished header line: an
 * interrupted run left it before writing any result, so it holds none. */
int lc_journal_headerless(const lc_journal *j);

/* Empty the open (locked) journal and write a new header.  0, or -errno
 * with one line in err. */
int lc_journal_restart(lc_journal *j, const lc_report_info *info, char *err, size_t errlen);

/* Once its contents were read and accepted: cut a torn last line, so the
 * next record starts a line of its own.  0, or -errno with one line in err. */
int lc_journal_cut_torn(lc_journal *j, char *err, size_t errlen);

/* Append one completed result and fsync.  On failure the errno is kept in
 * j->error (the run goes on; the caller fails at the end) and -errno is
 * returned. */
int lc_journal_append(lc_journal *j, const lc_plan_item *item, const lc_result *r);

/* Close; with remove, unlink the file (the report is safely in place). */
void lc_journal_close(lc_journal *j, int remove_file);

/* Whether data looks like a journal (its first line's "format"). */
int lc_journal_detect(const char *data, size_t len);

/* A journal's contents as a report v1 document marked "incomplete"
 * (time_end: the last result's time).  name is used in errors.  New
 * reference, or NULL with one line in err. */
json_t *lc_journal_to_report(const char *name, const char *data, size_t len, char *err,
                             size_t errlen);

/* Fill results (plan->n entries, zeroed) from the rows of a journal read
 * as a report; each row must match a plan item.  Returns the number of
 * results restored, or -1 with one line in err. */
long lc_journal_restore(const json_t *report, const lc_plan *plan, lc_result *results,
                        char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
