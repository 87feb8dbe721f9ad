/* Shared by the backend-generic core suite's files (test_core.c,
 * test_core_io.c): the backend under test ($LC_TEST_BACKEND) and small
 * callbacks. */
#ifndef LC_TEST_CORE_H
#define LC_TEST_CORE_H

#include <check.h>
#include <stdlib.h>

#include "loopcompat/loop.h"

static inline const char *backend(void)
{
    const char *b = getenv("LC_TEST_BACKEND");
    return b && *b ? b : "poll";
}

static inline lc_loop *new_loop_flags(unsigned flags)
{
    lc_loop *loop = NULL;
    lc_loop_options o = {0};
    o.backend = backend();
    o.flags = flags;
    int rc = lc_loop_new(&loop, &o);
    ck_assert_msg(rc == 0, "lc_loop_new(%s): %s", backend(), lc_strerror(rc));
    ck_assert_str_eq(lc_loop_backend_name(loop), backend());
    return loop;
}

static inline lc_loop *new_loop(void) { return new_loop_flags(0); }

static inline void stop_cb(lc_loop *loop, void *arg)
{
    (void)arg;
    lc_loop_stop(loop);
}

/* test_core_io.c: readers and writers, close, policies, errors. */
void core_add_io_tests(TCase *tc);

#endif
