// SPDX-License-Identifier: Apache-2.0
//
// alloc-split: allocations whose split is known by construction. Each round:
//   main -> run_rounds -> alloc_big   -> malloc(3072)        3 KiB   (75 % of the bytes)
//   main -> run_rounds -> alloc_small -> calloc(4, 256)      1 KiB   (25 % of the bytes)
// Both blocks are freed at the end of the round, so memory stays flat; calls split 50 / 50.
// Usage: alloc-split [SECONDS [ROUNDS_PER_SECOND [ROUNDS]]]
//   SECONDS  stop after this long (0: no limit)
//   RATE     rounds per second (default 20000; 0: as fast as possible)
//   ROUNDS   stop after this many rounds and print "elapsed S cpu S" (wall and CPU seconds), for
//            benchmarks
// Prints "ready" once running.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE char *alloc_big(void) {
    char *p = malloc(3072);
    if (p) p[0] = 1;
    KEEP_FRAME();
    return p;
}

NOINLINE char *alloc_small(void) {
    char *p = calloc(4, 256);
    if (p) p[0] = 1;
    KEEP_FRAME();
    return p;
}

NOINLINE void run_rounds(double seconds, double rate, unsigned long max_rounds) {
    double start = now();
    unsigned long rounds = 0;
    for (;;) {
        char *big = alloc_big();
        char *small = alloc_small();
        free(small);
        free(big);
        ++rounds;
        if (max_rounds > 0 && rounds >= max_rounds) break;
        if ((rounds & 63) == 0) {
            double elapsed = now() - start;
            if (seconds > 0 && elapsed >= seconds) break;
            if (rate > 0) {
                double ahead = rounds / rate - elapsed;
                if (ahead > 0.001) usleep((useconds_t)(ahead * 1e6));
            }
        }
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    double rate = argc > 2 ? atof(argv[2]) : 20000;
    unsigned long rounds = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
    printf("ready\n");
    fflush(stdout);
    double start = now();
    run_rounds(seconds, rate, rounds);
    if (rounds > 0) {
        struct rusage usage;
        getrusage(RUSAGE_SELF, &usage);
        double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                     usage.ru_stime.tv_usec / 1e6;
        printf("elapsed %.6f cpu %.6f\n", now() - start, cpu);
    }
    return 0;
}
