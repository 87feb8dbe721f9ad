/* Windows child processes for the runner: Windows has no fork(), so each
 * item runs in a re-executed harness (as libuv's test runner does on
 * Windows, test/runner-win.c).  This file does the process plumbing only:
 * spawn with an inherited record pipe, capture the output, enforce the
 * deadline, and report how the process ended. */
#ifndef LC_HARNESS_WINPROC_H
#define LC_HARNESS_WINPROC_H

#ifdef _WIN32

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lc_winproc_result {
    int started;            /* 0: CreateProcess failed, see error */
    unsigned long exit_code;/* GetExitCodeProcess */
    int timed_out;          /* the deadline passed and the job was terminated */
    int leftovers;          /* processes of the job still alive after the child exited */
    int64_t duration_ns;
    char *record;           /* bytes written to the record handle (NUL-terminated) */
    size_t record_len;
    char *output;           /* stdout and stderr, the first `output_cap` bytes */
    size_t output_len;
    int output_truncated;
    char error[160];        /* why the process could not be run */
} lc_winproc_result;

/* Run `exe args... --record-handle N` where N is an inheritable pipe handle
 * the child writes its result record to; its stdin is NUL, stdout and
 * stderr share one captured pipe.  The child and everything it starts are
 * in a job object killed at the deadline (timeout_s <= 0: none) and when
 * the child exits.  Returns 0 when the process ran (whatever its fate), -1
 * with result->error otherwise.  lc_winproc_result_free releases the
 * buffers. */
int lc_winproc_run(const char *exe, const char *const *args, double timeout_s, size_t record_cap,
                   size_t output_cap, lc_winproc_result *result);
void lc_winproc_result_free(lc_winproc_result *result);

/* The NTSTATUS name of an exit code that is an unhandled exception
 * ("STATUS_ACCESS_VIOLATION"), or NULL for an ordinary exit code. */
const char *lc_winproc_exception_name(unsigned long exit_code);

/* Append one argument to a command line with the quoting that
 * CommandLineToArgvW and the CRT undo ("Parsing C++ command-line
 * arguments").  0, or -1 if it does not fit. */
int lc_winproc_quote_arg(char *cmd, size_t cap, const char *arg);

/* In the child, first thing: an unhandled exception ends the process at
 * once with the exception code as its exit code (no error dialog, no
 * debugger: wine starts winedbg otherwise). */
void lc_winproc_child_init(void);

/* In the child: the record fd from "--record-handle N" (a CRT fd over the
 * inherited handle), or -1. */
int lc_winproc_record_fd(const char *handle_arg);

#ifdef __cplusplus
}
#endif

#endif /* _WIN32 */
#endif
