/* chardev: character devices as readers.  /dev/null and /dev/zero are
 * always readable (a read returns EOF or zeros at once) for select(2) and
 * poll(2); epoll_ctl(2) refuses them with EPERM (they have no poll method,
 * "The target file fd does not support epoll").  /dev/urandom likewise:
 * random(4), "A read from the /dev/urandom device will not block waiting
 * for more entropy", and the kernel gives it no poll method (only
 * /dev/random has one, for the pool being ready): measured, epoll_ctl
 * refuses it with EPERM as it refuses /dev/zero. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "case_util.h"

static void chardev_reader(lc_case_ctx *ctx, lc_loop *loop, const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        lc_case_skip(ctx, "open %s: %s", path, strerror(errno));
        return;
    }
    lc__case_expect_reader_fires(ctx, loop, fd, path, LC__MS(1000));
    close(fd);
}

static void chardev_dev_null(lc_case_ctx *ctx, lc_loop *loop)
{
#ifdef _WIN32
    /* Windows' null device is NUL ("Naming Files, Paths, and Namespaces"). */
    chardev_reader(ctx, loop, "NUL");
#else
    chardev_reader(ctx, loop, "/dev/null");
#endif
}

static void chardev_dev_zero(lc_case_ctx *ctx, lc_loop *loop)
{
#ifdef _WIN32
    (void)loop;
    lc_case_skip(ctx, "Windows has no device that reads as zeros (no /dev/zero counterpart)");
#else
    chardev_reader(ctx, loop, "/dev/zero");
#endif
}

/* Read through the loop: the reader fires and a read gets bytes at once. */
static void chardev_dev_urandom(lc_case_ctx *ctx, lc_loop *loop)
{
#ifdef _WIN32
    (void)loop;
    lc_case_skip(ctx, "Windows has no random device file (its generator is an API, BCryptGenRandom)");
#else
    lc_case_ref(ctx, "man:random(4)");
    int fd = open("/dev/urandom", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        lc_case_skip(ctx, "open /dev/urandom: %s", strerror(errno));
        return;
    }
    unsigned char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    lc_case_evidence_int(ctx, "read_bytes", (long long)n);
    if (n != (ssize_t)sizeof buf) {
        close(fd);
        lc_case_fail(ctx, "a non-blocking read of 64 bytes from /dev/urandom returned %zd (%s)", n,
                     n < 0 ? strerror(errno) : "short");
        return;
    }
    lc__case_expect_reader_fires(ctx, loop, fd, "/dev/urandom", LC__MS(1000));
    close(fd);
#endif
}

const lc_case lc_cases_chardev[] = {
    {"chardev/dev-null", "add_reader on /dev/null: refused, or fires (always readable)", chardev_dev_null,
     0, NULL, 0},
    {"chardev/dev-zero", "add_reader on /dev/zero: refused, or fires (always readable)", chardev_dev_zero,
     0, NULL, 0},
    {"chardev/dev-urandom", "add_reader on /dev/urandom: refused, or fires; reads never block",
     chardev_dev_urandom, 0, NULL, 0},
    {0},
};
