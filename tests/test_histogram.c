/* A distribution's histogram (format_minor 1): the log2x8 bucket of a
 * value at powers of two, sub-bucket edges, 0 and negatives; histograms
 * built from samples; the strict check; a round trip through the report
 * writer, the loaders and merge; and a report of format 1.0, without
 * format_minor or histograms, through every tool. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "histogram.h"
#include "json_flat.h"
#include "report_json.h"
#include "report_load.h"
#include "report_rows.h"
#include "result.h"

#define OLD_REPORT LC_TEST_SOURCE_DIR "/tests/data/report-format-1.0.json"

static void expect_bucket(double v, double lo, double hi)
{
    double l, h;
    lc_histogram_bucket(v, &l, &h);
    ck_assert_msg(l == lo && h == hi, "%.17g: [%.17g, %.17g), want [%.17g, %.17g)", v, l, h, lo,
                  hi);
}

START_TEST(test_bucket_edges)
{
    /* Powers of two open a range; each range has 8 equal buckets. */
    expect_bucket(1, 1, 1.125);
    expect_bucket(2, 2, 2.25);
    expect_bucket(1024, 1024, 1152);
    expect_bucket(0.5, 0.5, 0.5625);
    expect_bucket(nextafter(2, 0), 1.875, 2);
    expect_bucket(nextafter(1024, 0), 960, 1024);
    /* Sub-bucket edges: lo is in, hi is out. */
    expect_bucket(1.125, 1.125, 1.25);
    expect_bucket(nextafter(1.125, 0), 1, 1.125);
    expect_bucket(1152, 1152, 1280);
    expect_bucket(1151.5, 1024, 1152);
    expect_bucket(88, 88, 96);
    expect_bucket(87.999, 80, 88);
    expect_bucket(7, 7, 7.5);
    expect_bucket(3, 3, 3.25);
    /* 0 has the bucket [0, 0]; -0 is 0. */
    expect_bucket(0, 0, 0);
    expect_bucket(-0.0, 0, 0);
    /* Negatives: mirrored cells, still lo <= v < hi. */
    expect_bucket(-1, -1, -0.9375);
    expect_bucket(-1.1, -1.125, -1);
    expect_bucket(-1.125, -1.125, -1);
    expect_bucket(-2, -2, -1.875);
    expect_bucket(nextafter(-1, 0), -1, -0.9375);
}
END_TEST

/* Every value is in its bucket, buckets are at most 1/8 of their lower
 * edge wide, and a bucket's midpoint names the same bucket. */
START_TEST(test_bucket_properties)
{
    unsigned long long x = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double m = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
        int e = (int)(x % 121) - 60;
        double v = ldexp(m, e) * (x & (1ULL << 40) ? -1 : 1);
        double lo, hi, lo2, hi2;
        lc_histogram_bucket(v, &lo, &hi);
        if (v == 0) {
            ck_assert(lo == 0 && hi == 0);
            continue;
        }
        ck_assert_msg(lo <= v && v < hi, "%.17g not in [%.17g, %.17g)", v, lo, hi);
        double mag = v > 0 ? lo : -hi;
        ck_assert_msg(hi - lo <= mag / 8, "[%.17g, %.17g) wider than 12.5%%", lo, hi);
        ck_assert(lo < 0 ? hi <= 0 : lo > 0);
        lc_histogram_bucket(lo / 2 + hi / 2, &lo2, &hi2);
        ck_assert(lo2 == lo && hi2 == hi);
    }
}
END_TEST

static json_t *bucket_at(const json_t *h, size_t i)
{
    return json_array_get(json_object_get(h, "buckets"), i);
}

START_TEST(test_build_counts_every_sample)
{
    double s[] = {-3, -1.1, -1, 0, 0, 0, 1, 1.1, 1.124, 1.125, 7.9, 8, 100, 101, 1e6};
    size_t n = sizeof s / sizeof s[0];
    json_t *h = lc_histogram_build(s, n);
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(json_string_value(json_object_get(h, "scheme")), "log2x8");
    json_t *want = json_loads("[[-3, -2.75, 1], [-1.125, -1, 1], [-1, -0.9375, 1], [0, 0, 3],"
                              " [1, 1.125, 3], [1.125, 1.25, 1], [7.5, 8, 1], [8, 9, 1],"
                              " [96, 104, 2], [983040, 1048576, 1]]",
                              0, NULL);
    ck_assert_ptr_nonnull(want);
    char *got = json_dumps(json_object_get(h, "buckets"), JSON_COMPACT);
    ck_assert_msg(json_equal(json_object_get(h, "buckets"), want), "got %s", got);
    free(got);
    json_int_t sum = 0;
    for (size_t i = 0; i < json_array_size(want); i++)
        sum += json_integer_value(json_array_get(bucket_at(h, i), 2));
    ck_assert_int_eq(sum, (json_int_t)n);
    char why[200];
    ck_assert_msg(lc_histogram_check(h, (json_int_t)n, s[0], s[n - 1], why, sizeof why) == 0,
                  "%s", why);
    /* Whole edges are integers, the others reals. */
    ck_assert(json_is_integer(json_array_get(bucket_at(h, 0), 0)));
    ck_assert(json_is_real(json_array_get(bucket_at(h, 0), 1)));
    json_decref(want);
    json_decref(h);

    /* Edges that doubles cannot hold: no histogram rather than a wrong one. */
    double huge[] = {1, ldexp(15, 1020)}, big[] = {1, ldexp(1, 1023)};
    ck_assert_ptr_null(lc_histogram_build(huge, 2));
    json_decref(h = lc_histogram_build(big, 2)); /* its top edge is 9 * 2^1020 */
    ck_assert_ptr_nonnull(h);
    double tiny[] = {ldexp(1, -1071)}, small[] = {ldexp(1, -1070)};
    ck_assert_ptr_null(lc_histogram_build(tiny, 1));
    json_decref(h = lc_histogram_build(small, 1));
    ck_assert_ptr_nonnull(h);
}
END_TEST

static json_t *load_old(void)
{
    char err[512];
    json_t *doc = lc_doc_load(OLD_REPORT, LC_DOC_REPORT, NULL, err, sizeof err);
    ck_assert_msg(doc != NULL, "%s", err);
    return doc;
}

/* The first distribution of results[0] of doc (the old fixture has one). */
static json_t *first_distribution(json_t *doc, const char **name)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "results"), i, r) {
        const char *k;
        json_t *m;
        json_object_foreach(json_object_get(r, "measurements"), k, m)
            if (strcmp(json_string_value(json_object_get(m, "kind")), "distribution") == 0) {
                if (name)
                    *name = k;
                return m;
            }
    }
    ck_abort_msg("no distribution in the fixture");
    return NULL;
}

/* A doctored histogram of the first distribution: the loader's verdict. */
static void expect_rejected(const char *buckets, const char *scheme, const char *want)
{
    json_t *doc = load_old();
    json_t *m = first_distribution(doc, NULL);
    json_object_set_new(m, "n", json_integer(4));
    json_object_set_new(m, "min", json_real(1));
    json_object_set_new(m, "p50", json_real(2));
    json_object_set_new(m, "p90", json_real(3));
    json_object_set_new(m, "p99", json_real(3));
    json_object_set_new(m, "max", json_real(3));
    json_t *h = json_pack("{s:s, s:o}", "scheme", scheme, "buckets", json_loads(buckets, 0, NULL));
    json_object_set_new(m, "histogram", h);
    char err[512];
    ck_assert_int_eq(lc_doc_check(doc, LC_DOC_ANY, err, sizeof err), -1);
    ck_assert_msg(strstr(err, ".histogram") && strstr(err, want), "%s (want %s)", err, want);
    ck_assert_ptr_null(strchr(err, '\n'));
    /* The same histogram, well formed, passes: the doctoring is the fault. */
    json_object_set_new(m, "histogram",
                        json_loads("{\"scheme\":\"log2x8\",\"buckets\":[[1,1.125,1],[2,2.25,1],"
                                   "[3,3.25,2]]}",
                                   0, NULL));
    ck_assert_msg(lc_doc_check(doc, LC_DOC_ANY, err, sizeof err) == LC_DOC_REPORT, "%s", err);
    json_decref(doc);
}

START_TEST(test_check_rejects_malformed)
{
    expect_rejected("[[1,1.125,1],[2,2.25,1],[3,3.25,1]]", "log2x8", "sum to 3, not n = 4");
    expect_rejected("[[1,1.125,1],[2,2.25,1],[3,3.25,3]]", "log2x8", "more than n = 4");
    expect_rejected("[[2,2.25,1],[1,1.125,1],[3,3.25,2]]", "log2x8", "is not after");
    expect_rejected("[[1,1.125,1],[1,1.125,1],[3,3.25,2]]", "log2x8", "is not after");
    expect_rejected("[[1,1.125,1],[2,2.5,1],[3,3.25,2]]", "log2x8", "not a bucket of log2x8");
    expect_rejected("[[1,1.125,1],[2,2.25,1],[3,3.25,2]]", "log2x4", "scheme");
    expect_rejected("[[1,1.125,2],[2,2.25,0],[3,3.25,2]]", "log2x8", "count 0");
    expect_rejected("[[1,1.125],[2,2.25,1],[3,3.25,2]]", "log2x8", "[lo, hi, count]");
    expect_rejected("[[1,1.125,1.5],[2,2.25,1],[3,3.25,2]]", "log2x8", "[lo, hi, count]");
    expect_rejected("[]", "log2x8", "non-empty");
    expect_rejected("[[1,1.125,1],[2,2.25,1],[4,4.5,2]]", "log2x8", "max 3 is not in the last");
    expect_rejected("[[1.125,1.25,1],[2,2.25,1],[3,3.25,2]]", "log2x8",
                    "min 1 is not in the first");
    expect_rejected("[[-1,1,1],[2,2.25,1],[3,3.25,2]]", "log2x8", "not a bucket");
}
END_TEST

static char g_dir[64];

static const char *in_dir(const char *name)
{
    static char buf[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/lc-histogram-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
}

static void teardown(void)
{
    static const char *const names[] = {"new.json", "m.json", "m2.json", "m.md", "html/index.html",
                                        "html", NULL};
    for (int i = 0; names[i]; i++)
        remove(in_dir(names[i]));
    rmdir(g_dir);
}

/* The old fixture with one distribution measured by the case API: values
 * at edges, 0, negatives, and ones whose edges need more than 15 digits. */
static json_t *new_report(void)
{
    json_t *doc = load_old();
    lc_case_ctx *ctx = lc_ctx_new("poll", NULL, NULL, "/tmp");
    double s[] = {-2, -1, 0, 1, 1.125, 3e-9, 1e-3, 7e-5, 1151.5, 1152, 4096, 123456.789};
    lc_case_measure_distribution(ctx, "shape", s, sizeof s / sizeof s[0], "us");
    lc_case_pass(ctx, "ok");
    json_t *rec = lc_ctx_record(ctx);
    json_t *r0 = json_array_get(json_object_get(doc, "results"), 0);
    json_object_set(json_object_get(r0, "measurements"), "shape",
                    json_object_get(json_object_get(rec, "measurements"), "shape"));
    json_object_set_new(doc, "format_minor", json_integer(LC_REPORT_FORMAT_MINOR));
    json_decref(rec);
    lc_ctx_free(ctx);
    return doc;
}

static json_t *shape_of(const json_t *doc)
{
    json_t *r0 = json_array_get(json_object_get(doc, "results"), 0);
    return json_object_get(json_object_get(json_object_get(r0, "measurements"), "shape"),
                           "histogram");
}

/* Buckets equal to 15 significant digits, as the writer keeps reals. */
static void expect_same_buckets(const json_t *a, const json_t *b)
{
    json_t *ba = json_object_get(a, "buckets"), *bb = json_object_get(b, "buckets");
    ck_assert_uint_eq(json_array_size(ba), json_array_size(bb));
    ck_assert_uint_gt(json_array_size(ba), 8);
    for (size_t i = 0; i < json_array_size(ba); i++)
        for (size_t k = 0; k < 3; k++) {
            double x = json_number_value(json_array_get(json_array_get(ba, i), k));
            double y = json_number_value(json_array_get(json_array_get(bb, i), k));
            ck_assert_msg(fabs(x - y) <= 1e-14 * fabs(x), "buckets[%zu][%zu]: %.17g vs %.17g", i,
                          k, x, y);
        }
}

static int run_cmd(int (*fn)(int, char **), char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    fflush(stdout);
    return fn(argc, argv);
}

START_TEST(test_round_trip)
{
    json_t *doc = new_report();
    char err[512];
    ck_assert_msg(lc_report_write(doc, in_dir("new.json"), err, sizeof err) == 0, "%s", err);
    /* Whole loader, row loader, validate. */
    json_t *back = lc_doc_load(in_dir("new.json"), LC_DOC_ANY, NULL, err, sizeof err);
    ck_assert_msg(back != NULL, "%s", err);
    ck_assert_int_eq(json_integer_value(json_object_get(back, "format_minor")), LC_REPORT_FORMAT_MINOR);
    expect_same_buckets(shape_of(doc), shape_of(back));
    lc_rdoc *rows = lc_rdoc_load(in_dir("new.json"), LC_DOC_ANY, err, sizeof err);
    ck_assert_msg(rows != NULL, "%s", err);
    json_t *row0 = lc_row_json(&rows->rows[0]);
    json_t *rh = json_object_get(
        json_object_get(json_object_get(row0, "measurements"), "shape"), "histogram");
    expect_same_buckets(shape_of(doc), rh);
    json_decref(row0);
    lc_rdoc_free(rows);
    ck_assert_int_eq(run_cmd(lc_cmd_validate, (char *[]){"validate", (char *)in_dir("new.json"), NULL}), 0);
    /* A bucket is one line of the file. */
    FILE *f = fopen(in_dir("new.json"), "r");
    char line[256];
    int one_line = 0;
    while (f && fgets(line, sizeof line, f))
        one_line += strstr(line, "[1, 1.125, 1]") != NULL;
    fclose(f);
    ck_assert_int_eq(one_line, 1);
    /* Merged into a matrix and back. */
    ck_assert_int_eq(run_cmd(lc_cmd_merge, (char *[]){"merge", (char *)in_dir("new.json"), "-o",
                                                      (char *)in_dir("m.json"), NULL}),
                     0);
    json_t *m = lc_doc_load(in_dir("m.json"), LC_DOC_MATRIX, NULL, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "format_minor")), LC_REPORT_FORMAT_MINOR);
    int found = 0;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(m, "results"), i, r) {
        json_t *h = json_object_get(
            json_object_get(json_object_get(r, "measurements"), "shape"), "histogram");
        if (h) {
            expect_same_buckets(shape_of(doc), h);
            found++;
        }
    }
    ck_assert_int_eq(found, 1);
    /* merge writes row by row the bytes the whole-document writer would. */
    char *want = lc_json_dumps_flat(m), *got = NULL;
    size_t len = 0;
    f = fopen(in_dir("m.json"), "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(getdelim(&got, &len, '\0', f) > 0, 1);
    fclose(f);
    ck_assert_uint_eq(strlen(got), strlen(want) + 1);
    ck_assert_int_eq(strncmp(got, want, strlen(want)), 0);
    ck_assert_ptr_nonnull(strstr(got, "[1, 1.125, 1]"));
    free(got);
    free(want);
    json_decref(m);
    json_decref(back);
    json_decref(doc);
}
END_TEST

/* A report of format 1.0 (no format_minor, no histogram) still loads,
 * validates, diffs against a new one, merges with it and renders. */
START_TEST(test_old_format_still_works)
{
    json_t *old = load_old();
    ck_assert_ptr_null(json_object_get(old, "format_minor"));
    json_t *d = first_distribution(old, NULL);
    ck_assert_ptr_null(json_object_get(d, "histogram"));
    json_decref(old);
    json_t *doc = new_report();
    char err[512];
    ck_assert_msg(lc_report_write(doc, in_dir("new.json"), err, sizeof err) == 0, "%s", err);
    json_decref(doc);
    char *old_path = OLD_REPORT, *new_path = (char *)in_dir("new.json");
    ck_assert_int_eq(run_cmd(lc_cmd_validate, (char *[]){"validate", old_path, NULL}), 0);
    /* Same results but for one measurement: nothing regressed. */
    ck_assert_int_eq(run_cmd(lc_cmd_diff, (char *[]){"diff", old_path, new_path, NULL}), 0);
    ck_assert_int_eq(run_cmd(lc_cmd_diff, (char *[]){"diff", new_path, old_path, "--json", NULL}), 0);
    ck_assert_int_eq(run_cmd(lc_cmd_merge, (char *[]){"merge", old_path, "-o",
                                                      (char *)in_dir("m.json"), NULL}),
                     0);
    ck_assert_int_eq(run_cmd(lc_cmd_merge, (char *[]){"merge", (char *)in_dir("m.json"), new_path,
                                                      "-o", (char *)in_dir("m2.json"), NULL}),
                     0);
    ck_assert_int_eq(run_cmd(lc_cmd_validate, (char *[]){"validate", (char *)in_dir("m2.json"), NULL}), 0);
    ck_assert_int_eq(run_cmd(lc_cmd_render, (char *[]){"render", old_path, "--markdown",
                                                       (char *)in_dir("m.md"), "--html",
                                                       (char *)in_dir("html"), NULL}),
                     0);
    ck_assert_int_eq(access(in_dir("m.md"), R_OK), 0);
    ck_assert_int_eq(access(in_dir("html/index.html"), R_OK), 0);
}
END_TEST

/* validate on a doctored file: exit 2, one line naming the field. */
START_TEST(test_validate_names_the_histogram)
{
    json_t *doc = new_report();
    json_t *b = json_array_get(json_object_get(shape_of(doc), "buckets"), 1);
    json_array_set_new(b, 2, json_integer(json_integer_value(json_array_get(b, 2)) + 1));
    char err[512];
    ck_assert_msg(json_dump_file(doc, in_dir("new.json"), JSON_INDENT(2)) == 0, "dump");
    json_decref(doc);
    ck_assert_ptr_nonnull(freopen(in_dir("m.md"), "w", stderr));
    int rc = run_cmd(lc_cmd_validate, (char *[]){"validate", (char *)in_dir("new.json"), NULL});
    fflush(stderr);
    ck_assert_int_eq(rc, 2);
    FILE *f = fopen(in_dir("m.md"), "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_msg(strstr(line, "results[0].measurements.shape.histogram: buckets: counts sum to"),
                  "%s", line);
    ck_assert_ptr_null(fgets(err, sizeof err, f)); /* one line */
    fclose(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("histogram");
    TCase *t = tcase_create("buckets");
    tcase_add_test(t, test_bucket_edges);
    tcase_add_test(t, test_bucket_properties);
    tcase_add_test(t, test_build_counts_every_sample);
    tcase_add_test(t, test_check_rejects_malformed);
    suite_add_tcase(s, t);
    t = tcase_create("documents");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_round_trip);
    tcase_add_test(t, test_old_format_still_works);
    tcase_add_test(t, test_validate_names_the_histogram);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
