/* loopcompat render MATRIX|REPORT [--html DIR] [--markdown FILE] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_opt.h"
#include "cmd_args.h"
#include "commands.h"
#include "matrix.h"
#include "render.h"
#include "report_dest.h"
#include "report_io.h"
#include "report_load.h"
#include "text.h"

static const char usage[] =
    "usage: loopcompat render MATRIX|REPORT [--html DIR] [--markdown FILE [--differences]]\n"
    "  --html DIR       write DIR/index.html: one self-contained page (no fetches)\n"
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
    a->input = a->html = a->markdown = NULL;
    a->differences = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int m;
        if ((m = lc_opt_value("render", argc, argv, &i, "--html", &v)) != 0) {
            if (m < 0)
                return 2;
            a->html = v;
        } else if ((m = lc_opt_value("render", argc, argv, &i, "--markdown", &v)) != 0) {
            if (m < 0)
                return 2;
            a->markdown = v;
        } else if (strcmp(argv[i], "--differences") == 0) {
            a->differences = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            lc_cmd_error("render", "unknown option %s (see loopcompat render --help)", argv[i]);
            return 2;
        } else if (!a->input) {
            a->input = argv[i];
        } else {
            lc_cmd_error("render", "too many inputs: %s (merge them first)", argv[i]);
            return 2;
        }
    }
    if (!a->input || (!a->html && !a->markdown)) {
        lc_cmd_error("render", "expected MATRIX|REPORT and --html DIR and/or --markdown FILE");
        return 2;
    }
    if (a->differences && !a->markdown) {
        lc_cmd_error("render", "--differences applies to --markdown FILE");
        return 2;
    }
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
    if (lc_render_init_rows(&r, matrix) != 0) {
        lc_cmd_error("render", "out of memory");
        goto out;
    }
    if (html) {
        char path[4096];
        if (lc_report_mkdirs(html, err, sizeof err) != 0) {
            lc_cmd_error("render", "%s", err);
            goto out;
        }
        snprintf(path, sizeof path, "%s/index.html", html);
        if (write_with(&r, lc_render_html, path, err, sizeof err) != 0) {
            lc_cmd_error("render", "%s", err);
            goto out;
        }
        printf("html: %s (%zu rows x %zu columns = %zu cells, %zu notes)\n", lc_text_show(path), r.nrows,
               r.ncols, r.nrows * r.ncols, json_array_size(r.notes));
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
    lc_render_free(&r);
    if (matrix != doc)
        lc_rdoc_free(matrix);
    lc_rdoc_free(doc);
    return rc;
}
