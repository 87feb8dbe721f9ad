/* Strict checks of report and matrix documents.  They mirror
 * reports/schema/report-v1.schema.json and matrix-v1.schema.json rule for
 * rule (so a C tool rejects what the schemas reject), plus what a schema
 * cannot say: (case, backend, variant) unique, results only for declared
 * and available backends, `unexpected` consistent with status and
 * expectation, percentiles in order, time_end not before time_start. */
#include "report_load.h"

#include <stdio.h>
#include <string.h>

#include "histogram.h"
#include "report_check_util.h"
#include "result.h"

#define T_OBJ LC__T_OBJ
#define T_ARR LC__T_ARR
#define T_STR LC__T_STR
#define T_INT LC__T_INT
#define T_NUM LC__T_NUM
#define T_BOOL LC__T_BOOL
#define T_NULL LC__T_NULL
#define NE LC__F_NONEMPTY
#define NONNEG LC__F_NONNEG
#define POS LC__F_POS

typedef struct lc__chk chk;
typedef struct lc__field field;

const char *const lc_report_statuses[] = {"PASS", "FAIL",  "UNSUPPORTED", "TIMEOUT",
                                          "CRASH", "SKIP", "ERROR",       NULL};

static const char *const reason_codes[] = {"NOT_APPLICABLE", "NOT_BUILT", "DISABLED_BY_POLICY",
                                           "PROBE_FAILED", "UNKNOWN", NULL};

int lc_report_status_known(const char *s)
{
    for (int i = 0; lc_report_statuses[i]; i++)
        if (strcmp(s, lc_report_statuses[i]) == 0)
            return 1;
    return 0;
}

const char *lc_result_expected_text(const json_t *r)
{
    const char *s = json_string_value(json_object_get(r, "expected"));
    return s ? s : "nothing (no expectation)";
}

void lc_result_label(const json_t *r, char *buf, size_t len)
{
    const char *c = json_string_value(json_object_get(r, "case"));
    const char *v = json_string_value(json_object_get(r, "variant"));
    if (v)
        snprintf(buf, len, "%s [%s]", c ? c : "?", v);
    else
        snprintf(buf, len, "%s", c ? c : "?");
}

/* The schemas' name patterns, one character class each. */
static int lower_digit(int ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); }
static int backend_char(int ch) { return lower_digit(ch) || ch == '_'; }          /* ^[a-z0-9_]+$ */
static int platform_char(int ch) { return lower_digit(ch) || strchr("._-", ch); } /* ^[a-z0-9._-]+$ */
static int case_part_char(int ch) { return lower_digit(ch) || ch == '-'; }        /* [a-z0-9-]+ */
static int signal_char(int ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'); }

static int check_case_id(chk *c, const char *path, const char *id)
{
    const char *slash = strchr(id, '/');
    int ok = slash && slash != id && slash[1];
    for (const char *q = id; ok && *q; q++)
        ok = q == slash || case_part_char((unsigned char)*q);
    if (!ok)
        return lc__bad(c, path, "\"%.60s\" does not match ^[a-z0-9-]+/[a-z0-9-]+$", id);
    return 0;
}

static int check_header(chk *c, const json_t *doc, const char *format)
{
    static const field gen[] = {{"name", T_STR, 1, NE},
                                {"version", T_STR, 1, NE},
                                {"revision", T_STR, 1, NE},
                                {NULL, 0, 0, 0}};
    const char *f = json_string_value(json_object_get(doc, "format"));
    if (strcmp(f, format) != 0)
        return lc__bad(c, "format", "expected \"%s\", got \"%.40s\"", format, f);
    json_int_t v = json_integer_value(json_object_get(doc, "format_version"));
    if (v != 1)
        return lc__bad(c, "format_version", "expected 1, got %lld (a newer format?)",
                       (long long)v);
    return lc__check_fields(c, "generator", json_object_get(doc, "generator"), gen, 1);
}

static int check_time_pair(chk *c, const char *path, const json_t *obj)
{
    char p[LC__PATH];
    lc__join_key(p, path, "time_end");
    if (json_integer_value(json_object_get(obj, "time_end")) <
        json_integer_value(json_object_get(obj, "time_start")))
        return lc__bad(c, p, "earlier than time_start");
    return 0;
}

static int check_backends(chk *c, const char *path, const json_t *b)
{
    static const field f[] = {{"available", T_BOOL, 1, 0},
                              {"timeout_granularity_ns", T_INT, 0, POS},
                              {"features", T_OBJ, 0, 0},
                              {"reason", T_OBJ, 0, 0},
                              {NULL, 0, 0, 0}};
    static const field fr[] = {{"code", T_STR, 1, 0},
                               {"message", T_STR, 1, NE},
                               {"errno", T_STR, 0, NE},
                               {NULL, 0, 0, 0}};
    char p[LC__PATH], q[LC__PATH];
    if (lc__want_type(c, path, b, T_OBJ) != 0)
        return -1;
    if (json_object_size(b) == 0)
        return lc__bad(c, path, "must declare at least one backend");
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)b, name, v) {
        lc__join_key(p, path, name);
        if (lc__check_chars(c, p, name, backend_char, "^[a-z0-9_]+$") != 0 ||
            lc__check_fields(c, p, v, f, 1) != 0)
            return -1;
        int available = json_is_true(json_object_get(v, "available"));
        json_t *reason = json_object_get(v, "reason");
        json_t *gran = json_object_get(v, "timeout_granularity_ns");
        lc__join_key(q, p, available ? "timeout_granularity_ns" : "reason");
        if (available ? !gran : !reason)
            return lc__bad(c, q, "required when available is %s", available ? "true" : "false");
        lc__join_key(q, p, available ? "reason" : "timeout_granularity_ns");
        if (available ? reason != NULL : gran != NULL)
            return lc__bad(c, q, "not allowed when available is %s",
                           available ? "true" : "false");
        lc__join_key(q, p, "features");
        if (json_object_get(v, "features") &&
            lc__check_backend_features(c, q, json_object_get(v, "features")) != 0)
            return -1;
        if (!reason)
            continue;
        lc__join_key(q, p, "reason");
        if (lc__check_fields(c, q, reason, fr, 1) != 0)
            return -1;
        lc__join_key(q, q, "code");
        if (lc__check_enum(c, q, json_object_get(reason, "code"), reason_codes) != 0)
            return -1;
    }
    return 0;
}

static int check_limits(chk *c, const char *path, const json_t *lim)
{
    static const field top[] = {{"rlimit_nofile", T_OBJ, 0, 0},
                                {"fd_setsize", T_OBJ, 0, 0},
                                {"clock_resolution", T_OBJ, 0, 0},
                                {"timer_slack", T_OBJ, 0, 0},
                                {"epoll_max_user_watches", T_OBJ, 0, 0},
                                {"timer_increment", T_OBJ, 0, 0},
                                {"timer_resolution", T_OBJ, 0, 0},
                                {"timer_resolution_coarsest", T_OBJ, 0, 0},
                                {"timer_resolution_finest", T_OBJ, 0, 0},
                                {"sleep_1ms", T_OBJ, 0, 0},
                                {"sleep_1ms_time_begin_period", T_OBJ, 0, 0},
                                {NULL, 0, 0, 0}};
    static const field rl[] = {{"soft", T_INT | T_NULL, 1, NONNEG},
                               {"hard", T_INT | T_NULL, 1, NONNEG},
                               {"unit", T_STR, 1, 0},
                               {"source", T_STR, 0, 0},
                               {NULL, 0, 0, 0}};
    static const field scalar[] = {{"value", T_INT, 1, NONNEG},
                                   {"unit", T_STR, 1, 0},
                                   {"source", T_STR, 0, 0},
                                   {NULL, 0, 0, 0}};
    static const char *const fd_only[] = {"fd", NULL};
    char p[LC__PATH], q[LC__PATH];
    if (lc__check_fields(c, path, lim, top, 1) != 0)
        return -1;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)lim, name, v) {
        int is_rl = strcmp(name, "rlimit_nofile") == 0;
        lc__join_key(p, path, name);
        lc__join_key(q, p, "unit");
        if (lc__check_fields(c, p, v, is_rl ? rl : scalar, 1) != 0 ||
            lc__check_enum(c, q, json_object_get(v, "unit"),
                           is_rl ? fd_only : lc_measurement_units) != 0)
            return -1;
    }
    return 0;
}

/* Measurements as the case API records them: {"kind", "unit", ...}. */
static int check_measurement(chk *c, const char *path, const json_t *m)
{
    static const char *const kinds[] = {"value", "counter", "limit", "distribution", NULL};
    static const field head[] = {{"kind", T_STR, 1, 0}, {"unit", T_STR, 1, 0}, {NULL, 0, 0, 0}};
    static const field f_value[] = {
        {"kind", T_STR, 1, 0}, {"unit", T_STR, 1, 0}, {"value", T_NUM, 1, 0}, {NULL, 0, 0, 0}};
    static const field f_counter[] = {
        {"kind", T_STR, 1, 0}, {"unit", T_STR, 1, 0}, {"value", T_INT, 1, 0}, {NULL, 0, 0, 0}};
    static const field f_limit[] = {{"kind", T_STR, 1, 0},   {"unit", T_STR, 1, 0},
                                    {"value", T_INT, 1, 0},  {"stopped_by", T_STR, 1, NE},
                                    {NULL, 0, 0, 0}};
    static const field f_dist[] = {
        {"kind", T_STR, 1, 0}, {"unit", T_STR, 1, 0}, {"n", T_INT, 1, POS},
        {"min", T_NUM, 1, 0},  {"p50", T_NUM, 1, 0},  {"p90", T_NUM, 1, 0},
        {"p99", T_NUM, 1, 0},  {"max", T_NUM, 1, 0},  {"mean", T_NUM, 1, 0},
        {"histogram", T_OBJ, 0, 0}, {NULL, 0, 0, 0}};
    char p[LC__PATH];
    if (lc__check_fields(c, path, m, head, 0) != 0)
        return -1;
    lc__join_key(p, path, "kind");
    if (lc__check_enum(c, p, json_object_get(m, "kind"), kinds) != 0)
        return -1;
    lc__join_key(p, path, "unit");
    if (lc__check_enum(c, p, json_object_get(m, "unit"), lc_measurement_units) != 0)
        return -1;
    const char *kind = json_string_value(json_object_get(m, "kind"));
    const field *f = strcmp(kind, "value") == 0     ? f_value
                     : strcmp(kind, "counter") == 0 ? f_counter
                     : strcmp(kind, "limit") == 0   ? f_limit
                                                    : f_dist;
    if (lc__check_fields(c, path, m, f, 1) != 0)
        return -1;
    if (f != f_dist)
        return 0;
    static const char *const order[] = {"min", "p50", "p90", "p99", "max"};
    for (int i = 1; i < 5; i++) {
        if (json_number_value(json_object_get(m, order[i])) <
            json_number_value(json_object_get(m, order[i - 1]))) {
            lc__join_key(p, path, order[i]);
            return lc__bad(c, p, "less than %s", order[i - 1]);
        }
    }
    json_t *h = json_object_get(m, "histogram");
    char why[200];
    lc__join_key(p, path, "histogram");
    if (h && lc_histogram_check(h, json_integer_value(json_object_get(m, "n")),
                                json_number_value(json_object_get(m, "min")),
                                json_number_value(json_object_get(m, "max")), why, sizeof why) != 0)
        return lc__bad(c, p, "%s", why);
    return 0;
}

/* The rules a report result and a matrix result share. */
static int check_result_common(chk *c, const char *path, const json_t *r)
{
    char p[LC__PATH];
    lc__join_key(p, path, "case");
    if (check_case_id(c, p, json_string_value(json_object_get(r, "case"))) != 0)
        return -1;
    lc__join_key(p, path, "backend");
    if (lc__check_chars(c, p, json_string_value(json_object_get(r, "backend")), backend_char,
                        "^[a-z0-9_]+$") != 0)
        return -1;
    json_t *variant = json_object_get(r, "variant");
    lc__join_key(p, path, "variant");
    if (json_is_string(variant) && json_string_length(variant) == 0)
        return lc__bad(c, p, "must not be empty (null when there is no variant)");
    json_t *status = json_object_get(r, "status");
    json_t *expected = json_object_get(r, "expected");
    lc__join_key(p, path, "status");
    if (lc__check_enum(c, p, status, lc_report_statuses) != 0)
        return -1;
    const char *st = json_string_value(status);
    /* null: the expectations file has no entry, which is itself unexpected. */
    lc__join_key(p, path, "expected");
    if (!json_is_null(expected) && lc__check_enum(c, p, expected, lc_report_statuses) != 0)
        return -1;
    int unexpected = json_is_null(expected) || strcmp(st, json_string_value(expected)) != 0;
    json_t *ki = json_object_get(r, "known_intermittent");
    lc__join_key(p, path, "known_intermittent");
    if (lc__check_string_set(c, p, ki, 1) != 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(ki, i, v) {
        lc__join_index(p, p, i);
        if (lc__check_enum(c, p, v, lc_report_statuses) != 0)
            return -1;
        lc__join_key(p, path, "known_intermittent");
        if (!json_is_null(expected) && strcmp(json_string_value(v), st) == 0)
            unexpected = 0;
    }
    lc__join_key(p, path, "unexpected");
    if (json_is_true(json_object_get(r, "unexpected")) != unexpected)
        return lc__bad(c, p, "is %s, but status %s %s expected %s", unexpected ? "false" : "true",
                       st, unexpected ? "is not" : "is", lc_result_expected_text(r));
    json_t *refs = json_object_get(r, "refs");
    lc__join_key(p, path, "refs");
    if (lc__check_string_set(c, p, refs, 1) != 0)
        return -1;
    if (json_is_string(expected) && strcmp(json_string_value(expected), "UNSUPPORTED") == 0 &&
        json_array_size(refs) == 0)
        return lc__bad(c, p, "an expected UNSUPPORTED must cite its documentation");
    static const char *const say_why[] = {"SKIP", "ERROR", "TIMEOUT", "CRASH", NULL};
    for (i = 0; say_why[i]; i++) {
        const char *msg = json_string_value(json_object_get(r, "message"));
        lc__join_key(p, path, "message");
        if (strcmp(st, say_why[i]) == 0 && (!msg || !msg[0]))
            return lc__bad(c, p, "a %s result must say why", st);
    }
    json_t *ms = json_object_get(r, "measurements");
    const char *name;
    json_object_foreach(ms, name, v) {
        lc__join_key(p, path, "measurements");
        lc__join_key(p, p, name);
        if (lc__check_chars(c, p, name, backend_char, "^[a-z0-9_]+$") != 0 ||
            check_measurement(c, p, v) != 0)
            return -1;
    }
    return 0;
}

static int check_evidence(chk *c, const char *path, const json_t *r)
{
    char p[LC__PATH];
    json_t *ev = json_object_get(r, "evidence");
    const char *key;
    json_t *v;
    json_object_foreach(ev, key, v) {
        lc__join_key(p, path, "evidence");
        lc__join_key(p, p, key);
        if (lc__want_type(c, p, v, T_STR | T_INT | T_BOOL | T_NULL) != 0)
            return -1;
    }
    if (strcmp(json_string_value(json_object_get(r, "status")), "CRASH") != 0)
        return 0;
    /* A crash names its signal (^SIG[A-Z0-9]+$) or the sanitizer that
     * stopped the case ("...Sanitizer"). */
    json_t *sigv = json_object_get(ev, "signal"), *sanv = json_object_get(ev, "sanitizer");
    lc__join_key(p, path, "evidence.signal");
    if (sigv) {
        const char *sig = json_string_value(sigv);
        if (!sig)
            return lc__want_type(c, p, sigv, T_STR);
        if (strncmp(sig, "SIG", 3) != 0)
            return lc__bad(c, p, "\"%.40s\" does not match ^SIG[A-Z0-9]+$", sig);
        if (lc__check_chars(c, p, sig + 3, signal_char, "^SIG[A-Z0-9]+$") != 0)
            return -1;
    }
    if (sanv) {
        const char *san = json_string_value(sanv);
        size_t n = san ? strlen(san) : 0;
        lc__join_key(p, path, "evidence.sanitizer");
        if (!san)
            return lc__want_type(c, p, sanv, T_STR);
        if (n < 9 || strcmp(san + n - 9, "Sanitizer") != 0)
            return lc__bad(c, p, "\"%.40s\" does not match Sanitizer$", san);
    }
    if (!sigv && !sanv) {
        lc__join_key(p, path, "evidence.signal");
        return lc__bad(c, p, "required for a CRASH (or evidence.sanitizer)");
    }
    return 0;
}

/* (platform, case, backend, variant) unique; keys go into a jansson
 * object used as a set, since a quadratic scan is slow for big matrices. */
static int check_unique(chk *c, const char *path, json_t *seen, const json_t *r,
                        const char *platform)
{
    char key[768];
    const char *v = json_string_value(json_object_get(r, "variant"));
    const char *b = json_string_value(json_object_get(r, "backend"));
    snprintf(key, sizeof key, "%s\x1f%s\x1f%s\x1f%s", platform ? platform : "",
             json_string_value(json_object_get(r, "case")), b, v ? v : "");
    if (json_object_get(seen, key)) {
        char label[256];
        lc_result_label(r, label, sizeof label);
        return lc__bad(c, path, "a second result for %s on %s%s%s", label, b,
                       platform ? " on " : "", platform ? platform : "");
    }
    json_object_set_new(seen, key, json_true());
    return 0;
}

static int backend_usable(chk *c, const char *path, const json_t *backends, const json_t *r)
{
    const char *b = json_string_value(json_object_get(r, "backend"));
    json_t *decl = json_object_get(backends, b);
    char p[LC__PATH];
    lc__join_key(p, path, "backend");
    if (!decl)
        return lc__bad(c, p, "\"%s\" is not declared in backends", b);
    /* DESIGN: an unavailable backend has no result rows. */
    if (!json_is_true(json_object_get(decl, "available")))
        return lc__bad(c, p, "\"%s\" is declared unavailable", b);
    return 0;
}

static const field report_result[] = {
    {"case", T_STR, 1, 0},           {"backend", T_STR, 1, 0},
    {"variant", T_STR | T_NULL, 1, 0}, {"status", T_STR, 1, 0},
    {"expected", T_STR | T_NULL, 1, 0}, {"known_intermittent", T_ARR, 1, 0},
    {"unexpected", T_BOOL, 1, 0},    {"message", T_STR | T_NULL, 1, 0},
    {"duration_ms", T_INT, 1, NONNEG}, {"evidence", T_OBJ, 1, 0},
    {"refs", T_ARR, 1, 0},           {"measurements", T_OBJ, 1, 0},
    {NULL, 0, 0, 0}};

static const field matrix_result[] = {
    {"case", T_STR, 1, 0},           {"platform", T_STR, 1, 0},
    {"backend", T_STR, 1, 0},        {"variant", T_STR | T_NULL, 1, 0},
    {"status", T_STR, 1, 0},         {"expected", T_STR | T_NULL, 1, 0},
    {"known_intermittent", T_ARR, 1, 0}, {"unexpected", T_BOOL, 1, 0},
    {"message", T_STR | T_NULL, 1, 0}, {"refs", T_ARR, 1, 0},
    {"measurements", T_OBJ, 1, 0},
    /* format_minor 2: what the report said, carried by merge. */
    {"duration_ms", T_INT, 0, NONNEG}, {"evidence", T_OBJ, 0, 0},
    {NULL, 0, 0, 0}};

/* results[i] of a document whose top level passed its checks; seen (may
 * be NULL: the caller checks uniqueness) collects the identities. */
static int check_result(chk *c, const json_t *doc, lc_doc_kind kind, size_t i, const json_t *r,
                        json_t *seen)
{
    char p[LC__PATH], q[LC__PATH];
    lc__join_index(p, "results", i);
    if (kind == LC_DOC_REPORT)
        return lc__check_fields(c, p, r, report_result, 1) != 0 ||
                       check_result_common(c, p, r) != 0 || check_evidence(c, p, r) != 0 ||
                       backend_usable(c, p, json_object_get(doc, "backends"), r) != 0 ||
                       (seen && check_unique(c, p, seen, r, NULL) != 0)
                   ? -1
                   : 0;
    if (lc__check_fields(c, p, r, matrix_result, 1) != 0 || check_result_common(c, p, r) != 0 ||
        (json_object_get(r, "evidence") && check_evidence(c, p, r) != 0))
        return -1;
    const char *plid = json_string_value(json_object_get(r, "platform"));
    json_t *platform = json_object_get(json_object_get(doc, "platforms"), plid);
    lc__join_key(q, p, "platform");
    if (!platform)
        return lc__bad(c, q, "\"%.60s\" is not in platforms", plid);
    return backend_usable(c, p, json_object_get(platform, "backends"), r) != 0 ||
                   (seen && check_unique(c, p, seen, r, plid) != 0)
               ? -1
               : 0;
}

int lc_doc_check_result(const json_t *doc, lc_doc_kind kind, size_t i, const json_t *r,
                        char *err, size_t errlen)
{
    chk c = {err, errlen};
    return check_result(&c, doc, kind, i, r, NULL);
}

static int check_results(chk *c, const json_t *doc, lc_doc_kind kind)
{
    json_t *seen = json_object();
    size_t i;
    json_t *r;
    int rc = 0;
    json_array_foreach(json_object_get(doc, "results"), i, r) {
        if (check_result(c, doc, kind, i, r, seen) != 0) {
            rc = -1;
            break;
        }
    }
    json_decref(seen);
    return rc;
}

int lc_report_check(const json_t *doc, char *err, size_t errlen)
{
    static const field top[] = {
        {"$schema", T_STR, 0, 0},          {"format", T_STR, 1, 0},
        {"format_version", T_INT, 1, 0},   {"format_minor", T_INT, 0, NONNEG},
        {"generator", T_OBJ, 1, 0},
        {"time_start", T_INT, 1, NONNEG},  {"time_end", T_INT, 1, NONNEG},
        {"incomplete", T_BOOL, 0, 0},      {"run_info", T_OBJ, 1, 0},
        {"backends", T_OBJ, 1, 0},         {"platform_limits", T_OBJ, 1, 0},
        {"results", T_ARR, 1, 0},          {NULL, 0, 0, 0}};
    chk c = {err, errlen};
    if (lc__check_fields(&c, "", doc, top, 1) != 0 ||
        check_header(&c, doc, "loopcompat-report") != 0 || check_time_pair(&c, "", doc) != 0 ||
        lc__check_run_info(&c, "run_info", json_object_get(doc, "run_info")) != 0 ||
        check_backends(&c, "backends", json_object_get(doc, "backends")) != 0 ||
        check_limits(&c, "platform_limits", json_object_get(doc, "platform_limits")) != 0)
        return -1;
    return check_results(&c, doc, LC_DOC_REPORT);
}

static int check_platform(chk *c, const char *pid, const json_t *pl)
{
    static const field f[] = {
        {"run_info", T_OBJ, 1, 0},        {"backends", T_OBJ, 1, 0},
        {"platform_limits", T_OBJ, 1, 0}, {"time_start", T_INT, 1, NONNEG},
        {"time_end", T_INT, 1, NONNEG},   {"generator", T_OBJ, 1, 0},
        {"sources", T_ARR, 1, 0},         {NULL, 0, 0, 0}};
    static const field gen[] = {{"name", T_STR, 1, NE},
                                {"version", T_STR, 1, NE},
                                {"revision", T_STR, 1, NE},
                                {NULL, 0, 0, 0}};
    char p[LC__PATH], q[LC__PATH];
    lc__join_key(p, "platforms", pid);
    if (lc__check_chars(c, p, pid, platform_char, "^[a-z0-9._-]+$") != 0 ||
        lc__check_fields(c, p, pl, f, 1) != 0 || check_time_pair(c, p, pl) != 0)
        return -1;
    json_t *ri = json_object_get(pl, "run_info");
    lc__join_key(q, p, "run_info");
    if (lc__check_run_info(c, q, ri) != 0)
        return -1;
    if (strcmp(json_string_value(json_object_get(ri, "platform_id")), pid) != 0) {
        lc__join_key(q, q, "platform_id");
        return lc__bad(c, q, "differs from its key \"%s\"", pid);
    }
    lc__join_key(q, p, "backends");
    if (check_backends(c, q, json_object_get(pl, "backends")) != 0)
        return -1;
    lc__join_key(q, p, "platform_limits");
    if (check_limits(c, q, json_object_get(pl, "platform_limits")) != 0)
        return -1;
    lc__join_key(q, p, "generator");
    if (lc__check_fields(c, q, json_object_get(pl, "generator"), gen, 1) != 0)
        return -1;
    lc__join_key(q, p, "sources");
    json_t *sources = json_object_get(pl, "sources");
    if (json_array_size(sources) == 0)
        return lc__bad(c, q, "must name at least one source");
    return lc__check_string_set(c, q, sources, 1);
}

int lc_matrix_check(const json_t *doc, char *err, size_t errlen)
{
    static const field top[] = {{"$schema", T_STR, 0, 0},      {"format", T_STR, 1, 0},
                                {"format_version", T_INT, 1, 0}, {"format_minor", T_INT, 0, NONNEG},
                                {"generator", T_OBJ, 1, 0},
                                {"platforms", T_OBJ, 1, 0},    {"results", T_ARR, 1, 0},
                                {NULL, 0, 0, 0}};
    chk c = {err, errlen};
    if (lc__check_fields(&c, "", doc, top, 1) != 0 ||
        check_header(&c, doc, "loopcompat-matrix") != 0)
        return -1;
    json_t *platforms = json_object_get(doc, "platforms");
    if (json_object_size(platforms) == 0)
        return lc__bad(&c, "platforms", "must hold at least one platform");
    const char *pid;
    json_t *pl;
    json_object_foreach(platforms, pid, pl)
        if (check_platform(&c, pid, pl) != 0)
            return -1;
    return check_results(&c, doc, LC_DOC_MATRIX);
}

int lc_doc_check(const json_t *doc, lc_doc_kind want, char *err, size_t errlen)
{
    chk c = {err, errlen};
    if (!json_is_object(doc))
        return lc__bad(&c, "", "expected a JSON object at the top level");
    const char *format = json_string_value(json_object_get(doc, "format"));
    lc_doc_kind kind = want;
    if (kind == LC_DOC_ANY) {
        if (format && strcmp(format, "loopcompat-matrix") == 0)
            kind = LC_DOC_MATRIX;
        else if (format && strcmp(format, "loopcompat-report") == 0)
            kind = LC_DOC_REPORT;
        else
            return lc__bad(&c, "format",
                           "expected \"loopcompat-report\" or \"loopcompat-matrix\"");
    }
    int rc = kind == LC_DOC_MATRIX ? lc_matrix_check(doc, err, errlen)
                                   : lc_report_check(doc, err, errlen);
    return rc == 0 ? (int)kind : -1;
}
