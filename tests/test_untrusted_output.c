/* What reaches a terminal, a CI log or a CI file from text the harness does
 * not control: a case's message and ids (as the terminal matrix and its
 * "unexpected" lines print them), and a report's strings as JUnit, TAP and
 * Markdown write them.  The documents are built here, past the loader's
 * patterns, so every field carries the worst: LF, CR, ESC sequences, the
 * C0 controls XML 1.0 forbids, DEL, C1 controls, U+FFFE/U+FFFF, a
 * right-to-left override, '|', '#', and UTF-8 cut inside a character. */
#include <check.h>
#include <jansson.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "lc_case.h"
#include "plan.h"
#include "render.h"
#include "report_ci.h"
#include "runner.h"
#include "term.h"

static const char k_hostile[] = "a|b\nnot ok 99 - forged # SKIP\r\x1b[2J\x1b]0;t\x07\x08\x01\x0b"
                                "\x0c\x1f\x7f\xc2\x85\xc2\x9b\xe2\x80\xae\xe2\x80\xa8\xef\xbf\xbe"
                                "\xef\xbf\xbf end";

/* Where terminal_lines found a fault, for the messages. */
static size_t bad_at;

/* Text as the cleaner should leave it for a terminal: valid UTF-8 with no
 * control character but LF, no line separator, no bidi control.  Returns
 * the number of lines, or -1 (the byte in bad_at). */
static int terminal_lines(const char *s, size_t n)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int lines = 0;
    for (size_t i = 0; i < n;) {
        wchar_t wc;
        size_t k = mbrtowc(&wc, s + i, n - i, &st);
        bad_at = i;
        if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
            return -1;
        if (wc == L'\n')
            lines++;
        else if (iswcntrl((wint_t)wc) || wc == 0x2028 || wc == 0x2029 || wc == 0x202e)
            return -1;
        i += k;
    }
    return lines;
}

static char *capture_buf;
static size_t capture_len;

static FILE *capture(void)
{
    free(capture_buf);
    capture_buf = NULL;
    FILE *f = open_memstream(&capture_buf, &capture_len);
    ck_assert_ptr_nonnull(f);
    return f;
}

static json_t *hostile_report(void)
{
    json_t *r = json_pack(
        "{s:s, s:s, s:s?, s:s, s:s, s:[], s:b, s:s%, s:i, s:{s:s%}, s:[s%, s], s:{}}", "case",
        "area/case", "backend", "poll", "variant", NULL, "status", "FAIL", "expected", "PASS",
        "known_intermittent", "unexpected", 1, "message", k_hostile, sizeof k_hostile - 1, "duration_ms", 3,
        "evidence", "call", k_hostile, sizeof k_hostile - 1, "refs", k_hostile,
        sizeof k_hostile - 1, "</failure><forged/>", "measurements");
    /* A message cut inside a character, as a fixed buffer can leave it. */
    json_t *cut = json_pack("{s:s, s:s, s:n, s:s, s:s, s:[], s:b, s:o, s:i, s:{}, s:[], s:{}}",
                            "case", "area/cut", "backend", "poll", "variant", "status", "SKIP",
                            "expected", "PASS", "known_intermittent", "unexpected", 0, "message",
                            json_stringn_nocheck("cut \xe2\x82", 6), "duration_ms", 1, "evidence",
                            "refs", "measurements");
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(cut);
    return json_pack("{s:s, s:I, s:{s:s%, s:s%}, s:{s:{s:b}}, s:[o, o]}", "format",
                     "loopcompat-report", "time_start", (json_int_t)1732230000123, "run_info",
                     "platform_id", k_hostile, sizeof k_hostile - 1, "os_version", k_hostile,
                     sizeof k_hostile - 1, "backends", "poll", "available", 1, "results", r, cut);
}

/* The hostile report as fn writes it, in capture_buf. */
static void write_report(int (*fn)(const json_t *, FILE *))
{
    json_t *rep = hostile_report();
    FILE *f = capture();
    ck_assert_int_eq(fn(rep, f), 0);
    fclose(f);
    json_decref(rep);
}

START_TEST(test_junit_is_xml)
{
    write_report(lc_report_junit_stream);
    /* XML 1.0 §2.2 Char, and nothing a terminal acts on: no C0 but TAB, LF,
     * CR; no DEL or C1; not U+FFFE or U+FFFF; valid UTF-8 (§4.3.3). */
    mbstate_t st;
    memset(&st, 0, sizeof st);
    for (size_t i = 0; i < capture_len;) {
        wchar_t wc;
        size_t k = mbrtowc(&wc, capture_buf + i, capture_len - i, &st);
        ck_assert_msg(k != (size_t)-1 && k != (size_t)-2 && k != 0,
                      "JUnit is not UTF-8 at byte %zu", i);
        ck_assert_msg(wc == L'\t' || wc == L'\n' || wc == L'\r' || !iswcntrl((wint_t)wc),
                      "JUnit has control character U+%04X at byte %zu", (unsigned)wc, i);
        ck_assert_msg(wc != 0xfffe && wc != 0xffff, "JUnit has U+%04X", (unsigned)wc);
        i += k;
    }
    ck_assert_ptr_nonnull(strstr(capture_buf, "a|b&#10;not ok 99"));
    ck_assert_msg(!strstr(capture_buf, "<forged/>"), "refs were written as markup");
}
END_TEST

START_TEST(test_tap_lines)
{
    write_report(lc_report_tap_stream);
    ck_assert_msg(terminal_lines(capture_buf, capture_len) >= 1, "TAP: a control at byte %zu: %s",
                  bad_at, capture_buf + bad_at);
    /* Every line is the version, the plan, a comment, a test point or the
     * indented YAML block; two results, two test points. */
    int points = 0;
    for (char *line = capture_buf; *line;) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        if (strncmp(line, "ok ", 3) == 0 || strncmp(line, "not ok ", 7) == 0)
            points++;
        else
            ck_assert_msg(strcmp(line, "TAP version 13") == 0 || strcmp(line, "1..2") == 0 ||
                              line[0] == '#' || strncmp(line, "  ", 2) == 0,
                          "a line TAP does not expect: %s", line);
        line = nl + 1;
    }
    ck_assert_int_eq(points, 2);
}
END_TEST

/* The number of '|' in line not escaped by a backslash. */
static int cells(const char *line)
{
    int n = 0;
    for (const char *p = line; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == '|')
            n++;
    }
    return n;
}

START_TEST(test_markdown_cells)
{
    json_t *m = json_pack(
        "{s:s, s:{s:{s:{s:s, s:s, s:s}, s:{s:{s:b}}}}, s:[{s:s, s:s%, s:s, s:s%, s:s, s:b, "
        "s:[s%], s:{}}]}",
        "format", "loopcompat-matrix", "platforms", "p", "run_info", "os", "linux", "os_version",
        "6.1", "arch", "x86_64", "backends", "poll", "available", 1, "results", "platform", "p",
        "case", k_hostile, sizeof k_hostile - 1, "backend", "poll", "variant", k_hostile,
        sizeof k_hostile - 1, "status", "UNSUPPORTED", "unexpected", 0, "refs", k_hostile,
        sizeof k_hostile - 1, "measurements");
    lc_render r;
    ck_assert_int_eq(lc_render_init(&r, m), 0);
    FILE *f = capture();
    ck_assert_int_eq(lc_render_markdown(&r, f), 0);
    fclose(f);
    lc_render_free(&r);
    json_decref(m);
    ck_assert_msg(terminal_lines(capture_buf, capture_len) >= 1,
                  "Markdown: a control at byte %zu: %s", bad_at, capture_buf + bad_at);
    int header = -1, rows = 0;
    for (char *line = capture_buf; *line;) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        if (line[0] == '|') {
            if (header < 0)
                header = cells(line);
            ck_assert_msg(cells(line) == header, "a row with other cells than the header: %s",
                          line);
            rows++;
        }
        line = nl + 1;
    }
    /* Header, delimiter, the area's row, the case's row. */
    ck_assert_int_eq(rows, 4);
}
END_TEST

static void no_case(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)ctx;
    (void)loop;
}

START_TEST(test_terminal)
{
    lc_case c = {k_hostile, k_hostile, no_case, 0, NULL, 0};
    lc_plan plan;
    lc_plan_init(&plan);
    ck_assert_int_eq(lc_plan_add(&plan, &c, "poll", NULL), 0);
    lc_result res;
    memset(&res, 0, sizeof res);
    res.done = 1;
    res.status = LC_STATUS_FAIL;
    res.message = (char *)k_hostile;
    res.has_expectation = 1;
    res.expected = LC_STATUS_PASS;
    res.unexpected = 1;
    FILE *f = capture();
    lc_term_unexpected(f, &plan, &res, 0);
    fclose(f);
    ck_assert_int_eq(terminal_lines(capture_buf, capture_len), 1);

    json_t *backends = json_pack("{s:{s:b}, s:{s:b, s:{s:s, s:s%}}}", "poll", "available", 1,
                                 "kqueue", "available", 0, "reason", "code", "NOT_APPLICABLE",
                                 "message", k_hostile, sizeof k_hostile - 1);
    f = capture();
    lc_term_matrix(f, &plan, &res, backends, 0);
    fclose(f);
    json_decref(backends);
    /* The header, the case's row, the unavailable backend's line. */
    ck_assert_int_eq(terminal_lines(capture_buf, capture_len), 3);
    lc_plan_free(&plan);
}
END_TEST

int main(void)
{
    /* mbrtowc reads UTF-8 under this locale (glibc's C.UTF-8). */
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        puts("no C.UTF-8 locale: skipping");
        return 77;
    }
    Suite *s = suite_create("untrusted_output");
    TCase *t = tcase_create("formats");
    tcase_add_test(t, test_junit_is_xml);
    tcase_add_test(t, test_tap_lines);
    tcase_add_test(t, test_markdown_cells);
    tcase_add_test(t, test_terminal);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(capture_buf);
    return failed ? 1 : 0;
}
