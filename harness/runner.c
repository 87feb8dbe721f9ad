/* The parent side of the runner: a keeper process per item (which forks
 * the case process: runner_keeper.c), -j N at once within the fd limit,
 * the pipes, deadlines and reaping.  The verdicts the child cannot give
 * itself are in runner_verdict.c. */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
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
#include "runner_slot.h"

/* How long to wait for the rest of a record once the child is gone: its
 * process group was killed, so only the kernel's cleanup stands between us
 * and EOF. */
#define DRAIN_GRACE_NS 200000000LL
/* How long a keeper told to kill its case (timeout, interrupt) may take
 * before it is killed itself. */
#define KEEPER_GRACE_NS 2000000000LL
/* A launch that failed for want of fds or processes (EMFILE, ENFILE,
 * EAGAIN, ENOMEM) with nothing else running is retried this often, this
 * many times, before the run gives up: the harness's failure, not a case's. */
#define RETRY_NS 50000000LL
#define RETRIES 100

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
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
        nftw(dir, rm_entry, LC__RUNNER_FD_RESERVE / 2, FTW_DEPTH | FTW_PHYS);
}

static void release(slot *s)
{
    if (s->fd >= 0)
        close(s->fd);
    if (s->out.fd >= 0)
        close(s->out.fd);
    if (s->st_fd >= 0)
        close(s->st_fd);
    free(s->out.buf);
    remove_tree(s->tmpdir);
    free(s->buf);
    json_decref(s->leaks);
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->out.fd = -1;
    s->st_fd = -1;
}

/* A copy of fd above the numbers the keeper's fds must get, whatever
 * numbers the harness's pipes had (even 0-2, if it runs with stdio closed). */
static int lift(int fd)
{
    return fcntl(fd, F_DUPFD, LC__RUNNER_FD_STATUS + 1);
}

/* The keeper, just forked: its fds become exactly 0 /dev/null, 1 and 2 the
 * output pipe, 3 the record pipe, 4 the status pipe; nothing else of the
 * harness's (its journal, report files, other cases' pipes) is inherited
 * into the case process, which is forked, not exec'ed, so O_CLOEXEC alone
 * would not close them. */
static void keeper_fds(int rec, int out, int st)
{
    int r = lift(rec), o = lift(out), t = lift(st);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (r < 0 || o < 0 || t < 0 || devnull < 0)
        _exit(4);
    if (dup2(devnull, 0) < 0 || dup2(o, 1) < 0 || dup2(o, 2) < 0 || dup2(r, LC__RUNNER_FD_RECORD) < 0 ||
        dup2(t, LC__RUNNER_FD_STATUS) < 0)
        _exit(4);
    lc__runner_close_from(LC__RUNNER_FD_STATUS + 1);
}

static void close_pair(int p[2])
{
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    p[0] = p[1] = -1;
}

/* Start an item: scratch directory, three pipes, the keeper (which forks
 * the case process).  0, or -errno with nothing left open. */
static int launch(slot *s, const lc_plan *plan, size_t index)
{
    const lc_plan_item *it = &plan->items[index];
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 40)
        tmp = "/tmp";
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->out.fd = -1;
    s->st_fd = -1;
    snprintf(s->tmpdir, sizeof s->tmpdir, "%s/loopcompat-XXXXXX", tmp);
    if (!mkdtemp(s->tmpdir)) {
        s->tmpdir[0] = '\0';
        return -errno;
    }
    int p[2] = {-1, -1}, op[2] = {-1, -1}, sp[2] = {-1, -1}, e = 0;
    s->out.buf = malloc(OUT_HEAD + OUT_TAIL);
    if (!s->out.buf)
        e = ENOMEM;
    else if (pipe2(p, O_CLOEXEC) < 0 || pipe2(op, O_CLOEXEC) < 0 || pipe2(sp, O_CLOEXEC) < 0)
        e = errno;
    pid_t pid = -1;
    if (!e) {
        fflush(NULL);
        /* Forked with every signal blocked: the keeper takes them with
         * sigtimedwait(2), and none may arrive before it is ready. */
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &old);
        pid_t harness = getpid();
        pid = fork();
        if (pid == 0) {
            keeper_fds(p[1], op[1], sp[1]);
            lc_run_item item = {it->c, it->backend, it->variant, s->tmpdir};
            lc__runner_keeper_main(&item, harness);
        }
        if (pid < 0)
            e = errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    if (e) {
        close_pair(p);
        close_pair(op);
        close_pair(sp);
        free(s->out.buf);
        s->out.buf = NULL;
        remove_tree(s->tmpdir);
        s->tmpdir[0] = '\0';
        return -e;
    }
    close(p[1]);
    close(op[1]);
    close(sp[1]);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    fcntl(op[0], F_SETFL, fcntl(op[0], F_GETFL) | O_NONBLOCK);
    fcntl(sp[0], F_SETFL, fcntl(sp[0], F_GETFL) | O_NONBLOCK);
    s->out.fd = op[0];
    s->st_fd = sp[0];
    s->used = 1;
    s->index = index;
    s->pid = pid;
    s->fd = p[0];
    s->start_ns = lc__runner_now_ns();
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
            s->eof_ns = lc__runner_now_ns();
        }
        return;
    }
}

static void read_status(slot *s)
{
    char sink[512];
    for (;;) {
        int room = s->st_len < sizeof s->st - 1;
        ssize_t n = room ? read(s->st_fd, s->st + s->st_len, sizeof s->st - 1 - s->st_len)
                         : read(s->st_fd, sink, sizeof sink);
        if (n > 0) {
            if (room)
                s->st_len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            close(s->st_fd);
            s->st_fd = -1;
        }
        s->st[s->st_len] = '\0';
        return;
    }
}

/* The keeper's report (runner_keeper.c): the case process's wait status
 * and reap time, and the processes it left.  0, or -1 if incomplete. */
static int parse_status(slot *s, json_t *leaks)
{
    int have_case = 0, end = 0;
    char *save = NULL;
    for (char *line = strtok_r(s->st, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int ws;
        long long ns, pid;
        int off = 0;
        if (sscanf(line, "case %d %lld", &ws, &ns) == 2) {
            s->wstatus = ws;
            s->reaped_ns = ns;
            have_case = 1;
        } else if (sscanf(line, "leak %lld %n", &pid, &off) == 1 && off > 0) {
            json_array_append_new(leaks, json_sprintf("process %lld (%s)", pid, line + off));
        } else if (sscanf(line, "more %lld", &pid) == 1) {
            json_array_append_new(leaks, json_sprintf("%lld more process(es)", pid));
        } else if (strcmp(line, "end") == 0) {
            end = 1;
        }
    }
    return have_case && end ? 0 : -1;
}

/* Reap the keeper once it is done: by then it has reaped the case process
 * and killed everything the case left (or, killed itself, left that to
 * our sweep). */
static void try_reap(slot *s)
{
    /* The status pipe's EOF: the keeper closed its fds on its way out
     * (only it holds the write end), so the wait below is short. */
    if (s->st_fd >= 0)
        read_status(s);
    if (s->st_fd >= 0)
        return;
    int ws = 0;
    while (waitpid(s->pid, &ws, 0) < 0 && errno == EINTR)
        ;
    s->leaks = json_array();
    s->reaped = 1;
    if (parse_status(s, s->leaks) < 0) {
        s->keeper_lost = 1;
        s->wstatus = ws;
        s->reaped_ns = lc__runner_now_ns();
    }
    s->drain_until_ns = lc__runner_now_ns() + DRAIN_GRACE_NS;
}

/* Processes that reached the harness (a subreaper for the run): orphans of
 * a keeper that died without killing its tree.  The keepers still running
 * and the children the caller had before the run are spared. */
static void sweep_orphans(const slot *slots, size_t nslots, const pid_t *before, size_t nbefore)
{
    pid_t *spare = calloc(nslots + nbefore + 1, sizeof *spare);
    if (!spare)
        return;
    size_t n = 0;
    for (size_t i = 0; i < nbefore; i++)
        spare[n++] = before[i];
    for (size_t i = 0; i < nslots; i++)
        if (slots[i].used && !slots[i].reaped)
            spare[n++] = slots[i].pid;
    lc__runner_kill_children(spare, n, NULL, NULL);
    free(spare);
}

static int transient(int e)
{
    return e == EMFILE || e == ENFILE || e == EAGAIN || e == ENOMEM;
}

/* When the loop must look at a slot next: its deadline, or the end of its
 * keeper's grace once told to kill the case. */
static int64_t slot_due(const slot *s)
{
    return s->term_ns ? s->term_ns + KEEPER_GRACE_NS : s->deadline_ns;
}

/* Tell a keeper to kill its case (and, past its grace, kill the keeper). */
static void stop_slot(slot *s, int64_t now)
{
    if (s->reaped)
        return;
    if (!s->term_ns) {
        kill(s->pid, SIGTERM);
        s->term_ns = now;
    } else if (now >= s->term_ns + KEEPER_GRACE_NS) {
        kill(s->pid, SIGKILL);
    }
}

/* The order cases start in: the long measurement cases (LC_CASE_SLOW) first,
 * then the rest, each group in plan order.  Started last, a few cases of
 * several seconds each would leave the other slots idle at the end of the
 * run; started first, the short cases fill in around them.  Results stay
 * in plan order: they are indexed by plan item, not by start. */
static size_t *start_order(const lc_plan *plan)
{
    size_t *order = malloc((plan->n ? plan->n : 1) * sizeof *order);
    if (!order)
        return NULL;
    size_t k = 0;
    for (int slow = 1; slow >= 0; slow--)
        for (size_t i = 0; i < plan->n; i++)
            if (((plan->items[i].c->flags & LC_CASE_SLOW) != 0) == slow)
                order[k++] = i;
    return order;
}

int lc_runner_run(const lc_plan *plan, const lc_runner_opts *opts, lc_result *results)
{
    lc_runner_opts o = opts ? *opts : (lc_runner_opts){0};
    lc__runner_set_error("%s", "");
    if (o.jobs <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.jobs = n > 0 ? (int)n : 1;
    }
    /* Each running case costs fds; more slots than the limit has room for
     * would only fail to start. */
    int max_jobs = lc_runner_max_jobs();
    if (max_jobs < 1) {
        lc__runner_set_error("the open-file limit (RLIMIT_NOFILE) leaves no room for a case process, which "
                    "needs %d fds in the harness; raise it (ulimit -n)", 2 * LC_RUNNER_FDS_PER_CASE);
        return -EMFILE;
    }
    if (o.jobs > max_jobs)
        o.jobs = max_jobs;
    if (!(o.timeout_multiplier > 0) || !isfinite(o.timeout_multiplier))
        o.timeout_multiplier = 1;
    size_t nslots = (size_t)o.jobs;
    if (nslots > plan->n && plan->n > 0)
        nslots = plan->n;
    slot *slots = calloc(nslots ? nslots : 1, sizeof *slots);
    /* Three fds per slot: the record, output and status pipes. */
    struct pollfd *pfd = calloc(nslots ? 3 * nslots : 1, sizeof *pfd);
    size_t *order = start_order(plan);
    /* The children this process had before the run are not the run's. */
    pid_t before[64];
    size_t nbefore = lc__runner_children(before, sizeof before / sizeof before[0]);
    if (!slots || !pfd || !order) {
        free(slots);
        free(pfd);
        free(order);
        return LC_ENOMEM;
    }
    for (size_t i = 0; i < nslots; i++) {
        slots[i].fd = -1;
        slots[i].out.fd = -1;
        slots[i].st_fd = -1;
    }
    /* A subreaper for the run (prctl(2)): should a case kill its keeper,
     * what the case started comes here, not to init, and is killed. */
    int was_reaper = 0;
    prctl(PR_GET_CHILD_SUBREAPER, &was_reaper);
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    size_t next = 0, active = 0, started = 0;
    int rc = LC_RUNNER_OK, held = 0, retries = 0;
    int64_t retry_at = 0;
    for (;;) {
        int64_t now = lc__runner_now_ns();
        if (interrupted && rc == LC_RUNNER_OK)
            rc = LC_RUNNER_INTERRUPTED;
        if (rc != LC_RUNNER_OK)
            for (size_t i = 0; i < nslots; i++)
                if (slots[i].used)
                    stop_slot(&slots[i], now);
        while (rc == LC_RUNNER_OK && !held && now >= retry_at && active < nslots && next < plan->n) {
            size_t idx = order[next++];
            if (results[idx].done)
                continue;
            slot *s = NULL;
            for (size_t i = 0; i < nslots && !s; i++)
                if (!slots[i].used)
                    s = &slots[i];
            int e = launch(s, plan, idx);
            if (e < 0) {
                /* The harness's failure, never the case's: the item goes
                 * back.  Out of fds or processes for now: wait for a
                 * running case to end, or retry a while; otherwise stop. */
                next--;
                if (transient(-e) && active > 0) {
                    held = 1;
                } else if (transient(-e) && retries < RETRIES) {
                    retries++;
                    retry_at = now + RETRY_NS;
                } else {
                    lc__runner_set_error("could not start a case process: %s", strerror(-e));
                    rc = e;
                }
                break;
            }
            retries = 0;
            double t = lc_runner_case_timeout(plan->items[idx].c) * o.timeout_multiplier;
            s->deadline_ns = s->start_ns + (int64_t)(t * 1e9);
            active++;
            started++;
            if (o.on_start)
                o.on_start(plan, idx, started, o.arg);
        }
        if (active == 0 && (rc != LC_RUNNER_OK || next >= plan->n))
            break;

        /* Sleep until a pipe has data or the next deadline; wake at least
         * every 20 ms to notice exits whose pipe a grandchild holds open. */
        int64_t wait_ns = 20000000LL;
        if (retry_at > now && retry_at - now < wait_ns)
            wait_ns = retry_at - now;
        nfds_t np = 0;
        for (size_t i = 0; i < nslots; i++) {
            slot *s = &slots[i];
            if (!s->used)
                continue;
            int fds[3] = {s->fd, s->out.fd, s->st_fd};
            for (int k = 0; k < 3; k++) {
                if (fds[k] < 0)
                    continue;
                pfd[np].fd = fds[k];
                pfd[np].events = POLLIN;
                np++;
            }
            if (!s->reaped && slot_due(s) - now < wait_ns)
                wait_ns = slot_due(s) - now;
        }
        if (wait_ns < 0)
            wait_ns = 0;
        poll(pfd, np, (int)((wait_ns + 999999) / 1000000));

        now = lc__runner_now_ns();
        for (size_t i = 0; i < nslots; i++) {
            slot *s = &slots[i];
            if (!s->used)
                continue;
            if (s->fd >= 0)
                read_some(s);
            lc__runner_capture_read(&s->out);
            if (!s->reaped)
                try_reap(s);
            if (s->reaped && s->keeper_lost == 1) {
                sweep_orphans(slots, nslots, before, nbefore);
                s->keeper_lost = 2;
            }
            if (!s->reaped && now >= s->deadline_ns) {
                if (!s->term_ns)
                    s->timed_out = 1;
                stop_slot(s, now);
            }
            if (!s->reaped || ((s->fd >= 0 || s->out.fd >= 0) && now < s->drain_until_ns))
                continue;
            if (s->fd >= 0)
                read_some(s);
            lc__runner_capture_read(&s->out);
            if (rc == LC_RUNNER_OK) {
                double t = lc_runner_case_timeout(plan->items[s->index].c) * o.timeout_multiplier;
                lc__runner_finish(s, plan, &o, &results[s->index], t);
            }
            release(s);
            active--;
            held = 0;
        }
    }
    sweep_orphans(slots, 0, before, nbefore);
    if (!was_reaper)
        prctl(PR_SET_CHILD_SUBREAPER, 0);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(slots);
    free(pfd);
    free(order);
    return rc;
}
