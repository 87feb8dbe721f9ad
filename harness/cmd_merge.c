/* loopcompat merge REPORT... -o MATRIX */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opt.h"
#include "cmd_args.h"
#include "commands.h"
#include "matrix.h"
#include "report_dest.h"
#include "report_io.h"
#include "report_load.h"
#include "text.h"

static const char usage[] =
    "usage: loopcompat merge REPORT... -o MATRIX\n"
    "Merges run reports (and matrices) into one loopcompat-matrix v1 document.\n"
    "Runs with the same platform_id must have identical run_info, or the merge is\n"
    "refused; within a platform the later run wins per (case, backend, variant).\n"
    "  REPORT...              reports or matrices: files, or http/https/file URLs\n"
    "  -o, --output MATRIX    the matrix to write (atomically; not one of the inputs)\n"
    "  -h, --help             show this help\n";

int lc_merge_parse_args(int argc, char **argv, lc_merge_args *a)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    a->out = NULL;
    a->n = 0;
    /* 0, not 1: glibc then resets all its state (getopt(3)). */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return lc_cli_getopt_fail("merge", c, argv);
        }
    }
    /* getopt_long has moved the operands after the options. */
    for (int i = optind; i < argc; i++)
        a->inputs[a->n++] = argv[i];
    if (!a->out || a->n == 0) {
        lc_cmd_error("merge", "expected REPORT... and -o MATRIX (see loopcompat merge --help)");
        return 2;
    }
    return LC_ARGS_CONTINUE;
}

int lc_cmd_merge(int argc, char **argv)
{
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    lc_rdoc **docs = calloc((size_t)argc, sizeof *docs);
    /* How each input is named in the matrix ("sources") and in messages: a
     * URL without its credentials. */
    char **names = calloc((size_t)argc, sizeof *names);
    size_t n = 0;
    int rc = 2;
    if (!inputs || !docs || !names) {
        lc_cmd_error("merge", "out of memory");
        goto done;
    }
    lc_merge_args a = {NULL, inputs, 0};
    int prc = lc_merge_parse_args(argc, argv, &a);
    if (prc != LC_ARGS_CONTINUE) {
        rc = prc;
        goto done;
    }
    const char *out = a.out;
    n = a.n;
    char err[768];
    /* The destination before the inputs are read: a bad one fails at once,
     * and an input is never replaced by the matrix. */
    if (lc_dest_check_output(out, 0, err, sizeof err) != 0) {
        lc_cmd_error("merge", "-o: %s", err);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!lc_report_is_url(inputs[i]) && lc_dest_same_file(inputs[i], out)) {
            lc_cmd_error("merge", "%s is both an input and the output (-o): refused", out);
            goto done;
        }
    for (size_t i = 0; i < n; i++) {
        size_t len = lc_url_redact(inputs[i], NULL, 0);
        if (!(names[i] = malloc(len + 1))) {
            lc_cmd_error("merge", "out of memory");
            goto done;
        }
        lc_url_redact(inputs[i], names[i], len + 1);
        docs[i] = lc_rdoc_load(inputs[i], LC_DOC_ANY, err, sizeof err);
        if (!docs[i]) {
            lc_cmd_error("merge", "%s", err);
            goto done;
        }
    }
    /* Rows in, rows out (report_rows.h): written one result at a time. */
    lc_matrix_stats st;
    lc_rdoc *matrix =
        lc_rdoc_merge(docs, (const char *const *)names, n, stdout, &st, err, sizeof err);
    if (!matrix) {
        lc_cmd_error("merge", "%s", err);
        goto done;
    }
    lc_report_out o;
    FILE *f = lc_report_out_open(&o, out, err, sizeof err);
    int w = f ? lc_report_out_commit(&o, lc_rdoc_write(matrix, f), "matrix", out, err, sizeof err)
              : -1;
    lc_rdoc_free(matrix);
    if (w != 0) {
        lc_cmd_error("merge", "%s", err);
        goto done;
    }
    printf("merged %zu inputs into %s: %zu platforms, %zu results (%zu replaced by later runs)\n",
           st.inputs, lc_text_show(out), st.platforms, st.results, st.replaced);
    rc = 0;
done:
    for (size_t i = 0; docs && i < n; i++)
        lc_rdoc_free(docs[i]);
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(docs);
    free(inputs);
    return rc;
}
