/* Documents held as rows (report_rows.h): the loader that never builds a
 * json_t of the whole document must accept and refuse exactly what the
 * whole-document loader does, with the same message, and the rows must
 * turn back into the same results and the same matrix bytes. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_flags.h"
#include "json_flat.h"
#include "matrix.h"
#include "report_load.h"
#include "report_rows.h"

/* Every status, a variant, a measurement, an escaped message, a refusal. */
static const char k_head[] =
    "{\"format\":\"loopcompat-report\",\"format_version\":1,"
    "\"generator\":{\"name\":\"loopcompat\",\"version\":\"0.1.0\",\"revision\":\"abc\"},"
    "\"time_start\":1,\"time_end\":2,"
    "\"run_info\":{\"platform_id\":\"linux-6.1-x86_64\",\"os\":\"linux\",\"os_version\":\"6.1\","
    "\"arch\":\"x86_64\",\"libc\":\"glibc 2.36\",\"cpu_count\":2,\"compiler\":\"gcc 12.2.0\","
    "\"build_type\":\"Release\"},"
    "\"backends\":{\"epoll\":{\"available\":true,\"timeout_granularity_ns\":1},"
    "\"poll\":{\"available\":true,\"timeout_granularity_ns\":1000000}},"
    "\"platform_limits\":{\"fd_setsize\":{\"value\":1024,\"unit\":\"fd\"}},\n\"results\": [\n";

static const char *const k_rows[] = {
    "{\"case\":\"timers/resolution\",\"backend\":\"epoll\",\"variant\":null,\"status\":\"PASS\","
    "\"expected\":\"PASS\",\"known_intermittent\":[],\"unexpected\":false,\"message\":null,"
    "\"duration_ms\":15,\"evidence\":{},\"refs\":[],\"measurements\":{"
    "\"lateness\":{\"kind\":\"distribution\",\"unit\":\"us\",\"n\":200,\"min\":10,\"p50\":60,"
    "\"p90\":80,\"p99\":90.25,\"max\":300,\"mean\":65.5}}}",
    "{\"case\":\"fds/regular-file\",\"backend\":\"epoll\",\"variant\":null,"
    "\"status\":\"UNSUPPORTED\",\"expected\":\"UNSUPPORTED\",\"known_intermittent\":[],"
    "\"unexpected\":false,\"message\":\"epoll_ctl: EPERM <&\\\"'> \\u00e9\\n\",\"duration_ms\":0,"
    "\"evidence\":{\"call\":\"epoll_ctl\",\"errno\":\"EPERM\"},\"refs\":[\"man:epoll_ctl(2)\"],"
    "\"measurements\":{}}",
    "{\"case\":\"subprocess/exit-status\",\"backend\":\"poll\",\"variant\":\"pidfd\","
    "\"status\":\"SKIP\",\"expected\":\"PASS\",\"known_intermittent\":[\"FAIL\",\"SKIP\"],"
    "\"unexpected\":false,\"message\":\"no pidfd\",\"duration_ms\":1,\"evidence\":{},"
    "\"refs\":[],\"measurements\":{}}",
    "{\"case\":\"signals/coalescing\",\"backend\":\"poll\",\"variant\":null,\"status\":\"CRASH\","
    "\"expected\":null,\"known_intermittent\":[],\"unexpected\":true,"
    "\"message\":\"killed\",\"duration_ms\":2,\"evidence\":{\"signal\":\"SIGSEGV\"},\"refs\":[],"
    "\"measurements\":{}}",
    NULL};

static char g_path[64];

/* The report with each row passed through edit (may be NULL). */
static char *report_text(const char *(*edit)(int i, const char *row))
{
    size_t cap = 16384, len = 0;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    len += (size_t)snprintf(t, cap, "%s", k_head);
    for (int i = 0; k_rows[i]; i++) {
        const char *row = edit ? edit(i, k_rows[i]) : k_rows[i];
        len += (size_t)snprintf(t + len, cap - len, "%s%s\n", i ? "," : "", row);
    }
    snprintf(t + len, cap - len, "]}\n");
    ck_assert_uint_lt(strlen(t), cap - 1);
    return t;
}

static const char *write_tmp(const char *text)
{
    snprintf(g_path, sizeof g_path, "/tmp/lc-report-rows-XXXXXX");
    int fd = mkstemp(g_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return g_path;
}

START_TEST(test_rows_match_results)
{
    char *text = report_text(NULL);
    const char *path = write_tmp(text);
    char err[512];
    lc_rdoc *d = lc_rdoc_load(path, LC_DOC_ANY, err, sizeof err);
    ck_assert_msg(d != NULL, "%s", err);
    json_t *doc = lc_doc_load(path, LC_DOC_ANY, NULL, err, sizeof err);
    ck_assert_msg(doc != NULL, "%s", err);
    ck_assert_int_eq(d->kind, LC_DOC_REPORT);
    ck_assert_uint_eq(d->n, 4);
    /* Each row is its result plus the platform: what a matrix result holds
     * (since format_minor 2 with the evidence and duration_ms). */
    for (size_t i = 0; i < d->n; i++) {
        json_t *want = json_deep_copy(json_array_get(json_object_get(doc, "results"), i));
        json_object_set_new(want, "platform", json_string("linux-6.1-x86_64"));
        json_t *got = lc_row_json(&d->rows[i]);
        ck_assert_msg(json_equal(want, got), "row %zu differs", i);
        json_decref(want);
        json_decref(got);
    }
    ck_assert_ptr_eq(d->rows[0].platform, d->rows[3].platform);
    ck_assert_ptr_null(d->rows[0].variant);
    ck_assert_str_eq(d->rows[2].variant, "pidfd");
    ck_assert_int_eq(d->rows[3].unexpected, 1);
    ck_assert_int_eq(d->rows[1].has_refs, 1);
    json_decref(doc);
    lc_rdoc_free(d);
    unlink(path);
    free(text);
}
END_TEST

/* A matrix written row by row is the bytes json_dumps writes. */
START_TEST(test_write_matches_dumps)
{
    char *text = report_text(NULL);
    const char *path = write_tmp(text);
    char err[512];
    lc_rdoc *d = lc_rdoc_load(path, LC_DOC_REPORT, err, sizeof err);
    ck_assert_msg(d != NULL, "%s", err);
    lc_rdoc *const docs[2] = {d, d};
    const char *const names[2] = {"a.json", "b.json"};
    lc_matrix_stats st;
    lc_rdoc *m = lc_rdoc_merge(docs, names, 2, NULL, &st, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_uint_eq(st.replaced, 4);
    json_t *mj = lc_rdoc_to_json(m);
    ck_assert_ptr_nonnull(mj);
    char *want = lc_json_dumps_flat(mj);
    char *got = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&got, &len);
    ck_assert_int_eq(lc_rdoc_write(m, f), 0);
    fclose(f);
    ck_assert_uint_eq(len, strlen(want) + 1);
    ck_assert_int_eq(memcmp(got, want, strlen(want)), 0);
    ck_assert_int_eq(got[len - 1], '\n');
    /* And it loads back as the same matrix. */
    ck_assert_int_eq(lc_doc_check(mj, LC_DOC_ANY, err, sizeof err), LC_DOC_MATRIX);
    free(want);
    free(got);
    json_decref(mj);
    lc_rdoc_free(m);
    lc_rdoc_free(d);
    unlink(path);
    free(text);
}
END_TEST

/* Bad documents: the row loader says what the whole-document loader says. */
static const char *bad_status(int i, const char *row)
{
    static char buf[1024];
    if (i != 2)
        return row;
    snprintf(buf, sizeof buf, "%s", row);
    memcpy(strstr(buf, "\"SKIP\""), "\"MAYB\"", 6);
    return buf;
}

static const char *dup_key(int i, const char *row)
{
    static char buf[1024];
    if (i != 1)
        return row;
    snprintf(buf, sizeof buf, "{\"case\":\"x/y\",%s", row + 1);
    return buf;
}

static const char *dup_row(int i, const char *row)
{
    return i == 3 ? k_rows[0] : row;
}

static const char *deep(int i, const char *row)
{
    static char buf[1024];
    if (i != 0)
        return row;
    snprintf(buf, sizeof buf, "{\"deep\":%s,%s", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", row + 1);
    return buf;
}

static void same_error(const char *text)
{
    const char *path = write_tmp(text);
    char e1[512] = "", e2[512] = "";
    lc_rdoc *d = lc_rdoc_load(path, LC_DOC_ANY, e1, sizeof e1);
    json_t *doc = lc_doc_load(path, LC_DOC_ANY, NULL, e2, sizeof e2);
    ck_assert_ptr_null(d);
    ck_assert_ptr_null(doc);
    ck_assert_str_eq(e1, e2);
    unlink(path);
}

START_TEST(test_bad_input_same_error)
{
    const char *(*edits[])(int, const char *) = {bad_status, dup_key, dup_row, deep};
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *text = report_text(edits[i]);
        same_error(text);
        free(text);
    }
    char *text = report_text(NULL);
    size_t n = strlen(text);
    /* A syntax error near the end, after rows that would pass. */
    char *late = strdup(text);
    late[n - 4] = 'x';
    same_error(late);
    /* A second "results" key, and trailing garbage. */
    char *two = malloc(n + 32);
    snprintf(two, n + 32, "%.*s,\"results\":[]}", (int)(n - 2), text);
    same_error(two);
    snprintf(two, n + 32, "%s x", text);
    same_error(two);
    same_error("");
    same_error("[]");
    free(late);
    free(two);
    free(text);
}
END_TEST

/* Every input the fuzzers keep (seeds and past findings): the same
 * verdict, the same message, and accepted documents the same results. */
START_TEST(test_fuzz_inputs_same_verdict)
{
    static const char *const dirs[] = {"corpus/report", "corpus/matrix", "regressions/report",
                                       "regressions/matrix", NULL};
    int files = 0;
    for (int k = 0; dirs[k]; k++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/fuzz/%s", LC_TEST_SOURCE_DIR, dirs[k]);
        DIR *dh = opendir(dir);
        if (!dh)
            continue;
        struct dirent *e;
        while ((e = readdir(dh)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[1024], e1[512] = "", e2[512] = "";
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            lc_rdoc *d = lc_rdoc_load(path, LC_DOC_ANY, e1, sizeof e1);
            json_t *doc = lc_doc_load(path, LC_DOC_ANY, NULL, e2, sizeof e2);
            ck_assert_msg((d == NULL) == (doc == NULL), "%s: %s / %s", path, e1, e2);
            if (doc) {
                lc_rdoc *want = lc_rdoc_from_json(doc);
                ck_assert_ptr_nonnull(want);
                ck_assert_uint_eq(d->n, want->n);
                ck_assert(json_equal(d->head, want->head));
                for (size_t i = 0; i < d->n; i++) {
                    json_t *a = lc_row_json(&d->rows[i]), *b = lc_row_json(&want->rows[i]);
                    ck_assert_msg(json_equal(a, b), "%s: row %zu", path, i);
                    json_decref(a);
                    json_decref(b);
                }
                lc_rdoc_free(want);
            } else {
                ck_assert_str_eq(e1, e2);
            }
            lc_rdoc_free(d);
            json_decref(doc);
            files++;
        }
        closedir(dh);
    }
    ck_assert_int_ge(files, 6);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report_rows");
    TCase *t = tcase_create("rows");
    tcase_add_test(t, test_rows_match_results);
    tcase_add_test(t, test_write_matches_dumps);
    tcase_add_test(t, test_bad_input_same_error);
    tcase_add_test(t, test_fuzz_inputs_same_verdict);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
