/* cases/expectations.json: strict loading, matching rules, version
 * comparisons, and the catalogue: every registered case has one. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expectations.h"
#include "result.h"

#define HEAD "{\"format\":\"loopcompat-expectations\",\"format_version\":1,\"cases\":"

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ck_assert_msg(j != NULL, "test JSON: %s", je.text);
    return j;
}

static lc_expectations from_text(const char *text)
{
    lc_expectations e;
    char err[512];
    e.root = parse(text);
    e.path = strdup("test.json");
    ck_assert_msg(lc_expectations_validate(e.root, "test.json", err, sizeof err) == 0, "%s", err);
    return e;
}

START_TEST(test_version_compare)
{
    ck_assert_int_lt(lc_version_compare("5.10.0", "5.11"), 0);
    ck_assert_int_gt(lc_version_compare("6.18.0-1-amd64", "5.11"), 0);
    ck_assert_int_eq(lc_version_compare("6.18", "6.18.0"), 0);
    ck_assert_int_gt(lc_version_compare("6.18.2", "6.18"), 0);
    ck_assert_int_gt(lc_version_compare("10.0", "9.9"), 0);
    ck_assert_int_eq(lc_version_compare("glibc 2.36", "2.36"), 0);
    ck_assert_int_lt(lc_version_compare("glibc 2.36", "2.37"), 0);
    /* "amd64" after the version is not part of it. */
    ck_assert_int_eq(lc_version_compare("5.4.0-amd64", "5.4"), 0);
}
END_TEST

START_TEST(test_when_matching)
{
    json_t *info = parse("{\"os\":\"linux\",\"os_version\":\"6.18.0-1-amd64\",\"cpu_count\":2,"
                         "\"libc\":\"glibc 2.36\"}");
    struct {
        const char *when;
        int match;
    } t[] = {
        {"{}", 1},
        {"{\"os\":\"linux\"}", 1},
        {"{\"os\":\"windows\"}", 0},
        {"{\"os\":[\"windows\",\"linux\"]}", 1},
        {"{\"os_version\":{\"ge\":\"5.11\"}}", 1},
        {"{\"os_version\":{\"lt\":\"5.11\"}}", 0},
        {"{\"os_version\":{\"ge\":\"6.0\",\"lt\":\"6.18\"}}", 0},
        {"{\"os_version\":{\"ge\":\"6.0\",\"le\":\"6.18\"}}", 1},
        {"{\"libc\":{\"gt\":\"2.35\"}}", 1},
        {"{\"cpu_count\":2}", 1},
        {"{\"cpu_count\":\"2\"}", 1},
        {"{\"os\":\"linux\",\"runtime\":\"wine\"}", 0}, /* missing key: no match */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        json_t *w = parse(t[i].when);
        ck_assert_msg(lc_expectations_when_matches(w, info) == t[i].match, "%s", t[i].when);
        json_decref(w);
    }
    json_decref(info);
}
END_TEST

/* Kernel ranges: kernel_version is the upstream version (Debian's build
 * string), os_version the release, whose third number on Debian 11 and 12
 * is 0 and whose second dash-number is the ABI, not the patch level. */
START_TEST(test_when_kernel_version)
{
    json_t *k510 = parse("{\"os\":\"linux\",\"os_version\":\"5.10.0-32-amd64\","
                         "\"kernel_version\":\"5.10.223\"}");
    json_t *k612 = parse("{\"os\":\"linux\",\"os_version\":\"6.12.57+deb12-amd64\","
                         "\"kernel_version\":\"6.12.57\"}");
    json_t *old = parse("{\"os\":\"linux\",\"os_version\":\"5.10.0-32-amd64\"}");
    struct {
        const char *when;
        int m510, m612, mold;
    } t[] = {
        {"{\"kernel_version\":{\"lt\":\"5.11\"}}", 1, 0, 0},
        {"{\"os\":\"linux\",\"kernel_version\":{\"ge\":\"5.11\"}}", 0, 1, 0},
        {"{\"kernel_version\":{\"ge\":\"5.10.200\"}}", 1, 1, 0},
        /* the release's "0" is not the patch level */
        {"{\"os_version\":{\"ge\":\"5.10.200\"}}", 0, 1, 0},
        {"{\"os_version\":{\"ge\":\"6.12.57\",\"lt\":\"6.12.58\"}}", 0, 1, 0},
        {"{\"kernel_version\":{\"ge\":\"6.12.43\",\"lt\":\"6.12.117\"}}", 0, 1, 0},
        {"{\"os_version\":{\"lt\":\"5.11\"}}", 1, 0, 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        json_t *w = parse(t[i].when);
        ck_assert_msg(lc_expectations_when_matches(w, k510) == t[i].m510, "5.10: %s", t[i].when);
        ck_assert_msg(lc_expectations_when_matches(w, k612) == t[i].m612, "6.12: %s", t[i].when);
        ck_assert_msg(lc_expectations_when_matches(w, old) == t[i].mold, "old report: %s", t[i].when);
        json_decref(w);
    }
    json_decref(k510);
    json_decref(k612);
    json_decref(old);
}
END_TEST

START_TEST(test_lookup_order)
{
    lc_expectations e = from_text(HEAD "{"
        "\"fds/regular-file\":{"
        "  \"epoll\":[{\"when\":{\"os_version\":{\"lt\":\"2.6\"}},\"expected\":\"FAIL\"},"
        "             {\"when\":{\"os\":\"linux\"},\"expected\":\"UNSUPPORTED\",\"refs\":[\"man:epoll_ctl(2)\"]}],"
        "  \"select\":[{\"when\":{\"os\":\"windows\"},\"expected\":\"UNSUPPORTED\",\"refs\":[\"x\"]}],"
        "  \"*\":[{\"expected\":\"PASS\",\"known_intermittent\":[\"TIMEOUT\"],\"refs\":[\"man:poll(2)\"]}]}}}");
    json_t *info = parse("{\"os\":\"linux\",\"os_version\":\"6.18\"}");
    lc_expectation x;
    ck_assert_int_eq(lc_expectations_lookup(&e, "fds/regular-file", "epoll", info, &x), 1);
    ck_assert_int_eq(x.expected, LC_STATUS_UNSUPPORTED);
    /* select's own list has no match here: "*" applies. */
    ck_assert_int_eq(lc_expectations_lookup(&e, "fds/regular-file", "select", info, &x), 1);
    ck_assert_int_eq(x.expected, LC_STATUS_PASS);
    ck_assert_uint_eq(x.known_intermittent, LC_STATUS_BIT(LC_STATUS_TIMEOUT));
    ck_assert_int_eq(lc_expectations_lookup(&e, "fds/regular-file", "poll", info, &x), 1);
    ck_assert_int_eq(x.expected, LC_STATUS_PASS);
    ck_assert_int_eq(lc_expectations_lookup(&e, "fds/directory", "poll", info, &x), 0);

    /* Classification: unexpected, known_intermittent, refs merged. */
    lc_result r;
    memset(&r, 0, sizeof r);
    r.status = LC_STATUS_UNSUPPORTED;
    r.refs = json_pack("[s]", "man:epoll_ctl(2)");
    lc_expectations_classify(&e, "fds/regular-file", "epoll", info, &r);
    ck_assert(!r.unexpected);
    ck_assert_uint_eq(json_array_size(r.refs), 1);
    lc_result_clear(&r);

    r.status = LC_STATUS_TIMEOUT;
    lc_expectations_classify(&e, "fds/regular-file", "poll", info, &r);
    ck_assert(!r.unexpected);
    ck_assert_str_eq(json_string_value(json_array_get(r.refs, 0)), "man:poll(2)");
    lc_result_clear(&r);

    r.status = LC_STATUS_FAIL;
    lc_expectations_classify(&e, "fds/regular-file", "poll", info, &r);
    ck_assert(r.unexpected);
    lc_result_clear(&r);

    r.status = LC_STATUS_PASS;
    lc_expectations_classify(&e, "fds/directory", "poll", info, &r);
    ck_assert(r.unexpected);
    ck_assert(!r.has_expectation);
    ck_assert_ptr_nonnull(strstr(r.message, "no expectation for fds/directory on poll"));
    lc_result_clear(&r);

    json_decref(info);
    lc_expectations_free(&e);
}
END_TEST

START_TEST(test_malformed_rejected)
{
    struct {
        const char *text, *needle;
    } t[] = {
        {"[]", "top level"},
        {"{\"format\":\"other\",\"format_version\":1,\"cases\":{}}", "format"},
        {"{\"format\":\"loopcompat-expectations\",\"format_version\":2,\"cases\":{}}", "format_version"},
        {HEAD "{}, \"extra\":1}", "extra: unknown field"},
        {HEAD "{\"Fds/X\":{\"*\":[{\"expected\":\"PASS\"}]}}}", "not a case id"},
        {HEAD "{\"fds/x\":{}}}", "non-empty object"},
        {HEAD "{\"fds/x\":{\"Epoll\":[{\"expected\":\"PASS\"}]}}}", "not a backend name"},
        {HEAD "{\"fds/x\":{\"*\":[]}}}", "non-empty list"},
        {HEAD "{\"fds/x\":{\"*\":[{\"expected\":\"PAS\"}]}}}", "[\"*\"][0].expected: not a status"},
        {HEAD "{\"fds/x\":{\"*\":[{\"refs\":[]}]}}}", "expected: missing"},
        {HEAD "{\"fds/x\":{\"*\":[{\"expected\":\"PASS\",\"ref\":[\"x\"]}]}}}", ".ref: unknown field"},
        {HEAD "{\"fds/x\":{\"*\":[{\"expected\":\"UNSUPPORTED\"}]}}}", "needs at least one ref"},
        {HEAD "{\"fds/x\":{\"*\":[{\"expected\":\"PASS\",\"known_intermittent\":[\"FLAKY\"]}]}}}",
         "known_intermittent[0]: not a status"},
        {HEAD "{\"fds/x\":{\"*\":[{\"expected\":\"PASS\",\"when\":{\"os_version\":{\"lte\":\"5\"}}}]}}}",
         "unknown comparison 'lte'"},
        {HEAD "{\"fds/x\":{\"*\":[{\"expected\":\"PASS\",\"when\":{\"os_version\":{\"lt\":5}}}]}}}",
         "must be a version string"},
        {HEAD "{\"fds/x\":{\"*\":[{\"expected\":\"PASS\"},{\"expected\":\"FAIL\"}]}}}", "unreachable"},
        {HEAD "{\"fds/x\":{\"*\":[{\"expected\":\"PASS\",\"refs\":[\"\"]}]}}}", "refs[0]"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        json_t *root = parse(t[i].text);
        char err[512] = "";
        ck_assert_msg(lc_expectations_validate(root, "x.json", err, sizeof err) == -1, "accepted %s",
                      t[i].text);
        ck_assert_msg(strstr(err, t[i].needle) != NULL, "error '%s' lacks '%s'", err, t[i].needle);
        ck_assert_msg(strchr(err, '\n') == NULL, "multi-line error '%s'", err);
        json_decref(root);
    }
}
END_TEST

START_TEST(test_load_reports_syntax_position)
{
    char path[] = "/tmp/lc-exp-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_gt(write(fd, HEAD "{,}}", strlen(HEAD) + 4), 0);
    close(fd);
    lc_expectations e;
    char err[512];
    ck_assert_int_eq(lc_expectations_load(&e, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, ":1:"));
    unlink(path);
    ck_assert_int_eq(lc_expectations_load(&e, path, err, sizeof err), -1);
}
END_TEST

/* The catalogue: the shipped file loads, every registered case has an
 * expectation on every compiled-in backend (its own key or "*"), and the
 * file names no case that does not exist. */
START_TEST(test_catalogue_complete)
{
    lc_expectations e;
    char err[1024];
    const char *path = LC_TEST_SOURCE_DIR "/cases/expectations.json";
    ck_assert_msg(lc_expectations_load(&e, path, err, sizeof err) == 0, "%s", err);
    json_t *cases = json_object_get(e.root, "cases");
    const char *const *names;
    size_t nb = lc_backend_list(&names);
    for (size_t i = 0; i < lc_case_count(); i++) {
        const char *id = lc_case_at(i)->id;
        json_t *per = json_object_get(cases, id);
        ck_assert_msg(per != NULL, "%s has no entry in cases/expectations.json", id);
        if (json_object_get(per, "*"))
            continue;
        for (size_t b = 0; b < nb; b++)
            ck_assert_msg(json_object_get(per, names[b]) != NULL, "%s has no entry for %s or \"*\"", id,
                          names[b]);
    }
    const char *id;
    json_t *v;
    json_object_foreach(cases, id, v) ck_assert_msg(lc_case_find(id) != NULL,
                                                    "cases/expectations.json names unknown case %s", id);
    lc_expectations_free(&e);
}
END_TEST

/* The shipped io_uring PTY rows on Linux 6.12 before 6.12.64 (kernel commit
 * 84230ad2d2af, docs/io_uring-pty-6.12.md): FAIL there, citing the commit,
 * on Debian's release strings; PASS on the fixed builds, other series and
 * other backends. */
START_TEST(test_io_uring_pty_612_range)
{
    lc_expectations e;
    char err[1024];
    ck_assert_msg(lc_expectations_load(&e, LC_TEST_SOURCE_DIR "/cases/expectations.json", err,
                                       sizeof err) == 0,
                  "%s", err);
    static const struct {
        const char *backend, *release;
        lc_status want;
    } rows[] = {
        {"io_uring", "6.12.43+deb12-amd64", LC_STATUS_FAIL},
        {"io_uring", "6.12.57+deb12-amd64", LC_STATUS_FAIL},
        {"io_uring", "6.12.63", LC_STATUS_FAIL},
        {"io_uring", "6.12.64", LC_STATUS_PASS},
        {"io_uring", "6.12.69+deb12-amd64", LC_STATUS_PASS},
        {"io_uring", "6.12.117+deb13-amd64", LC_STATUS_PASS},
        {"io_uring", "6.1.0-50-amd64", LC_STATUS_PASS},
        {"io_uring", "6.18.0-1-amd64", LC_STATUS_PASS},
        {"epoll", "6.12.57+deb12-amd64", LC_STATUS_PASS},
    };
    static const char *const ids[] = {"chardev/pty-read-master", "chardev/pty-read-after-drain",
                                      "chardev/pty-bidirectional",
                                      "chardev/pty-hangup"};
    for (size_t c = 0; c < sizeof ids / sizeof *ids; c++) {
        for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
            json_t *info = json_pack("{s:s, s:s}", "os", "linux", "os_version", rows[i].release);
            lc_expectation x;
            ck_assert(lc_expectations_lookup(&e, ids[c], rows[i].backend, info, &x));
            ck_assert_msg(x.expected == rows[i].want, "%s on %s, Linux %s: expected %s", ids[c],
                          rows[i].backend, rows[i].release, lc_status_name(rows[i].want));
            int cites = 0;
            size_t k;
            json_t *ref;
            json_array_foreach(x.refs, k, ref) cites |=
                strstr(json_string_value(ref), "84230ad2d2af") != NULL;
            ck_assert_int_eq(cites, rows[i].want == LC_STATUS_FAIL);
            json_decref(info);
        }
    }
    lc_expectations_free(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("expectations");
    TCase *tc = tcase_create("expectations");
    tcase_add_test(tc, test_version_compare);
    tcase_add_test(tc, test_when_matching);
    tcase_add_test(tc, test_when_kernel_version);
    tcase_add_test(tc, test_lookup_order);
    tcase_add_test(tc, test_malformed_rejected);
    tcase_add_test(tc, test_load_reports_syntax_position);
    tcase_add_test(tc, test_catalogue_complete);
    tcase_add_test(tc, test_io_uring_pty_612_range);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
