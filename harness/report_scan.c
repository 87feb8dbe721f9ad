/* Loading a big document as rows without a json_t of the whole.
 *
 * A byte-level scan finds the top-level "results" array and each of its
 * elements (it follows strings, escapes and nesting only to find
 * boundaries; jansson judges every byte).  The top level without the
 * results' contents is parsed and checked as a document with no results,
 * then each result is parsed alone, checked, turned into a row and freed.
 * The scan only recognises well-formed documents: anything it or a check
 * does not accept sends the whole document through lc_doc_parse, so every
 * error reads exactly as it always has. */
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "report_io.h"
#include "report_rows.h"

/* Deeper than any valid result (result, measurements, one measurement);
 * jansson's own limit (2048) then cannot differ between a result parsed
 * alone and the same result inside the document. */
#define MAX_DEPTH 32

struct span {
    size_t start, end; /* [start, end) */
};

struct scan {
    const char *p;
    size_t len, i;
    struct span *items;
    size_t n, cap;
    size_t open, close; /* the results array's '[' and ']' */
    int found;
};

static void ws(struct scan *s)
{
    while (s->i < s->len && strchr(" \t\n\r", s->p[s->i]) && s->p[s->i])
        s->i++;
}

static int at(struct scan *s, char ch)
{
    ws(s);
    if (s->i < s->len && s->p[s->i] == ch) {
        s->i++;
        return 1;
    }
    return 0;
}

static int skip_string(struct scan *s)
{
    for (s->i++; s->i < s->len; s->i++) {
        if (s->p[s->i] == '\\')
            s->i++;
        else if (s->p[s->i] == '"')
            return s->i++, 0;
    }
    return -1;
}

/* Any value: its end, not its validity (jansson parses it later). */
static int skip_value(struct scan *s)
{
    ws(s);
    if (s->i >= s->len)
        return -1;
    char ch = s->p[s->i];
    if (ch == '"')
        return skip_string(s);
    if (ch != '{' && ch != '[') {
        size_t from = s->i;
        while (s->i < s->len && !strchr(",}] \t\n\r", s->p[s->i]) && s->p[s->i])
            s->i++;
        return s->i > from ? 0 : -1;
    }
    int depth = 0;
    for (; s->i < s->len; s->i++) {
        ch = s->p[s->i];
        if (ch == '"') {
            if (skip_string(s) != 0)
                return -1;
            s->i--;
        } else if (ch == '{' || ch == '[') {
            if (++depth > MAX_DEPTH)
                return -1;
        } else if (ch == '}' || ch == ']') {
            if (--depth == 0)
                return s->i++, 0;
        }
    }
    return -1;
}

static int push(struct scan *s, size_t start)
{
    if (lc__grow(&s->items, &s->cap, s->n, sizeof *s->items) != 0)
        return -1;
    s->items[s->n++] = (struct span){start, s->i};
    return 0;
}

static int scan_results(struct scan *s)
{
    if (s->found)
        return -1;
    s->found = 1;
    s->open = s->i - 1;
    if (at(s, ']')) {
        s->close = s->i - 1;
        return 0;
    }
    do {
        ws(s);
        size_t start = s->i;
        if (skip_value(s) != 0 || push(s, start) != 0)
            return -1;
    } while (at(s, ','));
    if (!at(s, ']'))
        return -1;
    s->close = s->i - 1;
    return 0;
}

/* {"key": value, ...} at the top, results found; 0 or -1. */
static int scan_top(struct scan *s)
{
    if (!at(s, '{'))
        return -1;
    if (at(s, '}'))
        return -1; /* no results */
    do {
        ws(s);
        size_t key = s->i;
        if (s->i >= s->len || s->p[s->i] != '"' || skip_string(s) != 0)
            return -1;
        int is_results = s->i - key == 9 && memcmp(s->p + key, "\"results\"", 9) == 0;
        if (!at(s, ':'))
            return -1;
        ws(s);
        if (is_results && (s->i >= s->len || s->p[s->i] != '['))
            return -1; /* not an array: the full check says so */
        if (is_results) {
            s->i++;
            if (scan_results(s) != 0)
                return -1;
        } else if (skip_value(s) != 0) {
            return -1;
        }
    } while (at(s, ','));
    if (!at(s, '}'))
        return -1;
    ws(s);
    return s->i == s->len && s->found ? 0 : -1;
}

/* NULL: not loadable this way (the caller falls back). */
static lc_rdoc *fast_parse(const char *data, size_t len, lc_doc_kind want)
{
    struct scan s = {.p = data, .len = len};
    lc_rdoc *d = NULL;
    char *top = NULL;
    if (scan_top(&s) != 0)
        goto fail;
    /* The top level with an empty results array; the same keys, so
     * duplicates are still found. */
    size_t tl = len - (s.close - s.open - 1);
    top = malloc(tl);
    if (!top)
        goto fail;
    memcpy(top, data, s.open + 1);
    memcpy(top + s.open + 1, data + s.close, len - s.close);
    json_t *head = json_loadb(top, tl, JSON_REJECT_DUPLICATES, NULL);
    free(top);
    char err[400];
    int kind = head ? lc_doc_check(head, want, err, sizeof err) : -1;
    if (kind < 0) {
        json_decref(head);
        goto fail;
    }
    d = lc_rdoc_new((lc_doc_kind)kind, head);
    struct lc_rowmap seen;
    lc_rowmap_init(&seen, LC_ROWKEY_FULL);
    int ok = d != NULL;
    for (size_t i = 0; ok && i < s.n; i++) {
        json_t *r = json_loadb(data + s.items[i].start, s.items[i].end - s.items[i].start,
                               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        ok = r && lc_doc_check_result(d->head, d->kind, i, r, err, sizeof err) == 0 &&
             lc_rdoc_add(d, r) == 0 &&
             lc_rowmap_find(&seen, d->rows, &d->rows[d->n - 1]) == SIZE_MAX &&
             lc_rowmap_put(&seen, d->rows, d->n - 1) == 0;
        json_decref(r);
    }
    lc_rowmap_free(&seen);
    if (!ok)
        goto fail;
    free(s.items);
    return d;
fail:
    lc_rdoc_free(d);
    free(s.items);
    return NULL;
}

lc_rdoc *lc_rdoc_load(const char *src, lc_doc_kind want, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (lc_report_fetch(src, &data, &len, err, errlen) != 0)
        return NULL;
    lc_rdoc *d = lc_journal_detect(data, len) ? NULL : fast_parse(data, len, want);
    if (!d) {
        json_t *doc = lc_doc_parse(src, data, len, want, NULL, err, errlen);
        free(data);
        data = NULL;
        if (!doc)
            return NULL;
        d = lc_rdoc_from_json(doc);
        json_decref(doc);
        if (!d)
            snprintf(err, errlen, "%s: out of memory", src);
    }
    free(data);
    return d;
}
