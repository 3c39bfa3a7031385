// SPDX-License-Identifier: Apache-2.0
//
// clock-loop: most CPU time inside the vDSO, whose code has no file on disk.
//   main -> poll_clock -> clock_gettime -> [vdso] (__vdso_clock_gettime)   ≈ most samples
// Built without frame pointers: unwinding out of the vDSO needs the vDSO's own CFI.
// Usage: clock-loop [SECONDS]   (0 or absent: run until killed). Prints "ready" once running.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static volatile long sink;

NOINLINE void poll_clock(double seconds) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double end = seconds > 0 ? ts.tv_sec + ts.tv_nsec / 1e9 + seconds : 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sink += ts.tv_nsec;
        if (end > 0 && ts.tv_sec + ts.tv_nsec / 1e9 >= end) break;
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    printf("ready\n");
    fflush(stdout);
    poll_clock(seconds);
    return 0;
}
