/* The run's scratch directory: every case's temporary directory is made in
 * one directory per run, "<TMPDIR>/loopcompat-run-XXXXXX", which holds a
 * file "lock" the run keeps an fcntl(2) write lock on.  The kernel drops
 * the lock when the run dies, however it dies, so the next run can tell a
 * directory a killed run left (unlocked) from one a live run uses (locked)
 * and remove only the former. */
#ifndef LC_HARNESS_RUN_TMP_H
#define LC_HARNESS_RUN_TMP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lc_run_tmp {
    char dir[64];   /* "" when there is none */
    int lock_fd;
    char *old_tmpdir; /* TMPDIR before, restored on leave */
    int had_tmpdir;
} lc_run_tmp;

/* Removes the directories killed runs of this user left, makes this run's
 * and points TMPDIR at it (the runner makes the cases' directories under
 * TMPDIR, and the cases inherit it).  swept: how many were removed.  0, or
 * -1 with one line in err. */
int lc_run_tmp_enter(lc_run_tmp *t, int *swept, char *err, size_t errlen);

/* Removes this run's directory and restores TMPDIR. */
void lc_run_tmp_leave(lc_run_tmp *t);

#ifdef __cplusplus
}
#endif
#endif
