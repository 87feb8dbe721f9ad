/* seccomp_exec PROGRAM [ARG...]: run PROGRAM with io_uring_setup(2) refused
 * (EPERM) by a seccomp filter, as under a container's default profile.  The
 * filter survives execve(2) (seccomp(2)). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_block_uring.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: seccomp_exec PROGRAM [ARG...]\n");
        return 2;
    }
    int rc = lc_seccomp_block_io_uring();
    if (rc < 0) {
        fprintf(stderr, "seccomp_exec: cannot install the filter: %s\n", strerror(-rc));
        return 77;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "seccomp_exec: %s: %s\n", argv[1], strerror(errno));
    return 127;
}
