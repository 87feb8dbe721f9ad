/* Output destinations and input files: checks, atomic or in-place writes,
 * stale temporary files, same-file detection. */
#include "report_dest.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32
#include <dirent.h>
#endif

#ifndef O_NONBLOCK
#define O_NONBLOCK 0
#endif
#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif

/* What a non-regular file is, for the one-line refusal. */
static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISCHR(m))
        return "a character device";
#ifdef S_ISBLK
    if (S_ISBLK(m))
        return "a block device";
#endif
#ifdef S_ISFIFO
    if (S_ISFIFO(m))
        return "a FIFO";
#endif
#ifdef S_ISSOCK
    if (S_ISSOCK(m))
        return "a socket";
#endif
    return "a special file";
}

static void refuse_kind(const char *path, mode_t m, const char *want, char *err, size_t errlen)
{
    if (S_ISDIR(m))
        snprintf(err, errlen, "%s: is a directory", path);
    else
        snprintf(err, errlen, "%s: is %s, not %s", path, kind_of(m), want);
}

/* Written in place: a character device (/dev/null, a terminal) or a pipe,
 * which a rename would replace with a regular file. */
static int writes_in_place(mode_t m)
{
#ifdef S_ISFIFO
    if (S_ISFIFO(m))
        return 1;
#endif
    return S_ISCHR(m);
}

/* The fd back in blocking mode after an O_NONBLOCK open. */
static void set_blocking(int fd)
{
#ifndef _WIN32
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
#else
    (void)fd;
#endif
}

int lc_dest_open_input(const char *path, char *err, size_t errlen)
{
    /* fifo(7): opening a FIFO for reading blocks until a writer opens it,
     * unless O_NONBLOCK is given; fstat then tells what was opened. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        refuse_kind(path, st.st_mode, "a regular file", err, errlen);
        close(fd);
        return -1;
    }
    set_blocking(fd);
    return fd;
}

/* Opens a character device or FIFO for writing in place, without
 * blocking: fifo(7), a FIFO with no reader fails with ENXIO rather than
 * waiting for one. */
static int open_in_place(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        struct stat st;
        if (e == ENXIO && stat(path, &st) == 0 && !S_ISCHR(st.st_mode))
            snprintf(err, errlen, "%s: a FIFO that nothing reads", path);
        else
            snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !writes_in_place(st.st_mode)) {
        if (S_ISREG(st.st_mode))
            snprintf(err, errlen, "%s: changed while it was opened", path);
        else
            refuse_kind(path, st.st_mode, "a regular file", err, errlen);
        close(fd);
        return -1;
    }
    set_blocking(fd);
    return fd;
}

int lc_dest_in_place(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && writes_in_place(st.st_mode);
}

/* The file a temporary file is renamed over: a symbolic link's target, so
 * that writing through /dev/stdout or a link updates what it points to
 * instead of replacing the link. */
static char *resolve_target(const char *path)
{
#ifndef _WIN32
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *r = realpath(path, NULL);
        if (r)
            return r;
    }
#endif
    return strdup(path);
}

/* A write lock on the whole file (fcntl(2) F_SETLK): it marks a temporary
 * file as being written.  A record lock belongs to the process and the
 * kernel releases it when the process dies, which is what tells a stale
 * temporary file from a live one. */
int lc_dest_lock_whole(int fd)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, F_SETLK, &fl);
}

void lc_dest_sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

#ifndef _WIN32
/* mkstemp(3) replaces XXXXXX with letters and digits. */
static int is_tmp_name(const char *name, const char *base, size_t bl)
{
    static const size_t sl = sizeof LC_DEST_TMP_SUFFIX - 1;
    if (strlen(name) != bl + sl + 6 || memcmp(name, base, bl) != 0 ||
        memcmp(name + bl, LC_DEST_TMP_SUFFIX, sl) != 0)
        return 0;
    for (const char *p = name + bl + sl; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* Whether the name in dfd is a stale temporary file of ours: a regular file
 * owned by this user whose lock is free (its writer died), still the same
 * file when the lock is taken.  Removed while the lock is held, so that a
 * writer that just made it (mkostemp, then its lock) sees it unlinked and
 * makes another. */
static int remove_if_stale(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st, now;
    int gone = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
               lc_dest_lock_whole(fd) == 0 && fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
               now.st_dev == st.st_dev && now.st_ino == st.st_ino && unlinkat(dfd, name, 0) == 0;
    close(fd);
    return gone;
}
#endif

int lc_dest_sweep(const char *path)
{
    int removed = 0;
#ifndef _WIN32
    char *target = resolve_target(path);
    char *c1 = target ? strdup(target) : NULL, *c2 = target ? strdup(target) : NULL;
    DIR *d = c1 && c2 ? opendir(dirname(c1)) : NULL;
    if (d) {
        const char *base = basename(c2);
        size_t bl = strlen(base);
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (is_tmp_name(de->d_name, base, bl))
                removed += remove_if_stale(dirfd(d), de->d_name);
        closedir(d);
        if (removed)
            lc_dest_sync_dir_of(target);
    }
    free(c1);
    free(c2);
    free(target);
#else
    (void)path;
#endif
    return removed;
}

/* A fresh, locked temporary file next to the target, in d. */
static int make_tmp(lc_dest *d, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(d->target);
    d->tmp = malloc(n + sizeof LC_DEST_TMP_SUFFIX + 6);
    if (!d->tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    /* A sweeper may take a file between mkostemp and the lock; it removes
     * it, and the next name is tried. */
    for (int tries = 0; tries < 8; tries++) {
        snprintf(d->tmp, n + sizeof LC_DEST_TMP_SUFFIX + 6, "%s%sXXXXXX", d->target,
                 LC_DEST_TMP_SUFFIX);
        int fd = mkostemp(d->tmp, O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, errlen, "%s: cannot create a temporary file: %s", path,
                     strerror(errno));
            return -1;
        }
        struct stat st;
        if (lc_dest_lock_whole(fd) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0) {
            d->fd = fd;
            return 0;
        }
        close(fd);
    }
    snprintf(err, errlen, "%s: cannot lock a temporary file", path);
    return -1;
}

static void dest_free(lc_dest *d)
{
    free(d->target);
    free(d->tmp);
    d->target = d->tmp = NULL;
    d->fd = -1;
}

int lc_dest_open(lc_dest *d, const char *path, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->fd = -1;
    if (!*path) {
        snprintf(err, errlen, "'': an empty file name");
        return -1;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (!writes_in_place(st.st_mode)) {
            refuse_kind(path, st.st_mode, "a regular file", err, errlen);
            return -1;
        }
        d->fd = open_in_place(path, err, errlen);
        d->in_place = 1;
        return d->fd < 0 ? -1 : 0;
    }
    d->target = resolve_target(path);
    if (!d->target) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (make_tmp(d, path, err, errlen) < 0) {
        dest_free(d);
        return -1;
    }
    return 0;
}

int lc_dest_write(lc_dest *d, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0 && !d->error) {
        ssize_t w = write(d->fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            d->error = w < 0 ? errno : EIO;
        else {
            c += w;
            n -= (size_t)w;
        }
    }
    return d->error ? -d->error : 0;
}

int lc_dest_commit(lc_dest *d, int e, const char *path, char *err, size_t errlen)
{
    if (!e)
        e = d->error;
    if (d->in_place) {
        /* Nothing to sync or rename: fsync(2) fails with EINVAL on a pipe
         * or a device that does not support it, and the mode of a device
         * is the system's, not the report's. */
        if (close(d->fd) != 0 && !e)
            e = errno;
    } else {
        /* mkstemp makes the file 0600; give it the mode a creat() would. */
        mode_t um = umask(0);
        umask(um);
        int renamed = 0;
        if (!e && fchmod(d->fd, 0666 & ~um) != 0)
            e = errno;
        if (!e && fsync(d->fd) != 0)
            e = errno;
#ifdef _WIN32
        /* An open file cannot be renamed over another on Windows. */
        if (close(d->fd) != 0 && !e)
            e = errno;
        if (!e && rename(d->tmp, d->target) != 0)
            e = errno;
        renamed = !e;
#else
        /* Renamed with the lock held: a sweeper never takes a file that is
         * about to be renamed. */
        if (!e && rename(d->tmp, d->target) != 0)
            e = errno;
        renamed = !e;
        if (close(d->fd) != 0 && !e)
            e = errno;
#endif
        if (!renamed)
            unlink(d->tmp);
        else
            lc_dest_sync_dir_of(d->target);
    }
    if (e)
        snprintf(err, errlen, "%s: %s", path, strerror(e));
    dest_free(d);
    return -e;
}

/* A file can be made in the directory of path: one is created and removed
 * (the only test that covers read-only mounts, full disks, permissions and
 * ACLs alike). */
static int probe_dir(const char *path, int mkdir_parent, char *err, size_t errlen)
{
    char *target = resolve_target(path);
    char *copy = target ? strdup(target) : NULL;
    if (!copy) {
        free(target);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    const char *dir = dirname(copy);
    int made_dir = 0, rc = -1;
    struct stat st;
    if (mkdir_parent && stat(dir, &st) != 0 && errno == ENOENT) {
        if (mkdir(dir, 0777) != 0) {
            snprintf(err, errlen, "%s: cannot create directory %s: %s", path, dir,
                     strerror(errno));
            goto out;
        }
        made_dir = 1;
    }
    lc_dest_sweep(path);
    lc_dest probe = {-1, 0, target, NULL, 0};
    target = NULL;
    if (make_tmp(&probe, path, err, errlen) == 0) {
        close(probe.fd);
        unlink(probe.tmp);
        rc = 0;
    }
    dest_free(&probe);
    if (rc != 0 && made_dir)
        rmdir(dir);
out:
    free(target);
    free(copy);
    return rc;
}

int lc_dest_check_output(const char *path, int mkdir_parent, char *err, size_t errlen)
{
    size_t n = strlen(path);
    if (n == 0) {
        snprintf(err, errlen, "'': an empty file name");
        return -1;
    }
    if (path[n - 1] == '/') {
        snprintf(err, errlen, "%s: names a directory (ends in '/'), not a file", path);
        return -1;
    }
    struct stat st;
    if (stat(path, &st) == 0) {
        /* Its type is all that is checked: opening a device can have
         * effects of its own, and opening a FIFO's write end and closing it
         * again would end its reader's input (fifo(7)).  A FIFO nothing
         * reads fails when it is written, without blocking. */
        if (writes_in_place(st.st_mode))
            return 0;
        if (!S_ISREG(st.st_mode)) {
            refuse_kind(path, st.st_mode, "a regular file", err, errlen);
            return -1;
        }
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return probe_dir(path, mkdir_parent, err, errlen);
}

/* The identity of a path: its file's device and inode if it exists, else
 * its directory's and its last component. */
typedef struct path_id {
    dev_t dev;
    ino_t ino;
    int exists;
    char *name;
} path_id;

static int path_id_of(const char *path, path_id *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(path, &st) == 0) {
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->exists = 1;
        return 0;
    }
    char *c1 = strdup(path), *c2 = strdup(path);
    int rc = -1;
    if (c1 && c2 && stat(dirname(c1), &st) == 0) {
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->name = strdup(basename(c2));
        rc = id->name ? 0 : -1;
    }
    free(c1);
    free(c2);
    return rc;
}

int lc_dest_same_file(const char *a, const char *b)
{
    path_id ia, ib;
    if (path_id_of(a, &ia) != 0 || path_id_of(b, &ib) != 0) {
        free(ia.name);
        free(ib.name);
        /* An unreachable directory: compare the names as written. */
        return strcmp(a, b) == 0;
    }
    int same = ia.exists == ib.exists && ia.dev == ib.dev && ia.ino == ib.ino &&
               (ia.exists || strcmp(ia.name, ib.name) == 0);
    free(ia.name);
    free(ib.name);
    return same;
}
