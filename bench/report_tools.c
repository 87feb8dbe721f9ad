/* Memory and time of the report tools on big reports.
 *
 * Generates valid loopcompat-report v1 documents of 10k, 100k and 300k
 * result rows (--tiny: 2k), then runs `loopcompat validate`, `render
 * --html`, `render --markdown`, `diff` and `merge` on each, one child
 * process per command, and prints the child's peak resident set size
 * (wait4(2)'s rusage, ru_maxrss in KiB: getrusage(2)), its wall time, and
 * the ratio of peak RSS to the bytes it read.  A published matrix of many
 * platforms is many such reports: the tools must not need a big machine
 * for it (docs/reliability.md, "Scale").
 *
 * The second report of a pair (NEW, for diff and merge) is the first with
 * every 97th result turned into an unexpected FAIL and every measurement
 * moved by 40 %, so diff has findings to list.  Both stay under the tools'
 * 64 MiB input cap at 300k rows. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LCB_LOOPCOMPAT
#error "LCB_LOOPCOMPAT (the loopcompat binary) must be defined by the build"
#endif

static const char *const backends[] = {"select", "poll", "epoll", "io_uring"};
static const char *const variants[] = {NULL, "pidfd", "sigchld"};
static const char *const areas[] = {"timers", "fds", "pipes", "chardev", "subprocess",
                                    "signals", "udp", "tcp", "unix", "policy"};
#define NB 4
#define NV 3

/* One result row, compact like a report written by a run; about 210 bytes
 * on average, as in the report the scale problem was found with. */
static void row(FILE *f, long i, int doctored)
{
    int b = (int)(i % NB), v = (int)(i / NB % NV);
    long c = i / (NB * NV);
    const char *area = areas[c % 10];
    const char *variant = variants[v];
    int kind = (int)(i % 40); /* 35: UNSUPPORTED, 36: SKIP, 37: expected FAIL, 38: measured */
    int unexpected = doctored && i % 97 == 0;
    double scale = doctored ? 1.4 : 1.0;
    fprintf(f, "{\"case\":\"%s/c%ld\",\"backend\":\"%s\",\"variant\":", area, c,
            backends[b]);
    if (variant)
        fprintf(f, "\"%s\"", variant);
    else
        fputs("null", f);
    if (unexpected) {
        fprintf(f, ",\"status\":\"FAIL\",\"expected\":\"PASS\",\"known_intermittent\":[],"
                   "\"unexpected\":true,\"message\":\"callback ran %ld us early\","
                   "\"duration_ms\":%ld,\"evidence\":{},\"refs\":[],\"measurements\":{}}",
                i % 900 + 10, i % 50);
        return;
    }
    switch (kind) {
    case 35:
        fprintf(f, ",\"status\":\"UNSUPPORTED\",\"expected\":\"UNSUPPORTED\","
                   "\"known_intermittent\":[],\"unexpected\":false,"
                   "\"message\":\"epoll_ctl(EPOLL_CTL_ADD): EPERM\",\"duration_ms\":0,"
                   "\"evidence\":{\"call\":\"epoll_ctl\",\"errno\":\"EPERM\"},"
                   "\"refs\":[\"man:epoll_ctl(2)\"],\"measurements\":{}}");
        break;
    case 36:
        fprintf(f, ",\"status\":\"SKIP\",\"expected\":\"PASS\",\"known_intermittent\":[\"SKIP\"],"
                   "\"unexpected\":false,\"message\":\"no IPv6 on this host\",\"duration_ms\":1,"
                   "\"evidence\":{},\"refs\":[],\"measurements\":{}}");
        break;
    case 37:
        fprintf(f, ",\"status\":\"FAIL\",\"expected\":\"FAIL\",\"known_intermittent\":[],"
                   "\"unexpected\":false,\"message\":\"wakes late\",\"duration_ms\":4,"
                   "\"evidence\":{},\"refs\":[\"https://bugs.example/%ld\"],\"measurements\":{}}",
                c % 40);
        break;
    case 38:
        fprintf(f, ",\"status\":\"PASS\",\"expected\":\"PASS\",\"known_intermittent\":[],"
                   "\"unexpected\":false,\"message\":null,\"duration_ms\":%ld,\"evidence\":{},"
                   "\"refs\":[],\"measurements\":{\"lateness\":{\"kind\":\"distribution\","
                   "\"unit\":\"us\",\"n\":200,\"min\":%.0f,\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,"
                   "\"max\":%.0f,\"mean\":%.1f}}}",
                i % 1500, 10 * scale, 60 * scale, 80 * scale, (90 + i % 50) * scale,
                300 * scale, 65.5 * scale);
        break;
    default:
        fprintf(f, ",\"status\":\"PASS\",\"expected\":\"PASS\",\"known_intermittent\":[],"
                   "\"unexpected\":false,\"message\":null,\"duration_ms\":%ld,\"evidence\":{},"
                   "\"refs\":[],\"measurements\":{}}",
                i % 30);
    }
}

static int generate(const char *path, long rows, int doctored)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench_report_tools: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("{\"format\":\"loopcompat-report\",\"format_version\":1,"
          "\"generator\":{\"name\":\"loopcompat\",\"version\":\"0.1.0\",\"revision\":\"bench\"},"
          "\"time_start\":1732230000123,\"time_end\":1732230042456,"
          "\"run_info\":{\"platform_id\":\"linux-6.1-x86_64\",\"os\":\"linux\","
          "\"os_version\":\"6.1.0\",\"arch\":\"x86_64\",\"libc\":\"glibc 2.36\",\"cpu_count\":2,"
          "\"compiler\":\"gcc 12.2.0\",\"build_type\":\"Release\"},\"backends\":{",
          f);
    for (int b = 0; b < NB; b++)
        fprintf(f, "%s\"%s\":{\"available\":true,\"timeout_granularity_ns\":1}", b ? "," : "",
                backends[b]);
    fputs(",\"kqueue\":{\"available\":false,\"reason\":{\"code\":\"NOT_APPLICABLE\","
          "\"message\":\"kqueue is a BSD interface\"}}},"
          "\"platform_limits\":{\"rlimit_nofile\":{\"soft\":1024,\"hard\":524288,\"unit\":\"fd\"},"
          "\"fd_setsize\":{\"value\":1024,\"unit\":\"fd\"}},\"results\":[\n",
          f);
    for (long i = 0; i < rows; i++) {
        row(f, i, doctored);
        fputs(i + 1 < rows ? "," : "\n", f);
    }
    fputs("]}\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_report_tools: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

struct run {
    double wall_s, cpu_s;
    long maxrss_kib;
    int status;
};

/* Runs argv with stdout to /dev/null; its own rusage from wait4(2). */
static int measure(char *const argv[], struct run *r)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->wall_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    r->maxrss_kib = ru.ru_maxrss;
    r->cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int cleanup_dir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

int main(int argc, char **argv)
{
    int tiny = 0, keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tiny") == 0) {
            tiny = 1;
        } else if (strcmp(argv[i], "--keep") == 0) {
            keep = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            puts("usage: bench_report_tools [--tiny] [--keep]\n"
                 "Peak RSS and wall time of loopcompat validate, render, diff and merge\n"
                 "on generated reports of 10k, 100k and 300k rows (--tiny: 2k).\n"
                 "--keep leaves the generated reports and outputs in the directory it prints.");
            return 0;
        } else {
            fprintf(stderr, "bench_report_tools: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
    }
    static const long full[] = {10000, 100000, 300000, 0};
    static const long small[] = {2000, 0};
    const long *sizes = tiny ? small : full;
    char dir[] = "/tmp/lc-bench-report-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_report_tools: mkdtemp: %s\n", strerror(errno));
        return 2;
    }
    /* LCB_LOOPCOMPAT in the environment: another build (a before/after). */
    const char *env = getenv("LCB_LOOPCOMPAT");
    char bin[4096];
    snprintf(bin, sizeof bin, "%s", env && env[0] ? env : LCB_LOOPCOMPAT);
    printf("loopcompat: %s\n", bin);
    printf("%8s %-17s %10s %10s %8s %8s %8s\n", "rows", "command", "input MiB", "peak MiB",
           "peak/in", "wall s", "cpu s");
    int bad = 0;
    for (int s = 0; sizes[s]; s++) {
        char a[4200], b[4200], html[4200], md[4200], out[4200];
        snprintf(a, sizeof a, "%s/base-%ld.json", dir, sizes[s]);
        snprintf(b, sizeof b, "%s/new-%ld.json", dir, sizes[s]);
        snprintf(html, sizeof html, "%s/html-%ld", dir, sizes[s]);
        snprintf(md, sizeof md, "%s/matrix-%ld.md", dir, sizes[s]);
        snprintf(out, sizeof out, "%s/matrix-%ld.json", dir, sizes[s]);
        if (generate(a, sizes[s], 0) != 0 || generate(b, sizes[s], 1) != 0) {
            bad = 1;
            break;
        }
        long in1 = file_size(a), in2 = in1 + file_size(b);
        struct {
            const char *name;
            char *argv[8];
            long input;
            int ok_status; /* diff exits 1: NEW has regressions */
        } cmds[] = {
            {"validate", {bin, "validate", a, NULL}, in1, 0},
            {"render --html", {bin, "render", a, "--html", html, NULL}, in1, 0},
            {"render --markdown", {bin, "render", a, "--markdown", md, NULL}, in1, 0},
            {"diff", {bin, "diff", a, b, NULL}, in2, 1},
            {"diff --json", {bin, "diff", a, b, "--json", NULL}, in2, 1},
            {"merge", {bin, "merge", a, b, "-o", out, NULL}, in2, 0},
        };
        for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
            struct run r = {0, 0, 0, -1};
            if (measure(cmds[c].argv, &r) != 0 || r.status != cmds[c].ok_status) {
                fprintf(stderr, "bench_report_tools: %s on %ld rows exited %d\n", cmds[c].name,
                        sizes[s], r.status);
                bad = 1;
                continue;
            }
            double in_mib = (double)cmds[c].input / (1 << 20);
            double peak_mib = (double)r.maxrss_kib / 1024;
            printf("%8ld %-17s %10.1f %10.1f %7.2fx %8.2f %8.2f\n", sizes[s], cmds[c].name,
                   in_mib, peak_mib, peak_mib / in_mib, r.wall_s, r.cpu_s);
            fflush(stdout);
        }
        if (!keep) {
            unlink(a);
            unlink(b);
            unlink(md);
            unlink(out);
        }
    }
    puts("input: bytes read (diff and merge read two reports); peak: the child's ru_maxrss;\n"
         "cpu: its user + system time (wall time moves with the machine's load)");
    if (keep)
        printf("kept: %s\n", dir);
    else
        cleanup_dir(dir);
    return bad ? 1 : 0;
}
