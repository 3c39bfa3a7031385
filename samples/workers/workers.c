// SPDX-License-Identifier: Apache-2.0
//
// workers: THREADS threads doing a fixed amount of CPU work each, for overhead benchmarks of
// samplers that stop threads (the ptrace sampler) or not (perf_event).
//   thread_main -> work_loop -> work_unit      (every thread, named worker-N)
// Usage: workers THREADS ROUNDS [SECONDS]
//   ROUNDS   units of work per thread (0: no limit)
//   SECONDS  stop after this long instead (0 or absent: no time limit)
// Prints "ready" once every thread runs, and at the end "elapsed S cpu S": wall and CPU
// seconds (user + system) of the work.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")
#define NEED_FRAME() __asm__ volatile("" ::"r"(__builtin_frame_address(0)))

enum { UNIT = 200000 };
static unsigned long rounds;
static double deadline;
static pthread_barrier_t started;
static volatile unsigned long sinks[256];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE void work_unit(int slot) {
    NEED_FRAME();
    unsigned long x = sinks[slot];
    for (unsigned long i = 0; i < UNIT; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    sinks[slot] = x;
    KEEP_FRAME();
}

NOINLINE void work_loop(int slot) {
    NEED_FRAME();
    for (unsigned long r = 0; rounds == 0 || r < rounds; r++) {
        work_unit(slot);
        if (deadline > 0 && (r & 15) == 0 && now() >= deadline) break;
    }
    KEEP_FRAME();
}

static void *thread_main(void *arg) {
    int slot = (int)(long)arg;
    pthread_barrier_wait(&started);
    work_loop(slot);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: workers THREADS ROUNDS [SECONDS]\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    if (threads < 1 || threads > 256) threads = 1;
    rounds = strtoul(argv[2], NULL, 10);
    double seconds = argc > 3 ? atof(argv[3]) : 0;
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    pthread_barrier_init(&started, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        pthread_create(&ids[i], NULL, thread_main, (void *)(long)i);
        char name[16];
        snprintf(name, sizeof name, "worker-%d", i);
        pthread_setname_np(ids[i], name);
    }
    deadline = seconds > 0 ? now() + seconds : 0;
    double start = now();
    pthread_barrier_wait(&started);
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                 usage.ru_stime.tv_usec / 1e6;
    printf("elapsed %.6f cpu %.6f\n", now() - start, cpu);
    free(ids);
    return 0;
}
