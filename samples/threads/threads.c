// SPDX-License-Identifier: Apache-2.0
//
// threads: N busy threads (default 4), each named and spinning in its own function.
//   start_thread -> worker_main -> spin_N        one thread per N, equal shares
// Built without frame pointers. Used to check that DWARF recording keeps up with many busy
// threads at high frequencies without losing samples.
// Usage: threads [SECONDS [THREADS]]   (0 or absent SECONDS: run until killed)
// Prints "ready" once every thread runs.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")
#define MAX_THREADS 16

static volatile unsigned long sink;
static double deadline;
static pthread_barrier_t started;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long spin(unsigned long x) {
    for (int i = 0; i < 100000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    return x;
}

#define SPIN(n) NOINLINE unsigned long spin_##n(unsigned long x) { x = spin(x); KEEP_FRAME(); return x; }
SPIN(0) SPIN(1) SPIN(2) SPIN(3) SPIN(4) SPIN(5) SPIN(6) SPIN(7)
static unsigned long (*const spins[8])(unsigned long) = {spin_0, spin_1, spin_2, spin_3, spin_4, spin_5, spin_6, spin_7};

NOINLINE void *worker_main(void *argument) {
    long index = (long)argument;
    char name[16];
    snprintf(name, sizeof name, "worker-%ld", index);
    pthread_setname_np(pthread_self(), name);
    pthread_barrier_wait(&started);
    unsigned long x = index;
    while (deadline == 0 || now() < deadline) x = spins[index % 8](x);
    sink = x;
    KEEP_FRAME();
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    long count = argc > 2 ? atol(argv[2]) : 4;
    if (count < 1 || count > MAX_THREADS) count = 4;
    deadline = seconds > 0 ? now() + seconds : 0;
    pthread_t threads[MAX_THREADS];
    pthread_barrier_init(&started, NULL, (unsigned)count + 1);
    for (long i = 0; i < count; i++) pthread_create(&threads[i], NULL, worker_main, (void *)i);
    pthread_barrier_wait(&started);
    printf("ready\n");
    fflush(stdout);
    for (long i = 0; i < count; i++) pthread_join(threads[i], NULL);
    return 0;
}
