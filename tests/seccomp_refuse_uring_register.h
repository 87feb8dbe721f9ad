/* A seccomp filter that makes one io_uring_register(2) opcode fail with
 * EINVAL, as a kernel from before that opcode answers (io_uring_register(2):
 * EINVAL for an unknown opcode): IORING_REGISTER_PROBE before 5.6,
 * IORING_REGISTER_PBUF_RING before 5.19.  The opcode is the call's second
 * argument (seccomp(2), struct seccomp_data args[1]; its low 32 bits on a
 * little-endian machine).  Internal to the tests. */
#ifndef LC_SECCOMP_REFUSE_URING_REGISTER_H
#define LC_SECCOMP_REFUSE_URING_REGISTER_H

#include "seccomp_block_uring.h"

/* 0, or -errno. */
static inline int lc_seccomp_refuse_uring_register(unsigned opcode)
{
#if defined(__NR_io_uring_register) && defined(LC_SECCOMP_ARCH) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LC_SECCOMP_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, opcode, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EINVAL & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    return lc_seccomp_install(prog, (unsigned short)(sizeof prog / sizeof prog[0]));
#else
    (void)opcode;
    return -ENOSYS;
#endif
}

#endif
