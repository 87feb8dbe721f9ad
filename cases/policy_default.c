/* policy/default-loop-backend: which backend the default policy's loops
 * use on this platform, recorded and checked against asyncio's documented
 * choice.
 *
 * asyncio-policy "DefaultEventLoopPolicy": on Unix the loop is a
 * SelectorEventLoop, which "uses the most efficient selector available for
 * the given platform" (asyncio-eventloop "Event Loop Implementations";
 * selectors.DefaultSelector: epoll on Linux, kqueue on the BSDs and macOS);
 * on Windows "ProactorEventLoop is now the default event loop" since
 * Python 3.8 (asyncio-platforms "Windows", whatsnew 3.8).  The row is the
 * same whatever backend it is listed under: the case makes its own loop
 * with no backend named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_util.h"

static const char *documented_default(void)
{
#if defined(_WIN32)
    return "iocp";
#elif defined(__linux__)
    return "epoll";
#else
    return "kqueue";
#endif
}

static void policy_default_loop_backend(lc_case_ctx *ctx, lc_loop *unused)
{
    (void)unused;
    const char *env = getenv("LOOPCOMPAT_BACKEND");
    if (env && *env) {
        /* lc_backend_default() honours it: the platform's own choice cannot
         * be seen under it. */
        lc_case_skip(ctx, "LOOPCOMPAT_BACKEND=%s is set in the environment", env);
        return;
    }
    lc_set_event_loop_policy(NULL);
    lc_policy_reset_thread();
    lc_loop *loop = NULL;
    int rc = lc_new_event_loop(&loop);
    const char *name = rc == 0 && loop ? lc_loop_backend_name(loop) : NULL;
    char got[32] = "";
    if (name)
        snprintf(got, sizeof got, "%s", name);
    lc_loop_free(loop);
    lc_set_event_loop_policy(NULL);
    lc_policy_reset_thread();
    LC_REQUIRE_OK(ctx, rc);
    LC_REQUIRE(ctx, got[0], "the default policy's loop has no backend name");
    const char *want = documented_default();
    lc_case_evidence(ctx, "default_backend", got);
    lc_case_evidence(ctx, "documented", want);
    lc_case_evidence(ctx, "library_default", lc_backend_default());
    LC_REQUIRE(ctx, strcmp(got, want) == 0,
               "the default policy's loops use %s; asyncio's default here is the %s one", got, want);
    lc_case_pass(ctx, "the default policy's loops use %s, asyncio's documented default here", got);
}

const lc_case lc_cases_policy_default[] = {
    {"policy/default-loop-backend",
     "the backend of the default policy's loops is the platform's documented default (epoll, kqueue, iocp)",
     policy_default_loop_backend, LC_CASE_OWN_LOOP, NULL, 0},
    {0},
};
