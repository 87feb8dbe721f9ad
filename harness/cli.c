/* `loopcompat run`: probe, plan, run, classify, report. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opt.h"
#include "cmd_args.h"
#include "commands.h"
#include "report_io.h"
#include "expectations.h"
#include "journal.h"
#include "plan.h"
#include "probe.h"
#include "report_json.h"
#include "report_load.h"
#include "report_ci.h"
#include "report_dest.h"
#include "run_outputs.h"
#include "run_tmp.h"
#include "runner.h"
#include "term.h"

#define RUN_USAGE                                                                            \
    "loopcompat run [--backend LIST] [--case GLOB] [-j N] [--output FILE] "                 \
    "[--timeout-multiplier X] [--expectations FILE] [--variants LIST] [--stress] [--quiet] " \
    "[--junit FILE] [--tap FILE] [--tap-version 13|14] [--baseline REPORT] "                 \
    "[--baseline-missing=fail|warn] [--resume] "                                             \
    "[--color[=WHEN]]"

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
    else if (optopt_val && arg[0] == '-' && arg[1] == '-' && strchr(arg, '='))
        /* glibc sets optopt to a known long option's val when it was given
         * a value it does not take, and to 0 for an unknown one. */
        snprintf(buf, len, "option '%.*s' takes no value", (int)(strchr(arg, '=') - arg), arg);
    else if (optopt_val && optopt_val < 256 && arg[0] == '-' && arg[1] != '-')
        snprintf(buf, len, "unknown option '-%c'", optopt_val);
    else
        snprintf(buf, len, "unknown option '%s'", arg);
}

int lc_cli_getopt_fail(const char *cmd, int c, char **argv)
{
    char problem[256];
    lc_cli_getopt_problem(c, optopt, argv, optind, problem, sizeof problem);
    lc_cmd_error(cmd, "%s (see loopcompat %s --help)", problem, cmd);
    return 2;
}

typedef struct run_state {
    const lc_expectations *exp;
    json_t *run_info;
    int progress;
    lc_journal *journal;
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
    /* On disk before the next result is taken: a kill loses nothing done. */
    lc_journal_append(st->journal, it, r);
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

int lc_run_parse_args(int argc, char **argv, lc_run_args *a)
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
        {"tap-version", required_argument, NULL, 'P'},
        {"baseline", required_argument, NULL, 'B'},
        {"baseline-missing", required_argument, NULL, 'M'},
        {"resume", no_argument, NULL, 'R'},
        {"color", optional_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    char problem[256];
    memset(a, 0, sizeof *a);
    a->timeout_multiplier = 1;
    a->tap_version = LC_TAP_VERSION_DEFAULT;
    a->globs = calloc((size_t)argc + 1, sizeof *a->globs);
    if (!a->globs) {
        fprintf(stderr, "loopcompat run: out of memory\n");
        return 2;
    }

    /* 0, not 1: glibc then resets all its state, including a half-read
     * "-xyz" cluster left by an earlier call (getopt(3)). */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': a->backends = optarg; break;
        case 'c': a->globs[a->nglobs++] = optarg; break;
        case 'o': a->output = optarg; break;
        case 'e': a->expectations = optarg; break;
        case 's': a->stress = 1; break;
        case 'V': a->variants = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'J': a->junit = optarg; break;
        case 'T': a->tap = optarg; break;
        case 'P':
            if ((a->tap_version = lc_report_tap_version_parse(optarg)) < 0)
                return lc_cli_usage_error("run", RUN_USAGE, "--tap-version: '%s' is not 13 or 14",
                                          optarg);
            break;
        case 'B': a->baseline = optarg; break;
        case 'M':
            if (strcmp(optarg, "fail") != 0 && strcmp(optarg, "warn") != 0)
                return lc_cli_usage_error("run", RUN_USAGE,
                                          "--baseline-missing: '%s' is not fail or warn", optarg);
            a->baseline_missing_warn = optarg[0] == 'w';
            break;
        case 'R': a->resume = 1; break;
        case 'C':
            /* A bare --color is always, as in GNU ls(1). */
            if (!optarg || strcmp(optarg, "always") == 0)
                a->colour = LC_COLOUR_ALWAYS;
            else if (strcmp(optarg, "never") == 0)
                a->colour = LC_COLOUR_NEVER;
            else if (strcmp(optarg, "auto") == 0)
                a->colour = LC_COLOUR_AUTO;
            else
                return lc_cli_usage_error("run", RUN_USAGE, "--color: '%s' is not auto, always or never",
                                          optarg);
            break;
        case 'j':
            if (parse_jobs(optarg, &a->jobs) < 0)
                return lc_cli_usage_error("run", RUN_USAGE, "-j: '%s' is not a number of jobs (1..4096)", optarg);
            break;
        case 't':
            if (parse_multiplier(optarg, &a->timeout_multiplier) < 0)
                return lc_cli_usage_error("run", RUN_USAGE,
                                          "--timeout-multiplier: '%s' is not a positive number", optarg);
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
                   "                          (coarse-timeout: the millisecond wait call;\n"
                   "                          completion: the backend performs stream I/O,\n"
                   "                          on backends that can)\n"
                   "  --stress                also run the stress cases\n"
                   "  -q, --quiet             no matrix, no progress: the summary only\n"
                   "  --color[=WHEN]          colour the matrix: auto (default; a terminal, not\n"
                   "                          TERM=dumb, NO_COLOR unset or empty), always, never\n"
                   "  --junit FILE            also write JUnit XML (one testsuite per backend)\n"
                   "  --tap FILE              also write TAP (version 13 by default)\n"
                   "  --tap-version 13|14     the TAP version: 13 (read by Test::Harness's\n"
                   "                          prove) or 14\n"
                   "  --baseline REPORT       compare with REPORT (file or URL) as `loopcompat\n"
                   "                          diff` does; exit 1 on a regression\n"
                   "  --baseline-missing=fail|warn\n"
                   "                          a baseline that does not exist (no file, HTTP 404):\n"
                   "                          fail (default, exit 2), or warn and run without it\n"
                   "  --resume                finish an interrupted run from FILE.journal: keep\n"
                   "                          its results, run the rest (same options as before)\n"
                   "\nResults are appended to FILE.journal as they complete (fsync'd), so a\n"
                   "killed run loses none: `loopcompat validate FILE.journal` reads it as an\n"
                   "incomplete report.  The report replaces FILE by rename at the end.\n",
                   RUN_USAGE);
            return 0;
        default:
            lc_cli_getopt_problem(c, optopt, argv, optind, problem, sizeof problem);
            return lc_cli_usage_error("run", RUN_USAGE, "%s", problem);
        }
    }
    if (optind < argc)
        return lc_cli_usage_error("run", RUN_USAGE, "unexpected argument '%s'", argv[optind]);
    return LC_ARGS_CONTINUE;
}

void lc_run_args_free(lc_run_args *a)
{
    free(a->globs);
    a->globs = NULL;
}

/* --resume: the journal's results, restored into results; the run's start
 * time is the interrupted run's.  0, or -1 with the message printed. */
static int resume_from_journal(const char *output, const lc_plan *plan, json_t *run_info,
                               lc_result *results, lc_report_info *info, long *restored)
{
    char err[1024];
    char *jpath = lc_journal_path(output);
    if (!jpath) {
        fprintf(stderr, "loopcompat run: out of memory\n");
        return -1;
    }
    lc_doc_kind kind;
    json_t *old = lc_doc_load(jpath, LC_DOC_REPORT, &kind, err, sizeof err);
    free(jpath);
    if (!old) {
        fprintf(stderr, "loopcompat run: --resume: %s\n", err);
        return -1;
    }
    const char *was = json_string_value(json_object_get(json_object_get(old, "run_info"), "platform_id"));
    const char *now = json_string_value(json_object_get(run_info, "platform_id"));
    if (!was || !now || strcmp(was, now) != 0) {
        fprintf(stderr, "loopcompat run: --resume: the journal is from platform %s, this is %s\n",
                was ? was : "(none)", now ? now : "(none)");
        json_decref(old);
        return -1;
    }
    *restored = lc_journal_restore(old, plan, results, err, sizeof err);
    if (*restored < 0) {
        fprintf(stderr, "loopcompat run: --resume: %s\n", err);
        json_decref(old);
        return -1;
    }
    info->time_start_ms = json_integer_value(json_object_get(old, "time_start"));
    json_decref(old);
    return 0;
}

int lc_cmd_run(int argc, char **argv)
{
    lc_run_args a;
    int status = lc_run_parse_args(argc, argv, &a);
    if (status != LC_ARGS_CONTINUE) {
        lc_run_args_free(&a);
        return status;
    }
    status = 2;
    const char *backends = a.backends, *output = a.output, *exp_path = a.expectations,
               *variants = a.variants;
    lc_run_outputs outs = {a.junit, a.tap, a.baseline, NULL, a.tap_version,
                           a.baseline_missing_warn};
    lc_journal journal = {-1, NULL, 0, 0, 0};
    lc_run_tmp rtmp = {"", -1, NULL, 0};
    int keep_journal = 1;
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
        if (lc_report_fetch_network_failed())
            status = LC_EXIT_NETWORK;
        goto out;
    }
    lc_plan_filter filter = {backends, a.nglobs ? a.globs : NULL, a.stress, variants};
    if (lc_plan_build(&plan, NULL, 0, &filter, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", err);
        goto out;
    }
    lc_run_outputs_scope(&outs, &filter);
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
    run_state st = {&exp, run_info, !a.quiet, &journal};
    /* -j is bounded by the open-file limit: each running case costs the
     * harness fds, and a case that cannot start is the harness's failure,
     * not the case's.  The journal's fd is counted in. */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN); /* the runner's default -j */
    int jobs = a.jobs > 0 ? a.jobs : ncpu > 0 ? (int)ncpu : 1;
#ifdef _WIN32
    int max_jobs = lc_runner_max_jobs();
#else
    int journal_fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* stands in for it */
    int max_jobs = journal_fd < 0 ? 0 : lc_runner_max_jobs();
    if (journal_fd >= 0)
        close(journal_fd);
#endif
    if (max_jobs < 1) {
        fprintf(stderr, "loopcompat run: the open-file limit (ulimit -n) is too low to run a case: "
                        "each needs %d fds in the harness\n", 2 * LC_RUNNER_FDS_PER_CASE);
        goto out;
    }
    if (jobs > max_jobs) {
        if (a.jobs > 0)
            fprintf(stderr, "loopcompat run: -j %d lowered to %d: the open-file limit (ulimit -n) "
                            "leaves room for %d cases at %d fds each\n",
                    a.jobs, max_jobs, max_jobs, LC_RUNNER_FDS_PER_CASE);
        jobs = max_jobs;
    }
    lc_runner_opts ro = {jobs, a.timeout_multiplier, on_start, on_result, &st};
    lc_report_info info = {run_info, bk, limits, lc_report_now_ms(), 0, 0};

    char default_path[512];
    if (!output) {
        lc_report_default_path(run_info, default_path, sizeof default_path);
        output = default_path;
    }
    /* Every destination is checked before anything runs: a bad one fails
     * now, not after the run, and leaves nothing behind. */
    if (lc_run_outputs_check(&outs, output, exp_path, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", err);
        goto out;
    }
    int swept = 0;
    if (lc_run_tmp_enter(&rtmp, &swept, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", err);
        goto out;
    }
    /* A note, not a problem: stdout, so that a refusal later on is still
     * the one line on stderr. */
    if (swept)
        printf("removed %d temporary director%s that killed runs left\n", swept,
               swept == 1 ? "y" : "ies");
    /* A report written into a device (/dev/null) is not kept: no journal. */
    int in_place = lc_dest_in_place(output);
    if (in_place && a.resume) {
        fprintf(stderr, "loopcompat run: --resume: %s is not a regular file, so it has no "
                        "journal to resume\n", output);
        goto out;
    }
    /* The journal is made (or reopened) before anything runs: an
     * unwritable or full destination fails now, not after the run. */
    if (in_place) {
        /* nothing to journal */
    } else if (a.resume) {
        long restored = 0;
        if (lc_journal_reopen(&journal, output, err, sizeof err) < 0) {
            fprintf(stderr, "loopcompat run: --resume: %s\n", err);
            goto out;
        }
        if (lc_journal_headerless(&journal)) {
            /* Killed between creating the journal and writing its header:
             * nothing to keep. */
            fprintf(stderr, "loopcompat run: --resume: %s holds no results (an interrupted run "
                            "left it before its header): running every case\n", journal.path);
            if (lc_journal_restart(&journal, &info, err, sizeof err) < 0) {
                fprintf(stderr, "loopcompat run: --resume: %s\n", err);
                goto out;
            }
        } else {
            /* Read and check it before touching it. */
            if (resume_from_journal(output, &plan, run_info, results, &info, &restored) < 0)
                goto out;
            if (lc_journal_cut_torn(&journal, err, sizeof err) < 0) {
                fprintf(stderr, "loopcompat run: --resume: %s\n", err);
                goto out;
            }
            printf("resuming: %ld of %zu results from %s%s\n", restored, plan.n, output,
                   LC_JOURNAL_SUFFIX);
        }
    } else if (lc_journal_create(&journal, output, &info, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", err);
        goto out;
    } else if (journal.restarted) {
        fprintf(stderr, "loopcompat run: %s holds no results (an interrupted run left it before "
                        "its header): starting afresh\n", journal.path);
    }
    int rc = lc_runner_run(&plan, &ro, results);
    lc_term_progress_clear();
    if (rc < 0) {
        fprintf(stderr, "loopcompat run: %s\n", lc_runner_error()[0] ? lc_runner_error() : lc_strerror(rc));
        goto out;
    }
    info.time_end_ms = lc_report_now_ms();
    info.incomplete = rc == LC_RUNNER_INTERRUPTED;
    if (journal.error) {
        fprintf(stderr, "loopcompat run: %s: cannot append to the journal: %s; the report is "
                        "not written\n", journal.path, strerror(journal.error));
        goto out;
    }
    doc = lc_report_build(&info, &plan, results);
    int colour = lc_term_use_colour(stdout, a.colour);
    if (!a.quiet)
        lc_term_matrix(stdout, &plan, results, bk, colour);
    lc_term_unexpected(stdout, &plan, results, colour);
    lc_term_timing(stdout, &plan, results, info.time_end_ms - info.time_start_ms, jobs);
    size_t unexpected = lc_term_summary(stdout, &plan, results);
    if (!doc || lc_report_write(doc, output, err, sizeof err) < 0) {
        fprintf(stderr, "loopcompat run: %s\n", doc ? err : "out of memory");
        goto out;
    }
    printf("report: %s\n", output);
    if (info.incomplete) {
        fprintf(stderr, "loopcompat run: interrupted; the report is marked incomplete (finish "
                        "the run with --resume)\n");
        status = 130;
    } else {
        /* The report is in place: the journal has served. */
        keep_journal = 0;
        status = unexpected ? 1 : 0;
    }
    int ost = lc_run_outputs_finish(&outs, doc, output, stdout);
    if (ost == 2)
        status = 2;
    else if (ost == 1 && status == 0)
        status = 1;
out:
    lc_run_tmp_leave(&rtmp);
    lc_journal_close(&journal, !keep_journal);
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
    lc_run_args_free(&a);
    return status;
}
