/* Inputs the fuzzers (fuzz/) found crashing or breaking a rule, fed again
 * to the parser they broke.  fuzz/regressions/<target>/ holds them; each
 * must now load or be refused with a one-line error. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expectations.h"
#include "journal.h"
#include "report_load.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: cannot open", path);
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap + 1);
            ck_assert(buf != NULL);
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

typedef void (*feed_fn)(const char *name, const char *data, size_t len);

/* Feeds every file of fuzz/regressions/<target>/; returns how many. */
static int each_input(const char *target, feed_fn feed)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz/regressions/%s", LC_TEST_SOURCE_DIR, target);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        char *data = slurp(path, &len);
        feed(e->d_name, data, len);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

static void assert_one_line(const char *name, const char *err)
{
    ck_assert_msg(strchr(err, '\n') == NULL, "%s: the error spans lines: %s", name, err);
    for (const char *p = err; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f,
                      "%s: control character 0x%02x in the error", name, (unsigned char)*p);
}

static void feed_report(const char *name, const char *data, size_t len)
{
    char err[768] = "";
    json_t *doc = lc_doc_parse(name, data, len, LC_DOC_REPORT, NULL, err, sizeof err);
    if (doc)
        json_decref(doc);
    else
        assert_one_line(name, err);
}

static void feed_matrix(const char *name, const char *data, size_t len)
{
    char err[768] = "";
    json_t *doc = lc_doc_parse(name, data, len, LC_DOC_MATRIX, NULL, err, sizeof err);
    if (doc)
        json_decref(doc);
    else
        assert_one_line(name, err);
}

static void feed_expectations(const char *name, const char *data, size_t len)
{
    char err[768] = "";
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    if (root && lc_expectations_validate(root, name, err, sizeof err) < 0)
        assert_one_line(name, err);
    json_decref(root);
}

START_TEST(test_saved_inputs)
{
    int n = each_input("report", feed_report) + each_input("matrix", feed_matrix) +
            each_input("expectations", feed_expectations);
    ck_assert_int_gt(n, 0);
}
END_TEST

/* The first finding, spelled out: a case id with a newline in it was
 * echoed into the error verbatim, making it two lines. */
START_TEST(test_newline_in_a_case_id)
{
    static const char doc[] =
        "{\"format\": \"loopcompat-report\", \"format_version\": 1,"
        " \"generator\": {\"name\": \"loopcompat\", \"version\": \"0.1.0\", \"revision\": \"x\"},"
        " \"time_start\": 1, \"time_end\": 2,"
        " \"run_info\": {\"platform_id\": \"linux-6.18-x86_64\", \"os\": \"linux\","
        "   \"os_version\": \"6.18\", \"arch\": \"x86_64\", \"libc\": \"glibc 2.36\","
        "   \"cpu_count\": 2, \"compiler\": \"gcc 12.2.0\", \"build_type\": \"Release\"},"
        " \"backends\": {\"epoll\": {\"available\": true, \"timeout_granularity_ns\": 1}},"
        " \"platform_limits\": {},"
        " \"results\": [{\"case\": \"timers/c\\nancel\", \"backend\": \"epoll\","
        "   \"variant\": null, \"status\": \"PASS\", \"expected\": \"PASS\","
        "   \"known_intermittent\": [], \"unexpected\": false, \"message\": \"ok\","
        "   \"duration_ms\": 1, \"evidence\": {}, \"refs\": [], \"measurements\": {}}]}";
    char err[768] = "";
    json_t *d = lc_doc_parse("r.json", doc, sizeof doc - 1, LC_DOC_REPORT, NULL, err, sizeof err);
    ck_assert_ptr_null(d);
    ck_assert_msg(strstr(err, "results[0].case") != NULL, "error: %s", err);
    assert_one_line("r.json", err);
}
END_TEST

/* The second finding: jansson's syntax errors quote the input near the
 * fault, and an invalid escape followed by a newline put the newline into
 * the error. */
START_TEST(test_newline_in_a_json_syntax_error)
{
    static const char doc[] = "{\"format\": \"x\\\n\"}";
    char err[768] = "";
    json_t *d = lc_doc_parse("m.json", doc, sizeof doc - 1, LC_DOC_ANY, NULL, err, sizeof err);
    ck_assert_ptr_null(d);
    ck_assert_msg(strstr(err, "m.json: line 2 column 0: invalid escape") != NULL, "error: %s", err);
    assert_one_line("m.json", err);
}
END_TEST

/* The same rule for the expectations file: a key is echoed in errors. */
START_TEST(test_escape_in_an_expectations_key)
{
    static const char doc[] = "{\"format\": \"loopcompat-expectations\", \"format_version\": 1,"
                              " \"cases\": {\"timers/x\\u001b[2J\": {}}}";
    char err[768] = "";
    json_t *root = json_loadb(doc, sizeof doc - 1, 0, NULL);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(lc_expectations_validate(root, "e.json", err, sizeof err), -1);
    assert_one_line("e.json", err);
    json_decref(root);
}
END_TEST

/* A journal with a torn last record reads as the records before it; one
 * broken in the middle is refused with its line number. */
START_TEST(test_journal_torn_and_broken)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fuzz/corpus/report/journal.json", LC_TEST_SOURCE_DIR);
    size_t len;
    char *data = slurp(path, &len);
    ck_assert(lc_journal_detect(data, len));
    char err[768] = "";
    json_t *whole = lc_doc_parse("j", data, len, LC_DOC_REPORT, NULL, err, sizeof err);
    ck_assert_msg(whole != NULL, "%s", err);
    size_t rows = json_array_size(json_object_get(whole, "results"));
    ck_assert_int_ge(rows, 2);
    ck_assert(json_is_true(json_object_get(whole, "incomplete")));
    json_decref(whole);

    /* Cut inside the last record: one result fewer, still valid. */
    json_t *torn = lc_doc_parse("j", data, len - 10, LC_DOC_REPORT, NULL, err, sizeof err);
    ck_assert_msg(torn != NULL, "%s", err);
    ck_assert_int_eq(json_array_size(json_object_get(torn, "results")), rows - 1);
    json_decref(torn);

    /* Break the second line's JSON. */
    char *nl = memchr(data, '\n', len);
    ck_assert_ptr_nonnull(nl);
    nl[2] = '#';
    json_t *broken = lc_doc_parse("j", data, len, LC_DOC_REPORT, NULL, err, sizeof err);
    ck_assert_ptr_null(broken);
    ck_assert_msg(strstr(err, "j: line 2:") != NULL, "error: %s", err);
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuzz_regressions");
    TCase *tc = tcase_create("inputs");
    tcase_add_test(tc, test_saved_inputs);
    tcase_add_test(tc, test_newline_in_a_case_id);
    tcase_add_test(tc, test_newline_in_a_json_syntax_error);
    tcase_add_test(tc, test_escape_in_an_expectations_key);
    tcase_add_test(tc, test_journal_torn_and_broken);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
