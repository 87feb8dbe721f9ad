/* The run's scratch directory, and the ones killed runs left. */
#include "run_tmp.h"
#include "report_dest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX "loopcompat-run-"
#define LOCK_NAME "lock"
/* The runner makes "<TMPDIR>/loopcompat-XXXXXX" per case only when TMPDIR
 * is at most 40 characters (runner.c; a case's Unix socket paths must fit
 * sun_path, unix(7)), so this run's directory must fit that. */
#define RUNNER_TMPDIR_MAX 40

static int unlink_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* "loopcompat-run-" and mkdtemp(3)'s six letters or digits. */
static int is_run_dir_name(const char *name)
{
    size_t pl = sizeof PREFIX - 1;
    if (strncmp(name, PREFIX, pl) != 0 || strlen(name) != pl + 6)
        return 0;
    for (const char *p = name + pl; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* A directory of ours (this user's, with our lock file) whose lock is
 * free: its run died.  Removed with the lock held, so that a run that just
 * made it sees its lock file unlinked and makes another. */
static int remove_if_stale(const char *base, const char *name)
{
    char dir[256], lock[300];
    snprintf(dir, sizeof dir, "%s/%s", base, name);
    snprintf(lock, sizeof lock, "%s/" LOCK_NAME, dir);
    struct stat ds;
    if (lstat(dir, &ds) != 0 || !S_ISDIR(ds.st_mode) || ds.st_uid != geteuid())
        return 0;
    int fd = open(lock, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat ls;
    int gone = 0;
    if (fstat(fd, &ls) == 0 && S_ISREG(ls.st_mode) && ls.st_uid == geteuid() &&
        lc_dest_lock_whole(fd) == 0) {
        nftw(dir, unlink_entry, 16, FTW_DEPTH | FTW_PHYS);
        gone = 1;
    }
    close(fd);
    return gone;
}

static const char *tmp_base(void)
{
    const char *b = getenv("TMPDIR");
    if (!b || b[0] != '/' || strlen(b) + sizeof "/" PREFIX "XXXXXX" - 1 > RUNNER_TMPDIR_MAX)
        b = "/tmp";
    return b;
}

int lc_run_tmp_enter(lc_run_tmp *t, int *swept, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->lock_fd = -1;
    *swept = 0;
    const char *base = tmp_base();
    DIR *d = opendir(base);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (is_run_dir_name(de->d_name))
                *swept += remove_if_stale(base, de->d_name);
        closedir(d);
    }
    /* A sweeper (another run starting) may take the directory between
     * mkdtemp and the lock; it removes it, and another is made. */
    for (int tries = 0; tries < 8; tries++) {
        snprintf(t->dir, sizeof t->dir, "%s/" PREFIX "XXXXXX", base);
        if (!mkdtemp(t->dir)) {
            snprintf(err, errlen, "%s: cannot create the run's temporary directory: %s", base,
                     strerror(errno));
            t->dir[0] = '\0';
            return -1;
        }
        char lock[96];
        snprintf(lock, sizeof lock, "%s/" LOCK_NAME, t->dir);
        int fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        struct stat st;
        if (fd >= 0 && lc_dest_lock_whole(fd) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0) {
            t->lock_fd = fd;
            break;
        }
        if (fd >= 0)
            close(fd);
        t->dir[0] = '\0';
    }
    if (t->lock_fd < 0) {
        snprintf(err, errlen, "%s: cannot lock a temporary directory of the run", base);
        return -1;
    }
    const char *old = getenv("TMPDIR");
    t->had_tmpdir = old != NULL;
    t->old_tmpdir = old ? strdup(old) : NULL;
    if (setenv("TMPDIR", t->dir, 1) != 0 || (old && !t->old_tmpdir)) {
        snprintf(err, errlen, "cannot set TMPDIR: out of memory");
        lc_run_tmp_leave(t);
        return -1;
    }
    return 0;
}

void lc_run_tmp_leave(lc_run_tmp *t)
{
    if (t->dir[0]) {
        nftw(t->dir, unlink_entry, 16, FTW_DEPTH | FTW_PHYS);
        t->dir[0] = '\0';
    }
    if (t->lock_fd >= 0)
        close(t->lock_fd);
    t->lock_fd = -1;
    if (t->had_tmpdir && t->old_tmpdir)
        setenv("TMPDIR", t->old_tmpdir, 1);
    else if (!t->had_tmpdir)
        unsetenv("TMPDIR");
    free(t->old_tmpdir);
    t->old_tmpdir = NULL;
}

#else /* _WIN32: the Windows runner makes its own directories under %TEMP%. */

int lc_run_tmp_enter(lc_run_tmp *t, int *swept, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    memset(t, 0, sizeof *t);
    t->lock_fd = -1;
    *swept = 0;
    return 0;
}

void lc_run_tmp_leave(lc_run_tmp *t)
{
    (void)t;
}
#endif
