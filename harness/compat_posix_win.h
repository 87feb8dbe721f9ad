/* What the harness takes from POSIX and mingw-w64's CRT lacks or does
 * differently.  Every harness file is compiled with this header first on
 * Windows (-include in harness/CMakeLists.txt), so the shared files keep
 * their POSIX calls; the CRT headers come first so that the macros below
 * rename calls, not the CRT's own declarations. */
#ifndef LC_COMPAT_POSIX_WIN_H
#define LC_COMPAT_POSIX_WIN_H
#ifdef _WIN32

#include <direct.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Not inherited by child processes: the CRT's _O_NOINHERIT is O_CLOEXEC. */
#ifndef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#endif
/* Directories cannot be opened as CRT files, so the directory fsync the
 * POSIX code does after a rename fails to open and is skipped: NTFS logs
 * its metadata changes itself. */
#ifndef O_DIRECTORY
#define O_DIRECTORY 0
#endif

/* mingw's GCC checks format(printf) attributes against msvcrt's printf,
 * not the C99 one __USE_MINGW_ANSI_STDIO gives (%zu, %lld); the Linux
 * build checks the same formats. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"

/* open_memstream(3): a temporary file that fclose() reads back into *buf. */
FILE *lc_compat_open_memstream(char **buf, size_t *len);
int lc_compat_fclose(FILE *f);
#define open_memstream lc_compat_open_memstream
#define fclose lc_compat_fclose

/* gmtime_r(3) through the CRT's gmtime_s (argument order reversed). */
struct tm *lc_compat_gmtime_r(const time_t *t, struct tm *out);
#define gmtime_r lc_compat_gmtime_r

/* mkdir(2) with a mode: Windows has no permission bits to give. */
#define mkdir(path, mode) ((void)(mode), _mkdir(path))
/* fchmod(2): a file the CRT creates is writable by its owner already; the
 * POSIX code widens mkstemp's 0600, which has no Windows counterpart. */
static inline int lc_compat_fchmod(int fd, int mode)
{
    (void)fd;
    (void)mode;
    return 0;
}
#define fchmod lc_compat_fchmod
/* fsync(2): _commit flushes the handle's buffers (FlushFileBuffers). */
#define fsync(fd) _commit(fd)
/* rename(2) replaces an existing target; the CRT's rename refuses. */
int lc_compat_rename(const char *from, const char *to);
#define rename lc_compat_rename
int lc_compat_mkostemp(char *tmpl, int flags);
#define mkostemp lc_compat_mkostemp
ssize_t lc_compat_pread(int fd, void *buf, size_t n, off_t at);
#define pread lc_compat_pread
void *lc_compat_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen);
#define memmem lc_compat_memmem

/* sysconf(3), for the number of processors only. */
#define _SC_NPROCESSORS_ONLN 84
long lc_compat_sysconf(int name);
#define sysconf lc_compat_sysconf

/* fcntl(2) record locks over LockFileEx: F_SETLK takes (or fails to take)
 * an exclusive lock on the whole file, F_GETLK tells whether another
 * handle holds one.  Windows locks belong to a handle rather than to a
 * process, which is what the journal's lock needs: held by the run,
 * released when it exits. */
struct flock {
    short l_type, l_whence;
    off_t l_start, l_len;
    int l_pid;
};
#define F_GETLK 5
#define F_SETLK 6
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
int lc_compat_fcntl_lock(int fd, int cmd, struct flock *fl);
#define fcntl lc_compat_fcntl_lock

#endif /* _WIN32 */
#endif
