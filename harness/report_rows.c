/* Documents as rows: arena, interned names, row index, conversions. */
#include "report_rows.h"
#include "json_flags.h"
#include "json_flat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strings live in chunks that are never moved, so pointers stay valid;
 * one malloc per MiB instead of one per string (and its overhead). */
#define ARENA_CHUNK ((size_t)1 << 20)

struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
};

struct lc__arena {
    struct chunk *head;
};

static char *arena_copy(struct lc__arena *a, const char *s, size_t n)
{
    struct chunk *c = a->head;
    if (!c || c->cap - c->used < n + 1) {
        size_t cap = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    char *p = c->data + c->used;
    memcpy(p, s, n);
    p[n] = '\0';
    c->used += n + 1;
    return p;
}

static void arena_free(struct lc__arena *a)
{
    while (a && a->head) {
        struct chunk *c = a->head;
        a->head = c->next;
        free(c);
    }
    free(a);
}

/* FNV-1a. */
static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (h ^ 0xff) * 1099511628211u; /* a separator, so "ab","c" != "a","bc" */
}
#define HASH_SEED 14695981039346656037u

/* Interned names: a row's case, backend, variant and platform repeat
 * across rows, so each distinct one is stored once. */
struct lc__strset {
    const char **slots;
    size_t cap, used;
};

static int strset_grow(struct lc__strset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    const char **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i])
            continue;
        size_t j = hash_str(HASH_SEED, s->slots[i]) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

static const char *intern(lc_rdoc *d, const char *str)
{
    struct lc__strset *s = d->names;
    if (!str)
        return NULL;
    if ((s->used + 1) * 2 > s->cap && strset_grow(s) != 0)
        return NULL;
    size_t j = hash_str(HASH_SEED, str) & (s->cap - 1);
    for (; s->slots[j]; j = (j + 1) & (s->cap - 1))
        if (strcmp(s->slots[j], str) == 0)
            return s->slots[j];
    const char *p = arena_copy(d->arena, str, strlen(str));
    if (p) {
        s->slots[j] = p;
        s->used++;
    }
    return p;
}

lc_rdoc *lc_rdoc_new(lc_doc_kind kind, json_t *head)
{
    lc_rdoc *d = calloc(1, sizeof *d);
    if (d) {
        d->arena = calloc(1, sizeof *d->arena);
        d->names = calloc(1, sizeof *d->names);
    }
    if (!d || !d->arena || !d->names) {
        lc_rdoc_free(d);
        json_decref(head);
        return NULL;
    }
    d->kind = kind;
    d->head = head;
    return d;
}

void lc_rdoc_free(lc_rdoc *d)
{
    if (!d)
        return;
    json_decref(d->head);
    free(d->rows);
    arena_free(d->arena);
    if (d->names)
        free(d->names->slots);
    free(d->names);
    free(d);
}

int lc__grow(void *items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 256;
    void *p = realloc(*(void **)items, c * size);
    if (!p)
        return -1;
    *(void **)items = p;
    *cap = c;
    return 0;
}

int lc_rdoc_add_row(lc_rdoc *d, const struct lc_row *row)
{
    if (lc__grow(&d->rows, &d->cap, d->n, sizeof *d->rows) != 0)
        return -1;
    d->rows[d->n++] = *row;
    return 0;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* What a row keeps as JSON text: the result but its identity, status and
 * unexpected (fields of the row).  Most rows share one such text ("PASS",
 * no message, no refs, no measurements), so it is interned too. */
static const char *const rest_fields[] = {"expected", "known_intermittent", "message", "refs",
                                          "measurements", "evidence", "duration_ms", NULL};

static const char *intern_rest(lc_rdoc *d, const json_t *r)
{
    json_t *m = json_object();
    int rc = m ? 0 : -1;
    /* A field the result lacks stays absent (a checked document has them
     * all; a matrix built in memory by a caller may not). */
    for (int i = 0; rest_fields[i]; i++) {
        json_t *v = json_object_get(r, rest_fields[i]);
        if (v)
            rc |= json_object_set(m, rest_fields[i], v);
    }
    char buf[4096];
    size_t n = rc == 0 ? json_dumpb(m, buf, sizeof buf, JSON_COMPACT | LC_JSON_REALS) : 0;
    char *big = NULL;
    if (n >= sizeof buf) {
        big = malloc(n + 1);
        if (!big || json_dumpb(m, big, n, JSON_COMPACT | LC_JSON_REALS) != n)
            n = 0;
    }
    json_decref(m);
    const char *text = NULL;
    if (n) {
        char *t = big ? big : buf;
        t[n] = '\0';
        text = intern(d, t);
    }
    free(big);
    return text;
}

int lc_rdoc_add(lc_rdoc *d, const json_t *r)
{
    const char *platform = d->kind == LC_DOC_MATRIX
                               ? str(r, "platform")
                               : str(json_object_get(d->head, "run_info"), "platform_id");
    struct lc_row row = {0};
    row.rest = intern_rest(d, r);
    row.platform = intern(d, platform);
    row.case_id = intern(d, str(r, "case"));
    row.backend = intern(d, str(r, "backend"));
    row.variant = json_string_value(json_object_get(r, "variant"));
    if (row.variant && !(row.variant = intern(d, row.variant)))
        return -1;
    if (!row.rest || !row.platform || !row.case_id || !row.backend)
        return -1;
    const char *st = str(r, "status");
    for (int i = 0; lc_report_statuses[i]; i++)
        if (strcmp(st, lc_report_statuses[i]) == 0)
            row.status = (unsigned char)i;
    row.unexpected = json_is_true(json_object_get(r, "unexpected"));
    row.has_refs = json_array_size(json_object_get(r, "refs")) > 0;
    return lc_rdoc_add_row(d, &row);
}

lc_rdoc *lc_rdoc_from_json(const json_t *doc)
{
    int matrix = strcmp(str(doc, "format"), "loopcompat-matrix") == 0;
    json_t *head = json_copy((json_t *)doc);
    if (!head || json_object_set_new(head, "results", json_array()) != 0) {
        json_decref(head);
        return NULL;
    }
    lc_rdoc *d = lc_rdoc_new(matrix ? LC_DOC_MATRIX : LC_DOC_REPORT, head);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "results"), i, r) {
        if (d && lc_rdoc_add(d, r) != 0) {
            lc_rdoc_free(d);
            return NULL;
        }
    }
    return d;
}

json_t *lc_row_json(const struct lc_row *row)
{
    json_t *rest = json_loads(row->rest, 0, NULL);
    json_t *m = json_object();
    /* The fields in the order a matrix result lists them. */
    int rc = rest && m ? 0 : -1;
    rc |= json_object_set_new(m, "case", json_string(row->case_id));
    rc |= json_object_set_new(m, "platform", json_string(row->platform));
    rc |= json_object_set_new(m, "backend", json_string(row->backend));
    rc |= json_object_set_new(m, "variant",
                              row->variant ? json_string(row->variant) : json_null());
    rc |= json_object_set_new(m, "status", json_string(lc_report_statuses[row->status]));
    for (int i = 0; i < 2; i++)
        if (json_object_get(rest, rest_fields[i]))
            rc |= json_object_set(m, rest_fields[i], json_object_get(rest, rest_fields[i]));
    rc |= json_object_set_new(m, "unexpected", json_boolean(row->unexpected));
    for (int i = 2; rest_fields[i]; i++)
        if (json_object_get(rest, rest_fields[i]))
            rc |= json_object_set(m, rest_fields[i], json_object_get(rest, rest_fields[i]));
    json_decref(rest);
    if (rc != 0) {
        json_decref(m);
        return NULL;
    }
    return m;
}

json_t *lc_rdoc_to_json(const lc_rdoc *d)
{
    json_t *doc = json_copy(d->head);
    json_t *results = json_array();
    for (size_t i = 0; doc && results && i < d->n; i++)
        if (json_array_append_new(results, lc_row_json(&d->rows[i])) != 0)
            break;
    if (!doc || !results || json_array_size(results) != d->n ||
        json_object_set_new(doc, "results", results) != 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* jansson indents by depth; a row dumped alone starts at depth 0 but sits
 * at depth 2 (top object, results array), so every line of it gets four
 * more spaces.  Dumped strings hold no raw newline (they are escaped). */
static int write_indented(FILE *out, const char *text, const char *indent)
{
    for (const char *nl; (nl = strchr(text, '\n')) != NULL; text = nl + 1)
        if (fwrite(text, 1, (size_t)(nl - text) + 1, out) != (size_t)(nl - text) + 1 ||
            fputs(indent, out) == EOF)
            return -1;
    return fputs(text, out) == EOF ? -1 : 0;
}

int lc_rdoc_write(const lc_rdoc *d, FILE *out)
{
    char *head = lc_json_dumps_flat(d->head);
    static const char tail[] = "\"results\": []\n}";
    size_t hl = head ? strlen(head) : 0, tl = sizeof tail - 1;
    /* "results" is the last key of a matrix (lc_rdoc_merge builds it so). */
    if (!head || hl < tl || strcmp(head + hl - tl, tail) != 0) {
        free(head);
        return -1;
    }
    int rc = 0;
    if (d->n == 0) {
        rc = fputs(head, out) == EOF ? -1 : 0;
    } else {
        head[hl - 3] = '\0'; /* keep "\"results\": [" */
        rc = fputs(head, out) == EOF ? -1 : 0;
        for (size_t i = 0; rc == 0 && i < d->n; i++) {
            json_t *r = lc_row_json(&d->rows[i]);
            char *text = r ? lc_json_dumps_flat(r) : NULL;
            json_decref(r);
            rc = text && fputs("\n    ", out) != EOF ? write_indented(out, text, "    ") : -1;
            free(text);
            if (rc == 0 && i + 1 < d->n && fputc(',', out) == EOF)
                rc = -1;
        }
        if (rc == 0 && fputs("\n  ]\n}", out) == EOF)
            rc = -1;
    }
    free(head);
    if (rc == 0 && fputc('\n', out) == EOF)
        rc = -1;
    return rc;
}

static uint64_t row_hash(enum lc_rowkey key, const struct lc_row *r)
{
    uint64_t h = HASH_SEED;
    if (key == LC_ROWKEY_FULL)
        h = hash_str(h, r->platform);
    h = hash_str(h, r->case_id);
    if (key != LC_ROWKEY_CELL_ROW)
        h = hash_str(h, r->backend);
    /* NULL and a variant differ: mark which. */
    h = hash_str(h, r->variant ? "v" : "-");
    return hash_str(h, r->variant);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int row_equal(enum lc_rowkey key, const struct lc_row *a, const struct lc_row *b)
{
    return (key != LC_ROWKEY_FULL || same_str(a->platform, b->platform)) &&
           same_str(a->case_id, b->case_id) &&
           (key == LC_ROWKEY_CELL_ROW || same_str(a->backend, b->backend)) &&
           same_str(a->variant, b->variant);
}

void lc_rowmap_init(struct lc_rowmap *m, enum lc_rowkey key)
{
    memset(m, 0, sizeof *m);
    m->key = key;
}

void lc_rowmap_free(struct lc_rowmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->used = 0;
}

size_t lc_rowmap_find(const struct lc_rowmap *m, const struct lc_row *rows,
                      const struct lc_row *probe)
{
    if (!m->cap)
        return SIZE_MAX;
    for (size_t j = row_hash(m->key, probe) & (m->cap - 1); m->slots[j];
         j = (j + 1) & (m->cap - 1))
        if (row_equal(m->key, &rows[m->slots[j] - 1], probe))
            return m->slots[j] - 1;
    return SIZE_MAX;
}

static void place(uint32_t *slots, size_t cap, enum lc_rowkey key, const struct lc_row *rows,
                  uint32_t v)
{
    size_t j = row_hash(key, &rows[v - 1]) & (cap - 1);
    while (slots[j])
        j = (j + 1) & (cap - 1);
    slots[j] = v;
}

int lc_rowmap_put(struct lc_rowmap *m, const struct lc_row *rows, size_t i)
{
    if (i >= UINT32_MAX)
        return -1;
    if ((m->used + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint32_t *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t j = 0; j < m->cap; j++)
            if (m->slots[j])
                place(slots, cap, m->key, rows, m->slots[j]);
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    place(m->slots, m->cap, m->key, rows, (uint32_t)i + 1);
    m->used++;
    return 0;
}
