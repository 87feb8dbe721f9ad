/* What the POSIX and Windows subprocesses share: the checks on the spawn
 * options, the protocol of the pipe transports (forwarding to the process
 * callbacks), the calls that only read the record, and close.  Each
 * platform's record (lc_process.h, lc_process_win.h) has the fields used
 * here; ending the child (send_signal, end_child) is the platform's. */
#ifdef _WIN32
#include "lc_process_win.h"
#else
#include "lc_process.h"
#endif

#include <signal.h>

int lc__spawn_check_options(const lc_spawn_options *o)
{
    if ((o->shell == NULL) == (o->file == NULL) || (o->shell && o->argv))
        return LC_EINVAL;
    for (int i = 0; i < 3; i++) {
        int s = o->stdio[i];
        if (s < LC_STDIO_INHERIT || s > LC_STDIO_STDOUT || (s == LC_STDIO_STDOUT && i != 2))
            return LC_EINVAL;
    }
    return 0;
}

/* ---- pipes: a stream protocol forwarding to the process callbacks ---- */

static int pipe_index(const lc_process *p, const lc_transport *t)
{
    for (int i = 0; i < 3; i++)
        if (p->pipes[i] == t)
            return i;
    return -1;
}

static void pipe_data(lc_transport *t, const void *data, size_t len)
{
    lc_process *p = lc_transport_userdata(t);
    int fd = p ? pipe_index(p, t) : -1;
    if (fd < 0 || p->user_closed || !p->cbs || !p->cbs->pipe_data_received)
        return;
    p->busy++;
    p->cbs->pipe_data_received(p, fd, data, len, p->ud);
    p->busy--;
    lc__process_maybe_free(p);
}

static void pipe_lost(lc_transport *t, int err)
{
    lc_process *p = lc_transport_userdata(t);
    int fd = p ? pipe_index(p, t) : -1;
    if (fd < 0)
        return;
    p->pipes[fd] = NULL;
    p->npipes--;
    if (!p->user_closed && p->cbs && p->cbs->pipe_connection_lost) {
        p->busy++;
        p->cbs->pipe_connection_lost(p, fd, err, p->ud);
        p->busy--;
    }
    lc__process_maybe_free(p);
}

const lc_protocol lc__process_pipe_protocol = {
    .data_received = pipe_data,
    .connection_lost = pipe_lost,
};

/* ---- the end of a process ---- */

void lc__process_exited(lc_process *p)
{
    if (!p->user_closed && p->cbs && p->cbs->process_exited) {
        p->busy++;
        p->cbs->process_exited(p, p->returncode, p->ud);
        p->busy--;
    }
    lc__process_maybe_free(p);
}

void lc__process_detach_pipes(lc_process *p)
{
    for (int i = 0; i < 3; i++) {
        if (p->pipes[i])
            lc_transport_set_userdata(p->pipes[i], NULL);
        p->pipes[i] = NULL;
    }
    p->npipes = 0;
}

/* ---- public calls on a process ---- */

int lc_process_pid(const lc_process *p) { return p ? (int)p->pid : -1; }

lc_transport *lc_process_pipe(const lc_process *p, int fd)
{
    return p && fd >= 0 && fd < 3 ? p->pipes[fd] : NULL;
}

int lc_process_returncode(const lc_process *p, int *returncode)
{
    if (p == NULL || !p->reaped)
        return 0;
    if (returncode)
        *returncode = p->returncode;
    return 1;
}

int lc_process_terminate(lc_process *p) { return lc_process_send_signal(p, SIGTERM); }
int lc_process_kill(lc_process *p) { return lc_process_send_signal(p, SIGKILL); }

void lc_process_close(lc_process *p)
{
    if (p == NULL || p->user_closed)
        return;
    p->user_closed = true;
    for (int i = 0; i < 3; i++)
        if (p->pipes[i])
            lc_transport_close(p->pipes[i]);
    lc__process_end_child(p);
    lc__process_maybe_free(p);
}
