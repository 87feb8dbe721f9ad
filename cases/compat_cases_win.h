/* What the cases take from POSIX, for mingw-w64.  Every case file is
 * compiled with this header first on Windows (-include in
 * cases/CMakeLists.txt).  On Windows the loop's fds are Winsock SOCKETs in
 * an int (backends/compat_win.h), so the cases' socket calls go to
 * Winsock: a socketpair is a connected loopback TCP pair, as CPython's
 * socket.socketpair() makes on Windows; close/read/write on a socket are
 * closesocket/recv/send, and on anything else the CRT's. */
#ifndef LC_COMPAT_CASES_WIN_H
#define LC_COMPAT_CASES_WIN_H
#ifdef _WIN32

#ifndef FD_SETSIZE
#define FD_SETSIZE 512 /* as the winselect backend, before winsock2.h */
#endif
#include <winsock2.h>
#include <ws2tcpip.h>

#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#endif
#define O_NONBLOCK 0   /* a CRT file has no non-blocking mode */
#define O_DIRECTORY 0  /* the CRT cannot open a directory: open() fails */
#define SOCK_NONBLOCK 0x10000
#define SOCK_CLOEXEC 0x20000

/* A connected loopback TCP pair, non-blocking if SOCK_NONBLOCK; -1 with
 * errno set on failure.  domain must be AF_UNIX, type SOCK_STREAM. */
int lc__case_win_socketpair(int domain, int type, int proto, int sv[2]);
/* socket() without the SOCK_NONBLOCK/SOCK_CLOEXEC flags Winsock does not
 * take (SOCK_NONBLOCK becomes FIONBIO); -1 with errno
 * set on failure. */
int lc__case_win_socket(int domain, int type, int proto);
int lc__case_win_close(int fd);
ssize_t lc__case_win_read(int fd, void *buf, size_t n);
ssize_t lc__case_win_write(int fd, const void *buf, size_t n);
#define socketpair lc__case_win_socketpair
#define socket lc__case_win_socket
#define close lc__case_win_close
#define read lc__case_win_read
#define write lc__case_win_write

#define setenv(name, value, overwrite) _putenv_s((name), (value))

#endif /* _WIN32 */
#endif
