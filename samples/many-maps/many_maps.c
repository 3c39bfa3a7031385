// SPDX-License-Identifier: Apache-2.0
//
// many-maps: a process with N distinct mappings, for the cost of reading /proc/PID/smaps.
// Maps N one-page anonymous regions with alternating protections (so the kernel cannot merge
// neighbours), touches each, prints "ready" and sleeps until killed.
// Usage: many-maps [N]  (default 1000)
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    // One reservation, then alternate protections page by page: N separate VMAs.
    char *base = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) { perror("mmap"); return 1; }
    for (int i = 0; i < n; i++) base[(size_t)i * 4096] = 1;
    for (int i = 1; i < n; i += 2) mprotect(base + (size_t)i * 4096, 4096, PROT_READ);
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
}
