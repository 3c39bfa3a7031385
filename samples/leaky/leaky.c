// SPDX-License-Identifier: Apache-2.0
//
// leaky: one path leaks, the other frees everything, through every allocator function.
// For every line read on stdin, each path runs ITERATIONS times:
//   main -> serve -> leaky_path  allocates LEAK_PER_ITERATION bytes and keeps them
//   main -> serve -> clean_path  allocates the same way and frees it all
// then prints "done N" with N the bytes leaked so far (requested sizes). EOF on stdin ends it.
// Usage: leaky [ITERATIONS]  (default 200). Prints "ready" first.
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

// Per iteration: malloc 3000, calloc 10 x 100, realloc(NULL, 1000), malloc 100 grown by
// realloc to 5000, posix_memalign 2048, aligned_alloc 4096.
enum { LEAK_PER_ITERATION = 3000 + 1000 + 1000 + 5000 + 2048 + 4096 };

static void *volatile sink;
// realloc(NULL, n) through a pointer the compiler cannot see is NULL (it would turn a literal
// realloc(NULL, n) into malloc(n)): glibc's realloc then jumps into malloc.
static void *volatile no_block;
static void **leaked;
static size_t leaked_count, leaked_capacity;

static void keep(void *p) {
    if (leaked_count == leaked_capacity) {
        // The bookkeeping array is allocated in main before any probe matters; never grown here.
        abort();
    }
    leaked[leaked_count++] = p;
}

NOINLINE void allocate_set(void *out[6]) {
    out[0] = malloc(3000);
    out[1] = calloc(10, 100);
    out[2] = realloc(no_block, 1000);
    void *grown = malloc(100);
    out[3] = realloc(grown, 5000);
    void *aligned = NULL;
    if (posix_memalign(&aligned, 64, 2048) != 0) abort();
    out[4] = aligned;
    out[5] = aligned_alloc(64, 4096);
    for (int i = 0; i < 6; i++) {
        if (!out[i]) abort();
        memset(out[i], i, 16);
    }
    KEEP_FRAME();
}

NOINLINE void leaky_path(void) {
    void *set[6];
    allocate_set(set);
    for (int i = 0; i < 6; i++) keep(set[i]);
    KEEP_FRAME();
}

NOINLINE void clean_path(void) {
    void *set[6];
    allocate_set(set);
    char *copy = strdup("a string duplicated and freed");
    sink = copy;
    free(copy);
    for (int i = 0; i < 6; i++) free(set[i]);
    KEEP_FRAME();
}

NOINLINE void serve(int iterations) {
    for (int i = 0; i < iterations; i++) {
        leaky_path();
        clean_path();
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    int iterations = argc > 1 ? atoi(argv[1]) : 200;
    leaked_capacity = (size_t)iterations * 6 * 64;
    leaked = malloc(leaked_capacity * sizeof *leaked);
    printf("ready\n");
    fflush(stdout);
    char line[64];
    unsigned long total = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (leaked_count + (size_t)iterations * 6 > leaked_capacity) break;
        serve(iterations);
        total += (unsigned long)iterations * LEAK_PER_ITERATION;
        printf("done %lu\n", total);
        fflush(stdout);
    }
    return 0;
}
