/* TAP version 13 (the default) or 14 (testanything.org,
 * tap-version-13-specification and tap-version-14-specification): the
 * version line, the plan first, one test point per result.  Version 13 is
 * the default because Test::Harness 3.44 (Debian 12's prove) rejects a
 * "TAP version 14" line.  The output uses nothing 14 added (no subtests,
 * no pragmas), so the two differ in the version line only; YAML blocks are
 * in 13 already.  Anything
 * unexpected is "not ok" (so a harness fails the run, as the report's exit
 * status does) with a YAML diagnostics block; expected non-passing outcomes
 * are "# SKIP" or "# TODO" directives, which TAP does not count as
 * failures.  YAML values are written as JSON, which YAML 1.2 reads as flow
 * scalars and collections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_flags.h"
#include "report_ci.h"
#include "report_load.h"
#include "text.h"

static const char *str(const json_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(r, key));
    return s ? s : "";
}

/* A test point is one line, and "#" in a description would start a
 * directive (TAP 14: "Escaping"; Test::Harness reads "\#" the same way
 * under version 13): the text is cleaned first (text.h: LF, CR,
 * ESC and the other controls become visible escapes), then '#' and '\' are
 * escaped, so a reader sees the escapes as written. */
static void tap_text(FILE *out, const char *s, int escape_hash)
{
    for (s = lc_text_show(s); *s; s++) {
        if (escape_hash && (*s == '#' || *s == '\\'))
            fprintf(out, "\\%c", *s);
        else
            fputc(*s, out);
    }
}

/* JSON escapes the C0 controls; JSON_ENSURE_ASCII also escapes the C1
 * controls, line separators and bidirectional controls (text.h) that JSON
 * lets through as they are.  DEL is left raw by both: written here as the
 * JSON escape it may be (RFC 8259 §7). */
static void yaml_json(FILE *out, const char *key, const json_t *v)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | LC_JSON_REALS);
    fprintf(out, "  %s: ", key);
    for (const char *p = s ? s : "null"; *p; p++) {
        if (*p == 0x7f)
            fputs("\\u007f", out);
        else
            fputc(*p, out);
    }
    fputc('\n', out);
    free(s);
}

static void diagnostics(FILE *out, const json_t *r)
{
    static const char *const keys[] = {"case",    "backend", "variant", "status",
                                       "expected", "known_intermittent", "message",
                                       "duration_ms", "refs", "evidence", "measurements", NULL};
    fputs("  ---\n", out);
    for (int i = 0; keys[i]; i++) {
        json_t *v = json_object_get(r, keys[i]);
        int meas = v && strcmp(keys[i], "measurements") == 0;
        if (meas)
            v = lc_report_ci_measurements(r);
        if (v)
            yaml_json(out, keys[i], v);
        if (meas)
            json_decref(v);
    }
    fputs("  ...\n", out);
}

int lc_report_tap_version_parse(const char *s)
{
    if (strcmp(s, "13") == 0)
        return 13;
    if (strcmp(s, "14") == 0)
        return 14;
    return -1;
}

int lc_report_tap_stream_version(const json_t *report, FILE *out, int version)
{
    json_t *results = json_object_get(report, "results");
    size_t n = json_array_size(results);
    fprintf(out, "TAP version %d\n", version == 14 ? 14 : 13);
    if (n == 0) {
        /* A skip-all plan: "1..0" with a SKIP directive (both versions). */
        fputs("1..0 # SKIP no results in the report\n", out);
        return ferror(out) ? -1 : 0;
    }
    fprintf(out, "1..%zu\n", n);
    fputs("# loopcompat on ", out);
    tap_text(out, str(json_object_get(report, "run_info"), "platform_id"), 0);
    fputc('\n', out);
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r) {
        const char *st = str(r, "status");
        int unexpected = json_is_true(json_object_get(r, "unexpected"));
        int ok = !unexpected && (strcmp(st, "PASS") == 0 || strcmp(st, "SKIP") == 0 ||
                                 strcmp(st, "UNSUPPORTED") == 0);
        char label[300], refs[512];
        lc_result_label(r, label, sizeof label);
        lc_result_refs_text(r, refs, sizeof refs);
        fprintf(out, "%s %zu - ", ok ? "ok" : "not ok", i + 1);
        tap_text(out, str(r, "backend"), 1);
        fputc(' ', out);
        tap_text(out, label, 1);
        const char *msg = str(r, "message");
        if (!unexpected && strcmp(st, "SKIP") == 0) {
            fputs(" # SKIP ", out);
            tap_text(out, msg[0] ? msg : "skipped", 0);
        } else if (!unexpected && strcmp(st, "UNSUPPORTED") == 0) {
            fputs(" # SKIP unsupported (documented: ", out);
            tap_text(out, refs, 0);
            fputc(')', out);
        } else if (!unexpected && strcmp(st, "PASS") != 0) {
            fprintf(out, " # TODO %s as expected", st);
            if (refs[0]) {
                fputs(" (", out);
                tap_text(out, refs, 0);
                fputc(')', out);
            }
        }
        fputc('\n', out);
        if (unexpected)
            diagnostics(out, r);
    }
    return ferror(out) ? -1 : 0;
}

int lc_report_tap_stream(const json_t *report, FILE *out)
{
    return lc_report_tap_stream_version(report, out, LC_TAP_VERSION_DEFAULT);
}

static int tap14(const json_t *report, FILE *out)
{
    return lc_report_tap_stream_version(report, out, 14);
}

int lc_report_write_tap(const json_t *report, const char *path, int version, char *err,
                        size_t errlen)
{
    return lc_report_write_with(version == 14 ? tap14 : lc_report_tap_stream, report, path, err,
                                errlen);
}
