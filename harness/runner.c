/* The parent side of the runner: fork per item, -j N at once, deadlines,
 * and the verdicts the child cannot give itself (CRASH, TIMEOUT, ERROR). */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "result.h"

/* A record pipe at EOF this long before its writer exited was closed by
 * the case itself (an exit closes it microseconds before the exit shows). */
#define EARLY_EOF_NS 50000000LL
/* How long to wait for the rest of a record once the child is gone: its
 * process group was killed, so only the kernel's cleanup stands between us
 * and EOF. */
#define DRAIN_GRACE_NS 200000000LL
/* Keep this much of a child's stderr for CRASH/ERROR/TIMEOUT evidence. */
#define STDERR_TAIL 1024
/* A case's stdout and stderr come through a pipe the parent drains, so a
 * case that floods them neither blocks nor fills a disk: the first
 * OUT_HEAD bytes (where a sanitizer report usually is) and the last
 * OUT_TAIL are kept, the middle only counted. */
#define OUT_HEAD (64 * 1024)
#define OUT_TAIL (64 * 1024)
/* A pipe that never runs dry (a flooding case) must not keep the parent
 * from its other slots and deadlines: read at most this much per turn. */
#define READ_BUDGET (1024 * 1024)
/* A result record is a few KiB; one this large is broken. */
#define RECORD_MAX (16 * 1024 * 1024)

typedef struct capture {
    int fd;             /* read end of the child's stdout+stderr, -1 at EOF */
    char *buf;          /* OUT_HEAD bytes, then a ring of OUT_TAIL */
    uint64_t total;     /* bytes written by the case */
} capture;

typedef struct slot {
    int used;
    size_t index;
    pid_t pid;
    int fd;             /* read end of the record pipe, -1 at EOF */
    capture out;        /* the child's stdout+stderr */
    char *buf;
    size_t len, cap;
    int64_t start_ns, deadline_ns, drain_until_ns;
    int reaped, wstatus, timed_out;
    int overflow;       /* the record pipe carried more than RECORD_MAX */
    int64_t eof_ns, reaped_ns; /* when the record pipe hit EOF; when reaped */
    char tmpdir[64];
} slot;

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
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

/* Drain what the case wrote so far; never blocks. */
static void capture_read(capture *c)
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

/* Turn what the child left (exit status, record, deadline) into a result. */
static void finish(slot *s, const lc_plan *plan, const lc_runner_opts *o, lc_result *r,
                   double timeout_s)
{
    char err[256];
    memset(r, 0, sizeof *r);
    lc_runner_reset_record(r);
    r->duration_ms = (now_ns() - s->start_ns) / 1000000;

    if (s->timed_out) {
        r->status = LC_STATUS_TIMEOUT;
        lc_runner_set_message(r, "no result after %.3g s; process group killed", timeout_s);
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
    r->done = 1;
    if (o->on_result)
        o->on_result(plan, s->index, r, o->arg);
}

static void release(slot *s)
{
    if (s->fd >= 0)
        close(s->fd);
    if (s->out.fd >= 0)
        close(s->out.fd);
    free(s->out.buf);
    remove_tree(s->tmpdir);
    free(s->buf);
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->out.fd = -1;
}

static int launch(slot *slots, size_t nslots, slot *s, const lc_plan *plan, size_t index)
{
    const lc_plan_item *it = &plan->items[index];
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 40)
        tmp = "/tmp";
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->out.fd = -1;
    snprintf(s->tmpdir, sizeof s->tmpdir, "%s/loopcompat-XXXXXX", tmp);
    if (!mkdtemp(s->tmpdir))
        return -errno;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        int e = errno;
        remove_tree(s->tmpdir);
        return -e;
    }
    int op[2];
    s->out.buf = malloc(OUT_HEAD + OUT_TAIL);
    if (!s->out.buf || pipe2(op, O_CLOEXEC) < 0) {
        int e = s->out.buf ? errno : ENOMEM;
        free(s->out.buf);
        s->out.buf = NULL;
        close(p[0]);
        close(p[1]);
        remove_tree(s->tmpdir);
        return -e;
    }
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        close(op[0]);
        close(op[1]);
        free(s->out.buf);
        s->out.buf = NULL;
        remove_tree(s->tmpdir);
        return -e;
    }
    if (pid == 0) {
        /* Die with the harness: a runner killed with SIGKILL must not leave
         * its cases running (prctl(2) PR_SET_PDEATHSIG; the getppid check
         * covers a parent that died before the prctl). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        /* Own process group, so a timeout can kill whatever the case started. */
        setpgid(0, 0);
        close(p[0]);
        close(op[0]);
        /* Other items' pipes and output files are none of this case's
         * business (and would look like its fds). */
        for (size_t i = 0; i < nslots; i++) {
            if (!slots[i].used)
                continue;
            if (slots[i].fd >= 0)
                close(slots[i].fd);
            if (slots[i].out.fd >= 0)
                close(slots[i].out.fd);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* The harness's signal handlers are none of the case's business:
         * caught signals go back to their defaults, as execve(2) does
         * (ignored ones stay ignored). */
        for (int sig = 1; sig < NSIG; sig++) {
            struct sigaction old;
            if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_DFL &&
                old.sa_handler != SIG_IGN)
                signal(sig, SIG_DFL);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
            close(devnull);
        }
        dup2(op[1], 1);
        dup2(op[1], 2);
        close(op[1]);
        lc_run_item item = {it->c, it->backend, it->variant, s->tmpdir};
        lc_runner_child_main(&item, p[1]);
    }
    /* Also here: whichever of parent and child runs first, the group exists
     * before the parent may need to kill it. */
    setpgid(pid, pid);
    close(p[1]);
    close(op[1]);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    fcntl(op[0], F_SETFL, fcntl(op[0], F_GETFL) | O_NONBLOCK);
    s->out.fd = op[0];
    s->used = 1;
    s->index = index;
    s->pid = pid;
    s->fd = p[0];
    s->start_ns = now_ns();
    return 0;
}

static void read_some(slot *s)
{
    for (size_t budget = READ_BUDGET; budget > 0;) {
        /* Past any real record: count it as broken, keep draining so the
         * case is not blocked, store nothing more. */
        char sink[16384];
        int past = s->len >= RECORD_MAX;
        if (!past && s->cap - s->len < 4096) {
            size_t nc = s->cap ? s->cap * 2 : 8192;
            char *b = realloc(s->buf, nc);
            if (!b)
                return;
            s->buf = b;
            s->cap = nc;
        }
        ssize_t n = past ? read(s->fd, sink, sizeof sink) : read(s->fd, s->buf + s->len, s->cap - s->len);
        if (n > 0) {
            if (past)
                s->overflow = 1;
            else
                s->len += (size_t)n;
            budget -= (size_t)n < budget ? (size_t)n : budget;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            close(s->fd);
            s->fd = -1;
            s->eof_ns = now_ns();
        }
        return;
    }
}

/* Reap the child if it exited; kill its group first so nothing it left
 * behind keeps running (the group id is not reused while the leader is an
 * unreaped zombie). */
static void try_reap(slot *s)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
        return;
    kill(-s->pid, SIGKILL);
    while (waitpid(s->pid, &s->wstatus, 0) < 0 && errno == EINTR)
        ;
    s->reaped = 1;
    s->reaped_ns = now_ns();
    s->drain_until_ns = s->reaped_ns + DRAIN_GRACE_NS;
}

int lc_runner_run(const lc_plan *plan, const lc_runner_opts *opts, lc_result *results)
{
    lc_runner_opts o = opts ? *opts : (lc_runner_opts){0};
    if (o.jobs <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.jobs = n > 0 ? (int)n : 1;
    }
    if (!(o.timeout_multiplier > 0) || !isfinite(o.timeout_multiplier))
        o.timeout_multiplier = 1;
    size_t nslots = (size_t)o.jobs;
    if (nslots > plan->n && plan->n > 0)
        nslots = plan->n;
    slot *slots = calloc(nslots ? nslots : 1, sizeof *slots);
    /* Two fds per slot: the record pipe and the output pipe. */
    struct pollfd *pfd = calloc(nslots ? 2 * nslots : 1, sizeof *pfd);
    if (!slots || !pfd) {
        free(slots);
        free(pfd);
        return LC_ENOMEM;
    }
    for (size_t i = 0; i < nslots; i++) {
        slots[i].fd = -1;
        slots[i].out.fd = -1;
    }

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    size_t next = 0, active = 0, started = 0;
    int rc = LC_RUNNER_OK;
    for (;;) {
        if (interrupted && rc == LC_RUNNER_OK) {
            rc = LC_RUNNER_INTERRUPTED;
            for (size_t i = 0; i < nslots; i++)
                if (slots[i].used && !slots[i].reaped)
                    kill(-slots[i].pid, SIGKILL);
        }
        while (rc == LC_RUNNER_OK && active < nslots && next < plan->n) {
            size_t idx = next++;
            if (results[idx].done)
                continue;
            slot *s = NULL;
            for (size_t i = 0; i < nslots && !s; i++)
                if (!slots[i].used)
                    s = &slots[i];
            int e = launch(slots, nslots, s, plan, idx);
            if (e < 0) {
                lc_result *r = &results[idx];
                memset(r, 0, sizeof *r);
                lc_runner_reset_record(r);
                r->status = LC_STATUS_ERROR;
                lc_runner_set_message(r, "could not start the case process: %s", strerror(-e));
                r->done = 1;
                if (o.on_result)
                    o.on_result(plan, idx, r, o.arg);
                continue;
            }
            double t = lc_runner_case_timeout(plan->items[idx].c) * o.timeout_multiplier;
            s->deadline_ns = s->start_ns + (int64_t)(t * 1e9);
            active++;
            started++;
            if (o.on_start)
                o.on_start(plan, idx, started, o.arg);
        }
        if (active == 0)
            break;

        /* Sleep until a pipe has data or the next deadline; wake at least
         * every 20 ms to notice exits whose pipe a grandchild holds open. */
        int64_t now = now_ns(), wait_ns = 20000000LL;
        nfds_t np = 0;
        for (size_t i = 0; i < nslots; i++) {
            slot *s = &slots[i];
            if (!s->used)
                continue;
            if (s->fd >= 0) {
                pfd[np].fd = s->fd;
                pfd[np].events = POLLIN;
                np++;
            }
            if (s->out.fd >= 0) {
                pfd[np].fd = s->out.fd;
                pfd[np].events = POLLIN;
                np++;
            }
            if (!s->reaped && s->deadline_ns - now < wait_ns)
                wait_ns = s->deadline_ns - now;
        }
        if (wait_ns < 0)
            wait_ns = 0;
        poll(pfd, np, (int)(wait_ns / 1000000));

        now = now_ns();
        for (size_t i = 0; i < nslots; i++) {
            slot *s = &slots[i];
            if (!s->used)
                continue;
            if (s->fd >= 0)
                read_some(s);
            capture_read(&s->out);
            if (!s->reaped)
                try_reap(s);
            if (!s->reaped && now >= s->deadline_ns) {
                kill(-s->pid, SIGKILL);
                while (waitpid(s->pid, &s->wstatus, 0) < 0 && errno == EINTR)
                    ;
                s->reaped = 1;
                s->reaped_ns = now;
                s->timed_out = 1;
                s->drain_until_ns = now + DRAIN_GRACE_NS;
            }
            if (!s->reaped || ((s->fd >= 0 || s->out.fd >= 0) && now < s->drain_until_ns))
                continue;
            if (s->fd >= 0)
                read_some(s);
            capture_read(&s->out);
            if (rc == LC_RUNNER_OK) {
                double t = lc_runner_case_timeout(plan->items[s->index].c) * o.timeout_multiplier;
                finish(s, plan, &o, &results[s->index], t);
            }
            release(s);
            active--;
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(slots);
    free(pfd);
    return rc;
}
