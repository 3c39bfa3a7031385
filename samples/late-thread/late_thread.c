// SPDX-License-Identifier: Apache-2.0
//
// late-thread: the main thread spins in main_spin; after one second it starts a thread that
// spins in late_hot. A profiler attached from the start must see both.
//   main -> main_spin                         (the whole run)
//   start_thread -> late_worker -> late_hot   (from t = 1 s)
// Usage: late-thread [SECONDS]   (default: run until killed; prints "ready" then "started")
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../common/sample.h"

static volatile unsigned long sink;

NOINLINE void spin(unsigned long n) {
    NEED_FRAME();
    unsigned long x = sink;
    for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005UL + 1;
    sink = x;
    KEEP_FRAME();
}

NOINLINE void late_hot(void) { spin(100000); KEEP_FRAME(); }

NOINLINE void *late_worker(void *arg) {
    (void)arg;
    for (;;) late_hot();
    return NULL;
}

NOINLINE void main_spin(double seconds) {
    double start = sample_now();
    int started = 0;
    for (;;) {
        spin(100000);
        double t = sample_now() - start;
        if (!started && t >= 1.0) {
            pthread_t thread;
            pthread_create(&thread, NULL, late_worker, NULL);
            pthread_setname_np(thread, "late-worker");
            printf("started\n");
            fflush(stdout);
            started = 1;
        }
        if (seconds > 0 && t >= seconds) break;
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    printf("ready\n");
    fflush(stdout);
    main_spin(seconds);
    return 0;
}
