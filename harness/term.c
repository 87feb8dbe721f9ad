/* Terminal output: progress, matrix, summary.  Every string printed here
 * that a case or a probe produced (ids, variants, messages, reasons) goes
 * through the cleaner (text.h); only the colours are escape sequences. */
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text.h"

#define RESET "\033[0m"

const char *lc_term_cell(lc_status s)
{
    switch (s) {
    case LC_STATUS_PASS: return "PASS";
    case LC_STATUS_FAIL: return "FAIL";
    case LC_STATUS_UNSUPPORTED: return "UNSUP";
    case LC_STATUS_TIMEOUT: return "TIME";
    case LC_STATUS_CRASH: return "CRASH";
    case LC_STATUS_SKIP: return "SKIP";
    case LC_STATUS_ERROR: return "ERR";
    case LC_STATUS_NONE: break;
    }
    return "-";
}

static const char *colour_of(lc_status s, int unexpected)
{
    if (unexpected)
        return "\033[1;31m";
    switch (s) {
    case LC_STATUS_PASS: return "\033[32m";
    case LC_STATUS_UNSUPPORTED: return "\033[36m";
    case LC_STATUS_SKIP: return "\033[2m";
    case LC_STATUS_FAIL:
    case LC_STATUS_CRASH:
    case LC_STATUS_ERROR: return "\033[31m";
    case LC_STATUS_TIMEOUT: return "\033[35m";
    case LC_STATUS_NONE: break;
    }
    return "";
}

/* Emacs' M-x shell and other dumb terminals show escapes as text
 * (terminfo(5): "dumb" has no cursor or erase capabilities). */
static int term_dumb(void)
{
    const char *term = getenv("TERM");
    return !term || !*term || strcmp(term, "dumb") == 0;
}

int lc_term_use_colour(FILE *f, lc_colour_mode mode)
{
    if (mode == LC_COLOUR_ALWAYS)
        return 1;
    if (mode == LC_COLOUR_NEVER)
        return 0;
    if (term_dumb())
        return 0;
    const char *nc = getenv("NO_COLOR");
    /* no-color.org: any non-empty value disables colour. */
    if (nc && *nc)
        return 0;
    return isatty(fileno(f));
}

static int progress_shown;

void lc_term_progress(const lc_plan *plan, size_t index, size_t n_started)
{
    /* The line is redrawn with \r and erase-to-end-of-line. */
    if (!isatty(STDERR_FILENO) || term_dumb())
        return;
    const lc_plan_item *it = &plan->items[index];
    int w = snprintf(NULL, 0, "%zu", plan->n);
    fprintf(stderr, "\r\033[K[%*zu/%zu] %s%s%s %s", w, n_started, plan->n, lc_text_show(it->c->id),
            it->variant ? " " : "", lc_text_show(it->variant), lc_text_show(it->backend));
    fflush(stderr);
    progress_shown = 1;
}

void lc_term_progress_clear(void)
{
    if (progress_shown && isatty(STDERR_FILENO)) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    progress_shown = 0;
}

static int backend_col(const lc_plan *plan, const char *backend)
{
    for (size_t b = 0; b < plan->n_backends; b++)
        if (strcmp(plan->backends[b], backend) == 0)
            return (int)b;
    return -1;
}

static void row_label(const lc_plan_item *it, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s", lc_text_show(it->c->id), it->variant ? " [" : "",
             lc_text_show(it->variant), it->variant ? "]" : "");
}

void lc_term_matrix(FILE *out, const lc_plan *plan, const lc_result *results, json_t *backends,
                    int colour)
{
    size_t label_w = 4;
    char label[256];
    for (size_t i = 0; i < plan->n; i++) {
        row_label(&plan->items[i], label, sizeof label);
        if (strlen(label) > label_w)
            label_w = strlen(label);
    }
    int *colw = calloc(plan->n_backends ? plan->n_backends : 1, sizeof *colw);
    const lc_result **row = calloc(plan->n_backends ? plan->n_backends : 1, sizeof *row);
    if (!colw || !row) {
        free(colw);
        free(row);
        return;
    }
    /* The last column is not padded: no line ends in spaces. */
    int label_pad = plan->n_backends ? (int)label_w : 0;
    fprintf(out, "%-*s", label_pad, "case");
    for (size_t b = 0; b < plan->n_backends; b++) {
        const char *name = lc_text_show(plan->backends[b]);
        colw[b] = (int)strlen(name);
        if (colw[b] < 6)
            colw[b] = 6;
        if (b + 1 == plan->n_backends)
            colw[b] = 0;
        fprintf(out, "  %-*s", colw[b], name);
    }
    fputc('\n', out);

    /* Items are grouped by (case, variant), backends inside; one row each. */
    for (size_t i = 0; i < plan->n;) {
        size_t j = i;
        memset(row, 0, plan->n_backends * sizeof *row);
        while (j < plan->n && plan->items[j].c == plan->items[i].c &&
               ((!plan->items[j].variant && !plan->items[i].variant) ||
                (plan->items[j].variant && plan->items[i].variant &&
                 strcmp(plan->items[j].variant, plan->items[i].variant) == 0))) {
            int col = backend_col(plan, plan->items[j].backend);
            if (col >= 0 && results[j].done)
                row[col] = &results[j];
            j++;
        }
        row_label(&plan->items[i], label, sizeof label);
        fprintf(out, "%-*s", label_pad, label);
        for (size_t b = 0; b < plan->n_backends; b++) {
            const lc_result *r = row[b];
            char cell[16];
            snprintf(cell, sizeof cell, "%s%s", r ? lc_term_cell(r->status) : "-",
                     r && r->unexpected ? "!" : "");
            if (colour && r)
                fprintf(out, "  %s%-*s%s", colour_of(r->status, r->unexpected), colw[b], cell, RESET);
            else
                fprintf(out, "  %-*s", colw[b], cell);
        }
        fputc('\n', out);
        i = j;
    }
    const char *name;
    json_t *b;
    json_object_foreach(backends, name, b)
    {
        if (json_is_true(json_object_get(b, "available")))
            continue;
        json_t *reason = json_object_get(b, "reason");
        fprintf(out, "(%s not available: %s, %s)\n", lc_text_show(name),
                lc_text_show(json_string_value(json_object_get(reason, "code"))),
                lc_text_show(json_string_value(json_object_get(reason, "message"))));
    }
    free(colw);
    free(row);
}

void lc_term_unexpected(FILE *out, const lc_plan *plan, const lc_result *results, int colour)
{
    for (size_t i = 0; i < plan->n; i++) {
        const lc_result *r = &results[i];
        if (!r->done || !r->unexpected)
            continue;
        const lc_plan_item *it = &plan->items[i];
        fprintf(out, "%sunexpected%s %s%s%s %s: %s (expected %s)%s%s\n", colour ? "\033[1;31m" : "",
                colour ? RESET : "", lc_text_show(it->c->id), it->variant ? " " : "",
                lc_text_show(it->variant), lc_text_show(it->backend), lc_status_name(r->status),
                r->has_expectation ? lc_status_name(r->expected) : "nothing: no expectation",
                r->message ? ": " : "", lc_text_show(r->message));
    }
}

size_t lc_term_summary(FILE *out, const lc_plan *plan, const lc_result *results)
{
    size_t count[LC_STATUS_ERROR + 1] = {0}, total = 0, unexpected = 0;
    for (size_t i = 0; i < plan->n; i++) {
        if (!results[i].done)
            continue;
        total++;
        count[results[i].status]++;
        unexpected += results[i].unexpected != 0;
    }
    fprintf(out, "%zu result%s", total, total == 1 ? "" : "s");
    const char *sep = ": ";
    for (unsigned s = LC_STATUS_PASS; s <= LC_STATUS_ERROR; s++) {
        if (!count[s])
            continue;
        fprintf(out, "%s%zu %s", sep, count[s], lc_status_name((lc_status)s));
        sep = ", ";
    }
    fprintf(out, "; %zu unexpected\n", unexpected);
    return unexpected;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

void lc_term_timing(FILE *out, const lc_plan *plan, const lc_result *results, int64_t wall_ms,
                    int jobs)
{
    int64_t *over = malloc((plan->n ? plan->n : 1) * sizeof *over);
    size_t n = 0;
    for (size_t i = 0; over && i < plan->n; i++) {
        const lc_result *r = &results[i];
        if (r->done && r->has_case_time) {
            int64_t o = r->duration_ms * 1000 - r->case_us;
            over[n++] = o < 0 ? 0 : o;
        }
    }
    fprintf(out, "wall time %.1f s with -j %d", (double)wall_ms / 1000.0, jobs);
    if (n) {
        qsort(over, n, sizeof *over, cmp_i64);
        fprintf(out, "; harness overhead per case: median %.1f ms, p90 %.1f ms (fork, loop "
                     "setup, leak checks, record)",
                (double)over[n / 2] / 1000.0, (double)over[(n * 9) / 10] / 1000.0);
    }
    fputc('\n', out);
    free(over);
}
