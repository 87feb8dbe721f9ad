/* The runner on Windows: no fork(), so each item runs in a re-executed
 * harness, `loopcompat --run-one CASE BACKEND VARIANT TMPDIR`, as libuv's
 * test runner does on Windows (test/runner-win.c).  winproc.c makes the
 * process (job object, record pipe, deadline); this file plans the slots
 * (-j N: one thread per slot, each waiting on its child) and turns how a
 * child ended into the verdicts the child cannot give itself. */
#ifdef _WIN32
#include "runner.h"

#include <windows.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "result.h"
#include "winproc.h"

/* A result record is a few KiB; what a case prints is kept for evidence. */
#define RECORD_CAP (16u * 1024 * 1024)
#define OUTPUT_CAP (128u * 1024)
#define STDERR_TAIL 1024

typedef struct shared {
    const lc_plan *plan;
    lc_runner_opts o;
    lc_result *results;
    char exe[MAX_PATH];
    pthread_mutex_t mu;
    size_t next, started;
} shared;

static volatile LONG interrupted;

static BOOL WINAPI on_ctrl(DWORD type)
{
    if (type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT || type == CTRL_CLOSE_EVENT) {
        InterlockedExchange(&interrupted, 1);
        return TRUE;
    }
    return FALSE;
}

/* A private scratch directory under %TEMP%, as mkdtemp(3) makes on POSIX. */
static int make_tmpdir(char *out, size_t len)
{
    char base[MAX_PATH];
    DWORD n = GetTempPathA(sizeof base, base);
    if (n == 0 || n >= sizeof base)
        return -1;
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(out, len, "%sloopcompat-%lu-%lu-%d", base, GetCurrentProcessId(),
                 GetCurrentThreadId(), attempt + (int)(GetTickCount() & 0xffff));
        if (CreateDirectoryA(out, NULL))
            return 0;
        if (GetLastError() != ERROR_ALREADY_EXISTS)
            return -1;
    }
    return -1;
}

static void remove_tree(const char *dir)
{
    char pattern[MAX_PATH + 4];
    snprintf(pattern, sizeof pattern, "%s\\*", dir);
    WIN32_FIND_DATAA fd;
    HANDLE h = FindFirstFileA(pattern, &fd);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            if (strcmp(fd.cFileName, ".") == 0 || strcmp(fd.cFileName, "..") == 0)
                continue;
            char path[MAX_PATH * 2];
            snprintf(path, sizeof path, "%s\\%s", dir, fd.cFileName);
            if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
                remove_tree(path);
            else {
                SetFileAttributesA(path, FILE_ATTRIBUTE_NORMAL);
                DeleteFileA(path);
            }
        } while (FindNextFileA(h, &fd));
        FindClose(h);
    }
    RemoveDirectoryA(dir);
}

static void output_tail(const lc_winproc_result *w, lc_result *r)
{
    if (!w->output || w->output_len == 0)
        return;
    size_t from = w->output_len > STDERR_TAIL ? w->output_len - STDERR_TAIL : 0;
    char buf[STDERR_TAIL + 1];
    size_t n = w->output_len - from;
    memcpy(buf, w->output + from, n);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (w->output_truncated)
        json_object_set_new(r->evidence, "output_truncated", json_true());
    if (n > 0)
        json_object_set_new(r->evidence, "stderr", lc_json_text(buf));
}

/* How the child ended → the result (the POSIX runner's finish()). */
static void verdict(const lc_winproc_result *w, double timeout_s, lc_result *r)
{
    char err[256];
    memset(r, 0, sizeof *r);
    lc_runner_reset_record(r);
    r->duration_ms = w->duration_ns / 1000000;
    const char *exc = lc_winproc_exception_name(w->exit_code);
    if (w->timed_out) {
        r->status = LC_STATUS_TIMEOUT;
        lc_runner_set_message(r, "no result after %.3g s; job object terminated", timeout_s);
        json_object_set_new(r->evidence, "timeout_ms", json_integer((json_int_t)(timeout_s * 1000)));
        output_tail(w, r);
    } else if (exc) {
        /* An unhandled exception ends the child with its NTSTATUS code
         * (lc_winproc_child_init): Windows' counterpart of a signal death. */
        r->status = LC_STATUS_CRASH;
        lc_runner_set_message(r, "ended by an unhandled exception, %s (0x%08lX)", exc, w->exit_code);
        json_object_set_new(r->evidence, "exception", json_string(exc));
        json_object_set_new(r->evidence, "exit_code", json_integer((json_int_t)w->exit_code));
        output_tail(w, r);
    } else if (w->exit_code != 0 && w->record_len == 0) {
        r->status = LC_STATUS_ERROR;
        lc_runner_set_message(r, "the case process exited with status %lu without a result record", w->exit_code);
        json_object_set_new(r->evidence, "exit_status", json_integer((json_int_t)w->exit_code));
        output_tail(w, r);
    } else if (w->record_len == 0) {
        r->status = LC_STATUS_ERROR;
        lc_runner_set_message(r, "the case process exited without a result record");
        json_object_set_new(r->evidence, "exit_status", json_integer((json_int_t)w->exit_code));
        output_tail(w, r);
    } else if (w->record_len >= RECORD_CAP) {
        r->status = LC_STATUS_ERROR;
        lc_runner_set_message(r, "the result record is larger than %u MiB: the case wrote into its result pipe",
                              RECORD_CAP >> 20);
        output_tail(w, r);
    } else if (lc_runner_parse_record(w->record, w->record_len, r, err, sizeof err) < 0) {
        r->status = LC_STATUS_ERROR;
        lc_runner_reset_record(r);
        lc_runner_set_message(r, "%s", err);
        output_tail(w, r);
    } else if (w->leftovers > 0) {
        /* The job outlived the child: the case left processes running (the
         * POSIX child checks its own children; here the job sees them). */
        json_object_set_new(r->evidence, "leftover_processes", json_integer(w->leftovers));
        if (r->status == LC_STATUS_PASS) {
            r->status = LC_STATUS_FAIL;
            lc_runner_set_message(r, "leaked after the case: %d process(es) still running", w->leftovers);
        }
    }
    r->done = 1;
}

static void run_item(shared *sh, size_t idx, lc_result *out)
{
    const lc_plan_item *it = &sh->plan->items[idx];
    double t = lc_runner_case_timeout(it->c) * sh->o.timeout_multiplier;
    char tmpdir[MAX_PATH];
    if (make_tmpdir(tmpdir, sizeof tmpdir) < 0) {
        memset(out, 0, sizeof *out);
        lc_runner_reset_record(out);
        out->status = LC_STATUS_ERROR;
        lc_runner_set_message(out, "could not create a scratch directory: Windows error %lu", GetLastError());
        out->done = 1;
        return;
    }
    const char *args[] = {"--run-one", it->c->id, it->backend, it->variant ? it->variant : "-",
                          tmpdir, NULL};
    lc_winproc_result w;
    if (lc_winproc_run(sh->exe, args, t, RECORD_CAP, OUTPUT_CAP, &w) < 0) {
        memset(out, 0, sizeof *out);
        lc_runner_reset_record(out);
        out->status = LC_STATUS_ERROR;
        lc_runner_set_message(out, "could not start the case process: %s", w.error);
        out->done = 1;
    } else {
        verdict(&w, t, out);
        lc_winproc_result_free(&w);
    }
    remove_tree(tmpdir);
}

static void *worker(void *arg)
{
    shared *sh = arg;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        size_t idx = sh->next;
        while (idx < sh->plan->n && sh->results[idx].done)
            idx++;
        if (idx >= sh->plan->n || interrupted) {
            pthread_mutex_unlock(&sh->mu);
            return NULL;
        }
        sh->next = idx + 1;
        sh->started++;
        if (sh->o.on_start)
            sh->o.on_start(sh->plan, idx, sh->started, sh->o.arg);
        pthread_mutex_unlock(&sh->mu);

        lc_result r;
        run_item(sh, idx, &r);

        pthread_mutex_lock(&sh->mu);
        if (interrupted) {
            /* As the POSIX runner does: an item cut short by the interrupt
             * is left not done, for --resume to run again. */
            lc_result_clear(&r);
        } else {
            sh->results[idx] = r;
            if (sh->o.on_result)
                sh->o.on_result(sh->plan, idx, &sh->results[idx], sh->o.arg);
        }
        pthread_mutex_unlock(&sh->mu);
    }
}

int lc_runner_run(const lc_plan *plan, const lc_runner_opts *opts, lc_result *results)
{
    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.plan = plan;
    sh.results = results;
    sh.o = opts ? *opts : (lc_runner_opts){0};
    if (sh.o.jobs <= 0) {
        SYSTEM_INFO si;
        GetSystemInfo(&si);
        sh.o.jobs = si.dwNumberOfProcessors > 0 ? (int)si.dwNumberOfProcessors : 1;
    }
    if (!(sh.o.timeout_multiplier > 0))
        sh.o.timeout_multiplier = 1;
    DWORD n = GetModuleFileNameA(NULL, sh.exe, sizeof sh.exe);
    if (n == 0 || n >= sizeof sh.exe)
        return LC_EINVAL;
    size_t nthreads = (size_t)sh.o.jobs;
    if (nthreads > plan->n)
        nthreads = plan->n ? plan->n : 1;
    pthread_t *th = calloc(nthreads, sizeof *th);
    if (!th)
        return LC_ENOMEM;
    pthread_mutex_init(&sh.mu, NULL);
    interrupted = 0;
    SetConsoleCtrlHandler(on_ctrl, TRUE);
    size_t made = 0;
    for (; made < nthreads; made++)
        if (pthread_create(&th[made], NULL, worker, &sh) != 0)
            break;
    if (made == 0)
        worker(&sh);
    for (size_t i = 0; i < made; i++)
        pthread_join(th[i], NULL);
    SetConsoleCtrlHandler(on_ctrl, FALSE);
    pthread_mutex_destroy(&sh.mu);
    free(th);
    return interrupted ? LC_RUNNER_INTERRUPTED : LC_RUNNER_OK;
}

int lc_runner_run_one_main(int argc, char **argv)
{
    /* loopcompat --run-one CASE BACKEND VARIANT TMPDIR --record-handle N */
    lc_winproc_child_init();
    if (argc != 7 || strcmp(argv[5], "--record-handle") != 0) {
        fprintf(stderr, "loopcompat --run-one: expected CASE BACKEND VARIANT TMPDIR --record-handle N\n");
        return 2;
    }
    const lc_case *c = lc_case_find(argv[1]);
    int fd = lc_winproc_record_fd(argv[6]);
    if (!c || fd < 0) {
        fprintf(stderr, "loopcompat --run-one: %s\n", !c ? "unknown case" : "bad record handle");
        return 2;
    }
    const char *const *names;
    size_t nb = lc_backend_list(&names);
    const char *backend = NULL;
    for (size_t i = 0; i < nb; i++)
        if (strcmp(names[i], argv[2]) == 0)
            backend = names[i];
    if (!backend) {
        fprintf(stderr, "loopcompat --run-one: unknown backend '%s'\n", argv[2]);
        return 2;
    }
    lc_run_item item = {c, backend, strcmp(argv[3], "-") == 0 ? NULL : argv[3], argv[4]};
    lc_runner_child_main(&item, fd);
}
#endif /* _WIN32 */
