/* loopcompat diff BASE NEW [--tolerance PCT] [--json] */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_opt.h"
#include "cmd_args.h"
#include "commands.h"
#include "report_io.h"
#include "report_diff.h"
#include "report_load.h"

static const char usage[] =
    "usage: loopcompat diff BASE NEW [--tolerance PCT] [--json]\n"
    "  BASE, NEW        reports (or matrices): files, or http/https/file URLs\n"
    "  --tolerance PCT  report measurement changes beyond PCT percent (default 25)\n"
    "  --json           print the differences as a loopcompat-diff JSON document\n"
    "  -h, --help       show this help\n"
    "Exit status: 1 if a result that was as expected is now unexpected, 0 if not,\n"
    "2 on bad usage or bad input, 3 if a URL could not be fetched.\n";

int lc_diff_parse_args(int argc, char **argv, lc_diff_args *a)
{
    static const struct option longopts[] = {
        {"tolerance", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    a->paths[0] = a->paths[1] = NULL;
    a->as_json = 0;
    a->tolerance_pct = LC_DIFF_DEFAULT_TOLERANCE_PCT;
    /* 0, not 1: glibc then resets all its state (getopt(3)). */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (lc_opt_double("diff", "--tolerance", optarg, 0, 1e9, &a->tolerance_pct) != 0)
                return 2;
            break;
        case 'J': a->as_json = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return lc_cli_getopt_fail("diff", c, argv);
        }
    }
    /* getopt_long has moved the operands after the options. */
    if (argc - optind > 2) {
        lc_cmd_error("diff", "too many arguments: %s (expected BASE NEW)", argv[optind + 2]);
        return 2;
    }
    if (argc - optind != 2) {
        lc_cmd_error("diff", "expected BASE and NEW (see loopcompat diff --help)");
        return 2;
    }
    a->paths[0] = argv[optind];
    a->paths[1] = argv[optind + 1];
    return LC_ARGS_CONTINUE;
}

int lc_cmd_diff(int argc, char **argv)
{
    lc_diff_args a;
    int prc = lc_diff_parse_args(argc, argv, &a);
    if (prc != LC_ARGS_CONTINUE)
        return prc;
    const char *const *paths = a.paths;
    char err[768];
    /* As rows (report_rows.h): two big reports fit in memory. */
    lc_rdoc *base = lc_rdoc_load(paths[0], LC_DOC_ANY, err, sizeof err);
    if (!base) {
        lc_cmd_error("diff", "%s", err);
        return lc_report_fetch_network_failed() ? LC_EXIT_NETWORK : 2;
    }
    lc_rdoc *nw = lc_rdoc_load(paths[1], LC_DOC_ANY, err, sizeof err);
    if (!nw) {
        lc_rdoc_free(base);
        lc_cmd_error("diff", "%s", err);
        return lc_report_fetch_network_failed() ? LC_EXIT_NETWORK : 2;
    }
    int rc = lc_rdiff_run(base, nw, paths[0], paths[1], a.tolerance_pct, a.as_json, stdout, err,
                          sizeof err);
    if (rc == 2)
        lc_cmd_error("diff", "%s", err);
    lc_rdoc_free(base);
    lc_rdoc_free(nw);
    return rc;
}
