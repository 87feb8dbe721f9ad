/* What publish sends where (harness/publish_files.h) and how it reads its
 * options (publish_args.c): types by name, a site's files in order, the
 * URLs of its files, of the latest copy and of the collections above. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_args.h"
#include "publish_files.h"

START_TEST(test_content_types)
{
    ck_assert_str_eq(lc_publish_content_type("r/2026.json"), "application/json");
    ck_assert_str_eq(lc_publish_content_type("INDEX.HTML"), "text/html; charset=utf-8");
    ck_assert_str_eq(lc_publish_content_type("matrix.md"), "text/markdown; charset=utf-8");
    ck_assert_str_eq(lc_publish_content_type("cdf.svg"), "image/svg+xml");
    ck_assert_str_eq(lc_publish_content_type("shot.png"), "image/png");
    ck_assert_str_eq(lc_publish_content_type("junit.xml"), "application/xml");
    ck_assert_str_eq(lc_publish_content_type("report.tap"), "text/plain; charset=utf-8");
    ck_assert_str_eq(lc_publish_content_type("r.json.gz"), "application/gzip");
    /* The extension of the name, not of a directory. */
    ck_assert_str_eq(lc_publish_content_type("a.json/README"), "application/octet-stream");
    ck_assert_str_eq(lc_publish_content_type("noext"), "application/octet-stream");
}
END_TEST

static void expect_latest(const char *url, const char *name, const char *want)
{
    char err[256] = "";
    char *got = lc_publish_latest_url(url, name, err, sizeof err);
    if (!want) {
        ck_assert_msg(got == NULL, "%s gave %s", url, got);
        ck_assert_msg(strncmp(err, "--latest: ", 10) == 0, "error: %s", err);
        return;
    }
    ck_assert_msg(got != NULL, "%s: %s", url, err);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_latest_url)
{
    expect_latest("https://h/r/linux/2026-12-07T10.00.00Z.json", "", "https://h/r/linux/latest.json");
    expect_latest("https://h/r/2026-12-07.json.gz", "", "https://h/r/latest.json.gz");
    expect_latest("https://h/r/run.gz", "", "https://h/r/latest.gz");
    expect_latest("https://h/r/run", "", "https://h/r/latest");
    expect_latest("https://h/r/run.json", "newest.json", "https://h/r/newest.json");
    expect_latest("https://h/r/latest.json", "", NULL);
    expect_latest("https://h/r/", "", NULL);
    expect_latest("https://h", "", NULL);
    expect_latest("https://h/r/x.json?sig=1", "", NULL);
}
END_TEST

START_TEST(test_join_and_parents)
{
    char *u = lc_publish_join_url("http://h/site/", "cases/a b/%ü.html");
    ck_assert_str_eq(u, "http://h/site/cases/a%20b/%25%C3%BC.html");
    free(u);
    size_t n;
    char **p = lc_publish_parent_urls("http://h:8/a/b/c.json?x=/y", &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(p[0], "http://h:8/a/");
    ck_assert_str_eq(p[1], "http://h:8/a/b/");
    lc_publish_urls_free(p, n);
    p = lc_publish_parent_urls("http://h/c.json", &n);
    ck_assert_uint_eq(n, 0);
    lc_publish_urls_free(p, n);
}
END_TEST

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("x", f);
    fclose(f);
}

START_TEST(test_list_dir)
{
    char dir[] = "/tmp/lc-publish-files-XXXXXX", path[256], err[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    lc_publish_tree t;
    /* Empty: nothing to publish. */
    ck_assert_int_eq(lc_publish_list_dir(dir, &t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "is a directory with no regular file"));
    snprintf(path, sizeof path, "%s/index.html", dir);
    touch(path);
    snprintf(path, sizeof path, "%s/cases", dir);
    ck_assert_int_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/cases/b.html", dir);
    touch(path);
    snprintf(path, sizeof path, "%s/a.svg", dir);
    touch(path);
    ck_assert_int_eq(lc_publish_list_dir(dir, &t, err, sizeof err), 0);
    ck_assert_uint_eq(t.n, 3);
    ck_assert_str_eq(t.names[0], "a.svg");
    ck_assert_str_eq(t.names[1], "cases/b.html");
    ck_assert_str_eq(t.names[2], "index.html"); /* the entry page last */
    lc_publish_tree_free(&t);
    /* A symbolic link is refused, not followed. */
    snprintf(path, sizeof path, "%s/cases/passwd", dir);
    ck_assert_int_eq(symlink("/etc/passwd", path), 0);
    ck_assert_int_eq(lc_publish_list_dir(dir, &t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a regular file or directory"));
    unlink(path);
    snprintf(path, sizeof path, "rm -r '%s'", dir);
    ck_assert_int_eq(system(path), 0);
}
END_TEST

static int parse(lc_publish_args *a, int n, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[n] = NULL;
    return lc_publish_parse_args(n, argv, a);
}

START_TEST(test_parse_args)
{
    lc_publish_args a;
    char p[] = "publish", f[] = "r.json", u[] = "--url=https://h/r.json", g[] = "--gzip",
         l[] = "--latest", ln[] = "--latest=new.json", lb[] = "--latest=a/b",
         ct[] = "--content-type", ctv[] = "text/plain", bad[] = "--content-type=a\r\nX: y",
         x[] = "--frob";
    ck_assert_int_eq(parse(&a, 5, p, f, u, g, l), LC_ARGS_CONTINUE);
    ck_assert_int_eq(a.gzip, 1);
    ck_assert_str_eq(a.latest, "");
    ck_assert_str_eq(a.src, "r.json");
    ck_assert_ptr_null(a.content_type);
    ck_assert_int_eq(parse(&a, 6, p, u, ln, ct, ctv, f), LC_ARGS_CONTINUE);
    ck_assert_str_eq(a.latest, "new.json");
    ck_assert_str_eq(a.content_type, "text/plain");
    ck_assert_int_eq(a.gzip, 0);
    ck_assert_int_eq(parse(&a, 4, p, f, u, lb), 2);
    ck_assert_int_eq(parse(&a, 4, p, f, u, bad), 2);
    ck_assert_int_eq(parse(&a, 4, p, f, u, x), 2);
    ck_assert_int_eq(parse(&a, 2, p, f), 2); /* no --url */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("publish_files");
    TCase *t = tcase_create("publish_files");
    tcase_add_test(t, test_content_types);
    tcase_add_test(t, test_latest_url);
    tcase_add_test(t, test_join_and_parents);
    tcase_add_test(t, test_list_dir);
    tcase_add_test(t, test_parse_args);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
