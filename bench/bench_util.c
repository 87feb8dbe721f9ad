#include "bench_util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "loopcompat/loop.h"

void lcb_parse_args(int argc, char **argv, struct lcb_opts *o, const char *what)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--tiny") == 0) {
            o->tiny = 1;
        } else if (strcmp(a, "--json") == 0 && i + 1 < argc) {
            o->json_path = argv[++i];
        } else if (strcmp(a, "--only") == 0 && i + 1 < argc) {
            o->only = argv[++i];
        } else if (strcmp(a, "--config") == 0 && i + 1 < argc) {
            o->config = argv[++i];
        } else if (strcmp(a, "--runs") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end != '\0' || v < 1 || v > 100000) {
                fprintf(stderr, "%s: --runs wants a count from 1 to 100000, got '%s'\n", argv[0], argv[i]);
                exit(2);
            }
            o->runs = (int)v;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: %s [--tiny] [--runs N] [--only SUBSTR[,SUBSTR...]] [--config SUBSTR[,SUBSTR...]]\n"
                   "       [--json FILE]\n%s\n",
                   argv[0], what);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown or incomplete option '%s' (try --help)\n", argv[0], a);
            exit(2);
        }
    }
}

/* --only and --config take one substring or several separated by commas. */
static int any_part_in(const char *list, const char *name)
{
    if (list == NULL)
        return 1;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        char part[64];
        if (n > 0 && n < sizeof part) {
            memcpy(part, p, n);
            part[n] = '\0';
            if (strstr(name, part) != NULL)
                return 1;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

int lcb_selected(const struct lcb_opts *o, const char *name) { return any_part_in(o->only, name); }

int lcb_config_selected(const struct lcb_opts *o, const char *config) { return any_part_in(o->config, config); }

void lcb_spin_ns(int64_t ns)
{
    int64_t end = lcb_now_ns() + ns;
    while (lcb_now_ns() < end)
        ;
}

int lcb_epoll_read_ends(int (*fds)[2], int n, char *why, size_t len)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        snprintf(why, len, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i][0], &ev) < 0) {
            snprintf(why, len, "epoll_ctl: %s", strerror(errno));
            close(epfd);
            return -1;
        }
    }
    return epfd;
}

void lcb_close_pairs(int (*fds)[2], int n)
{
    for (int i = 0; i < n; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
}

long lcb_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

/* ---- sample series ---- */

struct series {
    char *config, *impl, *metric, *unit;
    double *v;
    size_t n, cap;
};

struct lcb_report {
    const char *program;
    const char *baseline;
    struct lcb_opts opts;
    struct series *s;
    size_t ns, scap;
    json_t *params, *peers, *skipped;
};

struct lcb_report *lcb_report_new(const char *program, const struct lcb_opts *o, const char *baseline)
{
    struct lcb_report *r = calloc(1, sizeof *r);
    if (r == NULL) {
        fprintf(stderr, "%s: out of memory\n", program);
        exit(1);
    }
    r->program = program;
    r->baseline = baseline;
    r->opts = *o;
    r->params = json_object();
    r->peers = json_object();
    r->skipped = json_array();
    return r;
}

void lcb_report_param(struct lcb_report *r, const char *key, const char *value)
{
    json_object_set_new(r->params, key, json_string(value));
}

void lcb_report_peer(struct lcb_report *r, const char *name, const char *version)
{
    json_object_set_new(r->peers, name, json_string(version));
}

static struct series *find(struct lcb_report *r, const char *config, const char *impl,
                           const char *metric, const char *unit)
{
    for (size_t i = 0; i < r->ns; i++) {
        struct series *s = &r->s[i];
        if (strcmp(s->config, config) == 0 && strcmp(s->impl, impl) == 0 && strcmp(s->metric, metric) == 0)
            return s;
    }
    if (unit == NULL)
        return NULL;
    if (r->ns == r->scap) {
        r->scap = r->scap ? r->scap * 2 : 32;
        r->s = realloc(r->s, r->scap * sizeof *r->s);
        if (r->s == NULL) {
            fprintf(stderr, "%s: out of memory\n", r->program);
            exit(1);
        }
    }
    struct series *s = &r->s[r->ns++];
    memset(s, 0, sizeof *s);
    s->config = strdup(config);
    s->impl = strdup(impl);
    s->metric = strdup(metric);
    s->unit = strdup(unit);
    return s;
}

void lcb_add(struct lcb_report *r, const char *config, const char *impl, const char *metric,
             const char *unit, double value)
{
    struct series *s = find(r, config, impl, metric, unit);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (s->v == NULL) {
            fprintf(stderr, "%s: out of memory\n", r->program);
            exit(1);
        }
    }
    s->v[s->n++] = value;
}

void lcb_skip(struct lcb_report *r, const char *config, const char *impl, const char *why)
{
    size_t i;
    json_t *e;
    json_array_foreach(r->skipped, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "config")), config) == 0 &&
            strcmp(json_string_value(json_object_get(e, "impl")), impl) == 0)
            return;
    }
    json_array_append_new(r->skipped, json_pack("{s:s, s:s, s:s}", "config", config, "impl", impl, "reason", why));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank quantile of a sorted array. */
static double quantile(const double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

static double median_of(struct series *s)
{
    return quantile(s->v, s->n, 0.5);
}

/* ---- machine description ---- */

static json_t *machine(void)
{
    char model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    c += 1 + (c[1] == ' ');
                    c[strcspn(c, "\n")] = '\0';
                    snprintf(model, sizeof model, "%s", c);
                }
                break;
            }
        }
        fclose(f);
    }
    struct utsname u;
    memset(&u, 0, sizeof u);
    uname(&u);
    int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    return json_pack("{s:i, s:s, s:s, s:s, s:i}", "nproc", (int)sysconf(_SC_NPROCESSORS_ONLN),
                     "cpu_model", model, "kernel", u.release, "arch", u.machine, "timer_slack_ns", slack);
}

static int write_json(struct lcb_report *r, json_t *root)
{
    size_t len = strlen(r->opts.json_path);
    char *tmp = malloc(len + 16);
    if (tmp == NULL)
        return -1;
    snprintf(tmp, len + 16, "%s.tmp%ld", r->opts.json_path, (long)getpid());
    int rc = json_dump_file(root, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(6));
    if (rc == 0 && rename(tmp, r->opts.json_path) < 0)
        rc = -1;
    if (rc < 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", r->program, r->opts.json_path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

int lcb_report_finish(struct lcb_report *r)
{
    json_t *rows = json_array();
    printf("\n%-22s %-18s %-14s %12s %12s %12s %5s %8s\n", "config", "impl", "metric", "median", "p90",
           "p99", "n", "ratio");
    const char *last_config = "";
    for (size_t i = 0; i < r->ns; i++) {
        struct series *s = &r->s[i];
        qsort(s->v, s->n, sizeof *s->v, cmp_double);
    }
    for (size_t i = 0; i < r->ns; i++) {
        struct series *s = &r->s[i];
        double med = median_of(s), p90 = quantile(s->v, s->n, 0.9), p99 = quantile(s->v, s->n, 0.99);
        double sum = 0;
        for (size_t k = 0; k < s->n; k++)
            sum += s->v[k];
        struct series *b = r->baseline ? find(r, s->config, r->baseline, s->metric, NULL) : NULL;
        double ratio = (b && b->n && median_of(b) != 0) ? med / median_of(b) : 0;
        if (strcmp(last_config, s->config) != 0 && i > 0)
            printf("\n");
        last_config = s->config;
        char unit_metric[64];
        snprintf(unit_metric, sizeof unit_metric, "%s[%s]", s->metric, s->unit);
        printf("%-22s %-18s %-14s %12.3f %12.3f %12.3f %5zu", s->config, s->impl, unit_metric, med, p90, p99, s->n);
        if (b)
            printf(" %7.3fx", ratio);
        printf("\n");
        json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "config", s->config,
                                "impl", s->impl, "metric", s->metric, "unit", s->unit, "n", (json_int_t)s->n,
                                "min", s->n ? s->v[0] : 0.0, "p50", med, "p90", p90, "p99", p99, "max",
                                s->n ? s->v[s->n - 1] : 0.0, "mean", s->n ? sum / (double)s->n : 0.0);
        json_object_set_new(row, "ratio_to_baseline", b ? json_real(ratio) : json_null());
        json_array_append_new(rows, row);
    }
    size_t k;
    json_t *e;
    json_array_foreach(r->skipped, k, e) {
        printf("skipped: %s %s: %s\n", json_string_value(json_object_get(e, "config")),
               json_string_value(json_object_get(e, "impl")), json_string_value(json_object_get(e, "reason")));
    }
    int status = 0;
    if (r->opts.json_path) {
        json_t *root = json_pack("{s:s, s:i, s:s, s:s, s:b, s:o, s:O, s:O, s:s?, s:o, s:O}", "format",
                                 "loopcompat-bench", "format_version", 1, "program", r->program, "library_version",
                                 LC_VERSION_STRING, "tiny", r->opts.tiny, "machine", machine(), "parameters",
                                 r->params, "peers", r->peers, "baseline", r->baseline, "results", rows,
                                 "skipped", r->skipped);
        if (root == NULL || write_json(r, root) < 0)
            status = 1;
        json_decref(root);
    } else {
        json_decref(rows);
    }
    return status;
}
