/* `loopcompat list` and `loopcompat info`: what is compiled in, and what
 * this host offers. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "json_flags.h"
#include "cli.h"
#include "cmd_args.h"
#include "commands.h"
#include "lc_case.h"
#include "probe.h"
#include "text.h"

#define LIST_USAGE "loopcompat list"
#define INFO_USAGE "loopcompat info [--json]"

/* Parse options that are only --help and, optionally, --json. */
int lc_simple_parse_args(int argc, char **argv, const char *cmd, const char *usage, int allow_json,
                         int *json_out, int *help_out)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    char problem[256];
    int c;
    /* 0, not 1: glibc then resets all its state, including a half-read
     * "-xyz" cluster left by an earlier call (getopt(3)). */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            *help_out = 1;
        } else if (c == 'J' && allow_json) {
            *json_out = 1;
        } else {
            if (c == 'J')
                snprintf(problem, sizeof problem, "unknown option '--json'");
            else
                lc_cli_getopt_problem(c, optopt, argv, optind, problem, sizeof problem);
            return lc_cli_usage_error(cmd, usage, "%s", problem);
        }
    }
    if (optind < argc)
        return lc_cli_usage_error(cmd, usage, "unexpected argument '%s'", argv[optind]);
    return 0;
}

static void print_backends(json_t *bk)
{
    const char *name;
    json_t *b;
    json_object_foreach(bk, name, b)
    {
        if (json_is_true(json_object_get(b, "available"))) {
            printf("  %-10s available (timeout granularity %lld ns)\n", lc_text_show(name),
                   (long long)json_integer_value(json_object_get(b, "timeout_granularity_ns")));
            const char *fname;
            json_t *f;
            json_object_foreach(json_object_get(b, "features"), fname, f)
            {
                if (!json_is_true(json_object_get(f, "available")))
                    printf("  %-10s   without %s (Linux %s): %s%s%s\n", "", fname,
                           json_string_value(json_object_get(f, "since")),
                           json_string_value(json_object_get(f, "probe")),
                           json_object_get(f, "errno") ? ": " : "",
                           json_object_get(f, "errno") ? json_string_value(json_object_get(f, "errno")) : "");
            }
        } else {
            json_t *r = json_object_get(b, "reason");
            printf("  %-10s not available: %s: %s\n", lc_text_show(name),
                   lc_text_show(json_string_value(json_object_get(r, "code"))),
                   lc_text_show(json_string_value(json_object_get(r, "message"))));
        }
    }
}

int lc_cmd_list(int argc, char **argv)
{
    int json_flag = 0, help = 0;
    int rc = lc_simple_parse_args(argc, argv, "list", LIST_USAGE, 0, &json_flag, &help);
    if (rc)
        return rc;
    if (help) {
        printf("usage: %s\n\nThe cases compiled in (id and the behaviour observed), and the backends.\n",
               LIST_USAGE);
        return 0;
    }
    size_t n = lc_case_count(), w = 0;
    for (size_t i = 0; i < n; i++)
        if (strlen(lc_case_at(i)->id) > w)
            w = strlen(lc_case_at(i)->id);
    printf("cases (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        const lc_case *c = lc_case_at(i);
        printf("  %-*s  %s", (int)w, lc_text_show(c->id), lc_text_show(c->summary));
        if (c->variants && c->variants[0]) {
            printf(" [variants:");
            for (size_t v = 0; c->variants[v]; v++)
                printf(" %s", lc_text_show(c->variants[v]));
            printf("]");
        }
        if (c->flags & LC_CASE_STRESS)
            printf(" [stress]");
        printf("\n");
    }
    json_t *bk = lc_probe_backends();
    printf("backends:\n");
    print_backends(bk);
    json_decref(bk);
    return 0;
}

int lc_cmd_info(int argc, char **argv)
{
    int json_flag = 0, help = 0;
    int rc = lc_simple_parse_args(argc, argv, "info", INFO_USAGE, 1, &json_flag, &help);
    if (rc)
        return rc;
    if (help) {
        printf("usage: %s\n\nHost facts (the report's run_info and platform_limits) and backend "
               "availability.\n  --json  print them as JSON\n",
               INFO_USAGE);
        return 0;
    }
    json_t *run_info = lc_probe_run_info(), *limits = lc_probe_platform_limits(),
           *bk = lc_probe_backends();
    if (json_flag) {
        json_t *doc = json_pack("{s:O, s:O, s:O}", "run_info", run_info, "platform_limits", limits,
                                "backends", bk);
        json_dumpf(doc, stdout, JSON_INDENT(2) | LC_JSON_REALS);
        putchar('\n');
        json_decref(doc);
    } else {
        const char *key;
        json_t *v;
        printf("host:\n");
        json_object_foreach(run_info, key, v)
        {
            if (json_is_string(v))
                printf("  %-22s %s\n", lc_text_show(key), lc_text_show(json_string_value(v)));
            else
                printf("  %-22s %lld\n", lc_text_show(key), (long long)json_integer_value(v));
        }
        printf("limits:\n");
        json_object_foreach(limits, key, v)
        {
            const char *unit = json_string_value(json_object_get(v, "unit"));
            if (json_object_get(v, "soft")) {
                json_t *soft = json_object_get(v, "soft"), *hard = json_object_get(v, "hard");
                printf("  %-17s soft ", lc_text_show(key));
                json_is_null(soft) ? printf("unlimited") : printf("%lld", (long long)json_integer_value(soft));
                printf(", hard ");
                json_is_null(hard) ? printf("unlimited") : printf("%lld", (long long)json_integer_value(hard));
                printf(" %s\n", lc_text_show(unit));
            } else {
                printf("  %-17s %lld %s\n", lc_text_show(key),
                       (long long)json_integer_value(json_object_get(v, "value")), lc_text_show(unit));
            }
        }
        printf("backends:\n");
        print_backends(bk);
    }
    json_decref(run_info);
    json_decref(limits);
    json_decref(bk);
    return 0;
}
