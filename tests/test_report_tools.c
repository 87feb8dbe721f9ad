/* The report tools: strict loading and validate, JUnit and TAP, diff,
 * merge, render, publish's argument checks, and report I/O.  Fixtures are
 * built here; the JUnit file with every status goes to
 * $LC_TEST_REPORT_TOOLS_DIR (when set) for the XSD check (junit_xsd). */
#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "matrix.h"
#include "render.h"
#include "report_ci.h"
#include "report_diff.h"
#include "report_io.h"
#include "report_load.h"

/* One of each status, a variant, every measurement kind, and a message
 * that needs escaping in XML, TAP and Markdown. */
static const char *const k_report =
    "{\"format\":\"loopcompat-report\",\"format_version\":1,"
    "\"generator\":{\"name\":\"loopcompat\",\"version\":\"0.1.0\",\"revision\":\"abc\"},"
    "\"time_start\":1732230000123,\"time_end\":1732230042456,"
    "\"run_info\":{\"platform_id\":\"%s\",\"os\":\"linux\",\"os_version\":\"%s\","
    "\"arch\":\"x86_64\",\"libc\":\"glibc 2.36\",\"cpu_count\":2,\"compiler\":\"gcc 12.2.0\","
    "\"build_type\":\"Release\"},"
    "\"backends\":{\"epoll\":{\"available\":true,\"timeout_granularity_ns\":1},"
    "\"poll\":{\"available\":true,\"timeout_granularity_ns\":1000000},"
    "\"kqueue\":{\"available\":false,\"reason\":{\"code\":\"NOT_APPLICABLE\",\"message\":\"not BSD\"}}},"
    "\"platform_limits\":{\"rlimit_nofile\":{\"soft\":1024,\"hard\":null,\"unit\":\"fd\"},"
    "\"fd_setsize\":{\"value\":1024,\"unit\":\"fd\"}},"
    "\"results\":["
    "{\"case\":\"timers/resolution\",\"backend\":\"epoll\",\"variant\":null,\"status\":\"PASS\","
    "\"expected\":\"PASS\",\"known_intermittent\":[],\"unexpected\":false,\"message\":null,"
    "\"duration_ms\":1500,\"evidence\":{},\"refs\":[],\"measurements\":{"
    "\"lateness_1ms\":{\"kind\":\"distribution\",\"unit\":\"us\",\"n\":200,\"min\":10,\"p50\":60,"
    "\"p90\":80,\"p99\":%d,\"max\":300,\"mean\":65.5},"
    "\"iterations\":{\"kind\":\"counter\",\"unit\":\"iteration\",\"value\":3}}},"
    "{\"case\":\"fds/regular-file\",\"backend\":\"epoll\",\"variant\":null,"
    "\"status\":\"%s\",\"expected\":\"UNSUPPORTED\",\"known_intermittent\":[],\"unexpected\":%s,"
    "\"message\":\"epoll_ctl: EPERM <&\\\"'> #1\",\"duration_ms\":0,"
    "\"evidence\":{\"call\":\"epoll_ctl\",\"errno\":\"EPERM\"},\"refs\":[\"man:epoll_ctl(2)\"],"
    "\"measurements\":{}},"
    "{\"case\":\"fds/regular-file\",\"backend\":\"poll\",\"variant\":null,\"status\":\"FAIL\","
    "\"expected\":\"PASS\",\"known_intermittent\":[],\"unexpected\":true,"
    "\"message\":\"line one\\nline two \\u0001\",\"duration_ms\":12,\"evidence\":{},\"refs\":[],"
    "\"measurements\":{\"max_watched\":{\"kind\":\"limit\",\"unit\":\"fd\",\"value\":1024,"
    "\"stopped_by\":\"EMFILE\"}}},"
    "{\"case\":\"chardev/dev-tty\",\"backend\":\"poll\",\"variant\":null,\"status\":\"SKIP\","
    "\"expected\":\"PASS\",\"known_intermittent\":[\"SKIP\"],\"unexpected\":false,"
    "\"message\":\"no controlling tty\",\"duration_ms\":1,\"evidence\":{},\"refs\":[],"
    "\"measurements\":{}},"
    "{\"case\":\"subprocess/exit-status\",\"backend\":\"poll\",\"variant\":\"pidfd\","
    "\"status\":\"TIMEOUT\",\"expected\":\"PASS\",\"known_intermittent\":[],\"unexpected\":true,"
    "\"message\":\"watchdog after 10000 ms\",\"duration_ms\":10000,\"evidence\":{},\"refs\":[],"
    "\"measurements\":{\"elapsed\":{\"kind\":\"value\",\"unit\":\"ms\",\"value\":10000.5}}},"
    "{\"case\":\"subprocess/exit-status\",\"backend\":\"poll\",\"variant\":\"sigchld\","
    "\"status\":\"CRASH\",\"expected\":\"PASS\",\"known_intermittent\":[],\"unexpected\":true,"
    "\"message\":\"killed by SIGSEGV\",\"duration_ms\":3,\"evidence\":{\"signal\":\"SIGSEGV\"},"
    "\"refs\":[],\"measurements\":{}},"
    "{\"case\":\"signals/coalescing\",\"backend\":\"epoll\",\"variant\":null,\"status\":\"ERROR\","
    "\"expected\":null,\"known_intermittent\":[],\"unexpected\":true,"
    "\"message\":\"no expectation\",\"duration_ms\":2,\"evidence\":{},\"refs\":[],"
    "\"measurements\":{}},"
    "{\"case\":\"tcp/half-close\",\"backend\":\"epoll\",\"variant\":null,\"status\":\"FAIL\","
    "\"expected\":\"FAIL\",\"known_intermittent\":[],\"unexpected\":false,"
    "\"message\":\"known\",\"duration_ms\":4,\"evidence\":{},\"refs\":[\"https://bugs.example/1\"],"
    "\"measurements\":{}}"
    "]}";
#define N_RESULTS 8

/* A report; doctored makes epoll fds/regular-file an unexpected FAIL. */
static json_t *fixture(const char *platform, const char *os_version, int p99, int doctored)
{
    char text[8192];
    snprintf(text, sizeof text, k_report, platform, os_version, p99,
             doctored ? "FAIL" : "UNSUPPORTED", doctored ? "true" : "false");
    json_error_t e;
    json_t *doc = json_loads(text, 0, &e);
    ck_assert_msg(doc != NULL, "fixture: %s at column %d", e.text, e.column);
    return doc;
}

static char g_dir[256];

static void make_dir(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/lc-report-tools-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Runs in the test's child after each test. */
static void remove_dir(void)
{
    if (g_dir[0])
        nftw(g_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    g_dir[0] = '\0';
}

static const char *path_in(const char *name)
{
    static char buf[4][400];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static void write_doc(const json_t *doc, const char *name)
{
    ck_assert_int_eq(json_dump_file(doc, path_in(name), JSON_INDENT(2)), 0);
}

/* Not inlined: inlined into its callers, gcc 12 at -O2 takes the returned
 * buffer for the address of this frame's `data` (-Wdangling-pointer). */
__attribute__((noinline)) static char *slurp(const char *path)
{
    char *data = NULL, err[256];
    size_t len = 0;
    ck_assert_msg(lc_report_fetch(path, &data, &len, err, sizeof err) == 0, "%s", err);
    return data;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static int run_cmd(int (*fn)(int, char **), int argc, const char **argv)
{
    fflush(stdout);
    return fn(argc, (char **)argv);
}

/* ---- strict loading ---- */

static void expect_error(json_t *doc, const char *want)
{
    char err[512];
    ck_assert_int_lt(lc_doc_check(doc, LC_DOC_ANY, err, sizeof err), 0);
    ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"", err, want);
    json_decref(doc);
}

START_TEST(test_check_valid)
{
    char err[512] = "";
    json_t *doc = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    ck_assert_msg(lc_doc_check(doc, LC_DOC_ANY, err, sizeof err) == LC_DOC_REPORT, "%s", err);
    json_decref(doc);
}
END_TEST

START_TEST(test_check_names_field)
{
    json_t *d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_object_set_new(json_array_get(json_object_get(d, "results"), 3), "status",
                        json_string("MAYBE"));
    expect_error(d, "results[3].status: expected one of PASS,FAIL,UNSUPPORTED,TIMEOUT,CRASH,SKIP,ERROR");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_object_del(json_array_get(json_object_get(d, "results"), 2), "duration_ms");
    expect_error(d, "results[2].duration_ms: required field missing");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_object_set_new(json_array_get(json_object_get(d, "results"), 0), "unexpected",
                        json_true());
    expect_error(d, "results[0].unexpected: is true, but status PASS is expected PASS");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_array_clear(json_object_get(json_array_get(json_object_get(d, "results"), 1), "refs"));
    expect_error(d, "results[1].refs: an expected UNSUPPORTED must cite its documentation");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_object_set_new(json_array_get(json_object_get(d, "results"), 0), "backend",
                        json_string("kqueue"));
    expect_error(d, "results[0].backend: \"kqueue\" is declared unavailable");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_array_append(json_object_get(d, "results"),
                      json_array_get(json_object_get(d, "results"), 0));
    expect_error(d, "results[8]: a second result for timers/resolution on epoll");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_object_clear(json_object_get(json_array_get(json_object_get(d, "results"), 5), "evidence"));
    expect_error(d, "results[5].evidence.signal: required for a CRASH");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_object_set_new(json_object_get(json_object_get(json_array_get(json_object_get(d, "results"), 0),
                                                        "measurements"), "lateness_1ms"),
                        "p99", json_integer(5));
    expect_error(d, "results[0].measurements.lateness_1ms.p99: less than p90");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_object_set_new(json_object_get(d, "run_info"), "hostname", json_string("h"));
    expect_error(d, "run_info.hostname: unknown field");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_object_set_new(d, "time_end", json_integer(5));
    expect_error(d, "time_end: earlier than time_start");

    d = fixture("Linux 6", "6.1", 120, 0);
    expect_error(d, "run_info.platform_id: \"Linux 6\" does not match ^[a-z0-9._-]+$");

    d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_object_set_new(json_array_get(json_object_get(d, "results"), 4), "variant",
                        json_string(""));
    expect_error(d, "results[4].variant: must not be empty");
}
END_TEST

START_TEST(test_load_and_validate_cmd)
{
    make_dir();
    json_t *d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    write_doc(d, "good.json");
    json_object_set_new(json_array_get(json_object_get(d, "results"), 3), "status",
                        json_string("MAYBE"));
    write_doc(d, "bad.json");
    json_decref(d);
    FILE *f = fopen(path_in("dup.json"), "w");
    fputs("{\"format\":\"loopcompat-report\",\"format\":\"x\"}", f);
    fclose(f);

    char err[512], url[600];
    ck_assert_ptr_null(lc_doc_load(path_in("dup.json"), LC_DOC_ANY, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "duplicate") != NULL, "%s", err);
    ck_assert_ptr_null(lc_doc_load(path_in("missing.json"), LC_DOC_ANY, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
    snprintf(url, sizeof url, "file://%s", path_in("good.json"));
    lc_doc_kind kind;
    json_t *doc = lc_doc_load(url, LC_DOC_ANY, &kind, err, sizeof err);
    ck_assert_msg(doc != NULL, "%s", err);
    ck_assert_int_eq(kind, LC_DOC_REPORT);
    json_decref(doc);

    const char *ok[] = {"validate", path_in("good.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_validate, 2, ok), 0);
    const char *bad[] = {"validate", path_in("bad.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_validate, 2, bad), 2);
    const char *none[] = {"validate"};
    ck_assert_int_eq(run_cmd(lc_cmd_validate, 1, none), 2);
}
END_TEST

START_TEST(test_io_gzip_and_atomic)
{
    make_dir();
    const char text[] = "{\"hello\": \"gzip\"}\n";
    unsigned char *gz;
    size_t gzlen;
    char err[256];
    ck_assert_int_eq(lc_report_gzip(text, sizeof text - 1, &gz, &gzlen, err, sizeof err), 0);
    ck_assert_int_eq(gz[0], 0x1f);
    ck_assert_int_eq(gz[1], 0x8b);
    ck_assert_int_eq(lc_report_write_file(path_in("x.json.gz"), gz, gzlen, err, sizeof err), 0);
    free(gz);
    char *back = slurp(path_in("x.json.gz"));
    ck_assert_str_eq(back, text);
    free(back);
    /* Only the final file: no temporary left behind. */
    DIR *dir = opendir(g_dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(dir)))
        files += e->d_name[0] != '.';
    closedir(dir);
    ck_assert_int_eq(files, 1);
    ck_assert_int_ne(lc_report_write_file("/nonexistent-dir/x", "a", 1, err, sizeof err), 0);
    ck_assert_msg(strstr(err, "/nonexistent-dir/x") != NULL, "%s", err);
}
END_TEST

/* ---- JUnit and TAP ---- */

START_TEST(test_junit)
{
    make_dir();
    json_t *d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    char err[256];
    ck_assert_int_eq(lc_report_write_junit(d, path_in("r.xml"), err, sizeof err), 0);
    const char *keep = getenv("LC_TEST_REPORT_TOOLS_DIR");
    if (keep) {
        char p[600];
        mkdir(keep, 0777);
        snprintf(p, sizeof p, "%s/statuses.xml", keep);
        ck_assert_msg(lc_report_write_junit(d, p, err, sizeof err) == 0, "%s", err);
    }
    json_decref(d);
    char *x = slurp(path_in("r.xml"));
    /* The Jenkins schema has no skipped= on <testsuites>; the documented
     * refusal is not "skipped": epoll's one skip is its expected FAIL. */
    ck_assert_msg(strstr(x, "<testsuites name=\"loopcompat linux-6.1-x86_64\" tests=\"8\" "
                            "failures=\"1\" errors=\"3\" time=") != NULL, "%s", x);
    ck_assert_msg(strstr(x, "<testsuite name=\"epoll\" tests=\"4\" failures=\"0\" errors=\"1\" "
                            "skipped=\"1\"") != NULL, "%s", x);
    ck_assert_int_eq(count(x, "<testsuite "), 2); /* kqueue had no results */
    ck_assert_ptr_nonnull(strstr(x, "classname=\"loopcompat.poll\""));
    ck_assert_ptr_nonnull(strstr(x, "name=\"subprocess/exit-status [pidfd]\""));
    ck_assert_ptr_nonnull(strstr(x, "<error message=\"TIMEOUT, expected PASS"));
    ck_assert_ptr_nonnull(strstr(x, "type=\"CRASH\""));
    /* The expected refusal passes, says so in status=, and carries its
     * documentation; no <skipped> has a message= attribute. */
    const char *ref = strstr(x, "name=\"fds/regular-file\" classname=\"loopcompat.epoll\"");
    ck_assert_msg(ref != NULL, "%s", x);
    ck_assert_ptr_nonnull(strstr(ref, "status=\"UNSUPPORTED\">\n      <system-out>status: "
                                      "UNSUPPORTED\nexpected: UNSUPPORTED\nrefs: man:epoll_ctl(2)\n"));
    ck_assert_ptr_nonnull(strstr(ref, "message: epoll_ctl: EPERM &lt;&amp;\"'&gt; #1\n</system-out>\n"
                                      "    </testcase>"));
    ck_assert_ptr_null(strstr(x, "<skipped message="));
    ck_assert_ptr_nonnull(strstr(x, "<skipped>no controlling tty</skipped>"));
    ck_assert_ptr_nonnull(strstr(x, "<failure message=\"FAIL, expected PASS: line one&#10;line two "
                                    "\xef\xbf\xbd\" type=\"FAIL\">"));
    ck_assert_ptr_nonnull(strstr(x, "time=\"1.500\""));
    ck_assert_ptr_null(strstr(x, "\x01"));
    free(x);
}
END_TEST

START_TEST(test_tap)
{
    make_dir();
    json_t *d = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    char err[256];
    ck_assert_int_eq(lc_report_tap_version_parse("13"), 13);
    ck_assert_int_eq(lc_report_tap_version_parse("14"), 14);
    ck_assert_int_eq(lc_report_tap_version_parse("12"), -1);
    ck_assert_int_eq(lc_report_tap_version_parse("014"), -1);
    ck_assert_int_eq(lc_report_tap_version_parse("14 "), -1);
    ck_assert_int_eq(lc_report_tap_version_parse(""), -1);
    ck_assert_int_eq(lc_report_write_tap(d, path_in("r14.tap"), 14, err, sizeof err), 0);
    char *t = slurp(path_in("r14.tap"));
    ck_assert_msg(strncmp(t, "TAP version 14\n1..8\n", 20) == 0, "%s", t);
    free(t);
    /* 13 by default (Debian 12's prove rejects 14), and otherwise the same
     * document. */
    ck_assert_int_eq(lc_report_write_tap(d, path_in("r.tap"), 13, err, sizeof err), 0);
    t = slurp(path_in("r.tap"));
    ck_assert_msg(strncmp(t, "TAP version 13\n1..8\n", 20) == 0, "%s", t);
    const char *keep = getenv("LC_TEST_REPORT_TOOLS_DIR");
    if (keep) {
        /* For prove: this one has unexpected results; expected.tap has the
         * same results less those. */
        char p[600];
        mkdir(keep, 0777);
        snprintf(p, sizeof p, "%s/statuses.tap", keep);
        ck_assert_msg(lc_report_write_tap(d, p, 13, err, sizeof err) == 0, "%s", err);
        json_t *results = json_object_get(d, "results");
        for (size_t i = json_array_size(results); i-- > 0;)
            if (json_is_true(json_object_get(json_array_get(results, i), "unexpected")))
                json_array_remove(results, i);
        snprintf(p, sizeof p, "%s/expected.tap", keep);
        ck_assert_msg(lc_report_write_tap(d, p, 13, err, sizeof err) == 0, "%s", err);
    }
    json_decref(d);
    ck_assert_ptr_nonnull(strstr(t, "\nok 1 - epoll timers/resolution\n"));
    ck_assert_ptr_nonnull(strstr(t, "\nok 2 - epoll fds/regular-file # SKIP unsupported "
                                    "(documented: man:epoll_ctl(2))\n"));
    ck_assert_ptr_nonnull(strstr(t, "\nnot ok 3 - poll fds/regular-file\n  ---\n"));
    ck_assert_ptr_nonnull(strstr(t, "  message: \"line one\\nline two \\u0001\"\n"));
    ck_assert_ptr_nonnull(strstr(t, "\nok 4 - poll chardev/dev-tty # SKIP no controlling tty\n"));
    ck_assert_ptr_nonnull(strstr(t, "\nnot ok 8 - epoll tcp/half-close # TODO FAIL as expected "
                                    "(https://bugs.example/1)\n"));
    /* Only the four unexpected results get a YAML block; the expected FAIL
     * is "not ok ... # TODO". */
    ck_assert_int_eq(count(t, "\n  ---\n"), 4);
    ck_assert_int_eq(count(t, "\n  ...\n"), 4);
    ck_assert_int_eq(count(t, "\nnot ok "), 5);
    free(t);
}
END_TEST

/* ---- diff ---- */

START_TEST(test_diff_regression)
{
    make_dir();
    json_t *a = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_t *b = fixture("linux-6.1-x86_64", "6.1", 200, 1);
    write_doc(a, "base.json");
    write_doc(b, "new.json");
    char err[256];
    json_t *diff = lc_diff_compute(a, b, "base", "new", 25, err, sizeof err);
    ck_assert_ptr_nonnull(diff);
    ck_assert_int_eq(lc_diff_regressions(diff), 1);
    json_t *reg = json_array_get(json_object_get(diff, "regressions"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(reg, "case")), "fds/regular-file");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(reg, "new"), "status")),
                     "FAIL");
    json_t *m = json_object_get(diff, "measurement_changes");
    ck_assert_int_eq(json_array_size(m), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 0), "field")), "p99");
    json_decref(diff);
    /* 120 -> 200 is +66.7%: not beyond a 70% tolerance. */
    diff = lc_diff_compute(a, b, "base", "new", 70, err, sizeof err);
    ck_assert_int_eq(json_array_size(json_object_get(diff, "measurement_changes")), 0);
    json_decref(diff);

    const char *regress[] = {"diff", path_in("base.json"), path_in("new.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_diff, 3, regress), 1);
    const char *fixed[] = {"diff", path_in("new.json"), path_in("base.json"), "--json"};
    ck_assert_int_eq(run_cmd(lc_cmd_diff, 4, fixed), 0);
    const char *same[] = {"diff", path_in("base.json"), path_in("base.json"), "--tolerance=5"};
    ck_assert_int_eq(run_cmd(lc_cmd_diff, 4, same), 0);
    const char *badtol[] = {"diff", path_in("base.json"), path_in("new.json"), "--tolerance", "x"};
    ck_assert_int_eq(run_cmd(lc_cmd_diff, 5, badtol), 2);
    const char *missing[] = {"diff", path_in("base.json"), path_in("nope.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_diff, 3, missing), 2);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(test_diff_new_vanished)
{
    json_t *a = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_t *b = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_array_remove(json_object_get(b, "results"), 7);
    json_t *extra = json_deep_copy(json_array_get(json_object_get(b, "results"), 0));
    json_object_set_new(extra, "case", json_string("timers/cancel"));
    json_array_append_new(json_object_get(b, "results"), extra);
    json_object_set_new(json_array_get(json_object_get(b, "results"), 3), "status",
                        json_string("PASS")); /* SKIP -> PASS, both as expected */
    char err[256];
    json_t *diff = lc_diff_compute(a, b, "a", "b", 25, err, sizeof err);
    ck_assert_int_eq(lc_diff_regressions(diff), 0);
    ck_assert_int_eq(json_array_size(json_object_get(diff, "vanished")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(diff, "new_results")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(diff, "status_changes")), 1);
    json_decref(diff);

    /* A vanished row fails diff (exit 1) as a regression does; a new one
     * does not. */
    make_dir();
    json_t *c = json_deep_copy(a);
    json_array_remove(json_object_get(c, "results"), 7);
    write_doc(a, "full.json");
    write_doc(c, "less.json");
    const char *gone[] = {"diff", path_in("full.json"), path_in("less.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_diff, 3, gone), 1);
    const char *more[] = {"diff", path_in("less.json"), path_in("full.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_diff, 3, more), 0);
    json_decref(c);
    json_decref(a);
    json_decref(b);
}
END_TEST

/* ---- merge ---- */

START_TEST(test_merge)
{
    make_dir();
    json_t *a = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_t *b = fixture("linux-6.1-x86_64", "6.1", 120, 1);
    json_t *c = fixture("linux-5.10-aarch64", "5.10", 90, 0);
    json_t *const docs[] = {a, b, c};
    const char *const names[] = {"a.json", "b.json", "c.json"};
    lc_matrix_stats st;
    char err[512];
    json_t *m = lc_matrix_merge(docs, names, 3, NULL, &st, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_int_eq(st.platforms, 2);
    ck_assert_int_eq(st.replaced, N_RESULTS);
    ck_assert_int_eq(st.results, 2 * N_RESULTS);
    ck_assert_int_eq(lc_doc_check(m, LC_DOC_ANY, err, sizeof err), LC_DOC_MATRIX);
    /* Later wins: b's doctored FAIL replaced a's UNSUPPORTED. */
    size_t i;
    json_t *r;
    int seen = 0;
    json_array_foreach(json_object_get(m, "results"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "case")), "fds/regular-file") == 0 &&
            strcmp(json_string_value(json_object_get(r, "backend")), "epoll") == 0 &&
            strcmp(json_string_value(json_object_get(r, "platform")), "linux-6.1-x86_64") == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(r, "status")), "FAIL");
            seen++;
        }
    }
    ck_assert_int_eq(seen, 1);
    json_t *pl = json_object_get(json_object_get(m, "platforms"), "linux-6.1-x86_64");
    ck_assert_int_eq(json_array_size(json_object_get(pl, "sources")), 2);
    json_decref(m);

    write_doc(a, "a.json");
    write_doc(c, "c.json");
    const char *ok[] = {"merge", path_in("a.json"), path_in("c.json"), "-o", path_in("m.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_merge, 5, ok), 0);
    const char *val[] = {"validate", path_in("m.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_validate, 2, val), 0);
    /* A matrix merges with a report too. */
    const char *again[] = {"merge", path_in("m.json"), path_in("a.json"), "-o", path_in("m2.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_merge, 5, again), 0);
    const char *noout[] = {"merge", path_in("a.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_merge, 2, noout), 2);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}
END_TEST

START_TEST(test_merge_conflict)
{
    make_dir();
    json_t *a = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_t *b = fixture("linux-6.1-x86_64", "6.1.5", 120, 0);
    json_t *const docs[] = {a, b};
    const char *const names[] = {"a.json", "b.json"};
    char err[512];
    ck_assert_ptr_null(lc_matrix_merge(docs, names, 2, NULL, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "platform linux-6.1-x86_64: run_info.os_version differs between "
                              "a.json (\"6.1\") and b.json (\"6.1.5\")") != NULL,
                  "%s", err);
    write_doc(a, "a.json");
    write_doc(b, "b.json");
    const char *argv[] = {"merge", path_in("a.json"), path_in("b.json"), "-o", path_in("m.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_merge, 5, argv), 2);
    ck_assert_int_ne(access(path_in("m.json"), F_OK), 0);
    json_decref(a);
    json_decref(b);
}
END_TEST

/* ---- render ---- */

START_TEST(test_render)
{
    make_dir();
    json_t *a = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_t *c = fixture("linux-5.10-aarch64", "5.10", 90, 0);
    json_array_remove(json_object_get(c, "results"), 0); /* a "no data" cell */
    write_doc(a, "a.json");
    write_doc(c, "c.json");
    const char *merge[] = {"merge", path_in("a.json"), path_in("c.json"), "-o", path_in("m.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_merge, 5, merge), 0);
    const char *render[] = {"render", path_in("m.json"), "--html", path_in("site"),
                            "--markdown", path_in("m.md")};
    ck_assert_int_eq(run_cmd(lc_cmd_render, 6, render), 0);
    char *h = slurp(path_in("site/index.html"));
    /* 7 rows (case, variant) x 4 columns (2 platforms x epoll, poll): each
     * result a linked cell, the rest "no data". */
    ck_assert_int_eq(count(h, "<td class=\"c st-"), 2 * N_RESULTS - 1);
    ck_assert_int_eq(count(h, "<td class=\"st-none p"), 28 - 2 * N_RESULTS + 1);
    ck_assert_int_eq(count(h, "<tr class=\"case\""), 7);
    ck_assert_ptr_nonnull(strstr(h, "<input id=\"filter\""));
    ck_assert_ptr_nonnull(strstr(h, "<li id=\"note-1\"><a class=\"ref\" "
                                    "href=\"https://man7.org/linux/man-pages/man2/epoll_ctl.2.html\">"
                                    "man:epoll_ctl(2)</a></li>"));
    ck_assert_ptr_nonnull(strstr(h, "<td class=\"c st-UNSUPPORTED p0\"><a "
                                    "href=\"cases/fds.regular-file.html#r-linux-6.1-x86_64--epoll\""));
    ck_assert_ptr_nonnull(strstr(h, "\xe2\x8a\x98<span class=\"vh\"> UNSUPPORTED</span><sup>1</sup>"));
    /* Both platforms fold without script: a checkbox each, and its rule. */
    ck_assert_ptr_nonnull(strstr(h, "<input type=\"checkbox\" id=\"fold1\">"));
    ck_assert_ptr_nonnull(strstr(h, "#fold1:checked~.scroll .p1{display:none}"));
    ck_assert_ptr_nonnull(strstr(h, "rlimit_nofile: soft 1024 / hard unlimited fd"));
    ck_assert_ptr_nonnull(strstr(h, "kqueue: n/a"));
    /* Nothing for the browser to fetch but the site's own stylesheet. */
    ck_assert_ptr_null(strstr(h, "src="));
    ck_assert_int_eq(count(h, "<link"), 1);
    ck_assert_ptr_nonnull(strstr(h, "<link rel=\"stylesheet\" href=\"style.css\">"));
    ck_assert_ptr_null(strstr(h, "url("));
    ck_assert_ptr_null(strstr(h, "@import"));
    free(h);
    /* The case page: the panel the cell links to, everything in the open. */
    char *p = slurp(path_in("site/cases/fds.regular-file.html"));
    ck_assert_ptr_nonnull(strstr(p, "<section class=\"panel\" id=\"r-linux-6.1-x86_64--epoll\">"));
    ck_assert_ptr_nonnull(strstr(p, "epoll_ctl: EPERM &lt;&amp;&quot;&#39;&gt; #1"));
    ck_assert_ptr_nonnull(strstr(p, "line one\nline two &#xFFFD;"));
    ck_assert_ptr_nonnull(strstr(p, "<td>1024 fd, stopped by EMFILE</td>"));
    /* The merged matrix carries each report's evidence and duration. */
    ck_assert_ptr_nonnull(strstr(p, "<li><code>call</code>: epoll_ctl</li>"));
    ck_assert_ptr_nonnull(strstr(p, "<dt>duration</dt><dd>12 ms</dd>"));
    ck_assert_ptr_nonnull(strstr(p, "<rect class=\"bar\""));
    ck_assert_ptr_nonnull(strstr(p, "<a href=\"#r-linux-5.10-aarch64--poll\">"));
    free(p);
    p = slurp(path_in("site/cases/timers.resolution.html"));
    ck_assert_ptr_nonnull(strstr(p, "n 200, min 10 us, p50 60 us, p90 80 us, p99 120 us, max 300 us, "
                                    "mean 65.5 us"));
    ck_assert_ptr_nonnull(strstr(p, "<polyline class=\"cdf\""));
    ck_assert_ptr_nonnull(strstr(p, ">epoll</text>"));
    ck_assert_ptr_nonnull(strstr(p, "steps through min, p50, p90, p99 and max"));
    free(p);
    char *md = slurp(path_in("m.md"));
    ck_assert_ptr_nonnull(strstr(md, "| case | epoll<br>linux-6.1-x86\\_64 | poll<br>linux-6.1-x86\\_64 |"));
    ck_assert_ptr_nonnull(strstr(md, "| chardev/dev-tty | \xc2\xb7 | \xe2\x80\x93 SKIP |"));
    ck_assert_ptr_nonnull(strstr(md, "**! \xe2\x9c\x97 FAIL**"));
    ck_assert_ptr_nonnull(strstr(md, "1. man:epoll\\_ctl(2)\n"));
    free(md);
    /* A report renders as a one-platform matrix, with its evidence and each
     * run's duration as a bar. */
    const char *one[] = {"render", path_in("a.json"), "--markdown", path_in("a.md"), "--html",
                         path_in("one")};
    ck_assert_int_eq(run_cmd(lc_cmd_render, 6, one), 0);
    p = slurp(path_in("one/cases/fds.regular-file.html"));
    ck_assert_ptr_nonnull(strstr(p, "<li><code>call</code>: epoll_ctl</li>"));
    ck_assert_ptr_nonnull(strstr(p, "<dt>duration</dt><dd>12 ms</dd>"));
    ck_assert_ptr_nonnull(strstr(p, "<rect class=\"bar\""));
    free(p);
    const char *nothing[] = {"render", path_in("a.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_render, 2, nothing), 2);
    json_decref(a);
    json_decref(c);
}
END_TEST

START_TEST(test_render_differences)
{
    make_dir();
    json_t *a = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    json_t *c = fixture("linux-5.10-aarch64", "5.10", 90, 1);
    write_doc(a, "a.json");
    write_doc(c, "c.json");
    const char *merge[] = {"merge", path_in("a.json"), path_in("c.json"), "-o", path_in("m.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_merge, 5, merge), 0);
    const char *render[] = {"render", path_in("m.json"), "--markdown", path_in("d.md"),
                            "--differences"};
    ck_assert_int_eq(run_cmd(lc_cmd_render, 5, render), 0);
    char *md = slurp(path_in("d.md"));
    /* The one row where a backend disagrees with itself across platforms,
     * with the platforms of each status; nothing else. */
    ck_assert_msg(strstr(md, "| fds/regular-file | epoll | \xe2\x8a\x98 UNSUPPORTED on "
                             "linux-6.1-x86\\_64; \xe2\x9c\x97 FAIL on linux-5.10-aarch64 |\n") != NULL,
                  "%s", md);
    ck_assert_int_eq(count(md, "\n| "), 2); /* the header and that row */
    ck_assert_ptr_nonnull(strstr(md, "1 of 7 rows differ between platforms."));
    free(md);
    const char *no_md[] = {"render", path_in("m.json"), "--html", path_in("site"), "--differences"};
    ck_assert_int_eq(run_cmd(lc_cmd_render, 5, no_md), 2);
    json_decref(a);
    json_decref(c);
}
END_TEST

/* ---- publish: what fails before any network traffic, and a dead port ---- */

START_TEST(test_publish_args)
{
    make_dir();
    json_t *a = fixture("linux-6.1-x86_64", "6.1", 120, 0);
    write_doc(a, "a.json");
    json_decref(a);
    const char *nourl[] = {"publish", path_in("a.json")};
    ck_assert_int_eq(run_cmd(lc_cmd_publish, 2, nourl), 2);
    const char *ftp[] = {"publish", path_in("a.json"), "--url", "ftp://127.0.0.1/x"};
    ck_assert_int_eq(run_cmd(lc_cmd_publish, 4, ftp), 2);
    const char *method[] = {"publish", path_in("a.json"), "--url", "http://127.0.0.1:9/x",
                            "--method", "GET"};
    ck_assert_int_eq(run_cmd(lc_cmd_publish, 6, method), 2);
    unsetenv("LC_TEST_NO_SUCH_TOKEN");
    const char *token[] = {"publish", path_in("a.json"), "--url", "http://127.0.0.1:9/x",
                           "--token-env", "LC_TEST_NO_SUCH_TOKEN"};
    ck_assert_int_eq(run_cmd(lc_cmd_publish, 6, token), 2);
    FILE *f = fopen(path_in("bad.json"), "w");
    fputs("{\"format\":\"loopcompat-report\"}", f);
    fclose(f);
    const char *invalid[] = {"publish", path_in("bad.json"), "--url", "http://127.0.0.1:9/x"};
    ck_assert_int_eq(run_cmd(lc_cmd_publish, 4, invalid), 2);
    /* Port 9 (discard) on loopback has no listener here: refused at once. */
    const char *dead[] = {"publish", path_in("a.json"), "--url", "http://127.0.0.1:9/x",
                          "--retries", "0", "--connect-timeout", "2"};
    ck_assert_int_eq(run_cmd(lc_cmd_publish, 8, dead), 3); /* LC_EXIT_NETWORK */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("report_tools");
    TCase *t = tcase_create("load");
    tcase_add_checked_fixture(t, NULL, remove_dir);
    tcase_add_test(t, test_check_valid);
    tcase_add_test(t, test_check_names_field);
    tcase_add_test(t, test_load_and_validate_cmd);
    tcase_add_test(t, test_io_gzip_and_atomic);
    suite_add_tcase(s, t);
    t = tcase_create("ci");
    tcase_add_checked_fixture(t, NULL, remove_dir);
    tcase_add_test(t, test_junit);
    tcase_add_test(t, test_tap);
    suite_add_tcase(s, t);
    t = tcase_create("diff");
    tcase_add_checked_fixture(t, NULL, remove_dir);
    tcase_add_test(t, test_diff_regression);
    tcase_add_test(t, test_diff_new_vanished);
    suite_add_tcase(s, t);
    t = tcase_create("merge");
    tcase_add_checked_fixture(t, NULL, remove_dir);
    tcase_add_test(t, test_merge);
    tcase_add_test(t, test_merge_conflict);
    suite_add_tcase(s, t);
    t = tcase_create("render");
    tcase_add_checked_fixture(t, NULL, remove_dir);
    tcase_add_test(t, test_render);
    tcase_add_test(t, test_render_differences);
    suite_add_tcase(s, t);
    t = tcase_create("publish");
    tcase_add_checked_fixture(t, NULL, remove_dir);
    tcase_add_test(t, test_publish_args);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
