/* Host facts: what the report says about the machine it ran on. */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
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
#include "platform_info.h"

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

/* A small text file (procfs, sysfs) into buf, trailing newlines cut; NULL
 * if it cannot be read. */
static const char *read_small(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
        buf[--n] = '\0';
    return buf;
}

/* PID 1's container= variable (systemd's Container Interface); PID 1's
 * environ is readable by root only, which is the common case in a guest. */
static const char *init_container_env(char *buf, size_t len)
{
    char env[8192];
    FILE *f = fopen("/proc/1/environ", "r");
    if (!f)
        return NULL;
    size_t n = fread(env, 1, sizeof env - 1, f);
    fclose(f);
    env[n] = '\0';
    for (size_t i = 0; i < n; i += strlen(env + i) + 1)
        if (strncmp(env + i, "container=", 10) == 0) {
            snprintf(buf, len, "%s", env + i + 10);
            return buf;
        }
    return NULL;
}

static void detect_virtualization(char *out, size_t len, char *hv, size_t hvlen)
{
    lc_virt_inputs in;
    memset(&in, 0, sizeof in);
    char sig[13] = "", vendor[128], product[128], xen[32], cenv[64], cgroup[4096], cpuinfo[65536];
    in.cpuid_hypervisor_bit = lc__cpuid_hypervisor(sig);
    in.cpuid_signature = in.cpuid_hypervisor_bit ? sig : NULL;
    /* Other architectures: the "hypervisor" flag of /proc/cpuinfo where
     * the kernel prints one. */
    if (!in.cpuid_hypervisor_bit && read_small("/proc/cpuinfo", cpuinfo, sizeof cpuinfo))
        in.cpuid_hypervisor_bit = strstr(cpuinfo, " hypervisor") != NULL;
    in.dmi_sys_vendor = read_small("/sys/class/dmi/id/sys_vendor", vendor, sizeof vendor);
    in.dmi_product_name = read_small("/sys/class/dmi/id/product_name", product, sizeof product);
    in.sys_hypervisor_type = read_small("/sys/hypervisor/type", xen, sizeof xen);
    in.container_file = access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0;
    in.init_container_env = init_container_env(cenv, sizeof cenv);
    in.init_cgroup = read_small("/proc/1/cgroup", cgroup, sizeof cgroup);
    lc__virt_detect(&in, out, len, hv, hvlen);
}

/* LC_KERNEL_PACKAGE and LC_KERNEL_PACKAGE_VERSION, set by whoever booted
 * the kernel (the guest's init): printable ASCII only, else ignored. */
static const char *env_word(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v || strlen(v) > 128)
        return NULL;
    for (const char *p = v; *p; p++)
        if (*p <= ' ' || *p > '~')
            return NULL;
    return v;
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
    char procver[1024], kver[64] = "", flavour[32] = "";
    const char *pv = read_small("/proc/version", procver, sizeof procver);
    int have_kver = lc__kernel_version(release, pv, kver, sizeof kver) == 0;
    lc__kernel_flavour(release, pv, flavour, sizeof flavour);

    char libc[64];
    const char *libc_suffix = NULL; /* glibc is Linux's default: no suffix */
#if defined(__GLIBC__)
    snprintf(libc, sizeof libc, "glibc %s", gnu_get_libc_version());
#elif defined(__linux__)
    /* A Linux libc that is not glibc is musl here (the only other one the
     * build supports); its version comes from the build (cmake/musl-version.cmake). */
#ifdef LC_MUSL_VERSION
    snprintf(libc, sizeof libc, "musl %s", LC_MUSL_VERSION);
#else
    snprintf(libc, sizeof libc, "musl");
#endif
    libc_suffix = "musl";
#else
    snprintf(libc, sizeof libc, "%s libc", os);
#endif
    char platform_id[256];
    lc__platform_id(platform_id, sizeof platform_id, os, have_kver ? kver : NULL, flavour, arch,
                    libc_suffix, NULL);

#if defined(__clang__)
    const char *compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    const char *compiler = "gcc " __VERSION__;
#else
    const char *compiler = "unknown";
#endif
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char virt[32], hv[32];
    detect_virtualization(virt, sizeof virt, hv, sizeof hv);

    json_t *ri = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "platform_id",
                           platform_id, "os", os, "os_version", release, "arch", arch, "libc",
                           libc, "cpu_count", (json_int_t)(cpus > 0 ? cpus : 1), "compiler",
                           compiler, "build_type", LC_BUILD_TYPE, "virtualization", virt);
    if (!ri)
        return NULL;
    if (hv[0])
        json_object_set_new(ri, "hypervisor", json_string(hv));
    if (have_kver)
        json_object_set_new(ri, "kernel_version", json_string(kver));
    if (flavour[0])
        json_object_set_new(ri, "kernel_flavour", json_string(flavour));
    const char *pkg = env_word("LC_KERNEL_PACKAGE"), *pkgv = env_word("LC_KERNEL_PACKAGE_VERSION");
    if (pkg)
        json_object_set_new(ri, "kernel_package", json_string(pkg));
    if (pkg && pkgv)
        json_object_set_new(ri, "kernel_package_version", json_string(pkgv));
    return ri;
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
#ifdef __linux__
    /* epoll(7) /proc/sys/fs/epoll/max_user_watches: the watches one user
     * may hold in all their epoll instances together; epoll_ctl(2) ENOSPC
     * past it.  Absent where the kernel has no epoll. */
    FILE *f = fopen("/proc/sys/fs/epoll/max_user_watches", "r");
    long long watches = -1;
    if (f) {
        if (fscanf(f, "%lld", &watches) != 1)
            watches = -1;
        fclose(f);
    }
    if (watches >= 0)
        json_object_set_new(l, "epoll_max_user_watches",
                            json_pack("{s:I, s:s, s:s}", "value", (json_int_t)watches, "unit", "entry",
                                      "source", "/proc/sys/fs/epoll/max_user_watches"));
#endif
    return l;
}

#endif /* _WIN32 */

/* {"name": {"available", "since", "probe", "errno"?}} of the kernel
 * features the backend uses, or NULL for a backend that lists none. */
static json_t *features_json(const char *backend)
{
    lc_backend_feature f[32];
    size_t n = lc_backend_features(backend, f, sizeof f / sizeof f[0]);
    if (n == 0)
        return NULL;
    if (n > sizeof f / sizeof f[0])
        n = sizeof f / sizeof f[0];
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_pack("{s:b, s:s, s:s}", "available", f[i].available, "since", f[i].since,
                              "probe", f[i].probe);
        if (e && !f[i].available && f[i].sys_errno)
            json_object_set_new(e, "errno", json_string(lc_errname(-f[i].sys_errno)));
        json_object_set_new(o, f[i].name, e);
    }
    return o;
}

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
            json_t *f = features_json(names[i]);
            if (e && f)
                json_object_set_new(e, "features", f);
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
