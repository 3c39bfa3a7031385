// SPDX-License-Identifier: Apache-2.0
//
// mem-grow: a heap that grows at a known rate beside a steady mapped region.
//   setup:  map STEADY_MIB of anonymous memory and touch every page (constant afterwards)
//   loop:   grow_heap() mallocs 64 KiB chunks (below glibc's mmap threshold, so they come from
//           [heap]) and touches every page, keeping allocated = RATE × elapsed; never frees
// Usage: mem-grow RATE_MIB_PER_S [STEADY_MIB [SECONDS]]
//   RATE 0 gives a flat process. Prints "ready" once the steady region is in place.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))
enum { CHUNK = 64 * 1024 };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *volatile keep;

NOINLINE void *map_steady_region(size_t bytes) {
    char *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) { perror("mmap"); exit(1); }
    for (size_t i = 0; i < bytes; i += 4096) region[i] = 1;
    return region;
}

NOINLINE void grow_heap(size_t bytes) {
    for (size_t done = 0; done < bytes; done += CHUNK) {
        char *chunk = malloc(CHUNK);
        if (!chunk) { perror("malloc"); exit(1); }
        // Touch every page here (not with memset, which has no frame pointer to unwind through):
        // the page faults happen in grow_heap.
        for (size_t i = 0; i < CHUNK; i += 4096) ((volatile char *)chunk)[i] = 0x5a;
        keep = chunk;  // never freed
    }
}

int main(int argc, char **argv) {
    double rate = argc > 1 ? atof(argv[1]) : 2;
    double steady = argc > 2 ? atof(argv[2]) : 32;
    double seconds = argc > 3 ? atof(argv[3]) : 0;
    keep = map_steady_region((size_t)(steady * 1048576));
    printf("ready\n");
    fflush(stdout);
    double start = now();
    double allocated = 0;
    for (;;) {
        double elapsed = now() - start;
        if (seconds > 0 && elapsed >= seconds) break;
        double target = rate * 1048576 * elapsed;
        if (target - allocated >= CHUNK) {
            size_t bytes = (size_t)((target - allocated) / CHUNK) * CHUNK;
            grow_heap(bytes);
            allocated += bytes;
        }
        usleep(5000);
    }
    return 0;
}
