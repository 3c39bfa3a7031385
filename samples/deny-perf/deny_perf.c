// SPDX-License-Identifier: Apache-2.0
//
// deny-perf: runs a command under a seccomp filter that makes perf_event_open(2) fail with a
// chosen errno, as container runtimes' default seccomp profiles do. A test harness for sflame's
// fallback to the ptrace sampler, not a profiling target.
// Usage: deny-perf EPERM|EACCES|ENOSYS COMMAND [ARGS…]
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: deny-perf EPERM|EACCES|ENOSYS COMMAND [ARGS...]\n");
        return 2;
    }
    int code;
    if (strcmp(argv[1], "EPERM") == 0) code = EPERM;
    else if (strcmp(argv[1], "EACCES") == 0) code = EACCES;
    else if (strcmp(argv[1], "ENOSYS") == 0) code = ENOSYS;
    else {
        fprintf(stderr, "deny-perf: unknown errno %s\n", argv[1]);
        return 2;
    }
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_perf_event_open, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)code & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
        perror("deny-perf: seccomp");
        return 1;
    }
    execvp(argv[2], argv + 2);
    perror("deny-perf: exec");
    return 127;
}
