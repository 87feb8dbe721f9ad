/* The backends compiled in, in preference order (asyncio's DefaultSelector
 * prefers kqueue, epoll, devpoll, poll, select).  Adding a backend means
 * adding its file and one line here. */
#include "lc_internal.h"

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
/* Windows: the proactor is asyncio's default loop since 3.8
 * (asyncio-platforms), Winsock select the alternative. */
extern const struct lc_backend_ops lc__backend_iocp;
extern const struct lc_backend_ops lc__backend_winselect;

static const struct lc_backend_ops *const backends[] = {
    &lc__backend_iocp,
    &lc__backend_winselect,
};

#define NBACKENDS (sizeof backends / sizeof backends[0])

static const char *const names[NBACKENDS] = {
    "iocp",
    "winselect",
};
#else
extern const struct lc_backend_ops lc__backend_epoll;
extern const struct lc_backend_ops lc__backend_io_uring;
extern const struct lc_backend_ops lc__backend_poll;
extern const struct lc_backend_ops lc__backend_select;

static const struct lc_backend_ops *const backends[] = {
    &lc__backend_epoll,
    &lc__backend_poll,
    &lc__backend_select,
    &lc__backend_io_uring,
};

#define NBACKENDS (sizeof backends / sizeof backends[0])

static const char *const names[NBACKENDS] = {
    "epoll",
    "poll",
    "select",
    "io_uring",
};
#endif

size_t lc_backend_list(const char *const **out)
{
    if (out)
        *out = names;
    return NBACKENDS;
}

const struct lc_backend_ops *lc__backend_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < NBACKENDS; i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

int lc_backend_probe(const char *name, lc_probe *why)
{
    const struct lc_backend_ops *ops = lc__backend_find(name);
    if (ops == NULL)
        return LC_ENOBACKEND;
    lc_probe tmp;
    if (why == NULL)
        why = &tmp;
    memset(why, 0, sizeof *why);
    (void)ops->probe(why); /* the verdict is in *why */
    return 0;
}

const char *lc_backend_default(void)
{
    const char *env = getenv("LOOPCOMPAT_BACKEND");
    if (env && *env && lc__backend_find(env))
        return lc__backend_find(env)->name;
    for (size_t i = 0; i < NBACKENDS; i++) {
        lc_probe why;
        memset(&why, 0, sizeof why);
        if (backends[i]->probe(&why) == 0 && why.available)
            return backends[i]->name;
    }
    return NULL;
}

int64_t lc_backend_timeout_granularity_ns(const char *name, unsigned loop_flags)
{
    const struct lc_backend_ops *ops = lc__backend_find(name);
    return ops ? ops->granularity(loop_flags) : 0;
}

int lc_backend_timeout_refusal(const char *name, unsigned loop_flags, lc_refusal *out)
{
    const struct lc_backend_ops *ops = lc__backend_find(name);
    memset(out, 0, sizeof *out);
    int rc = ops && ops->timeout_refusal ? ops->timeout_refusal(loop_flags, out) : 0;
    if (rc == 1 && out->decided_by == NULL)
        out->decided_by = out->sys_errno ? "os" : "library";
    return rc;
}

size_t lc_backend_features(const char *name, lc_backend_feature *out, size_t cap)
{
    const struct lc_backend_ops *ops = lc__backend_find(name);
    return ops && ops->kernel_features ? ops->kernel_features(out, cap) : 0;
}

unsigned lc_backend_loop_flags(const char *name)
{
    const struct lc_backend_ops *ops = lc__backend_find(name);
    if (ops == NULL)
        return 0;
    unsigned flags = LC_LOOP_COARSE_TIMEOUT;
    if ((ops->features & LC_FEAT_COMPLETION) && ops->stream_start && ops->complete)
        flags |= LC_LOOP_COMPLETION;
    return flags;
}

const char *lc_reason_name(int reason)
{
    switch (reason) {
    case LC_REASON_NONE: return "NONE";
    case LC_REASON_NOT_APPLICABLE: return "NOT_APPLICABLE";
    case LC_REASON_NOT_BUILT: return "NOT_BUILT";
    case LC_REASON_DISABLED_BY_POLICY: return "DISABLED_BY_POLICY";
    case LC_REASON_PROBE_FAILED: return "PROBE_FAILED";
    }
    return "UNKNOWN";
}
