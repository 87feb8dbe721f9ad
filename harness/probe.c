/* Host facts: what the report says about the machine it ran on. */
#include "probe.h"

#include <stdio.h>
#include <string.h>
#ifndef _WIN32 /* run_info and platform_limits for Windows: probe_win.c */
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#endif
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include "loopcompat/loop.h"

#ifndef LC_BUILD_TYPE
#define LC_BUILD_TYPE "unknown"
#endif

#ifndef _WIN32
static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

json_t *lc_probe_run_info(void)
{
    struct utsname u;
    char os[sizeof u.sysname] = "unknown", release[sizeof u.release] = "unknown",
         arch[sizeof u.machine] = "unknown";
    if (uname(&u) == 0) {
        snprintf(os, sizeof os, "%s", u.sysname);
        snprintf(release, sizeof release, "%s", u.release);
        snprintf(arch, sizeof arch, "%s", u.machine);
    }
    lower(os);
    /* The platform id keeps the kernel's major.minor only: "6.18.0-1-amd64"
     * and "6.18.2" are one column of the matrix. */
    unsigned major = 0, minor = 0;
    char platform_id[256];
    if (sscanf(release, "%u.%u", &major, &minor) == 2)
        snprintf(platform_id, sizeof platform_id, "%s-%u.%u-%s", os, major, minor, arch);
    else
        snprintf(platform_id, sizeof platform_id, "%s-%s", os, arch);

    char libc[64];
#if defined(__GLIBC__)
    snprintf(libc, sizeof libc, "glibc %s", gnu_get_libc_version());
#elif defined(__linux__) && defined(LC_MUSL_VERSION)
    snprintf(libc, sizeof libc, "musl %s", LC_MUSL_VERSION); /* cmake/musl-version.cmake */
#elif defined(__linux__)
    snprintf(libc, sizeof libc, "musl");
#else
    snprintf(libc, sizeof libc, "%s libc", os);
#endif

#if defined(__clang__)
    const char *compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    const char *compiler = "gcc " __VERSION__;
#else
    const char *compiler = "unknown";
#endif
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "platform_id", platform_id,
                     "os", os, "os_version", release, "arch", arch, "libc", libc, "cpu_count",
                     (json_int_t)(cpus > 0 ? cpus : 1), "compiler", compiler, "build_type",
                     LC_BUILD_TYPE);
}

static json_t *rlim_json(rlim_t v)
{
    /* RLIM_INFINITY: no limit, written as null. */
    return v == RLIM_INFINITY ? json_null() : json_integer((json_int_t)v);
}

json_t *lc_probe_platform_limits(void)
{
    json_t *l = json_object();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        json_object_set_new(l, "rlimit_nofile",
                            json_pack("{s:o, s:o, s:s, s:s}", "soft", rlim_json(rl.rlim_cur), "hard",
                                      rlim_json(rl.rlim_max), "unit", "fd", "source",
                                      "getrlimit(RLIMIT_NOFILE)"));
    /* select(2): fds must be below FD_SETSIZE. */
    json_object_set_new(l, "fd_setsize",
                        json_pack("{s:I, s:s, s:s}", "value", (json_int_t)FD_SETSIZE, "unit", "fd",
                                  "source", "<sys/select.h> FD_SETSIZE"));
    struct timespec res;
    if (clock_getres(CLOCK_MONOTONIC, &res) == 0)
        json_object_set_new(l, "clock_resolution",
                            json_pack("{s:I, s:s, s:s}", "value",
                                      (json_int_t)res.tv_sec * 1000000000 + res.tv_nsec, "unit",
                                      "ns", "source", "clock_getres(CLOCK_MONOTONIC)"));
#ifdef PR_GET_TIMERSLACK
    /* prctl(2): the slack the kernel may add to this thread's timed waits. */
    int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    if (slack >= 0)
        json_object_set_new(l, "timer_slack",
                            json_pack("{s:I, s:s, s:s}", "value", (json_int_t)slack, "unit", "ns",
                                      "source", "prctl(PR_GET_TIMERSLACK)"));
#endif
    return l;
}

#endif /* _WIN32 */

json_t *lc_probe_backends(void)
{
    json_t *b = json_object();
    const char *const *names;
    size_t n = lc_backend_list(&names);
    for (size_t i = 0; i < n; i++) {
        lc_probe why;
        memset(&why, 0, sizeof why);
        if (lc_backend_probe(names[i], &why) < 0) {
            why.available = 0;
            why.reason = LC_REASON_PROBE_FAILED;
            snprintf(why.message, sizeof why.message, "unknown to the library's registry");
        }
        json_t *e;
        if (why.available) {
            e = json_pack("{s:b, s:I}", "available", 1, "timeout_granularity_ns",
                          (json_int_t)lc_backend_timeout_granularity_ns(names[i], 0));
        } else {
            const char *code = why.reason != LC_REASON_NONE ? lc_reason_name(why.reason) : "UNKNOWN";
            json_t *reason = json_pack("{s:s, s:s}", "code", code ? code : "UNKNOWN", "message",
                                       why.message[0] ? why.message : "not available");
            if (why.sys_errno)
                json_object_set_new(reason, "errno", json_string(lc_errname(-why.sys_errno)));
            e = json_pack("{s:b, s:o}", "available", 0, "reason", reason);
        }
        json_object_set_new(b, names[i], e);
    }
    return b;
}
