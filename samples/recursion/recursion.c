// SPDX-License-Identifier: Apache-2.0
//
// recursion: a deep stack whose depth is known by construction.
//   main -> run_forever -> recurse (DEPTH frames, default 300) -> leaf_work
// Each recurse frame holds a 64-byte buffer, so the whole stack is about 25–30 KiB: more than
// the default 8 KiB DWARF stack copy, less than the 64 KiB maximum. Built without frame
// pointers, so only DWARF unwinding recovers it.
// Usage: recursion [SECONDS [DEPTH]]   (0 or absent SECONDS: run until killed)
// Prints "ready" once running.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static volatile unsigned long sink;

NOINLINE unsigned long leaf_work(void) {
    unsigned long x = sink;
    for (unsigned long i = 0; i < 2000000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
    KEEP_FRAME();
    return x;
}

NOINLINE unsigned long recurse(int depth) {
    volatile char pad[64];
    pad[0] = (char)depth;
    if (depth <= 1) return leaf_work() + pad[0];
    unsigned long r = recurse(depth - 1) + pad[0];
    KEEP_FRAME();
    return r;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE void run_forever(double seconds, int depth) {
    double end = seconds > 0 ? now() + seconds : 0;
    while (end == 0 || now() < end) sink += recurse(depth);
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    int depth = argc > 2 ? atoi(argv[2]) : 300;
    printf("ready\n");
    fflush(stdout);
    run_forever(seconds, depth);
    return 0;
}
