/** @file
 * loopcompat — subprocesses (asyncio loop.subprocess_exec /
 * subprocess_shell with a SubprocessProtocol, asyncio-subprocess.html).
 *
 * A child is started with posix_spawn(3): a program that cannot be run
 * (ENOENT, EACCES, a bad cwd) is an error returned by lc_spawn itself, and
 * no child is left behind.  The child starts with an empty signal mask and
 * every signal at its default disposition, whatever the loop blocked or
 * caught (signalfd(2) NOTES: a blocked mask is inherited; libuv resets
 * dispositions the same way).  Every fd the library opens is close-on-exec,
 * so the child gets only its stdin, stdout and stderr.
 *
 * Each of the three standard streams is a pipe (a pipe transport of the
 * loop, see transport.h), inherited from the parent, /dev/null, or — for
 * stderr — the same as stdout.
 *
 * Child watchers, chosen per loop by lc_loop_options.child_watcher:
 *  - LC_CHILD_WATCHER_PIDFD: one pidfd_open(2) fd per child (Linux >= 5.3),
 *    readable when the child exits; the loop then reaps that child.
 *  - LC_CHILD_WATCHER_SIGCHLD: a SIGCHLD handler through the loop's signal
 *    machinery (signals.h); on each SIGCHLD the loop calls
 *    waitpid(pid, WNOHANG) for each of its own children.  It never calls
 *    waitpid(-1), so children started by other code in the process are not
 *    reaped behind that code's back (the flaw of asyncio's old
 *    SafeChildWatcher/FastChildWatcher).  Being a signal handler, it follows
 *    the signal rules: lc_spawn from a thread other than the main thread
 *    returns LC_ETHREAD, and one loop per process can use it (LC_EBUSY).
 *  - DEFAULT: pidfd where the kernel has it, else SIGCHLD.
 *
 * returncode, as asyncio's: the exit status for a normal exit, -signo for a
 * child killed by a signal. */
#ifndef LOOPCOMPAT_PROCESS_H
#define LOOPCOMPAT_PROCESS_H

#include <stddef.h>

#include "loopcompat/loop.h"
#include "loopcompat/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(default) /* see loop.h */
#endif

typedef struct lc_process lc_process;

/** What a child's stdin, stdout or stderr is (asyncio's stdin=/stdout=/stderr=). */
enum lc_stdio {
    LC_STDIO_INHERIT = 0, /**< the parent's fd (asyncio: None) */
    LC_STDIO_PIPE,        /**< a pipe to the loop (asyncio: PIPE) */
    LC_STDIO_DEVNULL,     /**< /dev/null (asyncio: DEVNULL) */
    LC_STDIO_STDOUT       /**< stderr only: wherever stdout goes (asyncio: STDOUT) */
};

enum {
    /** setsid(2) in the child (asyncio start_new_session=True). */
    LC_SPAWN_NEW_SESSION = 1u << 0
};

typedef struct lc_spawn_options {
    /** exec: the program, searched in the parent's PATH when it has no '/',
     * and its argv (argv[0] included, NULL-terminated; NULL means
     * {file, NULL}). */
    const char *file;
    const char *const *argv;
    /** shell: a command for "/bin/sh -c"; file and argv must then be NULL. */
    const char *shell;
    const char *const *env; /**< NULL-terminated "NAME=value"; NULL: the parent's environment */
    const char *cwd;        /**< NULL: the parent's */
    int stdio[3];           /**< enum lc_stdio for fds 0, 1, 2 */
    unsigned flags;         /**< LC_SPAWN_* */
} lc_spawn_options;

/** asyncio's SubprocessProtocol.  Any member may be NULL.  fd is 0, 1 or 2.
 * Per fd, pipe_data_received precedes pipe_connection_lost; where
 * process_exited falls relative to the pipe events is unspecified (as in
 * asyncio, gh-108973). */
typedef struct lc_process_callbacks {
    void (*pipe_data_received)(lc_process *p, int fd, const void *data, size_t len, void *ud);
    /** err 0 after EOF or a close, -errno (-EPIPE) when the pipe broke. */
    void (*pipe_connection_lost)(lc_process *p, int fd, int err, void *ud);
    void (*process_exited)(lc_process *p, int returncode, void *ud);
} lc_process_callbacks;

/** Start a child.  On success *out is the process, which the caller owns
 * until lc_process_close().  Errors: LC_EINVAL (neither or both of
 * file/shell, a bad stdio value), LC_ECLOSED, LC_ENOTSUP (the chosen
 * watcher or a pipe is not available with this loop), LC_ETHREAD and
 * LC_EBUSY (SIGCHLD watcher, see above), -errno from posix_spawn (-ENOENT
 * for a missing program, -EACCES) or from pipe2/pidfd_open. */
int lc_spawn(lc_loop *loop, const lc_spawn_options *opts, const lc_process_callbacks *cbs,
             void *ud, lc_process **out);

int lc_process_pid(const lc_process *p);
/** The pipe transport of fd 0, 1 or 2 (asyncio get_pipe_transport), or NULL
 * when that stream is not a pipe or the pipe is already closed.  Write to
 * stdin with lc_transport_write, close it with lc_transport_close. */
lc_transport *lc_process_pipe(const lc_process *p, int fd);
/** 1 and *returncode set once the child was reaped, 0 while it runs. */
int lc_process_returncode(const lc_process *p, int *returncode);

/** kill(2) the child.  -ESRCH once it has been reaped: its pid may already
 * belong to another process, so it is never signalled then (asyncio
 * raises ProcessLookupError).  LC_EINVAL for a bad signal number. */
int lc_process_send_signal(lc_process *p, int signo);
int lc_process_terminate(lc_process *p); /**< SIGTERM */
int lc_process_kill(lc_process *p);      /**< SIGKILL */

/** Release the process (asyncio SubprocessTransport.close()): no further
 * callbacks; the pipes are closed; a child still running is killed with
 * SIGKILL and reaped by the loop when it exits.  Call it exactly once; p
 * is invalid afterwards.  Closing the loop first is allowed: the loop
 * stops watching its children at close (no callbacks), and closing a
 * process whose loop is closed kills and reaps a child still running. */
void lc_process_close(lc_process *p);

/** The watcher this loop uses or would use: "pidfd" or "sigchld"; NULL if
 * the requested watcher cannot work here. */
const char *lc_loop_child_watcher_name(const lc_loop *loop);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
