/* Rendering a matrix for people: the table model the HTML and Markdown
 * writers share.
 *
 * Rows are (case, variant) grouped by area (the part of the case id before
 * '/'); columns are (platform, backend) for every backend available on a
 * platform.  Each cell is one result, or none.  The documentation behind
 * each UNSUPPORTED becomes a numbered note, numbered in reading order. */
#ifndef LC_RENDER_H
#define LC_RENDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "report_rows.h"

struct lc_expectations;

#ifdef __cplusplus
extern "C" {
#endif

struct lc_render_col {
    const char *platform;
    const char *backend;
};

struct lc_render_row {
    const char *case_id;
    const char *variant; /* NULL if none */
    char area[64];
};

typedef struct lc_render {
    const json_t *matrix; /* the matrix's top level (platforms, generator) */
    const lc_rdoc *doc;
    lc_rdoc *owned; /* what lc_render_init made from a json_t */
    struct lc_render_col *cols;
    size_t ncols;
    struct lc_render_row *rows;
    size_t nrows;
    struct lc_rowmap cells; /* (platform, backend, case, variant) -> result */
    json_t *notes;          /* refs texts; note number = index + 1 */
    json_t *note_numbers;   /* refs text -> note number */
    /* For the site (render_site.h), optional: the expectations, for the
     * note that says why a status is expected. */
    const struct lc_expectations *exp;
} lc_render;

/* 0, or -1 when out of memory. */
int lc_render_init(lc_render *r, const json_t *matrix);
/* The same on a matrix held as rows; m must outlive r. */
int lc_render_init_rows(lc_render *r, const lc_rdoc *m);
void lc_render_free(lc_render *r);

/* The result in a cell, or NULL. */
const struct lc_row *lc_render_cell(const lc_render *r, size_t row, size_t col);
/* The note number of a result's refs (UNSUPPORTED with refs), else 0. */
int lc_render_note(const lc_render *r, const json_t *result);

/* A symbol per status, so a cell reads without colour. */
const char *lc_render_symbol(const char *status);
/* One line per status for the legend. */
const char *lc_render_meaning(const char *status);

/* "p50 12 / p99 80 us", "1024 fd (EMFILE)", "3 events". */
void lc_render_measurement(const json_t *m, char *buf, size_t len);
/* "soft 1024 / hard 524288 fd", "1024 fd". */
void lc_render_limit(const json_t *limit, char *buf, size_t len);


/* The site under dir (render_site.c): index.html, style.css, a page per
 * case, lateness.svg.  0 with the number of pages, or -1 with err. */
int lc_render_site(const lc_render *r, const char *dir, size_t *pages, char *err, size_t errlen);

/* The writers. 0, or -1 with err.  lc_render_html writes the site's
 * matrix page (render_html.c). */
int lc_render_html(const lc_render *r, FILE *out);
int lc_render_markdown(const lc_render *r, FILE *out);
/* Only what differs between platforms: for each row and backend whose
 * results disagree across the platforms that ran it, the platforms of each
 * status (render_md_diff.c).  Backends a platform lacks are no difference. */
int lc_render_markdown_differences(const lc_render *r, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
