// SPDX-License-Identifier: Apache-2.0
//
// switch-storm: N threads (default 4) that each take very short naps in a loop, so the process
// switches off the CPU tens of thousands of times a second (timer slack set to 1 ns, so a
// 20 µs nanosleep really is one).
//   start_thread -> napper_main -> nap_loop -> short_nap -> nanosleep     (every thread)
// Built without frame pointers: `sflame record --off-cpu` picks DWARF stack copies, one per
// context switch, the load under which its ring buffers used to overflow.
// Usage: switch-storm [SECONDS [THREADS [NAP_MICROSECONDS]]]   (0 or absent SECONDS: until killed)
// Prints "ready" once every thread naps; on SIGUSR1 prints "naps N" (naps taken so far, all threads).
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")
#define MAX_THREADS 16

static atomic_ulong naps;
static double deadline;
static long nap_ns = 20000;
static pthread_barrier_t started;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE void short_nap(void) {
    struct timespec ts = {0, nap_ns};
    nanosleep(&ts, NULL);
    KEEP_FRAME();
}

NOINLINE void nap_loop(void) {
    while (deadline == 0 || now() < deadline) {
        short_nap();
        atomic_fetch_add_explicit(&naps, 1, memory_order_relaxed);
    }
    KEEP_FRAME();
}

NOINLINE void *napper_main(void *argument) {
    char name[16];
    snprintf(name, sizeof name, "napper-%ld", (long)argument);
    pthread_setname_np(pthread_self(), name);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    pthread_barrier_wait(&started);
    nap_loop();
    KEEP_FRAME();
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    long count = argc > 2 ? atol(argv[2]) : 4;
    if (argc > 3 && atol(argv[3]) > 0) nap_ns = atol(argv[3]) * 1000;
    if (count < 1 || count > MAX_THREADS) count = 4;
    deadline = seconds > 0 ? now() + seconds : 0;
    sigset_t usr;
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr, NULL);  // the nappers inherit the mask; main takes SIGUSR1
    pthread_t threads[MAX_THREADS];
    pthread_barrier_init(&started, NULL, (unsigned)count + 1);
    for (long i = 0; i < count; i++) pthread_create(&threads[i], NULL, napper_main, (void *)i);
    pthread_barrier_wait(&started);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        int signal = 0;
        struct timespec tick = {0, 100000000};
        siginfo_t info;
        signal = sigtimedwait(&usr, &info, &tick);
        if (signal == SIGUSR1) {
            printf("naps %lu\n", atomic_load(&naps));
            fflush(stdout);
        }
        if (deadline != 0 && now() >= deadline) break;
    }
    for (long i = 0; i < count; i++) pthread_join(threads[i], NULL);
    return 0;
}
