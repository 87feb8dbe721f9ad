/* io_uring on a kernel older than the backend's newest features, emulated
 * by a seccomp filter that answers EINVAL to one io_uring_register(2)
 * opcode as older kernels do: the feature list says which feature is
 * missing and which probe found it, completion mode is refused (LC_ENOTSUP)
 * without io_uring_get_probe (before 5.6), a readiness loop still runs, and
 * without provided-buffer rings (before 5.19) completion mode still opens. */
#include <check.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loopcompat/loop.h"
#include "test_fork.h"
#include "test_util.h"
#include "seccomp_refuse_uring_register.h"

struct view {
    int filter_rc;
    int available;
    lc_backend_feature op_recv, buf_ring, ms_recv, ms_poll;
    int completion_rc, plain_rc, plain_run_rc;
};

static lc_backend_feature find(const lc_backend_feature *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return f[i];
    return (lc_backend_feature){0};
}

/* In a forked child: the filter cannot be removed. */
static void observe_child(void *view, void *arg)
{
    struct view *v = view;
    v->filter_rc = lc_seccomp_refuse_uring_register(*(unsigned *)arg);
    lc_probe why;
    lc_backend_probe("io_uring", &why);
    v->available = why.available;
    lc_backend_feature f[32];
    size_t n = lc_backend_features("io_uring", f, 32);
    v->op_recv = find(f, n, "op_recv");
    v->buf_ring = find(f, n, "buf_ring");
    v->ms_recv = find(f, n, "multishot_recv");
    v->ms_poll = find(f, n, "multishot_poll");
    lc_loop_options o = {.backend = "io_uring", .flags = LC_LOOP_COMPLETION};
    lc_loop *loop = NULL;
    v->completion_rc = lc_loop_new(&loop, &o);
    lc_loop_free(loop);
    loop = NULL;
    o.flags = 0;
    v->plain_rc = lc_loop_new(&loop, &o);
    if (v->plain_rc == 0) {
        v->plain_run_rc = test_run_1ms(loop);
        lc_loop_free(loop);
    }
}

static struct view observe(unsigned opcode)
{
    struct view v;
    test_in_child(observe_child, &opcode, &v, sizeof v);
    return v;
}

/* The emulation takes features away from a kernel that has them. */
static void require_uring(void)
{
    lc_probe why;
    ck_assert_msg(lc_backend_probe("io_uring", &why) == 0 && why.available,
                  "io_uring is not available here: %s", why.message);
}

START_TEST(test_no_opcode_probe)
{
    require_uring();
    struct view v = observe(IORING_REGISTER_PROBE);
    ck_assert_int_eq(v.filter_rc, 0);
    ck_assert_int_eq(v.available, 1);
    ck_assert_str_eq(v.op_recv.name, "op_recv");
    ck_assert_int_eq(v.op_recv.available, 0);
    ck_assert_int_eq(v.op_recv.sys_errno, EINVAL);
    ck_assert_str_eq(v.op_recv.since, "5.6");
    ck_assert_ptr_nonnull(strstr(v.op_recv.probe, "io_uring_get_probe"));
    ck_assert_int_eq(v.completion_rc, LC_ENOTSUP);
    ck_assert_int_eq(v.plain_rc, 0);
    ck_assert_int_eq(v.plain_run_rc, 0);
}
END_TEST

START_TEST(test_no_buffer_rings)
{
    require_uring();
    struct view v = observe(IORING_REGISTER_PBUF_RING);
    ck_assert_int_eq(v.filter_rc, 0);
    ck_assert_int_eq(v.op_recv.available, 1);
    ck_assert_int_eq(v.buf_ring.available, 0);
    ck_assert_int_eq(v.buf_ring.sys_errno, EINVAL);
    ck_assert_str_eq(v.buf_ring.since, "5.19");
    /* A multishot receive picks from a buffer ring: without one it is
     * listed missing, with the buffer ring's refusal. */
    ck_assert_int_eq(v.ms_recv.available, 0);
    ck_assert_int_eq(v.ms_recv.sys_errno, EINVAL);
    ck_assert_str_eq(v.ms_poll.name, "multishot_poll");
    ck_assert_int_eq(v.completion_rc, 0);
    ck_assert_int_eq(v.plain_rc, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("io_uring_old_kernel");
    TCase *tc = tcase_create("io_uring_old_kernel");
    tcase_add_test(tc, test_no_opcode_probe);
    tcase_add_test(tc, test_no_buffer_rings);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
