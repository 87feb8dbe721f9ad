/* JUnit XML, in the shape Jenkins' junit plugin and GitLab's unit test
 * reports read: <testsuites> of one <testsuite> per backend; a testcase
 * passes unless it has a <failure>, <error> or <skipped> child; times are
 * seconds.  GitLab shows classname as the suite and drops a second case
 * with the same name, so the name carries the variant.
 *
 * Valid under the Jenkins JUnit schema (junit-4.xsd, which JUnit 5's own
 * tests validate against; tests/junit.xsd states its rules): <testsuites>
 * has no skipped= count, <skipped> has no attributes (its reason is its
 * text), and <testcase> has no <properties> but a status= attribute.
 * "skipped" means "could not run" (SKIP); a documented refusal, expected,
 * is a passing testcase with status="UNSUPPORTED" and its refs and
 * evidence in <system-out> (docs/reports.md, "CI formats"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_flags.h"
#include "report_ci.h"
#include "report_load.h"
#include "text.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD]
 * | [#x10000-#x10FFFF].  The other C0 controls, U+FFFE and U+FFFF cannot
 * appear even as character references, and bytes that are not UTF-8 make
 * the document not well-formed (§4.3.3; a message cut to fit a buffer can
 * end inside a character): all become U+FFFD.  So do DEL, the C1 controls
 * (allowed, but "discouraged" by §2.2) and the other characters text.h
 * shows escaped, since CI tools print these messages to terminals. */
static void xml_escape(FILE *out, const char *s, int attr)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n;) {
        unsigned long ch;
        size_t k = lc_utf8_decode(u + i, n - i, &ch);
        if (k == 0) {
            fputs(REPLACEMENT, out);
            i++;
            continue;
        }
        switch (ch) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs(attr ? "&quot;" : "\"", out); break;
        case '\'': fputs(attr ? "&apos;" : "'", out); break;
        case '\n': fputs(attr ? "&#10;" : "\n", out); break;
        case '\r': fputs("&#13;", out); break;
        case '\t': fputs(attr ? "&#9;" : "\t", out); break;
        default:
            if (lc_text_unsafe_cp(ch) || ch == 0xfffe || ch == 0xffff)
                fputs(REPLACEMENT, out);
            else
                fwrite(u + i, 1, k, out);
        }
        i += k;
    }
}

static const char *str(const json_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(r, key));
    return s ? s : "";
}

enum outcome { O_PASS, O_SKIPPED, O_FAILURE, O_ERROR };

static enum outcome outcome_of(const json_t *r)
{
    const char *st = str(r, "status");
    if (!json_is_true(json_object_get(r, "unexpected")))
        return strcmp(st, "PASS") == 0 || strcmp(st, "UNSUPPORTED") == 0 ? O_PASS : O_SKIPPED;
    if (strcmp(st, "ERROR") == 0 || strcmp(st, "CRASH") == 0 || strcmp(st, "TIMEOUT") == 0)
        return O_ERROR;
    return O_FAILURE;
}

/* The one-line reason a case is skipped or failed. */
static void reason(const json_t *r, char *buf, size_t len)
{
    const char *st = str(r, "status");
    const char *msg = str(r, "message");
    char refs[512];
    lc_result_refs_text(r, refs, sizeof refs);
    if (json_is_true(json_object_get(r, "unexpected")))
        snprintf(buf, len, "%s, expected %s%s%s", st, lc_result_expected_text(r), msg[0] ? ": " : "",
                 msg);
    else if (strcmp(st, "SKIP") == 0)
        snprintf(buf, len, "%s", msg[0] ? msg : "skipped");
    else
        snprintf(buf, len, "%s as expected%s%s%s%s%s", st, refs[0] ? " (" : "", refs,
                 refs[0] ? ")" : "", msg[0] ? ": " : "", msg);
}

static void details(FILE *out, const json_t *r)
{
    char refs[512];
    lc_result_refs_text(r, refs, sizeof refs);
    fputs("status: ", out);
    xml_escape(out, str(r, "status"), 0);
    fputs("\nexpected: ", out);
    xml_escape(out, lc_result_expected_text(r), 0);
    fputc('\n', out);
    if (json_array_size(json_object_get(r, "known_intermittent"))) {
        char *ki = json_dumps(json_object_get(r, "known_intermittent"), JSON_COMPACT | LC_JSON_REALS);
        fprintf(out, "known_intermittent: %s\n", ki ? ki : "");
        free(ki);
    }
    if (refs[0]) {
        fputs("refs: ", out);
        xml_escape(out, refs, 0);
        fputc('\n', out);
    }
    json_t *ev = json_object_get(r, "evidence");
    if (json_object_size(ev)) {
        char *s = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS | LC_JSON_REALS);
        fputs("evidence: ", out);
        xml_escape(out, s, 0);
        fputc('\n', out);
        free(s);
    }
    if (str(r, "message")[0]) {
        fputs("message: ", out);
        xml_escape(out, str(r, "message"), 0);
        fputc('\n', out);
    }
}

static void testcase(FILE *out, const json_t *r, const char *backend)
{
    char name[300], why[1200];
    lc_result_label(r, name, sizeof name);
    double secs = json_number_value(json_object_get(r, "duration_ms")) / 1000.0;
    fputs("    <testcase name=\"", out);
    xml_escape(out, name, 1);
    fputs("\" classname=\"loopcompat.", out);
    xml_escape(out, backend, 1);
    fprintf(out, "\" time=\"%.3f\" status=\"", secs);
    xml_escape(out, str(r, "status"), 1);
    fputs("\">\n", out);
    enum outcome o = outcome_of(r);
    reason(r, why, sizeof why);
    if (o == O_SKIPPED) {
        fputs("      <skipped>", out);
        xml_escape(out, why, 0);
        fputs("</skipped>\n", out);
    } else if (o == O_FAILURE || o == O_ERROR) {
        fprintf(out, "      <%s message=\"", o == O_ERROR ? "error" : "failure");
        xml_escape(out, why, 1);
        fputs("\" type=\"", out);
        xml_escape(out, str(r, "status"), 1);
        fputs("\">", out);
        details(out, r);
        fprintf(out, "</%s>\n", o == O_ERROR ? "error" : "failure");
    }
    /* A refusal that passes carries its documentation (details: status,
     * expected, refs, evidence, message), so a reader sees why it passed. */
    int refusal = o == O_PASS && strcmp(str(r, "status"), "UNSUPPORTED") == 0;
    json_t *m = lc_report_ci_measurements(r);
    if (refusal || json_object_size(m)) {
        fputs("      <system-out>", out);
        if (refusal)
            details(out, r);
        if (json_object_size(m)) {
            char *s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS | LC_JSON_REALS);
            fputs("measurements: ", out);
            xml_escape(out, s, 0);
            free(s);
        }
        fputs("</system-out>\n", out);
    }
    json_decref(m);
    fputs("    </testcase>\n", out);
}

struct counts {
    size_t tests, failures, errors, skipped;
    double secs;
};

static void count(const json_t *results, const char *backend, struct counts *c)
{
    size_t i;
    json_t *r;
    memset(c, 0, sizeof *c);
    json_array_foreach(results, i, r) {
        if (backend && strcmp(str(r, "backend"), backend) != 0)
            continue;
        c->tests++;
        c->secs += json_number_value(json_object_get(r, "duration_ms")) / 1000.0;
        switch (outcome_of(r)) {
        case O_FAILURE: c->failures++; break;
        case O_ERROR: c->errors++; break;
        case O_SKIPPED: c->skipped++; break;
        default: break;
        }
    }
}

static void properties(FILE *out, const json_t *run_info)
{
    const char *key;
    json_t *v;
    if (json_object_size(run_info) == 0)
        return; /* the schema wants one <property> or more */
    fputs("    <properties>\n", out);
    json_object_foreach((json_t *)run_info, key, v) {
        char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | LC_JSON_REALS);
        fputs("      <property name=\"", out);
        xml_escape(out, key, 1);
        fputs("\" value=\"", out);
        xml_escape(out, s ? s : json_string_value(v), 1);
        fputs("\"/>\n", out);
        free(s);
    }
    fputs("    </properties>\n", out);
}

int lc_report_junit_stream(const json_t *report, FILE *out)
{
    json_t *results = json_object_get(report, "results");
    json_t *run_info = json_object_get(report, "run_info");
    struct counts all;
    count(results, NULL, &all);
    time_t t0 = (time_t)(json_integer_value(json_object_get(report, "time_start")) / 1000);
    struct tm tm;
    char stamp[32];
    gmtime_r(&t0, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fputs("<testsuites name=\"loopcompat ", out);
    xml_escape(out, str(run_info, "platform_id"), 1);
    /* No skipped= here: the schema has it on <testsuite> only. */
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", all.tests,
            all.failures, all.errors, all.secs);
    const char *backend;
    json_t *decl;
    json_object_foreach(json_object_get(report, "backends"), backend, decl) {
        struct counts c;
        count(results, backend, &c);
        if (c.tests == 0)
            continue;
        fputs("  <testsuite name=\"", out);
        xml_escape(out, backend, 1);
        fprintf(out,
                "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\""
                " timestamp=\"%s\">\n",
                c.tests, c.failures, c.errors, c.skipped, c.secs, stamp);
        properties(out, run_info);
        size_t i;
        json_t *r;
        json_array_foreach(results, i, r)
            if (strcmp(str(r, "backend"), backend) == 0)
                testcase(out, r, backend);
        fputs("  </testsuite>\n", out);
    }
    fputs("</testsuites>\n", out);
    return ferror(out) ? -1 : 0;
}

int lc_report_write_junit(const json_t *report, const char *path, char *err, size_t errlen)
{
    return lc_report_write_with(lc_report_junit_stream, report, path, err, errlen);
}
