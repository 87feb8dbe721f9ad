/* Indented JSON with arrays of numbers on one line (json_flat.h). */
#include "json_flat.h"
#include "json_flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A flat array longer than this is passed on as jansson wrote it. */
#define PENDING_MAX 4096
#define OUT_MAX 8192

/* A filter over jansson's output: from a '[' outside a string it holds the
 * text back until it knows the array's kind.  A '"', '{' or '[' inside
 * means strings or nesting: what is held goes out as written.  The ']'
 * means numbers (and true/false/null) only: it goes out joined on one
 * line. */
struct flat {
    json_dump_callback_t cb;
    void *data;
    int in_str, esc, holding, failed;
    size_t npend, nout;
    char pend[PENDING_MAX], out[OUT_MAX];
};

static void emit(struct flat *f, const char *s, size_t n)
{
    while (n && !f->failed) {
        if (f->nout == OUT_MAX) {
            if (f->cb(f->out, f->nout, f->data) != 0)
                f->failed = 1;
            f->nout = 0;
        }
        size_t k = OUT_MAX - f->nout < n ? OUT_MAX - f->nout : n;
        memcpy(f->out + f->nout, s, k);
        f->nout += k;
        s += k;
        n -= k;
    }
}

static void release(struct flat *f)
{
    emit(f, f->pend, f->npend);
    f->holding = 0;
    f->npend = 0;
}

/* "[\n      1,\n      2\n    " + "]" -> "[1, 2]" */
static void release_joined(struct flat *f)
{
    char *w = f->pend;
    for (size_t i = 0; i < f->npend; i++) {
        char ch = f->pend[i];
        if (ch == '\n' || ch == ' ')
            continue;
        *w++ = ch;
        if (ch == ',')
            *w++ = ' '; /* jansson wrote ",\n": one byte became two, no more */
    }
    f->npend = (size_t)(w - f->pend);
    emit(f, f->pend, f->npend);
    emit(f, "]", 1);
    f->holding = 0;
    f->npend = 0;
}

static void feed(struct flat *f, char ch)
{
    if (f->holding) {
        if (ch == ']') {
            release_joined(f);
            return;
        }
        if (ch == '"' || ch == '{' || ch == '[' || f->npend == PENDING_MAX)
            release(f); /* and ch is taken as outside a held array */
        else {
            f->pend[f->npend++] = ch;
            return;
        }
    }
    if (f->in_str) {
        f->esc = !f->esc && ch == '\\';
        f->in_str = f->esc || ch != '"';
    } else if (ch == '"') {
        f->in_str = 1;
    } else if (ch == '[') {
        f->holding = 1;
        f->pend[f->npend++] = ch;
        return;
    }
    emit(f, &ch, 1);
}

static int flat_cb(const char *buf, size_t size, void *data)
{
    struct flat *f = data;
    for (size_t i = 0; i < size && !f->failed; i++)
        feed(f, buf[i]);
    return f->failed ? -1 : 0;
}

int lc_json_dump_flat(const json_t *j, json_dump_callback_t cb, void *data)
{
    struct flat *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->cb = cb;
    f->data = data;
    int rc = json_dump_callback(j, flat_cb, f, JSON_INDENT(2) | LC_JSON_REALS);
    if (f->holding)
        release(f); /* not reached for a valid document: its arrays close */
    if (!f->failed && f->nout && cb(f->out, f->nout, data) != 0)
        f->failed = 1;
    rc = rc == 0 && !f->failed ? 0 : -1;
    free(f);
    return rc;
}

static int file_cb(const char *buf, size_t size, void *data)
{
    return fwrite(buf, 1, size, data) == size ? 0 : -1;
}

char *lc_json_dumps_flat(const json_t *j)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        return NULL;
    int rc = lc_json_dump_flat(j, file_cb, f);
    if (fclose(f) != 0 || rc != 0) {
        free(s);
        return NULL;
    }
    return s;
}
