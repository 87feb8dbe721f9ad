/* Planning: case × backend × variant, filtered by --backend and --case. */
#include "plan.h"
#include "runner.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lc_plan_init(lc_plan *plan)
{
    memset(plan, 0, sizeof *plan);
}

void lc_plan_free(lc_plan *plan)
{
    free(plan->items);
    free(plan->backends);
    lc_plan_init(plan);
}

int lc_plan_add(lc_plan *plan, const lc_case *c, const char *backend, const char *variant)
{
    if (plan->n == plan->cap) {
        size_t cap = plan->cap ? plan->cap * 2 : 64;
        lc_plan_item *v = realloc(plan->items, cap * sizeof *v);
        if (!v)
            return LC_ENOMEM;
        plan->items = v;
        plan->cap = cap;
    }
    plan->items[plan->n++] = (lc_plan_item){c, backend, variant};
    return lc_plan_add_backend(plan, backend);
}

int lc_plan_add_backend(lc_plan *plan, const char *backend)
{
    for (size_t i = 0; i < plan->n_backends; i++)
        if (strcmp(plan->backends[i], backend) == 0)
            return 0;
    const char **v = realloc(plan->backends, (plan->n_backends + 1) * sizeof *v);
    if (!v)
        return LC_ENOMEM;
    plan->backends = v;
    plan->backends[plan->n_backends++] = backend;
    return 0;
}

int lc_plan_list_has(const char *list, const char *name)
{
    if (!list)
        return 1;
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

int lc_plan_check_backends(const char *list, char *err, size_t errlen)
{
    if (!list)
        return 0;
    const char *const *names;
    size_t nb = lc_backend_list(&names);
    for (const char *p = list;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int known = 0;
        for (size_t i = 0; i < nb; i++)
            if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0)
                known = 1;
        if (!known) {
            char known_list[256] = "";
            for (size_t i = 0; i < nb; i++) {
                if (i)
                    strncat(known_list, ", ", sizeof known_list - strlen(known_list) - 1);
                strncat(known_list, names[i], sizeof known_list - strlen(known_list) - 1);
            }
            snprintf(err, errlen, "--backend: unknown backend '%.*s' (known: %s)", (int)n, p,
                     known_list);
            return -1;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* Variants that change how the harness makes the loop, whatever the case
 * (applied by lc_runner_variant_options), so they make sense for every row
 * of a backend that has the mode: a backend whose loops refuse the mode's
 * flags (completion on a readiness backend, loop.h) gets no row for it, as
 * an unavailable backend gets none. */
static const char *const loop_mode_variants[] = {"coarse-timeout", "completion", NULL};

static int backend_has_mode(const char *backend, const char *variant)
{
    lc_loop_options o;
    memset(&o, 0, sizeof o);
    lc_runner_variant_options(variant, &o);
    return (o.flags & ~lc_backend_loop_flags(backend)) == 0;
}

int lc_plan_check_variants(const char *list, char *err, size_t errlen)
{
    if (!list)
        return 0;
    for (const char *p = list;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int known = 0;
        for (size_t i = 0; loop_mode_variants[i]; i++)
            if (strlen(loop_mode_variants[i]) == n && strncmp(p, loop_mode_variants[i], n) == 0)
                known = 1;
        if (!known) {
            snprintf(err, errlen,
                     "--variants: unknown variant '%.*s' (known: coarse-timeout, completion)",
                     (int)n, p);
            return -1;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

static int case_has_variant(const lc_case *c, const char *v)
{
    for (size_t i = 0; c->variants && c->variants[i]; i++)
        if (strcmp(c->variants[i], v) == 0)
            return 1;
    return 0;
}

/* Cases whose rows include the completion variant without --variants, on
 * every backend that has the mode: the ones built on stream transports,
 * the only thing completion mode changes (loop.h LC_LOOP_COMPLETION).  A
 * bug of the completion path (a short send counted as whole) was caught
 * only by a run that asked for the variant. */
static const char *const completion_by_default[] = {
    "tcp/*", "unix/*", "streams/*", "close/pending-handles", NULL,
};

static int completion_row_by_default(const lc_case *c, const lc_plan_filter *f)
{
    if (f->extra_variants && lc_plan_list_has(f->extra_variants, "completion"))
        return 0; /* every case gets the row already */
    if (case_has_variant(c, "completion"))
        return 0;
    for (size_t i = 0; completion_by_default[i]; i++)
        if (fnmatch(completion_by_default[i], c->id, 0) == 0)
            return 1;
    return 0;
}

static int case_selected(const lc_case *c, const lc_plan_filter *f)
{
    if ((c->flags & LC_CASE_STRESS) && !f->include_stress)
        return 0;
    if (!f->case_globs)
        return 1;
    for (size_t i = 0; f->case_globs[i]; i++)
        if (fnmatch(f->case_globs[i], c->id, 0) == 0)
            return 1;
    return 0;
}

int lc_plan_build(lc_plan *plan, const lc_case *const *cases, size_t n, const lc_plan_filter *f,
                  char *err, size_t errlen)
{
    static const lc_plan_filter none = {0};
    if (!f)
        f = &none;
    if (lc_plan_check_backends(f->backends, err, errlen) < 0)
        return -1;
    if (lc_plan_check_variants(f->extra_variants, err, errlen) < 0)
        return -1;
    if (!cases)
        n = lc_case_count();

    const char *const *names;
    size_t nb = lc_backend_list(&names);
    const char **avail = calloc(nb ? nb : 1, sizeof *avail);
    if (!avail) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t na = 0;
    for (size_t b = 0; b < nb; b++) {
        lc_probe why;
        if (!lc_plan_list_has(f->backends, names[b]))
            continue;
        int probed = lc_backend_probe(names[b], &why) == 0;
        if (probed && why.available) {
            avail[na++] = names[b];
        } else if (f->backends) {
            /* Named on purpose and not there: an empty run would exit 0
             * with no rows for it, and pass for a run that never ran.
             * Without --backend an unavailable backend is only declared
             * (its reason is in the report's backends). */
            snprintf(err, errlen, "--backend: backend '%s' is unavailable here: %s%s%s", names[b],
                     probed ? lc_reason_name(why.reason) : "probe failed", probed && why.message[0] ? ": " : "",
                     probed ? why.message : "");
            free(avail);
            return -1;
        }
    }
    for (size_t b = 0; b < na; b++)
        lc_plan_add_backend(plan, avail[b]);

    /* Every glob must match some case: a typo should not pass as an empty run. */
    for (size_t g = 0; f->case_globs && f->case_globs[g]; g++) {
        int hit = 0;
        for (size_t i = 0; i < n && !hit; i++) {
            const lc_case *c = cases ? cases[i] : lc_case_at(i);
            hit = fnmatch(f->case_globs[g], c->id, 0) == 0;
        }
        if (!hit) {
            snprintf(err, errlen, "--case: no case matches '%s' (see 'loopcompat list')",
                     f->case_globs[g]);
            free(avail);
            return -1;
        }
    }

    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const lc_case *c = cases ? cases[i] : lc_case_at(i);
        if (!case_selected(c, f))
            continue;
        /* Variant-major, backends inside: one matrix row per (case, variant). */
        static const char *const no_variant[] = {NULL};
        const char *const *variants = (c->variants && c->variants[0]) ? c->variants : no_variant;
        size_t v = 0;
        do {
            /* An empty name in a case's list is its plain (NULL) variant. */
            const char *vn = variants[v] && variants[v][0] ? variants[v] : NULL;
            for (size_t b = 0; b < na && rc == 0; b++)
                rc = lc_plan_add(plan, c, avail[b], vn);
        } while (variants[v] && variants[++v] && rc == 0);
        for (const char *p = f->extra_variants; p && rc == 0; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
            for (size_t k = 0; loop_mode_variants[k] && rc == 0; k++) {
                const char *lv = loop_mode_variants[k];
                size_t len = strlen(lv);
                if (strncmp(p, lv, len) != 0 || (p[len] != ',' && p[len] != 0) || case_has_variant(c, lv))
                    continue;
                for (size_t b = 0; b < na && rc == 0; b++)
                    if (backend_has_mode(avail[b], lv))
                        rc = lc_plan_add(plan, c, avail[b], lv);
            }
        }
        if (completion_row_by_default(c, f))
            for (size_t b = 0; b < na && rc == 0; b++)
                if (backend_has_mode(avail[b], "completion"))
                    rc = lc_plan_add(plan, c, avail[b], "completion");
    }
    free(avail);
    if (rc < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}
