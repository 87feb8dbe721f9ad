/* `loopcompat run`: probe, plan, run, classify, report. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "expectations.h"
#include "plan.h"
#include "probe.h"
#include "report_json.h"
#include "run_outputs.h"
#include "runner.h"
#include "term.h"

#define RUN_USAGE                                                                            \
    "loopcompat run [--backend LIST] [--case GLOB] [-j N] [--output FILE] "                 \
    "[--timeout-multiplier X] [--expectations FILE] [--variants LIST] [--stress] [--quiet] " \
    "[--junit FILE] [--tap FILE] [--baseline REPORT]"

int lc_cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loopcompat %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (usage: %s)\n", usage);
    va_end(ap);
    return 2;
}

void lc_cli_getopt_problem(int c, int optopt_val, char **argv, int optind_val, char *buf,
                           unsigned len)
{
    const char *arg = argv[optind_val - 1];
    if (c == ':')
        snprintf(buf, len, "option '%s' needs a value", arg);
    else if (optopt_val && optopt_val < 256 && arg[0] == '-' && arg[1] != '-')
        snprintf(buf, len, "unknown option '-%c'", optopt_val);
    else
        snprintf(buf, len, "unknown option '%s'", arg);
}

typedef struct run_state {
    const lc_expectations *exp;
    json_t *run_info;
    int progress;
} run_state;

static void on_start(const lc_plan *plan, size_t index, size_t n_started, void *arg)
{
    run_state *st = arg;
    if (st->progress)
        lc_term_progress(plan, index, n_started);
}

static void on_result(const lc_plan *plan, size_t index, lc_result *r, void *arg)
{
    run_state *st = arg;
    const lc_plan_item *it = &plan->items[index];
    lc_expectations_classify(st->exp, it->c->id, it->backend, st->run_info, r);
}

static int parse_jobs(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 4096)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_multiplier(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 1000)
        return -1;
    *out = v;
    return 0;
}

int lc_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"backend", required_argument, NULL, 'b'},
        {"case", required_argument, NULL, 'c'},
        {"jobs", required_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"timeout-multiplier", required_argument, NULL, 't'},
        {"expectations", required_argument, NULL, 'e'},
        {"stress", no_argument, NULL, 's'},
        {"variants", required_argument, NULL, 'V'},
        {"quiet", no_argument, NULL, 'q'},
        {"junit", required_argument, NULL, 'J'},
        {"tap", required_argument, NULL, 'T'},
        {"baseline", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *backends = NULL, *output = NULL, *exp_path = NULL, *variants = NULL;
    const char **globs = calloc((size_t)argc + 1, sizeof *globs);
    size_t nglobs = 0;
    int jobs = 0, quiet = 0, stress = 0, c, status = 2;
    double mult = 1;
    char problem[256];
    lc_run_outputs outs = {NULL, NULL, NULL, NULL};
    if (!globs)
        return 2;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': backends = optarg; break;
        case 'c': globs[nglobs++] = optarg; break;
        case 'o': output = optarg; break;
        case 'e': exp_path = optarg; break;
        case 's': stress = 1; break;
        case 'V': variants = optarg; break;
        case 'q': quiet = 1; break;
        case 'J': outs.junit = optarg; break;
        case 'T': outs.tap = optarg; break;
        case 'B': outs.baseline = optarg; break;
        case 'j':
            if (parse_jobs(optarg, &jobs) < 0) {
                free(globs);
                return lc_cli_usage_error("run", RUN_USAGE, "-j: '%s' is not a number of jobs (1..4096)", optarg);
            }
            break;
        case 't':
            if (parse_multiplier(optarg, &mult) < 0) {
                free(globs);
                return lc_cli_usage_error("run", RUN_USAGE,
                                          "--timeout-multiplier: '%s' is not a positive number", optarg);
            }
            break;
        case 'h':
            printf("usage: %s\n\n"
                   "  --backend LIST          comma-separated backends (default: all available)\n"
                   "  --case GLOB             cases whose id matches (fnmatch; repeatable)\n"
                   "  -j, --jobs N            cases at once (default: number of CPUs)\n"
                   "  --output FILE           report path (default: reports/<platform_id>.json)\n"
                   "  --timeout-multiplier X  scale every case's timeout\n"
                   "  --expectations FILE     default: cases/expectations.json\n"
                   "  --variants LIST         also run every case in these loop modes\n"
                   "                          (coarse-timeout: the millisecond wait call)\n"
                   "  --stress                also run the stress cases\n"
                   "  --quiet                 no matrix, no progress: the summary only\n"
                   "  --junit FILE            also write JUnit XML (one testsuite per backend)\n"
                   "  --tap FILE              also write TAP version 14\n"
                   "  --baseline REPORT       compare with REPORT (file or URL) as `loopcompat\n"
                   "                          diff` does; exit 1 on a regression\n",
                   RUN_USAGE);
            free(globs);
            return 0;
        default:
            lc_cli_getopt_problem(c, optopt, argv, optind, problem, sizeof problem);
            free(globs);
            return lc_cli_usage_error("run", RUN_USAGE, "%s", problem);
        }
    }
    if (optind < argc) {
        free(globs);
        return lc_cli_usage_error("run", RUN_USAGE, "unexpected argument '%s'", argv[optind]);
    }

    char err[1024];
    lc_plan plan;
    lc_plan_init(&plan);
    lc_expectations exp;
    memset(&exp, 0, sizeof exp);
    lc_result *results = NULL;
    json_t *run_info = NULL, *bk = NULL, *limits = NULL, *doc = NULL;

    if (lc_plan_check_backends(backends, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", err);
        goto out;
    }
    if (lc_plan_check_variants(variants, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", err);
        goto out;
    }
    if (!exp_path)
        exp_path = lc_expectations_default_path();
    if (!exp_path) {
        fprintf(stderr, "loopcompat run: no expectations file: cases/expectations.json not found "
                        "(use --expectations FILE)\n");
        goto out;
    }
    if (lc_expectations_load(&exp, exp_path, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", err);
        goto out;
    }
    if (lc_run_outputs_prepare(&outs, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", err);
        goto out;
    }
    lc_plan_filter filter = {backends, nglobs ? globs : NULL, stress, variants};
    if (lc_plan_build(&plan, NULL, 0, &filter, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", err);
        goto out;
    }
    run_info = lc_probe_run_info();
    bk = lc_probe_backends();
    limits = lc_probe_platform_limits();
    results = calloc(plan.n ? plan.n : 1, sizeof *results);
    if (!run_info || !bk || !limits || !results) {
        fprintf(stderr, "loopcompat run: out of memory\n");
        goto out;
    }
    /* Backends the user did not select are still declared: the report says
     * what this host has, the results say what ran. */
    run_state st = {&exp, run_info, !quiet};
    lc_runner_opts ro = {jobs, mult, on_start, on_result, &st};
    lc_report_info info = {run_info, bk, limits, lc_report_now_ms(), 0, 0};
    int rc = lc_runner_run(&plan, &ro, results);
    lc_term_progress_clear();
    if (rc < 0) {
        fprintf(stderr, "loopcompat run: %s\n", lc_strerror(rc));
        goto out;
    }
    info.time_end_ms = lc_report_now_ms();
    info.incomplete = rc == LC_RUNNER_INTERRUPTED;

    char default_path[512];
    if (!output) {
        lc_report_default_path(run_info, default_path, sizeof default_path);
        output = default_path;
    }
    doc = lc_report_build(&info, &plan, results);
    int colour = lc_term_use_colour(stdout);
    if (!quiet)
        lc_term_matrix(stdout, &plan, results, bk, colour);
    lc_term_unexpected(stdout, &plan, results, colour);
    size_t unexpected = lc_term_summary(stdout, &plan, results);
    if (!doc || lc_report_write(doc, output, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", doc ? err : "out of memory");
        goto out;
    }
    printf("report: %s\n", output);
    if (info.incomplete) {
        fprintf(stderr, "loopcompat run: interrupted; the report is marked incomplete\n");
        status = 130;
    } else {
        status = unexpected ? 1 : 0;
    }
    int ost = lc_run_outputs_finish(&outs, doc, output, stdout);
    if (ost == 2)
        status = 2;
    else if (ost == 1 && status == 0)
        status = 1;
out:
    lc_run_outputs_free(&outs);
    if (results)
        for (size_t i = 0; i < plan.n; i++)
            lc_result_clear(&results[i]);
    free(results);
    json_decref(doc);
    json_decref(run_info);
    json_decref(bk);
    json_decref(limits);
    lc_expectations_free(&exp);
    lc_plan_free(&plan);
    free(globs);
    return status;
}
