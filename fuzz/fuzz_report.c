/* The strict report loader (validate, diff, merge, render, publish read
 * reports through it), then what the tools do with a report it accepted:
 * a document the loader lets through must not crash them. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "matrix.h"
#include "render.h"
#include "report_diff.h"
#include "report_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[768];
    lc_doc_kind kind;
    json_t *doc = lc_doc_parse("in.json", (const char *)data, size, LC_DOC_REPORT, &kind, err,
                               sizeof err);
    if (!doc) {
        lc_fuzz_one_line("lc_doc_parse", err);
        return 0;
    }
    if (kind != LC_DOC_REPORT)
        abort();
    /* What the loader accepts survives a round trip through the writer. */
    char *text = json_dumps(doc, JSON_COMPACT);
    if (text) {
        json_t *again = lc_doc_parse("again.json", text, strlen(text), LC_DOC_REPORT, NULL, err,
                                     sizeof err);
        if (!again) {
            fprintf(stderr, "accepted once, refused after a round trip: %s\n", err);
            abort();
        }
        json_decref(again);
        free(text);
    }
    if (lc_diff_run(doc, doc, "base", "new", 10, 0, lc_fuzz_sink(), err, sizeof err) != 0) {
        fprintf(stderr, "a report differs from itself: %s\n", err);
        abort();
    }
    json_t *m = lc_matrix_from_report(doc, "in.json", err, sizeof err);
    if (m) {
        lc_render r;
        if (lc_render_init(&r, m) == 0) {
            lc_render_html(&r, lc_fuzz_sink());
            lc_render_markdown(&r, lc_fuzz_sink());
        }
        lc_render_free(&r);
        json_decref(m);
    } else {
        lc_fuzz_one_line("lc_matrix_from_report", err);
    }
    json_decref(doc);
    return 0;
}
