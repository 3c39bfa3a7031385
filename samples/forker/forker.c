// SPDX-License-Identifier: Apache-2.0
//
// forker: a parent that never works itself; the children it forks do, one after another.
//   child (fork only):     main -> run_parent -> fork_worker -> forked_spin
//   child (fork + exec):   main -> exec_worker_main -> exec_spin        (the same binary, --exec-worker)
// Each child burns CPU_MS of CPU time, then exits; the parent waits for it (off the CPU) and forks
// the next, alternating the two kinds.
// Usage: forker [SECONDS [CPU_MS]]   (SECONDS 0 or absent: no limit; CPU_MS default 150)
// Prints "ready" before forking the first child.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/sample.h"

static volatile unsigned long sink;

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Burns `seconds` of this process's CPU time.
#define BURN(seconds)                                                                              \
    do {                                                                                           \
        double until = cpu_now() + (seconds);                                                      \
        unsigned long x = sink;                                                                    \
        while (cpu_now() < until)                                                                  \
            for (int i = 0; i < 20000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL; \
        sink = x;                                                                                  \
    } while (0)

NOINLINE void forked_spin(double seconds) { NEED_FRAME(); BURN(seconds); KEEP_FRAME(); }
NOINLINE void exec_spin(double seconds) { NEED_FRAME(); BURN(seconds); KEEP_FRAME(); }

NOINLINE int exec_worker_main(double seconds) {
    exec_spin(seconds);
    KEEP_FRAME();
    return 0;
}

NOINLINE void fork_worker(double seconds) {
    forked_spin(seconds);
    KEEP_FRAME();
    _exit(0);
}

NOINLINE void run_parent(const char *self, double seconds, double cpu) {
    double end = seconds > 0 ? sample_now() + seconds : 0;
    char cpu_text[32];
    snprintf(cpu_text, sizeof cpu_text, "%g", cpu);
    for (unsigned long n = 0; end == 0 || sample_now() < end; n++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); exit(1); }
        if (pid == 0) {
            if (n % 2 == 0) fork_worker(cpu);
            execl(self, self, "--exec-worker", cpu_text, (char *)NULL);
            perror("execl");
            _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0) {}
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "--exec-worker") == 0) {
        int status = exec_worker_main(atof(argv[2]));
        KEEP_FRAME();
        return status;
    }
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    double cpu = argc > 2 ? atof(argv[2]) / 1000 : 0.15;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) { perror("readlink"); return 1; }
    self[n] = 0;
    printf("ready\n");
    fflush(stdout);
    run_parent(self, seconds, cpu);
    return 0;
}
