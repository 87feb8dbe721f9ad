/* Host facts on Windows: run_info and platform_limits (probe.h).  The
 * backends' entries are the portable part of probe.c. */
#ifdef _WIN32
#include "probe.h"

#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "platform_info.h"
#include "tick_win.h"

#ifndef LC_BUILD_TYPE
#define LC_BUILD_TYPE "unknown"
#endif

/* winselect's FD_SETSIZE (backends/compat_win.h), as asyncio sets it. */
#define LC_WIN_FD_SETSIZE 512

typedef LONG(WINAPI *rtl_get_version_fn)(OSVERSIONINFOW *);
typedef const char *(*wine_get_version_fn)(void);

static FARPROC ntdll_export(const char *name)
{
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    return ntdll ? GetProcAddress(ntdll, name) : NULL;
}

/* The version Windows really is: GetVersionEx answers what the program's
 * manifest declares compatibility with (8.0 without one), RtlGetVersion
 * does not ("Operating System Version", Remarks). */
static void os_version(DWORD *major, DWORD *minor, DWORD *build)
{
    *major = *minor = *build = 0;
    FARPROC p = ntdll_export("RtlGetVersion");
    if (p == NULL)
        return;
    rtl_get_version_fn fn;
    memcpy(&fn, &p, sizeof fn);
    OSVERSIONINFOW v;
    memset(&v, 0, sizeof v);
    v.dwOSVersionInfoSize = sizeof v;
    if (fn(&v) == 0) {
        *major = v.dwMajorVersion;
        *minor = v.dwMinorVersion;
        *build = v.dwBuildNumber;
    }
}

/* wine exports wine_get_version from its ntdll; Windows does not. */
static const char *wine_version(void)
{
    FARPROC p = ntdll_export("wine_get_version");
    if (p == NULL)
        return NULL;
    wine_get_version_fn fn;
    memcpy(&fn, &p, sizeof fn);
    return fn();
}

static const char *arch_name(void)
{
    SYSTEM_INFO si;
    GetNativeSystemInfo(&si);
    switch (si.wProcessorArchitecture) {
    case PROCESSOR_ARCHITECTURE_AMD64: return "x86_64";
    case PROCESSOR_ARCHITECTURE_ARM64: return "arm64";
    case PROCESSOR_ARCHITECTURE_INTEL: return "x86";
    case PROCESSOR_ARCHITECTURE_ARM: return "arm";
    }
    return "unknown";
}

/* Wine, else the hypervisor CPUID names (Intel SDM vol. 2A, leaf 1 ECX
 * bit 31 and leaf 0x40000000).  Windows with virtualization-based security
 * runs under Hyper-V itself, so "hyperv" there may be the host's own. */
static void detect_virtualization(const char *wine, char *out, size_t len, char *hv, size_t hvlen)
{
    lc_virt_inputs in;
    memset(&in, 0, sizeof in);
    char sig[13] = "";
    in.cpuid_hypervisor_bit = lc__cpuid_hypervisor(sig);
    in.cpuid_signature = in.cpuid_hypervisor_bit ? sig : NULL;
    in.wine_version = wine;
    lc__virt_detect(&in, out, len, hv, hvlen);
}

json_t *lc_probe_run_info(void)
{
    DWORD major, minor, build;
    os_version(&major, &minor, &build);
    char ver[64], mm[32], platform_id[96];
    snprintf(ver, sizeof ver, "%lu.%lu.%lu", major, minor, build);
    snprintf(mm, sizeof mm, "%lu.%lu", major, minor);
    const char *arch = arch_name();
    const char *wine = wine_version();
    if (wine && !*wine)
        wine = NULL;
    /* major.minor only: builds of one release share a column; wine gets
     * its own column next to Windows (docs/reports.md, platform_id). */
    lc__platform_id(platform_id, sizeof platform_id, "windows", mm, NULL, arch, NULL,
                    wine ? "wine" : NULL);
#ifdef _UCRT
    const char *libc = "ucrt";
#else
    const char *libc = "msvcrt";
#endif
    DWORD cpus = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
    char virt[32], hv[32];
    detect_virtualization(wine, virt, sizeof virt, hv, sizeof hv);
    json_t *ri = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "platform_id", platform_id,
                           "os", "windows", "os_version", ver, "arch", arch, "libc", libc, "cpu_count",
                           (json_int_t)(cpus > 0 ? cpus : 1), "compiler", "gcc " __VERSION__,
                           "build_type", LC_BUILD_TYPE, "virtualization", virt);
    if (ri && hv[0])
        json_object_set_new(ri, "hypervisor", json_string(hv));
    if (ri && wine) {
        json_object_set_new(ri, "runtime", json_string("wine"));
        json_object_set_new(ri, "runtime_version", json_string(wine));
    }
    return ri;
}

/* One timer-tick row; under wine the source says that wine answered, not
 * a Windows clock interrupt (docs/windows.md, "The timer tick"). */
static void tick_row(json_t *l, const char *name, json_int_t value, const char *unit,
                     const char *source)
{
    const char *wine = wine_version();
    char src[192];
    if (wine && *wine)
        snprintf(src, sizeof src, "%s, answered by wine %s", source, wine);
    else
        snprintf(src, sizeof src, "%s", source);
    json_object_set_new(l, name, json_pack("{s:I, s:s, s:s}", "value", value, "unit", unit,
                                           "source", src));
}

/* The timer tick (cases/tick_win.h): what GetSystemTimeAdjustment and
 * NtQueryTimerResolution report, in ns, and the median Sleep(1) with and
 * without timeBeginPeriod(1), in us.  A call that fails leaves its rows out. */
#define LC_TICK_SLEEPS 15
static void add_tick_rows(json_t *l)
{
    lc__win_tick t;
    lc__win_tick_query(&t);
    if (t.adj_ok)
        tick_row(l, "timer_increment", (json_int_t)t.increment_100ns * 100, "ns",
                 "GetSystemTimeAdjustment lpTimeIncrement");
    if (t.nt_ok && t.nt_status == 0) {
        tick_row(l, "timer_resolution", (json_int_t)t.current_100ns * 100, "ns",
                 "NtQueryTimerResolution CurrentTime (ntdll)");
        tick_row(l, "timer_resolution_coarsest", (json_int_t)t.coarsest_100ns * 100, "ns",
                 "NtQueryTimerResolution MaximumTime (ntdll)");
        tick_row(l, "timer_resolution_finest", (json_int_t)t.finest_100ns * 100, "ns",
                 "NtQueryTimerResolution MinimumTime (ntdll)");
    }
    int prc;
    int64_t ns = lc__win_sleep1_median_ns(LC_TICK_SLEEPS, 0, &prc);
    if (ns >= 0)
        tick_row(l, "sleep_1ms", (json_int_t)((ns + 500) / 1000), "us",
                 "Sleep(1), median of 15 (QueryPerformanceCounter)");
    ns = lc__win_sleep1_median_ns(LC_TICK_SLEEPS, 1, &prc);
    if (ns >= 0 && prc == 0)
        tick_row(l, "sleep_1ms_time_begin_period", (json_int_t)((ns + 500) / 1000), "us",
                 "Sleep(1) after timeBeginPeriod(1) (winmm), median of 15 (QueryPerformanceCounter)");
}

json_t *lc_probe_platform_limits(void)
{
    json_t *l = json_object();
    json_object_set_new(l, "fd_setsize",
                        json_pack("{s:I, s:s, s:s}", "value", (json_int_t)LC_WIN_FD_SETSIZE, "unit", "fd",
                                  "source", "FD_SETSIZE defined before winsock2.h (winselect)"));
    /* The loop's clock is CLOCK_MONOTONIC from winpthreads, which counts
     * QueryPerformanceCounter ticks. */
    LARGE_INTEGER f;
    if (QueryPerformanceFrequency(&f) && f.QuadPart > 0) {
        json_int_t ns = (json_int_t)((1000000000LL + f.QuadPart - 1) / f.QuadPart);
        json_object_set_new(l, "clock_resolution",
                            json_pack("{s:I, s:s, s:s}", "value", ns, "unit", "ns", "source",
                                      "QueryPerformanceFrequency"));
    }
    add_tick_rows(l);
    return l;
}
#endif /* _WIN32 */
