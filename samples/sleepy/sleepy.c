// SPDX-License-Identifier: Apache-2.0
//
// sleepy: every thread sleeps 90 % of its wall time in the nanosleep system call and burns CPU
// for the other 10 %, in distinct named functions. Cycles of 50 ms:
//   main/thread_main -> run_cycles -> burn_phase -> burn_cpu     5 ms busy  (≈ 10 % of wall time)
//   main/thread_main -> run_cycles -> sleep_phase               45 ms asleep (≈ 90 % of wall time)
// An on-CPU profile shows only burn_cpu; a wall-clock or off-CPU profile shows sleep_phase at
// about 90 %.
// Usage: sleepy [SECONDS [THREADS]]
//   SECONDS  stop after this long (0 or absent: no time limit)
//   THREADS  threads running the cycle (default 1: the main thread alone); extra threads are
//            named sleepy-1, sleepy-2, …
// Prints "ready" once every thread runs, "signal" each time it receives SIGUSR1 (so tests can
// check that a tracer delivers signals), and on SIGUSR2 "asleep A wall W": nanoseconds all
// threads spent in sleep_phase since the start, and the threads' wall time since the start (the
// ground truth for a profile's sleep share, which a busy machine moves away from 90 %: a burn
// phase preempted near its end overruns its 5 ms).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")
#define NEED_FRAME() __asm__ volatile("" ::"r"(__builtin_frame_address(0)))

enum { BURN_NS = 5000000, SLEEP_NS = 45000000 };

static volatile unsigned long sink;
static double deadline;  // CLOCK_MONOTONIC seconds, 0 for none
static double started_at;
static int thread_count = 1;
static unsigned long long asleep_ns;  // updated with __atomic builtins

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Busy for `ns` nanoseconds of wall time (wall, not CPU, so the sleep share stays 90 % of wall
// time on a busy machine too).
NOINLINE void burn_cpu(long ns) {
    NEED_FRAME();
    double end = now() + ns / 1e9;
    unsigned long x = sink;
    do {
        for (int i = 0; i < 20000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    } while (now() < end);
    sink = x;
    KEEP_FRAME();
}

NOINLINE void burn_phase(void) { burn_cpu(BURN_NS); KEEP_FRAME(); }

// The nanosleep system call issued from this function itself rather than through libc's
// wrapper, whose code has no frame pointer: frame-pointer stacks then keep sleep_phase as the
// leaf (with libc's wrapper, sleep_phase would be skipped; DWARF unwinding does not need this).
NOINLINE void sleep_phase(void) {
    NEED_FRAME();
    struct timespec request = {0, SLEEP_NS}, remaining;
    long ret;
    for (;;) {
        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "0"((long)SYS_nanosleep), "D"(&request), "S"(&remaining)
                         : "rcx", "r11", "memory");
        if (ret != -EINTR) break;
        request = remaining;
    }
    KEEP_FRAME();
}

NOINLINE void run_cycles(void) {
    NEED_FRAME();
    for (;;) {
        burn_phase();
        double before = now();
        sleep_phase();
        __atomic_add_fetch(&asleep_ns, (unsigned long long)((now() - before) * 1e9), __ATOMIC_RELAXED);
        if (deadline > 0 && now() >= deadline) break;
    }
    KEEP_FRAME();
}

static pthread_barrier_t started;

static void on_usr1(int signo) {
    (void)signo;
    static const char line[] = "signal\n";
    ssize_t ignored = write(1, line, sizeof line - 1);
    (void)ignored;
}

// Appends the decimal digits of `n` (async-signal-safe: no stdio in handlers).
static char *put_number(char *out, unsigned long long n) {
    char digits[24];
    int count = 0;
    do {
        digits[count++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    while (count > 0) *out++ = digits[--count];
    return out;
}

static void on_usr2(int signo) {
    (void)signo;
    char line[96], *p = line;
    memcpy(p, "asleep ", 7);
    p = put_number(p + 7, __atomic_load_n(&asleep_ns, __ATOMIC_RELAXED));
    memcpy(p, " wall ", 6);
    p = put_number(p + 6, (unsigned long long)((now() - started_at) * 1e9) * (unsigned long long)thread_count);
    *p++ = '\n';
    ssize_t ignored = write(1, line, (size_t)(p - line));
    (void)ignored;
}

static void *thread_main(void *arg) {
    (void)arg;
    pthread_barrier_wait(&started);
    run_cycles();
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1) threads = 1;
    deadline = seconds > 0 ? now() + seconds : 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    sigaction(SIGUSR1, &action, NULL);
    action.sa_handler = on_usr2;
    sigaction(SIGUSR2, &action, NULL);
    // A parent may have started us with signals blocked (posix_spawn keeps the caller's mask).
    sigset_t usr;
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    sigaddset(&usr, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &usr, NULL);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    pthread_barrier_init(&started, NULL, (unsigned)threads);
    for (int i = 1; i < threads; i++) {
        pthread_create(&ids[i], NULL, thread_main, NULL);
        char name[16];
        snprintf(name, sizeof name, "sleepy-%d", i);
        pthread_setname_np(ids[i], name);
    }
    thread_count = threads;
    started_at = now();
    pthread_barrier_wait(&started);
    printf("ready\n");
    fflush(stdout);
    run_cycles();
    for (int i = 1; i < threads; i++) pthread_join(ids[i], NULL);
    free(ids);
    return 0;
}
