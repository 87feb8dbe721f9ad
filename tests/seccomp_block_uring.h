/* A seccomp filter that makes io_uring_setup(2) fail with EPERM and lets
 * every other system call through, as container profiles do (Docker's
 * default profile blocks the io_uring calls; liburing issue 1078).
 * seccomp(2): SECCOMP_RET_ERRNO returns the errno in the low 16 bits without
 * running the call; PR_SET_NO_NEW_PRIVS lets an unprivileged process install
 * a filter.  Internal to the tests. */
#ifndef LC_SECCOMP_BLOCK_URING_H
#define LC_SECCOMP_BLOCK_URING_H

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define LC_SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define LC_SECCOMP_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define LC_SECCOMP_ARCH AUDIT_ARCH_I386
#endif

/* Install a filter program on this process: 0, or -errno. */
static inline int lc_seccomp_install(struct sock_filter *prog, unsigned short n)
{
    struct sock_fprog fprog = {n, prog};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
        return -errno;
    return 0;
}

/* 0, or -errno. */
static inline int lc_seccomp_block_io_uring(void)
{
#ifdef __NR_io_uring_setup
    struct sock_filter prog[] = {
#ifdef LC_SECCOMP_ARCH
        /* Another ABI's numbers mean other calls: let them through. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LC_SECCOMP_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#endif
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    return lc_seccomp_install(prog, (unsigned short)(sizeof prog / sizeof prog[0]));
#else
    return -ENOSYS;
#endif
}

#endif
