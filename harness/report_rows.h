/* A checked report or matrix held compactly, for the tools that read big
 * documents (validate, diff, merge, render).
 *
 * jansson spends one to two KiB per result object (a hashtable each), so a
 * 300 000-row report held as one json_t tree needs about 1.5 GB.  Here the
 * document's top level stays a json_t ("head": everything but the results,
 * with "results": []), and each result is one row of about 48 bytes: its
 * identity, status and unexpected as fields (strings interned in an
 * arena), and the rest of what a matrix result holds (expected,
 * known_intermittent, message, refs, measurements, and since format_minor 2
 * evidence and duration_ms) as one interned compact JSON text, which rows
 * with the same outcome share when they have no duration.  A consumer turns a row back into a json_t matrix result while it looks at
 * it, so at most a few rows are jansson objects at a time
 * (docs/reliability.md, "Scale"). */
#ifndef LC_REPORT_ROWS_H
#define LC_REPORT_ROWS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "report_load.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lc_row {
    const char *platform; /* a report's rows: its run_info.platform_id */
    const char *case_id;
    const char *backend;
    const char *variant; /* NULL when none */
    const char *rest;     /* the other fields, compact JSON (interned) */
    unsigned char status; /* index into lc_report_statuses */
    unsigned char unexpected;
    unsigned char has_refs;
};

struct lc__arena;
struct lc__strset;

typedef struct lc_rdoc {
    lc_doc_kind kind;
    json_t *head; /* the document without its results ("results": []) */
    struct lc_row *rows;
    size_t n, cap;
    struct lc__arena *arena;
    struct lc__strset *names;
} lc_rdoc;

/* An empty document of the given kind around head (stolen).  NULL when
 * out of memory. */
lc_rdoc *lc_rdoc_new(lc_doc_kind kind, json_t *head);
void lc_rdoc_free(lc_rdoc *d);

/* Appends a result already checked against d's kind.  0, or -1 when out of
 * memory. */
int lc_rdoc_add(lc_rdoc *d, const json_t *result);
/* Appends a row of another document; its strings stay that document's,
 * which must outlive d.  0 or -1. */
int lc_rdoc_add_row(lc_rdoc *d, const struct lc_row *row);

/* A checked json_t document as rows.  NULL when out of memory. */
lc_rdoc *lc_rdoc_from_json(const json_t *doc);
/* A matrix's rows as a json_t matrix (new reference), or NULL. */
json_t *lc_rdoc_to_json(const lc_rdoc *d);

/* The row's result as a json_t (new reference; NULL only when out of
 * memory). */
json_t *lc_row_json(const struct lc_row *row);

/* Writes a matrix exactly as lc_json_dumps_flat(lc_rdoc_to_json(d))
 * (json_flat.h) followed by a newline would, one row at a time.  0 or -1. */
int lc_rdoc_write(const lc_rdoc *d, FILE *out);

/* Reads (path or URL), parses and checks a document as rows; errors and
 * their wording are lc_doc_load's.  NULL with err. */
lc_rdoc *lc_rdoc_load(const char *src, lc_doc_kind want, char *err, size_t errlen);

/* Makes room for item n of a realloc'd array *items of cap items of size
 * bytes, doubling cap.  0, or -1 when out of memory. */
int lc__grow(void *items, size_t *cap, size_t n, size_t size);

/* Rows by identity: a hash of row indices into a rows array the caller
 * passes each time.  Keys compare by content, so rows of two documents
 * match. */
enum lc_rowkey {
    LC_ROWKEY_FULL,        /* platform, case, backend, variant */
    LC_ROWKEY_NO_PLATFORM, /* case, backend, variant */
    LC_ROWKEY_CELL_ROW     /* case, variant: a rendered table's row */
};
struct lc_rowmap {
    enum lc_rowkey key;
    uint32_t *slots; /* row index + 1; 0 is empty */
    size_t cap, used;
};
void lc_rowmap_init(struct lc_rowmap *m, enum lc_rowkey key);
void lc_rowmap_free(struct lc_rowmap *m);
/* The index of the row matching probe's key in rows, or SIZE_MAX. */
size_t lc_rowmap_find(const struct lc_rowmap *m, const struct lc_row *rows,
                      const struct lc_row *probe);
/* Adds rows[i] (its key not yet present).  0, or -1 when out of memory. */
int lc_rowmap_put(struct lc_rowmap *m, const struct lc_row *rows, size_t i);

#ifdef __cplusplus
}
#endif
#endif
