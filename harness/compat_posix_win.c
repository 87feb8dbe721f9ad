/* POSIX calls the harness makes, for mingw-w64 (see compat_posix_win.h). */
#ifdef _WIN32
#include <windows.h>

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#undef fclose
#undef rename
#undef fcntl
#undef sysconf
#undef memmem
#undef pread
#undef mkostemp

/* fnmatch(3) with flags 0: '*' and '?' match any character, '/' included;
 * '[...]' is a set ('!' or '^' negates, a-z ranges); '\' quotes. */
static int match_set(const char **pp, char c)
{
    const char *p = *pp + 1;
    int neg = (*p == '!' || *p == '^');
    if (neg)
        p++;
    int hit = 0;
    for (int first = 1; *p && (first || *p != ']'); first = 0) {
        char lo = *p++;
        if (lo == '\\' && *p)
            lo = *p++;
        char hi = lo;
        if (*p == '-' && p[1] && p[1] != ']') {
            hi = p[1];
            p += 2;
            if (hi == '\\' && *p)
                hi = *p++;
        }
        if (c >= lo && c <= hi)
            hit = 1;
    }
    if (*p != ']')
        return -1; /* no closing bracket: '[' is an ordinary character */
    *pp = p + 1;
    return hit != neg;
}

int fnmatch(const char *pattern, const char *string, int flags)
{
    (void)flags;
    const char *p = pattern, *s = string;
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        int ok = 0;
        const char *next = p;
        if (*p == '*') {
            star_p = ++p;
            star_s = s;
            continue;
        }
        if (*p == '?') {
            ok = 1;
            next = p + 1;
        } else if (*p == '[') {
            const char *q = p;
            int m = match_set(&q, *s);
            if (m < 0) {
                ok = (*s == '[');
                next = p + 1;
            } else {
                ok = m;
                next = q;
            }
        } else if (*p == '\\' && p[1]) {
            ok = (p[1] == *s);
            next = p + 2;
        } else if (*p) {
            ok = (*p == *s);
            next = p + 1;
        }
        if (ok) {
            p = next;
            s++;
        } else if (star_p) {
            p = star_p;
            s = ++star_s;
        } else {
            return FNM_NOMATCH;
        }
    }
    while (*p == '*')
        p++;
    return *p ? FNM_NOMATCH : 0;
}

/* open_memstream(3): the stream is a temporary file (deleted when closed,
 * the CRT's "D" mode); lc_compat_fclose reads it back into the caller's
 * buffer, which is when POSIX updates *buf and *len too. */
typedef struct memstream {
    FILE *f;
    char **buf;
    size_t *len;
} memstream;

static memstream streams[8];

FILE *lc_compat_open_memstream(char **buf, size_t *len)
{
    char dir[MAX_PATH], path[MAX_PATH];
    DWORD n = GetTempPathA(sizeof dir, dir);
    if (n == 0 || n >= sizeof dir || !GetTempFileNameA(dir, "lcm", 0, path))
        return NULL;
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        if (streams[i].f)
            continue;
        FILE *f = fopen(path, "w+bD");
        if (!f) {
            DeleteFileA(path);
            return NULL;
        }
        streams[i] = (memstream){f, buf, len};
        *buf = NULL;
        *len = 0;
        return f;
    }
    DeleteFileA(path);
    return NULL;
}

int lc_compat_fclose(FILE *f)
{
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        if (streams[i].f != f || !f)
            continue;
        memstream m = streams[i];
        memset(&streams[i], 0, sizeof streams[i]);
        int bad = fflush(f) != 0 || ferror(f);
        long size = bad ? -1 : ftell(f);
        char *data = size >= 0 ? malloc((size_t)size + 1) : NULL;
        if (data && (fseek(f, 0, SEEK_SET) != 0 || fread(data, 1, (size_t)size, f) != (size_t)size)) {
            free(data);
            data = NULL;
        }
        int rc = fclose(f);
        if (!data)
            return EOF;
        data[size] = '\0';
        *m.buf = data;
        *m.len = (size_t)size;
        return rc;
    }
    return fclose(f);
}

struct tm *lc_compat_gmtime_r(const time_t *t, struct tm *out)
{
    return gmtime_s(out, t) == 0 ? out : NULL;
}
int lc_compat_rename(const char *from, const char *to)
{
    if (MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
        return 0;
    errno = GetLastError() == ERROR_FILE_NOT_FOUND || GetLastError() == ERROR_PATH_NOT_FOUND ? ENOENT
                                                                                              : EACCES;
    return -1;
}

int lc_compat_mkostemp(char *tmpl, int flags)
{
    /* mingw's mkstemp opens in binary mode, not inherited by children. */
    (void)flags;
    return mkstemp(tmpl);
}

ssize_t lc_compat_pread(int fd, void *buf, size_t n, off_t at)
{
    /* The journal reads its tail before anything else writes it: a seek
     * and a read stand in for the atomic pread. */
    if (_lseeki64(fd, at, SEEK_SET) < 0)
        return -1;
    return read(fd, buf, (unsigned)n);
}

void *lc_compat_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
    const char *h = hay;
    if (nlen == 0)
        return (void *)h;
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (memcmp(h + i, needle, nlen) == 0)
            return (void *)(h + i);
    return NULL;
}

long lc_compat_sysconf(int name)
{
    if (name != _SC_NPROCESSORS_ONLN) {
        errno = EINVAL;
        return -1;
    }
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return (long)si.dwNumberOfProcessors;
}

int lc_compat_fcntl_lock(int fd, int cmd, struct flock *fl)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD flags = LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY;
    if (cmd == F_SETLK && fl->l_type == F_WRLCK) {
        if (LockFileEx(h, flags, 0, MAXDWORD, MAXDWORD, &ov))
            return 0;
        errno = GetLastError() == ERROR_LOCK_VIOLATION ? EAGAIN : EACCES;
        return -1;
    }
    if (cmd == F_GETLK) {
        if (LockFileEx(h, flags, 0, MAXDWORD, MAXDWORD, &ov)) {
            UnlockFileEx(h, 0, MAXDWORD, MAXDWORD, &ov);
            fl->l_type = F_UNLCK;
        } else {
            fl->l_type = F_WRLCK;
        }
        return 0;
    }
    errno = EINVAL;
    return -1;
}
#endif /* _WIN32 */
