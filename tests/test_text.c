/* The cleaner, URL redaction, secrets, and publish's token and host checks
 * (harness/text.h, harness/publish_http.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#ifdef LC_TEST_HAVE_CURL
#include "publish_http.h"
#endif

START_TEST(test_clean_escapes)
{
    lc_text_secrets_clear();
    /* C0, DEL, C1 (U+0085, U+009B), invalid bytes, a lone continuation
     * byte, an overlong '/', a surrogate, past U+10FFFF, bidi and line
     * separators are escaped; valid UTF-8 text stays. */
    ck_assert_str_eq(lc_text_show("a\tb\nc\rd\x1b[1m\x07\x08\x7f"),
                     "a\\x09b\\x0ac\\x0dd\\x1b[1m\\x07\\x08\\x7f");
    ck_assert_str_eq(lc_text_show("\xc2\x85\xc2\x9b" "31m"), "\\u0085\\u009b31m");
    ck_assert_str_eq(lc_text_show("\xff\x80\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80"),
                     "\\xff\\x80\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80");
    ck_assert_str_eq(lc_text_show("x\xe2\x80\xae y\xe2\x80\xa8z\xe2\x81\xa6"),
                     "x\\u202e y\\u2028z\\u2066");
    ck_assert_str_eq(lc_text_show("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \\x1b"),
                     "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \\x1b");
    ck_assert_str_eq(lc_text_show(NULL), "");
    /* Slots: LC_TEXT_SLOTS results stay valid together. */
    const char *v[LC_TEXT_SLOTS];
    char want[16];
    for (int i = 0; i < LC_TEXT_SLOTS; i++) {
        snprintf(want, sizeof want, "s%d\n", i);
        v[i] = lc_text_show(want);
    }
    for (int i = 0; i < LC_TEXT_SLOTS; i++) {
        snprintf(want, sizeof want, "s%d\\x0a", i);
        ck_assert_str_eq(v[i], want);
    }
}
END_TEST

START_TEST(test_clean_bounded)
{
    lc_text_secrets_clear();
    char buf[8];
    /* Cut between escapes, never inside one; the full length returned. */
    ck_assert_uint_eq(lc_text_clean(buf, sizeof buf, "ab\x1b\x1b", 4, 0), 10);
    ck_assert_str_eq(buf, "ab\\x1b");
    ck_assert_uint_eq(lc_text_clean(buf, sizeof buf, "\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93", 9, 0),
                      9);
    ck_assert_str_eq(buf, "\xe2\x9c\x93\xe2\x9c\x93");
    /* The excerpt ends on a character and says it was cut. */
    ck_assert_str_eq(lc_text_excerpt("ab\xe2\x9c\x93z", 6, 3), "ab...");
    ck_assert_str_eq(lc_text_excerpt("abc", 3, 3), "abc");
}
END_TEST

START_TEST(test_one_line)
{
    char s[] = "a\nb\x1b\xc2\x85\xff\xc3\xa9";
    lc_text_one_line(s);
    ck_assert_str_eq(s, "a?b????\xc3\xa9");
}
END_TEST

START_TEST(test_secrets)
{
    lc_text_secrets_clear();
    lc_text_secret("s3cr3t-tok");
    lc_text_secret("");
    ck_assert_str_eq(lc_text_show("Bearer s3cr3t-tok; again s3cr3t-tok."), "Bearer ***; again ***.");
    /* A cut text: the secret's start at the very end is redacted too. */
    ck_assert_str_eq(lc_text_excerpt("xx s3cr3t-tok", 13, 7), "xx ***...");
    char buf[64];
    lc_text_clean(buf, sizeof buf, "end s3c", 7, 0);
    ck_assert_str_eq(buf, "end s3c");
    lc_text_clean(buf, sizeof buf, "end s3c", 7, 1);
    ck_assert_str_eq(buf, "end ***");
    lc_text_secrets_clear();
    ck_assert_str_eq(lc_text_show("s3cr3t-tok"), "s3cr3t-tok");
}
END_TEST

START_TEST(test_url_redact)
{
    lc_text_secrets_clear();
    char buf[256];
    lc_url_redact("https://user:pw@host:8443/a/b?x=1&access_token=abc&API_KEY=k;sig=s#frag", buf,
                  sizeof buf);
    ck_assert_str_eq(buf, "https://***@host:8443/a/b?x=1&access_token=***&API_KEY=***;sig=***#frag");
    lc_url_redact("http://h/p#access_token=t&state=1", buf, sizeof buf);
    ck_assert_str_eq(buf, "http://h/p#access_token=***&state=1");
    lc_url_redact("http://tok@h/p?password=&q", buf, sizeof buf);
    ck_assert_str_eq(buf, "http://***@h/p?password=&q");
    /* Not a URL: as it is. */
    lc_url_redact("dir/user:pw@x.json?token=1", buf, sizeof buf);
    ck_assert_str_eq(buf, "dir/user:pw@x.json?token=1");
    /* Bounded, with the length the whole needs. */
    ck_assert_uint_eq(lc_url_redact("http://a:b@h/", buf, 8), 13);
    ck_assert_str_eq(buf, "http://");
    ck_assert_str_eq(lc_text_url("http://u:p@h/\x1b?key=v"), "http://***@h/\\x1b?key=***");
}
END_TEST

START_TEST(test_secrets_from_args)
{
    lc_text_secrets_clear();
    char a0[] = "publish", a1[] = "--url=https://ci:hunter22@h/up?token=abcd1234&sig=ab",
         a2[] = "r.json";
    char *argv[] = {a0, a1, a2, NULL};
    lc_text_secrets_from_args(3, argv);
    /* The userinfo, its password, the token; "ab" is too short to search
     * for in other text. */
    ck_assert_str_eq(lc_text_show("ci:hunter22 / hunter22 / abcd1234 / ab"), "*** / *** / *** / ab");
    lc_text_secrets_clear();
}
END_TEST

#ifdef LC_TEST_HAVE_CURL
START_TEST(test_token_syntax)
{
    size_t at;
    ck_assert_ptr_null(lc_publish_token_problem("abc-._~+/XYZ09==", &at));
    ck_assert_ptr_null(lc_publish_token_problem("a", &at));
    const char *bad[] = {"abc\r\nX-Injected: 1", " abc", "abc ", "ab c", "ab,c", "ab=c",
                         "=", "ab\x7f", "ab\xc3\xa9", "abc\t"};
    const size_t pos[] = {4, 1, 4, 3, 3, 4, 1, 3, 3, 4};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(lc_publish_token_problem(bad[i], &at) != NULL, "accepted token %zu", i);
        ck_assert_uint_eq(at, pos[i]);
    }
}
END_TEST

START_TEST(test_loopback)
{
    char host[64];
    ck_assert(lc_publish_url_loopback("http://127.0.0.1:8080/up", host, sizeof host));
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert(lc_publish_url_loopback("http://127.3.2.1/up", host, sizeof host));
    ck_assert(lc_publish_url_loopback("http://LOCALHOST/up", host, sizeof host));
    ck_assert(lc_publish_url_loopback("http://[::1]:9/up", host, sizeof host));
    ck_assert(!lc_publish_url_loopback("http://192.0.2.1/up", host, sizeof host));
    ck_assert(!lc_publish_url_loopback("http://127.0.0.1.example.org/", host, sizeof host));
    ck_assert(!lc_publish_url_loopback("http://localhost.example.org/", host, sizeof host));
    ck_assert(!lc_publish_url_loopback("http://user@evil.example:80@127.0.0.1/", host, sizeof host) ||
              strcmp(host, "127.0.0.1") == 0);
    ck_assert(!lc_publish_url_loopback("http://[::2]/", host, sizeof host));
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("text");
    TCase *t = tcase_create("text");
    tcase_add_test(t, test_clean_escapes);
    tcase_add_test(t, test_clean_bounded);
    tcase_add_test(t, test_one_line);
    tcase_add_test(t, test_secrets);
    tcase_add_test(t, test_url_redact);
    tcase_add_test(t, test_secrets_from_args);
#ifdef LC_TEST_HAVE_CURL
    tcase_add_test(t, test_token_syntax);
    tcase_add_test(t, test_loopback);
#endif
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
