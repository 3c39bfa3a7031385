// SPDX-License-Identifier: Apache-2.0
//
// jit: generates two functions' machine code at run time into an anonymous executable mapping
// and names them in /tmp/perf-PID.map, as JIT compilers do for perf (Node --perf-basic-prof,
// the JVM's perf-map-agent, CPython -X perf).
//   main -> run_jit -> call_a -> jit_hot_a   3 units of work per round (≈ 75 %)
//   main -> run_jit -> call_b -> jit_hot_b   1 unit  of work per round (≈ 25 %)
// The generated code (x86-64) keeps a frame pointer, as JIT code usually does:
//   push %rbp; mov %rsp,%rbp; mov %rdi,%rcx; 1: dec %rcx; jnz 1b; pop %rbp; ret
// Usage: jit [SECONDS]   (0 or absent: no time limit). Prints "ready" once running. The perf map
// is left behind when the process ends, as JITs do; remove it with the process's PID.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../common/sample.h"

typedef void (*jit_function)(unsigned long count);

static const unsigned char countdown[] = {
    0x55,                    // push %rbp
    0x48, 0x89, 0xe5,        // mov  %rsp,%rbp
    0x48, 0x89, 0xf9,        // mov  %rdi,%rcx
    0x48, 0xff, 0xc9,        // 1: dec %rcx
    0x75, 0xfb,              // jnz  1b
    0x5d,                    // pop  %rbp
    0xc3,                    // ret
};

static jit_function jit_a, jit_b;
enum { UNIT = 2000000 };

NOINLINE void call_a(void) { jit_a(3 * UNIT); KEEP_FRAME(); }
NOINLINE void call_b(void) { jit_b(UNIT); KEEP_FRAME(); }

NOINLINE void run_jit(double seconds) {
    double end = seconds > 0 ? sample_now() + seconds : 0;
    for (unsigned long round = 1;; round++) {
        call_a();
        call_b();
        if (end > 0 && (round & 15) == 0 && sample_now() >= end) break;
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *code = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) { perror("mmap"); return 1; }
    memcpy(code, countdown, sizeof countdown);
    memcpy(code + 64, countdown, sizeof countdown);
    if (mprotect(code, page, PROT_READ | PROT_EXEC) != 0) { perror("mprotect"); return 1; }
    jit_a = (jit_function)code;
    jit_b = (jit_function)(code + 64);

    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
    FILE *map = fopen(path, "w");
    if (!map) { perror(path); return 1; }
    fprintf(map, "%lx %zx jit_hot_a\n", (unsigned long)code, sizeof countdown);
    fprintf(map, "%lx %zx jit_hot_b\n", (unsigned long)(code + 64), sizeof countdown);
    fclose(map);

    printf("ready\n");
    fflush(stdout);
    run_jit(seconds);
    return 0;
}
