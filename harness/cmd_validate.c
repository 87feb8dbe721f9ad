/* loopcompat validate FILE|URL...: the strict loader's verdict. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_opt.h"
#include "cmd_args.h"
#include "commands.h"
#include "report_io.h"
#include "report_rows.h"
#include "text.h"

static const char usage[] =
    "usage: loopcompat validate FILE|URL...\n"
    "Checks each report or matrix against its format (loopcompat-report v1,\n"
    "loopcompat-matrix v1) and prints \"ok: ...\" or the first offending field.\n"
    "  FILE|URL    files, or http/https/file URLs\n"
    "  -h, --help  show this help\n"
    "Exit status: 0 if all are valid, 2 otherwise (3 if only URLs could not be\n"
    "fetched).\n";

int lc_validate_parse_args(int argc, char **argv, int *first)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    /* 0, not 1: glibc then resets all its state (getopt(3)). */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c != 'h')
            return lc_cli_getopt_fail("validate", c, argv);
        fputs(usage, stdout);
        return 0;
    }
    if (optind >= argc) {
        lc_cmd_error("validate", "expected a FILE or URL (see loopcompat validate --help)");
        return 2;
    }
    /* getopt_long has moved the operands after the options. */
    *first = optind;
    return LC_ARGS_CONTINUE;
}

int lc_cmd_validate(int argc, char **argv)
{
    int bad = 0, unreached = 0, first = 1;
    int prc = lc_validate_parse_args(argc, argv, &first);
    if (prc != LC_ARGS_CONTINUE)
        return prc;
    for (int i = first; i < argc; i++) {
        char err[768];
        lc_rdoc *doc = lc_rdoc_load(argv[i], LC_DOC_ANY, err, sizeof err);
        if (!doc) {
            lc_cmd_error("validate", "%s", err);
            unreached += lc_report_fetch_network_failed();
            bad++;
            continue;
        }
        if (doc->kind == LC_DOC_MATRIX)
            printf("ok: matrix v1, %zu platforms, %zu results: %s\n",
                   json_object_size(json_object_get(doc->head, "platforms")), doc->n,
                   lc_text_url(argv[i]));
        else
            printf("ok: report v1, %zu results: %s\n", doc->n, lc_text_url(argv[i]));
        lc_rdoc_free(doc);
    }
    /* A bad document is 2 even when another URL was unreachable: the
     * input is wrong whatever a retry brings. */
    return bad > unreached ? 2 : bad ? LC_EXIT_NETWORK : 0;
}
