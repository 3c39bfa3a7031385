// SPDX-License-Identifier: Apache-2.0
//
// two-hot: a CPU-bound loop whose split is known by construction.
//   main -> run_loop -> path_a -> hot_a   3 units of work per round (≈ 75 %)
//   main -> run_loop -> path_b -> hot_b   1 unit  of work per round (≈ 25 %)
// Usage: two-hot [SECONDS [ROUNDS]]
//   SECONDS  stop after this long (0 or absent: no time limit)
//   ROUNDS   stop after this many rounds instead, then print "elapsed S cpu S": wall and CPU
//            seconds (user + system) of the run, for benchmarks
// Prints "ready" once running.
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "../common/sample.h"

static volatile unsigned long sink;
enum { UNIT = 200000 };

NOINLINE void hot_a(unsigned long n) {
    NEED_FRAME();
    unsigned long x = sink;
    for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
    KEEP_FRAME();
}

NOINLINE void hot_b(unsigned long n) {
    NEED_FRAME();
    unsigned long x = sink;
    for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
    KEEP_FRAME();
}

NOINLINE void path_a(void) { hot_a(3 * UNIT); KEEP_FRAME(); }
NOINLINE void path_b(void) { hot_b(UNIT); KEEP_FRAME(); }

NOINLINE void run_loop(double seconds, unsigned long max_rounds) {
    double end = seconds > 0 ? sample_now() + seconds : 0;
    unsigned long rounds = 0;
    for (;;) {
        path_a();
        path_b();
        ++rounds;
        if (max_rounds > 0 && rounds >= max_rounds) break;
        if (end > 0 && (rounds & 15) == 0 && sample_now() >= end) break;
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    unsigned long rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    printf("ready\n");
    fflush(stdout);
    double start = sample_now();
    run_loop(seconds, rounds);
    if (rounds > 0) {
        struct rusage usage;
        getrusage(RUSAGE_SELF, &usage);
        double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                     usage.ru_stime.tv_usec / 1e6;
        printf("elapsed %.6f cpu %.6f\n", sample_now() - start, cpu);
    }
    return 0;
}
