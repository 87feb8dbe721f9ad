/* Where a run happened, through the report tools: the strict check of the
 * run_info fields and backend features, merging platforms that share a
 * kernel (glibc and musl, wine and Windows), the rendered headers, and the
 * probe of this host. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "platform_info.h"
#include "probe.h"
#include "render.h"
#include "report_load.h"

static json_t *report(const char *pid, const char *libc, const char *virt, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"format\":\"loopcompat-report\",\"format_version\":1,"
             "\"generator\":{\"name\":\"loopcompat\",\"version\":\"0.1.0\",\"revision\":\"abc\"},"
             "\"time_start\":1,\"time_end\":2,"
             "\"run_info\":{\"platform_id\":\"%s\",\"os\":\"linux\",\"os_version\":\"6.1.0-28-amd64\","
             "\"arch\":\"x86_64\",\"libc\":\"%s\",\"cpu_count\":2,\"compiler\":\"gcc 12.2.0\","
             "\"build_type\":\"Release\",\"virtualization\":\"%s\",\"kernel_version\":\"6.1.119\","
             "\"kernel_package\":\"linux-image-6.1.0-28-amd64\",\"kernel_package_version\":\"6.1.119-1\"%s},"
             "\"backends\":{\"epoll\":{\"available\":true,\"timeout_granularity_ns\":1,"
             "\"features\":{\"epoll_pwait2\":{\"available\":true,\"since\":\"5.11\","
             "\"probe\":\"epoll_pwait2(zero timeout)\"}}}},"
             "\"platform_limits\":{},"
             "\"results\":[{\"case\":\"timers/cancel\",\"backend\":\"epoll\",\"variant\":null,"
             "\"status\":\"PASS\",\"expected\":\"PASS\",\"known_intermittent\":[],\"unexpected\":false,"
             "\"message\":null,\"duration_ms\":1,\"evidence\":{},\"refs\":[],\"measurements\":{}}]}",
             pid, libc, virt, extra);
    json_error_t e;
    json_t *doc = json_loads(text, 0, &e);
    ck_assert_msg(doc != NULL, "fixture: %s at column %d", e.text, e.column);
    return doc;
}

static void expect_error(json_t *doc, const char *want)
{
    char err[512];
    ck_assert_int_lt(lc_doc_check(doc, LC_DOC_ANY, err, sizeof err), 0);
    ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"", err, want);
    json_decref(doc);
}

START_TEST(test_check_run_info)
{
    char err[512] = "";
    json_t *d = report("linux-6.1.119-x86_64", "glibc 2.36", "qemu-tcg", "");
    ck_assert_msg(lc_doc_check(d, LC_DOC_ANY, err, sizeof err) == LC_DOC_REPORT, "%s", err);
    /* A report from before the fields is still a report. */
    json_t *ri = json_object_get(d, "run_info");
    static const char *const added[] = {"virtualization", "kernel_version", "kernel_package",
                                        "kernel_package_version", NULL};
    for (int i = 0; added[i]; i++)
        json_object_del(ri, added[i]);
    json_object_del(json_object_get(json_object_get(d, "backends"), "epoll"), "features");
    ck_assert_msg(lc_doc_check(d, LC_DOC_ANY, err, sizeof err) == LC_DOC_REPORT, "%s", err);
    json_decref(d);

    expect_error(report("linux-6.1.119-x86_64", "glibc 2.36", "QEMU TCG", ""),
                 "run_info.virtualization: \"QEMU TCG\" does not match ^[a-z0-9-]+$");
    expect_error(report("linux-6.1.119-x86_64", "glibc 2.36", "kvm", ",\"kernel_flavour\":\"RT\""),
                 "run_info.kernel_flavour");
    d = report("linux-6.1.119-x86_64", "glibc 2.36", "kvm", "");
    json_object_set_new(json_object_get(d, "run_info"), "kernel_version", json_string("6.1.x"));
    expect_error(d, "run_info.kernel_version: \"6.1.x\" does not match");
    d = report("linux-6.1.119-x86_64", "glibc 2.36", "kvm", "");
    json_object_del(json_object_get(d, "run_info"), "kernel_package");
    expect_error(d, "run_info.kernel_package: required when kernel_package_version is given");
    d = report("linux-6.1.119-x86_64", "glibc 2.36", "kvm", "");
    json_object_del(json_object_get(d, "run_info"), "virtualization");
    json_object_set_new(json_object_get(d, "run_info"), "hypervisor", json_string("kvm"));
    expect_error(d, "run_info.virtualization: required when hypervisor is given");
    d = report("linux-6.1.119-x86_64", "glibc 2.36", "kvm", "");
    json_t *f = json_object_get(json_object_get(json_object_get(json_object_get(d, "backends"), "epoll"),
                                                "features"),
                                "epoll_pwait2");
    json_object_set_new(f, "since", json_string("soon"));
    expect_error(d, "backends.epoll.features.epoll_pwait2.since");
    d = report("linux-6.1.119-x86_64", "glibc 2.36", "kvm", "");
    f = json_object_get(json_object_get(json_object_get(json_object_get(d, "backends"), "epoll"),
                                        "features"),
                        "epoll_pwait2");
    json_object_del(f, "probe");
    expect_error(d, "backends.epoll.features.epoll_pwait2.probe");
}
END_TEST

/* glibc and musl on one kernel, and two builds of 6.12: one column each. */
START_TEST(test_merge_side_by_side)
{
    json_t *glibc = report("linux-6.1.119-x86_64", "glibc 2.36", "qemu-tcg", "");
    json_t *musl = report("linux-6.1.119-x86_64-musl", "musl", "qemu-tcg", "");
    json_t *k57 = report("linux-6.12.57-x86_64", "glibc 2.36", "qemu-tcg", "");
    json_t *k117 = report("linux-6.12.117-x86_64", "glibc 2.36", "kvm", "");
    json_t *const docs[] = {glibc, musl, k57, k117};
    const char *const names[] = {"g.json", "m.json", "57.json", "117.json"};
    lc_matrix_stats st;
    char err[512];
    json_t *m = lc_matrix_merge(docs, names, 4, NULL, &st, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_int_eq(st.platforms, 4);
    ck_assert_int_eq(st.results, 4);
    ck_assert_int_eq(lc_doc_check(m, LC_DOC_ANY, err, sizeof err), LC_DOC_MATRIX);

    lc_render r;
    ck_assert_int_eq(lc_render_init(&r, m), 0);
    char *md = NULL, *html = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&md, &len);
    ck_assert_int_eq(lc_render_markdown(&r, out), 0);
    fclose(out);
    out = open_memstream(&html, &len);
    ck_assert_int_eq(lc_render_html(&r, out), 0);
    fclose(out);
    lc_render_free(&r);
    ck_assert_msg(strstr(md, "musl, under QEMU (TCG)") != NULL, "%s", md);
    ck_assert_msg(strstr(md, "glibc 2.36, under KVM") != NULL, "%s", md);
    ck_assert_ptr_nonnull(strstr(html, "under QEMU (TCG)<br>"));
    ck_assert_ptr_nonnull(strstr(html, "kernel_package: linux-image-6.1.0-28-amd64"));
    free(md);
    free(html);
    json_decref(m);

    /* Two runs claiming one platform_id from different places still clash. */
    json_t *other = report("linux-6.1.119-x86_64", "glibc 2.36", "kvm", "");
    json_t *const clash[] = {glibc, other};
    ck_assert_ptr_null(lc_matrix_merge(clash, names, 2, NULL, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "run_info.virtualization differs") != NULL, "%s", err);
    json_decref(other);
    json_decref(glibc);
    json_decref(musl);
    json_decref(k57);
    json_decref(k117);
}
END_TEST

START_TEST(test_phrases)
{
    char b[96];
    ck_assert_str_eq(lc__virt_phrase("qemu-tcg", "", b, sizeof b), "under QEMU (TCG)");
    ck_assert_str_eq(lc__virt_phrase("kvm", NULL, b, sizeof b), "under KVM");
    ck_assert_str_eq(lc__virt_phrase("wine", "", b, sizeof b), "under wine");
    ck_assert_str_eq(lc__virt_phrase("container", "", b, sizeof b), "in a container");
    ck_assert_str_eq(lc__virt_phrase("container", "kvm", b, sizeof b), "in a container on KVM");
    ck_assert_str_eq(lc__virt_phrase("bhyve", NULL, b, sizeof b), "under bhyve");
    ck_assert_str_eq(lc__virt_phrase("none", NULL, b, sizeof b), "");
    ck_assert_str_eq(lc__virt_phrase("", NULL, b, sizeof b), "");
}
END_TEST

/* This host's own run_info and backends pass the strict check, and the
 * platform_id carries the kernel's full version. */
START_TEST(test_probe_here)
{
    json_t *ri = lc_probe_run_info();
    ck_assert_ptr_nonnull(ri);
    const char *v = json_string_value(json_object_get(ri, "virtualization"));
    ck_assert_ptr_nonnull(v);
    ck_assert_int_gt((int)strlen(v), 0);
    const char *kv = json_string_value(json_object_get(ri, "kernel_version"));
    const char *pid = json_string_value(json_object_get(ri, "platform_id"));
    ck_assert_ptr_nonnull(kv);
    char want[96];
    snprintf(want, sizeof want, "linux-%s-", kv);
    ck_assert_msg(strncmp(pid, want, strlen(want)) == 0, "%s does not start with %s", pid, want);
    json_t *b = lc_probe_backends();
    json_t *doc = json_pack("{s:s, s:i, s:{s:s, s:s, s:s}, s:i, s:i, s:o, s:o, s:{}, s:[]}", "format",
                            "loopcompat-report", "format_version", 1, "generator", "name",
                            "loopcompat", "version", "0", "revision", "x", "time_start", 1,
                            "time_end", 2, "run_info", ri, "backends", b, "platform_limits",
                            "results");
    char err[512];
    ck_assert_msg(lc_doc_check(doc, LC_DOC_ANY, err, sizeof err) == LC_DOC_REPORT, "%s", err);
    json_t *ep = json_object_get(json_object_get(json_object_get(doc, "backends"), "epoll"), "features");
    ck_assert_ptr_nonnull(json_object_get(ep, "epoll_pwait2"));
    /* Every io_uring feature the backend relies on is listed, available
     * or not, with the call that answered. */
    json_t *ur = json_object_get(json_object_get(doc, "backends"), "io_uring");
    if (json_is_true(json_object_get(ur, "available"))) {
        static const char *const names[] = {"op_poll_add", "op_recv", "op_send", "op_async_cancel",
                                           "setup_single_issuer", "setup_defer_taskrun",
                                           "feat_ext_arg", "multishot_poll", "buf_ring",
                                           "multishot_recv", NULL};
        json_t *uf = json_object_get(ur, "features");
        for (int i = 0; names[i]; i++) {
            json_t *f = json_object_get(uf, names[i]);
            ck_assert_msg(f != NULL, "io_uring features lack %s", names[i]);
            ck_assert(json_is_boolean(json_object_get(f, "available")));
        }
        /* A kernel with multishot receives has the buffer rings they use. */
        if (json_is_true(json_object_get(json_object_get(uf, "multishot_recv"), "available")))
            ck_assert(json_is_true(json_object_get(json_object_get(uf, "buf_ring"), "available")));
    }
    json_decref(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run_info");
    TCase *tc = tcase_create("run_info");
    tcase_add_test(tc, test_check_run_info);
    tcase_add_test(tc, test_merge_side_by_side);
    tcase_add_test(tc, test_phrases);
    tcase_add_test(tc, test_probe_here);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
