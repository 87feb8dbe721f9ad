/* loopcompat render MATRIX|REPORT [--html DIR] [--markdown FILE] */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_opt.h"
#include "cmd_args.h"
#include "commands.h"
#include "expectations.h"
#include "matrix.h"
#include "render.h"
#include "report_dest.h"
#include "report_io.h"
#include "report_load.h"
#include "text.h"

#define USAGE                                                                              \
    "loopcompat render MATRIX|REPORT [--html DIR [--expectations FILE]] "                 \
    "[--markdown FILE [--differences]]"

static const char usage[] =
    "usage: " USAGE "\n"
    "  --html DIR       write a static site: DIR/index.html (the matrix; platforms fold\n"
    "                   to one column), DIR/cases/*.html (a page per case, a panel per\n"
    "                   result), DIR/style.css and DIR/lateness.svg; no network, no\n"
    "                   script needed to read it\n"
    "  --expectations FILE\n"
    "                   the expectations whose notes say why a status is expected\n"
    "                   (default: cases/expectations.json, as run finds it)\n"
    "  --markdown FILE  write a Markdown table for READMEs\n"
    "  --differences    the Markdown lists only the rows where one backend's status\n"
    "                   differs between platforms, with the platforms of each status\n"
    "A report is rendered as a one-platform matrix.\n";

static int write_with(const lc_render *r, int (*fn)(const lc_render *, FILE *),
                      const char *path, char *err, size_t errlen)
{
    lc_report_out o;
    FILE *f = lc_report_out_open(&o, path, err, errlen);
    if (!f)
        return -1;
    return lc_report_out_commit(&o, fn(r, f), "page", path, err, errlen);
}

/* The destinations before the input is read: each must be writable, and
 * none may be the input or the other (the page would replace the report). */
static int check_destinations(const lc_render_args *a, char *err, size_t errlen)
{
    char index[4096] = "", derr[700];
    struct stat st;
    if (a->html) {
        if (!*a->html) {
            snprintf(err, errlen, "--html: '': an empty directory name");
            return -1;
        }
        snprintf(index, sizeof index, "%s/index.html", a->html);
        /* A directory not made yet is made (lc_report_mkdirs) before writing. */
        if (stat(a->html, &st) == 0 && lc_dest_check_output(index, 0, derr, sizeof derr) != 0) {
            snprintf(err, errlen, "--html: %s", derr);
            return -1;
        }
    }
    if (a->markdown && lc_dest_check_output(a->markdown, 0, derr, sizeof derr) != 0) {
        snprintf(err, errlen, "--markdown: %s", derr);
        return -1;
    }
    int url = lc_report_is_url(a->input);
    const char *clash = NULL;
    if (!url && a->markdown && lc_dest_same_file(a->input, a->markdown))
        clash = a->markdown;
    else if (!url && index[0] && lc_dest_same_file(a->input, index))
        clash = index;
    if (clash) {
        snprintf(err, errlen, "%s is both the input and an output: refused", clash);
        return -1;
    }
    if (a->markdown && index[0] && lc_dest_same_file(a->markdown, index) &&
        !(lc_dest_in_place(a->markdown) && lc_dest_in_place(index))) {
        snprintf(err, errlen, "--markdown %s is --html's %s: refused", a->markdown, index);
        return -1;
    }
    return 0;
}

int lc_render_parse_args(int argc, char **argv, lc_render_args *a)
{
    static const struct option longopts[] = {
        {"html", required_argument, NULL, 'H'},
        {"markdown", required_argument, NULL, 'M'},
        {"differences", no_argument, NULL, 'D'},
        {"expectations", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    a->input = a->html = a->markdown = a->expectations = NULL;
    a->differences = 0;
    int c;
    /* 0, not 1: glibc then resets all its state (getopt(3)). */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H': a->html = optarg; break;
        case 'M': a->markdown = optarg; break;
        case 'D': a->differences = 1; break;
        case 'E': a->expectations = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return lc_cli_getopt_fail("render", c, argv);
        }
    }
    if (optind < argc)
        a->input = argv[optind++];
    if (optind < argc)
        return lc_cli_usage_error("render", USAGE, "too many inputs: %s (merge them first)",
                                  argv[optind]);
    if (!a->input || (!a->html && !a->markdown))
        return lc_cli_usage_error("render", USAGE,
                                  "expected MATRIX|REPORT and --html DIR and/or --markdown FILE");
    if (a->differences && !a->markdown)
        return lc_cli_usage_error("render", USAGE, "--differences applies to --markdown FILE");
    if (a->expectations && !a->html)
        return lc_cli_usage_error("render", USAGE, "--expectations applies to --html DIR");
    return LC_ARGS_CONTINUE;
}

int lc_cmd_render(int argc, char **argv)
{
    lc_render_args a;
    int prc = lc_render_parse_args(argc, argv, &a);
    if (prc != LC_ARGS_CONTINUE)
        return prc;
    const char *input = a.input, *html = a.html, *markdown = a.markdown;
    char err[768];
    if (check_destinations(&a, err, sizeof err) != 0) {
        lc_cmd_error("render", "%s", err);
        return 2;
    }
    /* The document as rows (report_rows.h): a big one fits in memory. */
    lc_rdoc *doc = lc_rdoc_load(input, LC_DOC_ANY, err, sizeof err), *matrix = doc;
    if (!doc) {
        lc_cmd_error("render", "%s", err);
        return 2;
    }
    if (doc->kind == LC_DOC_REPORT) {
        /* The name is kept in the matrix (and shown on the page): a URL
         * goes without its credentials. */
        char shown[1024];
        lc_url_redact(input, shown, sizeof shown);
        lc_rdoc *const docs[1] = {doc};
        const char *const names[1] = {shown};
        matrix = lc_rdoc_merge(docs, names, 1, NULL, NULL, err, sizeof err);
        if (!matrix) {
            lc_rdoc_free(doc);
            lc_cmd_error("render", "%s", err);
            return 2;
        }
    }
    int rc = 2;
    lc_render r;
    lc_expectations exp = {0};
    int have_exp = 0;
    if (lc_render_init_rows(&r, matrix) != 0) {
        lc_cmd_error("render", "out of memory");
        goto out;
    }
    if (html) {
        const char *ep = a.expectations ? a.expectations : lc_expectations_default_path();
        if (ep && lc_expectations_load(&exp, ep, err, sizeof err) != 0) {
            lc_cmd_error("render", "%s", err);
            goto out;
        }
        have_exp = ep != NULL;
        r.exp = have_exp ? &exp : NULL;
    }
    if (html) {
        size_t pages = 0;
        if (lc_render_site(&r, html, &pages, err, sizeof err) != 0) {
            lc_cmd_error("render", "%s", err);
            goto out;
        }
        printf("html: %s/index.html and %zu case pages (%zu rows x %zu columns = %zu cells, "
               "%zu notes)\n",
               lc_text_show(html), pages - 1, r.nrows, r.ncols, r.nrows * r.ncols,
               json_array_size(r.notes));
    }
    if (markdown) {
        if (write_with(&r, a.differences ? lc_render_markdown_differences : lc_render_markdown,
                       markdown, err, sizeof err) != 0) {
            lc_cmd_error("render", "%s", err);
            goto out;
        }
        printf("markdown: %s\n", lc_text_show(markdown));
    }
    rc = 0;
out:
    if (have_exp)
        lc_expectations_free(&exp);
    lc_render_free(&r);
    if (matrix != doc)
        lc_rdoc_free(matrix);
    lc_rdoc_free(doc);
    return rc;
}
