/* The published-matrix site's pieces (harness/render_site.h): ref links
 * for every form the expectations use, the escaper, CDFs from histograms
 * and from percentiles, the order of a case's measurements, and a site
 * rendered from tests/data/render_histograms.json (a matrix whose
 * distributions carry log2x8 histograms). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_case.h"
#include "render_site.h"
#include "test_util.h"

#define LC_TEST_DATA LC_TEST_SOURCE_DIR "/tests/data"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void url_is(const char *ref, const char *want)
{
    char buf[1024];
    ck_assert_msg(lc_ref_url(ref, buf, sizeof buf) == 1, "no link for %s", ref);
    ck_assert_str_eq(buf, want);
}

START_TEST(test_ref_urls)
{
    url_is("man:epoll_ctl(2)", "https://man7.org/linux/man-pages/man2/epoll_ctl.2.html");
    url_is("man:io_uring_prep_poll_add(3)",
           "https://man7.org/linux/man-pages/man3/io_uring_prep_poll_add.3.html");
    url_is("man:time(7) Timer slack", "https://man7.org/linux/man-pages/man7/time.7.html");
    url_is("cpython:Lib/test/test_asyncio/test_events.py::EventLoopTestsMixin::test_read_pipe",
           "https://github.com/python/cpython/blob/3.13/Lib/test/test_asyncio/test_events.py");
    url_is("cpython:Lib/asyncio/base_events.py::BaseEventLoop::_run_once",
           "https://github.com/python/cpython/blob/3.13/Lib/asyncio/base_events.py");
    url_is("linux:include/linux/poll.h (vfs_poll: DEFAULT_POLLMASK)",
           "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/"
           "include/linux/poll.h");
    url_is("https://pubs.opengroup.org/onlinepubs/9699919799/functions/poll.html",
           "https://pubs.opengroup.org/onlinepubs/9699919799/functions/poll.html");
    url_is("https://docs.python.org/3/library/asyncio-platforms.html#windows",
           "https://docs.python.org/3/library/asyncio-platforms.html#windows");
    /* What is not one of the forms gets no link (and fails the site test). */
    char buf[1024];
    static const char *const bad[] = {"man:epoll_ctl", "man:(2)", "man:a/b(2)", "man:x(2",
                                      "cpython:", "cpython:../../etc/passwd", "linux:",
                                      "https://a b", "javascript:alert(1)", "see the docs", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(lc_ref_url(bad[i], buf, sizeof buf) == 0, "a link for %s", bad[i]);
}
END_TEST

START_TEST(test_escape)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    lc_html_esc(f, "<a href=\"x\">&'\x1b[31m\x01\x7f\xc2\x85\tok\xc3\xa9\n");
    lc_html_ref(f, "man:x(2)\"><script>");
    fclose(f);
    ck_assert_str_eq(s, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&#xFFFD;[31m&#xFFFD;&#xFFFD;"
                        "&#xFFFD;\tok\xc3\xa9\n"
                        "<a class=\"ref\" href=\"https://man7.org/linux/man-pages/man2/x.2.html\">"
                        "man:x(2)&quot;&gt;&lt;script&gt;</a>");
    free(s);
}
END_TEST

START_TEST(test_cdf)
{
    json_error_t e;
    /* Two buckets of 1 and 3 samples: 0 at the first lo, 0.25 at its hi,
     * then a gap (no empty buckets are written) and 1 at the last hi. */
    json_t *h = json_loads("{\"kind\":\"distribution\",\"unit\":\"us\",\"n\":4,\"min\":64,"
                           "\"p50\":130,\"p90\":140,\"p99\":140,\"max\":140,\"mean\":120,"
                           "\"histogram\":{\"scheme\":\"log2x8\",\"buckets\":[[64,72,1],"
                           "[128,144,3]]}}",
                           0, &e);
    ck_assert_ptr_nonnull(h);
    struct lc_svg_series s;
    ck_assert_int_eq(lc_svg_dist_cdf(h, &s), 0);
    ck_assert_int_eq(s.from_histogram, 1);
    ck_assert_uint_eq(s.n, 4);
    double want_x[] = {64, 72, 128, 144}, want_y[] = {0, 0.25, 0.25, 1};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_double_eq(s.x[i], want_x[i]);
        ck_assert_double_eq(s.y[i], want_y[i]);
    }
    lc_svg_series_free(&s);
    /* Without a histogram: steps at min, p50, p90, p99, max. */
    json_object_del(h, "histogram");
    ck_assert_int_eq(lc_svg_dist_cdf(h, &s), 0);
    ck_assert_int_eq(s.from_histogram, 0);
    ck_assert_uint_eq(s.n, 9);
    ck_assert_double_eq(s.x[1], 130);
    ck_assert_double_eq(s.y[1], 0);
    ck_assert_double_eq(s.y[2], 0.5);
    ck_assert_double_eq(s.y[8], 1);
    ck_assert_double_eq(s.x[8], 140);
    lc_svg_series_free(&s);
    /* Neither: no figure. */
    json_object_del(h, "p50");
    ck_assert_int_eq(lc_svg_dist_cdf(h, &s), -1);
    json_decref(h);
}
END_TEST

START_TEST(test_measurement_order)
{
    json_t *m = json_pack("{s:{},s:{},s:{},s:{},s:{},s:{},s:{}}", "timer_slack", "lateness_10ms",
                          "lateness_1ms", "lateness_50us", "lateness_100us", "lateness_0us",
                          "early_fires");
    const char *names[16];
    ck_assert_uint_eq(lc_site_measurement_order(m, names, 16), 7);
    static const char *const want[] = {"early_fires",    "lateness_0us", "lateness_50us",
                                       "lateness_100us", "lateness_1ms", "lateness_10ms",
                                       "timer_slack"};
    for (int i = 0; i < 7; i++)
        ck_assert_str_eq(names[i], want[i]);
    json_decref(m);
}
END_TEST

START_TEST(test_site)
{
    /* Through the loader, which checks each histogram against its
     * distribution. */
    char dir[] = "/tmp/lc-render-site-XXXXXX", err[512];
    lc_rdoc *m = lc_rdoc_load(LC_TEST_DATA "/render_histograms.json", LC_DOC_ANY, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    lc_render r;
    ck_assert_int_eq(lc_render_init_rows(&r, m), 0);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    size_t pages = 0;
    ck_assert_msg(lc_render_site(&r, dir, &pages, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(pages, 4); /* index and 3 cases */
    lc_render_free(&r);
    lc_rdoc_free(m);

    char path[512];
    snprintf(path, sizeof path, "%s/cases/timers.resolution.html", dir);
    char *p = slurp(path);
    ck_assert_ptr_nonnull(strstr(p, lc_case_find("timers/resolution")->summary));
    /* Every requested delay's figures, in the order of the delays. */
    const char *at[5];
    static const char *const names[] = {"lateness_0us", "lateness_50us", "lateness_100us",
                                        "lateness_1ms", "lateness_10ms"};
    for (int i = 0; i < 5; i++) {
        char th[64];
        snprintf(th, sizeof th, "<th scope=\"row\">%s</th>", names[i]);
        at[i] = strstr(p, th);
        ck_assert_msg(at[i] != NULL, "%s", names[i]);
        ck_assert(i == 0 || at[i] > at[i - 1]);
    }
    ck_assert_ptr_nonnull(strstr(p, "p50 110 us"));
    ck_assert_ptr_nonnull(strstr(p, "histogram log2x8, 8 buckets"));
    /* epoll's 1 ms line comes from its histogram, poll's from percentiles. */
    ck_assert_int_ge(count(p, "<polyline class=\"cdf\""), 5 + 2 + 5);
    ck_assert_ptr_nonnull(strstr(p, ">poll (from percentiles)</text>"));
    ck_assert_ptr_nonnull(strstr(p, ">epoll</text>"));
    ck_assert_ptr_nonnull(strstr(p, "under QEMU (TCG)"));
    ck_assert_ptr_nonnull(strstr(p, "under wine"));
    free(p);

    snprintf(path, sizeof path, "%s/cases/fds.regular-file.html", dir);
    p = slurp(path);
    ck_assert_ptr_nonnull(strstr(p, "EPERM &#xFFFD;[31m"));
    ck_assert_ptr_null(strstr(p, "\x1b"));
    ck_assert_int_eq(count(p, "<span class=\"ref\">"), 0);
    ck_assert_ptr_nonnull(strstr(p, "href=\"https://github.com/python/cpython/blob/3.13/Lib/test/"
                                    "test_asyncio/test_events.py\""));
    ck_assert_ptr_nonnull(strstr(p, "href=\"https://git.kernel.org/"));
    ck_assert_ptr_nonnull(strstr(p, "<strong>unexpected</strong>"));
    free(p);

    snprintf(path, sizeof path, "%s/cases/fds.max-watched.html", dir);
    p = slurp(path);
    /* The limit's bars: the platform's soft limit, then each backend. */
    ck_assert_int_eq(count(p, "<rect class=\"bar\""), 3);
    ck_assert_ptr_nonnull(strstr(p, ">1019 fd</text>"));
    free(p);

    snprintf(path, sizeof path, "%s/index.html", dir);
    p = slurp(path);
    ck_assert_ptr_null(strstr(p, "build/kernel-matrix"));
    ck_assert_ptr_nonnull(strstr(p, "<td>linux-6.1-x86_64.json</td>"));
    ck_assert_ptr_nonnull(strstr(p, "lateness of a 1 ms timer on epoll"));
    /* The tooltip of timers/resolution's cell names all five delays. */
    ck_assert_ptr_nonnull(strstr(p, "&#10;lateness_100us: p50 110 / p99 330 us (n=200)&#10;"
                                    "lateness_1ms: p50 85 / p99 250 us (n=200)&#10;"
                                    "lateness_10ms: "));
    free(p);
    snprintf(path, sizeof path, "%s/lateness.svg", dir);
    p = slurp(path);
    ck_assert_ptr_nonnull(strstr(p, "<svg class=\"fig\" xmlns=\"http://www.w3.org/2000/svg\""));
    ck_assert_int_eq(count(p, "<polyline"), 1);
    free(p);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_site");
    TCase *t = tcase_create("site");
    tcase_add_test(t, test_ref_urls);
    tcase_add_test(t, test_escape);
    tcase_add_test(t, test_cdf);
    tcase_add_test(t, test_measurement_order);
    tcase_add_test(t, test_site);
    tcase_set_timeout(t, 30);
    suite_add_tcase(s, t);
    return test_run_suite(s);
}
