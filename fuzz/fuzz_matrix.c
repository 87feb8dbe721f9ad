/* The strict matrix loader, then merge and render of what it accepted. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "matrix.h"
#include "render.h"
#include "report_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[768];
    json_t *doc = lc_doc_parse("in.json", (const char *)data, size, LC_DOC_MATRIX, NULL, err,
                               sizeof err);
    if (!doc) {
        lc_fuzz_one_line("lc_doc_parse", err);
        return 0;
    }
    /* A matrix merged with itself: the same platforms and results. */
    json_t *docs[2] = {doc, doc};
    const char *names[2] = {"a.json", "b.json"};
    lc_matrix_stats st;
    json_t *m = lc_matrix_merge(docs, names, 2, NULL, &st, err, sizeof err);
    if (m) {
        if (json_array_size(json_object_get(m, "results")) !=
            json_array_size(json_object_get(doc, "results"))) {
            fprintf(stderr, "merging a matrix with itself changed its results\n");
            abort();
        }
        json_decref(m);
    } else {
        lc_fuzz_one_line("lc_matrix_merge", err);
    }
    lc_render r;
    if (lc_render_init(&r, doc) == 0) {
        lc_render_html(&r, lc_fuzz_sink());
        lc_render_markdown(&r, lc_fuzz_sink());
    }
    lc_render_free(&r);
    json_decref(doc);
    return 0;
}
