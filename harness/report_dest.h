/* Where the tools' files go and come from: output destinations checked
 * before any work, written atomically (a locked temporary file renamed over
 * a regular file) or in place (a character device such as /dev/null, or a
 * pipe with a reader), temporary files an interrupted writer left removed,
 * inputs opened without blocking and refused unless regular files, and two
 * paths that name one file told apart. */
#ifndef LC_REPORT_DEST_H
#define LC_REPORT_DEST_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The suffix of a temporary file: "<target>" LC_DEST_TMP_SUFFIX "XXXXXX". */
#define LC_DEST_TMP_SUFFIX ".tmp-"

/* Opens an input for reading.  O_NONBLOCK first, so that a FIFO does not
 * block the open (open(2), fifo(7)), then fstat(2): anything but a regular
 * file is refused.  The fd (close-on-exec, blocking again), or -1 with one
 * line in err. */
int lc_dest_open_input(const char *path, char *err, size_t errlen);

/* Checks an output destination before any work is done: the name is not
 * empty and does not end in '/'; an existing one is a regular file, a
 * character device or a FIFO (the last two are written in place, and not
 * opened here; a directory, block device or socket is refused); for a
 * regular or new file, a file can be created in its directory (one is created and
 * removed; with mkdir_parent a missing directory is created first, one
 * level, and removed again if the check fails).  Temporary files an
 * interrupted writer of this path left are removed first (see
 * lc_dest_sweep).  0, or -1 with one line in err. */
int lc_dest_check_output(const char *path, int mkdir_parent, char *err, size_t errlen);

/* Whether the output path is written in place (it is a character device or
 * a FIFO): such a destination has no temporary file, and no journal. */
int lc_dest_in_place(const char *path);

/* Removes the temporary files of path that a writer killed before its
 * rename left: names "<path>.tmp-XXXXXX" in path's directory that are
 * regular files owned by this user and carry no lock (a live writer holds
 * an fcntl(2) write lock on its temporary file until the rename, and the
 * kernel drops it when the writer dies).  Returns how many were removed. */
int lc_dest_sweep(const char *path);

/* Whether a and b name the same file: the same device and inode when both
 * exist, the same directory (device and inode) and name when neither does.
 * Symbolic links are followed, as the readers and writers follow them. */
int lc_dest_same_file(const char *a, const char *b);

/* A write lock on the whole file (fcntl(2) F_SETLK, not waiting): the
 * mark of a file in use that the kernel removes when its process dies.
 * 0 or -1. */
int lc_dest_lock_whole(int fd);

/* fsync(2) of the directory holding path (fsync(2) NOTES: syncing a file
 * does not sync its directory entry). */
void lc_dest_sync_dir_of(const char *path);

/* An output being written: lc_dest_open, lc_dest_write any number of times,
 * then lc_dest_commit (or lc_dest_commit with an error to abandon it). */
typedef struct lc_dest {
    int fd;
    int in_place;
    char *target; /* the file the temporary file is renamed over */
    char *tmp;    /* the temporary file, NULL when in place */
    int error;    /* first write error (errno), 0 if none */
} lc_dest;

int lc_dest_open(lc_dest *d, const char *path, char *err, size_t errlen);
/* Appends; a failure is kept in d->error.  0 or -errno. */
int lc_dest_write(lc_dest *d, const void *p, size_t n);
/* With e == 0 and no write error: fsync, rename over the target and sync
 * its directory (or nothing more, in place).  Otherwise the temporary file
 * is removed.  Always releases d.  0, or -errno with one line in err. */
int lc_dest_commit(lc_dest *d, int e, const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
