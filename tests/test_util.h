/* Small pieces shared by the Check suites that run once per backend. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <check.h>
#include <stdlib.h>

/* The backend under test: $LC_TEST_BACKEND, "poll" when unset or empty. */
static inline const char *test_backend(void)
{
    const char *b = getenv("LC_TEST_BACKEND");
    return b && *b ? b : "poll";
}

/* Run every test of s; the process's exit status. */
static inline int test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
