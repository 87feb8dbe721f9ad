/* loopcompat diff BASE NEW [--tolerance PCT] [--json] */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli_opt.h"
#include "cmd_args.h"
#include "commands.h"
#include "report_io.h"
#include "report_diff.h"
#include "report_load.h"

static const char usage[] =
    "usage: loopcompat diff BASE NEW [--tolerance PCT] [--json]\n"
    "  BASE, NEW    reports (or matrices): files, or http/https/file URLs\n"
    "  --tolerance  report measurement changes beyond PCT percent (default 25)\n"
    "  --json       print the differences as a loopcompat-diff JSON document\n"
    "Exit status: 1 if a result that was as expected is now unexpected, 0 if not,\n"
    "2 on bad usage or bad input.\n";

int lc_diff_parse_args(int argc, char **argv, lc_diff_args *a)
{
    int npaths = 0;
    a->paths[0] = a->paths[1] = NULL;
    a->as_json = 0;
    a->tolerance_pct = LC_DIFF_DEFAULT_TOLERANCE_PCT;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int m = lc_opt_value("diff", argc, argv, &i, "--tolerance", &v);
        if (m < 0)
            return 2;
        if (m) {
            if (lc_opt_double("diff", "--tolerance", v, 0, 1e9, &a->tolerance_pct) != 0)
                return 2;
        } else if (strcmp(argv[i], "--json") == 0) {
            a->as_json = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            lc_cmd_error("diff", "unknown option %s (see loopcompat diff --help)", argv[i]);
            return 2;
        } else if (npaths < 2) {
            a->paths[npaths++] = argv[i];
        } else {
            lc_cmd_error("diff", "too many arguments: %s (expected BASE NEW)", argv[i]);
            return 2;
        }
    }
    if (npaths != 2) {
        lc_cmd_error("diff", "expected BASE and NEW (see loopcompat diff --help)");
        return 2;
    }
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
