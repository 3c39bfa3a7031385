// SPDX-License-Identifier: Apache-2.0
//
// thread-alloc: a process that keeps starting threads that allocate, for checking that probing
// its allocator never gets in the way of creating threads.
//   main -> spawn_workers: every 50 ms pthread_create(worker); at most 4 alive
//   worker -> worker_alloc: malloc(256) + free, 2,000 times a second for 300 ms
// Usage: thread-alloc SECONDS
//   Prints "ready" at the start and "threads N failed M" at the end (M: failed pthread_create).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE void worker_alloc(double seconds) {
    double end = now() + seconds;
    while (now() < end) {
        // A local (not a global shared by the threads: under probes each call takes microseconds,
        // and threads would free each other's blocks); volatile, so the pair is not optimized out.
        void *volatile block = malloc(256);
        free(block);
        usleep(500);
    }
    KEEP_FRAME();
}

static void *worker(void *arg) {
    (void)arg;
    worker_alloc(0.3);
    return NULL;
}

NOINLINE void spawn_workers(double seconds, int *threads, int *failed) {
    pthread_t alive[4];
    int count = 0;
    double end = now() + seconds;
    while (now() < end) {
        if (count == 4) {
            pthread_join(alive[0], NULL);
            memmove(alive, alive + 1, 3 * sizeof alive[0]);
            count--;
        }
        int r = pthread_create(&alive[count], NULL, worker, NULL);
        if (r == 0) {
            count++;
            (*threads)++;
        } else {
            (*failed)++;
            fprintf(stderr, "pthread_create: %s\n", strerror(r));
        }
        usleep(50000);
    }
    for (int i = 0; i < count; i++) pthread_join(alive[i], NULL);
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    int threads = 0, failed = 0;
    printf("ready\n");
    fflush(stdout);
    spawn_workers(seconds, &threads, &failed);
    printf("threads %d failed %d\n", threads, failed);
    return 0;
}
