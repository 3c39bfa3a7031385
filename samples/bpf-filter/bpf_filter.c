// SPDX-License-Identifier: Apache-2.0
//
// bpf-filter: spends its time in kernel code that is not part of the kernel image: an eBPF socket
// filter, JIT-compiled by the kernel and listed in /proc/kallsyms under the module name [bpf]
// (`bpf_prog_<tag>_sflame_filter [bpf]`), as a loadable module's functions are (`[nf_tables]`).
//   main -> pump_packets -> send -> (kernel) unix_dgram_sendmsg -> sk_filter_trim_cap
//        -> bpf_prog_<tag>_sflame_filter
// The filter loops 50,000 times, so each datagram spends tens of microseconds in it.
// Needs CAP_BPF (root). Usage: bpf-filter [SECONDS]; prints "ready" once the filter is attached,
// or exits with status 3 and a message when the kernel refuses the program.
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/sample.h"

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

enum { ROUNDS = 50000 };

// r0 = 0; r1 = 0; do { r1 += 1; r0 += 1; } while (r1 < ROUNDS); return r0 (bytes to keep).
// A bounded loop (Linux 5.3+): a short program, cheap to attach (socket filters are charged to
// net.core.optmem_max by size), that runs for tens of microseconds per datagram.
static int load_filter(void) {
    struct bpf_insn insns[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0},
        {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_1, .imm = 1},
        {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_0, .imm = 1},
        {.code = BPF_JMP | BPF_JLT | BPF_K, .dst_reg = BPF_REG_1, .off = -3, .imm = ROUNDS},
        {.code = BPF_JMP | BPF_EXIT},
    };
    size_t count = sizeof insns / sizeof insns[0];
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insns = (unsigned long)insns;
    attr.insn_cnt = (unsigned)count;
    attr.license = (unsigned long)"GPL";
    strncpy(attr.prog_name, "sflame_filter", sizeof attr.prog_name - 1);
    return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
}

NOINLINE void pump_packets(int sender, int receiver, double seconds) {
    double end = seconds > 0 ? sample_now() + seconds : 0;
    char packet[64] = "sflame";
    for (unsigned long round = 1;; round++) {
        if (send(sender, packet, sizeof packet, 0) < 0) { perror("send"); exit(1); }
        if (recv(receiver, packet, sizeof packet, 0) < 0) { perror("recv"); exit(1); }
        if (end > 0 && (round & 255) == 0 && sample_now() >= end) break;
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    int filter = load_filter();
    if (filter < 0) {
        fprintf(stderr, "bpf-filter: the kernel refused the eBPF program: %s\n", strerror(errno));
        return 3;
    }
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) { perror("socketpair"); return 1; }
    if (setsockopt(pair[1], SOL_SOCKET, SO_ATTACH_BPF, &filter, sizeof filter) != 0) {
        fprintf(stderr, "bpf-filter: SO_ATTACH_BPF failed: %s\n", strerror(errno));
        return 3;
    }
    printf("ready\n");
    fflush(stdout);
    pump_packets(pair[0], pair[1], seconds);
    return 0;
}
