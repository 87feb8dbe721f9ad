/* The fork runner's verdicts: what a case process left (its exit status,
 * its record, its output, a missed deadline, the processes its keeper
 * killed) becomes a result row: CRASH, TIMEOUT, ERROR, or the case's own
 * status with its leaks. */
#include "runner_slot.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "result.h"

#ifndef __GLIBC__
/* sigabbrev_np(3) is a glibc extension (2.32); musl has none.  The names
 * of Linux's standard signals (signal(7)), without the aliases (SIGIOT,
 * SIGPOLL, SIGUNUSED), as glibc gives them. */
static const char *sigabbrev_np(int sig)
{
#define S(n) {SIG##n, #n},
    static const struct {
        int sig;
        const char *abbrev;
    } names[] = {
        S(HUP) S(INT) S(QUIT) S(ILL) S(TRAP) S(ABRT) S(BUS) S(FPE) S(KILL) S(USR1) S(SEGV)
        S(USR2) S(PIPE) S(ALRM) S(TERM) S(STKFLT) S(CHLD) S(CONT) S(STOP) S(TSTP) S(TTIN)
        S(TTOU) S(URG) S(XCPU) S(XFSZ) S(VTALRM) S(PROF) S(WINCH) S(IO) S(PWR) S(SYS)
    };
#undef S
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].abbrev;
    return NULL;
}
#endif

int64_t lc__runner_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void capture_add(capture *c, const char *p, size_t n)
{
    if (!c->buf)
        return;
    for (size_t i = 0; i < n; i++, c->total++) {
        if (c->total < OUT_HEAD)
            c->buf[c->total] = p[i];
        else
            c->buf[OUT_HEAD + (c->total - OUT_HEAD) % OUT_TAIL] = p[i];
    }
}

/* The kept output in order (head, then the tail), NUL-terminated; out has
 * room for OUT_HEAD + OUT_TAIL + 1 bytes.  Returns its length. */
static size_t capture_view(const capture *c, char *out)
{
    if (!c->buf) {
        out[0] = '\0';
        return 0;
    }
    size_t head = c->total < OUT_HEAD ? (size_t)c->total : OUT_HEAD, n = head;
    memcpy(out, c->buf, head);
    if (c->total > OUT_HEAD) {
        uint64_t after = c->total - OUT_HEAD;
        size_t kept = after < OUT_TAIL ? (size_t)after : OUT_TAIL;
        size_t start = (size_t)((after - kept) % OUT_TAIL);
        for (size_t i = 0; i < kept; i++)
            out[n++] = c->buf[OUT_HEAD + (start + i) % OUT_TAIL];
    }
    out[n] = '\0';
    return n;
}

void lc__runner_capture_read(capture *c)
{
    char chunk[16384];
    for (size_t budget = READ_BUDGET; c->fd >= 0 && budget > 0;) {
        ssize_t n = read(c->fd, chunk, sizeof chunk);
        if (n > 0) {
            capture_add(c, chunk, (size_t)n);
            budget -= (size_t)n < budget ? (size_t)n : budget;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            close(c->fd);
            c->fd = -1;
        }
        return;
    }
}

static void stderr_tail(slot *s, lc_result *r)
{
    char *view = malloc(OUT_HEAD + OUT_TAIL + 1);
    if (!view)
        return;
    size_t end = capture_view(&s->out, view);
    size_t from = end > STDERR_TAIL ? end - STDERR_TAIL : 0;
    char buf[STDERR_TAIL + 1];
    size_t n = end - from;
    memcpy(buf, view + from, n);
    buf[n] = '\0';
    free(view);
    if (s->out.total > OUT_HEAD + OUT_TAIL)
        json_object_set_new(r->evidence, "output_bytes", json_integer((json_int_t)s->out.total));
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n > 0)
        json_object_set_new(r->evidence, "stderr", lc_json_text(buf));
}

/* A sanitizer that found an error prints "==PID==ERROR: AddressSanitizer:
 * SEGV on unknown address …" and exits with status 1 (its exitcode option):
 * that is a crash, not a harness error.  Returns 1 and fills the CRASH
 * result if the child's output holds such a report. */
static int sanitizer_crash(slot *s, lc_result *r)
{
    static char buf[OUT_HEAD + OUT_TAIL + 1];
    size_t n = capture_view(&s->out, buf);
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    const char *hit = strstr(buf, "ERROR: ");
    const char *san = hit ? strstr(hit, "Sanitizer: ") : NULL;
    if (!san || memchr(hit, '\n', (size_t)(san - hit)))
        return 0;
    const char *name = hit + 7;
    int name_len = (int)(san - name) + 9;
    const char *what = san + 11;
    int what_len = (int)strcspn(what, " \n");
    r->status = LC_STATUS_CRASH;
    char tmp[64], sig[16] = "";
    snprintf(tmp, sizeof tmp, "%.*s", name_len, name);
    json_object_set_new(r->evidence, "sanitizer", json_string(tmp));
    static const char *const sigs[] = {"SEGV", "BUS", "FPE", "ILL", "ABRT", "TRAP"};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if ((int)strlen(sigs[i]) == what_len && strncmp(what, sigs[i], (size_t)what_len) == 0) {
            snprintf(sig, sizeof sig, "SIG%s", sigs[i]);
            json_object_set_new(r->evidence, "signal", json_string(sig));
        }
    }
    lc_runner_set_message(r, "%.*s: %.*s (%s%sexit status %d)", name_len, name, (int)strcspn(what, "\n"), what,
                          sig, sig[0] ? "; " : "", WEXITSTATUS(s->wstatus));
    stderr_tail(s, r);
    return 1;
}

/* The processes the keeper killed after the case, which the case's own
 * check did not name (a daemon double-forked away from it, a child the
 * case process did not live to see): the same treatment as the case
 * process's own leaks (result.c): named in evidence "leaked", and a PASS
 * becomes FAIL. */
static void note_leaks(lc_result *r, json_t *leaks)
{
    const char *had = json_string_value(json_object_get(r->evidence, "leaked"));
    size_t i;
    json_t *v;
    char *add = NULL;
    json_array_foreach(leaks, i, v)
    {
        const char *what = json_string_value(v);
        long long pid;
        char named[48];
        /* Already named by the case process: "child process PID (…)". */
        if (had && sscanf(what, "process %lld", &pid) == 1) {
            snprintf(named, sizeof named, "child process %lld (", pid);
            if (strstr(had, named))
                continue;
        }
        char *next = NULL;
        if (asprintf(&next, "%s%s%s", add ? add : "", add ? ", " : "", what) < 0)
            break;
        free(add);
        add = next;
    }
    if (!add)
        return;
    char *all = NULL;
    if (asprintf(&all, "%s%s%s", had ? had : "", had ? ", " : "", add) >= 0) {
        json_object_set_new(r->evidence, "leaked", json_string(all));
        if (r->status == LC_STATUS_PASS) {
            r->status = LC_STATUS_FAIL;
            lc_runner_set_message(r, "leaked after the case: %s", all);
        }
    }
    free(all);
    free(add);
}

/* Turn what the child left (exit status, record, deadline) into a result. */
void lc__runner_finish(slot *s, const lc_plan *plan, const lc_runner_opts *o, lc_result *r,
                       double timeout_s)
{
    char err[256];
    memset(r, 0, sizeof *r);
    lc_runner_reset_record(r);
    r->duration_ms = (lc__runner_now_ns() - s->start_ns) / 1000000;

    if (s->keeper_lost) {
        /* Only the case can have done it: the keeper runs no case code. */
        r->status = LC_STATUS_ERROR;
        if (WIFSIGNALED(s->wstatus))
            lc_runner_set_message(r, "the case's keeper process was killed by signal %d before it reported; "
                                  "the case's processes were killed", WTERMSIG(s->wstatus));
        else
            lc_runner_set_message(r, "the case's keeper process exited with status %d before it reported; "
                                  "the case's processes were killed", WEXITSTATUS(s->wstatus));
        stderr_tail(s, r);
    } else if (s->timed_out) {
        r->status = LC_STATUS_TIMEOUT;
        lc_runner_set_message(r, "no result after %.3g s; the case's process tree was killed", timeout_s);
        json_object_set_new(r->evidence, "timeout_ms", json_integer((json_int_t)(timeout_s * 1000)));
        stderr_tail(s, r);
    } else if (WIFSIGNALED(s->wstatus)) {
        int sig = WTERMSIG(s->wstatus);
        const char *abbrev = sigabbrev_np(sig);
        char name[32];
        snprintf(name, sizeof name, "SIG%s", abbrev ? abbrev : "UNKNOWN");
        r->status = LC_STATUS_CRASH;
        lc_runner_set_message(r, "killed by %s (%s)", name, strsignal(sig));
        json_object_set_new(r->evidence, "signal", json_string(name));
        json_object_set_new(r->evidence, "core_dumped", json_boolean(WCOREDUMP(s->wstatus)));
        stderr_tail(s, r);
    } else if (s->overflow) {
        r->status = LC_STATUS_ERROR;
        lc_runner_set_message(r, "the result record is larger than %d MiB: the case wrote into its result pipe",
                              RECORD_MAX >> 20);
        stderr_tail(s, r);
    } else if (s->len == 0 && s->eof_ns && s->reaped_ns - s->eof_ns > EARLY_EOF_NS) {
        r->status = LC_STATUS_ERROR;
        lc_runner_set_message(r, "the case closed its result pipe %lld ms before it exited: no result record",
                              (long long)((s->reaped_ns - s->eof_ns) / 1000000));
        json_object_set_new(r->evidence, "exit_status",
                            WIFEXITED(s->wstatus) ? json_integer(WEXITSTATUS(s->wstatus)) : json_null());
        stderr_tail(s, r);
    } else if (WEXITSTATUS(s->wstatus) != 0 && sanitizer_crash(s, r)) {
        /* filled in */
    } else if (WEXITSTATUS(s->wstatus) != 0) {
        r->status = LC_STATUS_ERROR;
        lc_runner_set_message(r, "the case process exited with status %d without a result record",
                              WEXITSTATUS(s->wstatus));
        json_object_set_new(r->evidence, "exit_status", json_integer(WEXITSTATUS(s->wstatus)));
        stderr_tail(s, r);
    } else if (s->len == 0) {
        r->status = LC_STATUS_ERROR;
        lc_runner_set_message(r, "the case process exited without a result record");
        json_object_set_new(r->evidence, "exit_status", json_integer(0));
        stderr_tail(s, r);
    } else if (lc_runner_parse_record(s->buf, s->len, r, err, sizeof err) < 0) {
        r->status = LC_STATUS_ERROR;
        lc_runner_reset_record(r);
        lc_runner_set_message(r, "%s", err);
        stderr_tail(s, r);
    }
    if (!s->timed_out && !s->keeper_lost)
        note_leaks(r, s->leaks);
    r->done = 1;
    if (o->on_result)
        o->on_result(plan, s->index, r, o->arg);
}

