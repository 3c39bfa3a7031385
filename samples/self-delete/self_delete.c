// SPDX-License-Identifier: Apache-2.0
//
// self-delete: removes its own executable from the file system while it runs, as happens to a
// service whose package is upgraded or removed under it:
//   self-delete [SECONDS]                 unlinks the file: /proc/PID/maps says "(deleted)"
//   self-delete --replace-with FILE [S]   renames FILE over it (an upgrade: a different build at the
//                                         same path; FILE is consumed)
// Then burns CPU in main -> survivor_loop -> deleted_hot. Prints "ready" after the file is gone.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/sample.h"

static volatile unsigned long sink;

NOINLINE void deleted_hot(unsigned long n) {
    NEED_FRAME();
    unsigned long x = sink;
    for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
    KEEP_FRAME();
}

NOINLINE void survivor_loop(double seconds) {
    double end = seconds > 0 ? sample_now() + seconds : 0;
    for (unsigned long round = 1;; round++) {
        deleted_hot(200000);
        if (end > 0 && (round & 15) == 0 && sample_now() >= end) break;
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    const char *replacement = NULL;
    int next = 1;
    if (argc > 2 && strcmp(argv[1], "--replace-with") == 0) {
        replacement = argv[2];
        next = 3;
    }
    double seconds = argc > next ? atof(argv[next]) : 0;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) { perror("readlink"); return 1; }
    self[n] = 0;
    if (replacement ? rename(replacement, self) != 0 : unlink(self) != 0) {
        perror(self);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    survivor_loop(seconds);
    return 0;
}
