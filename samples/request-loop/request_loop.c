// SPDX-License-Identifier: Apache-2.0
//
// request-loop: a CPU-bound server loop with a fixed CPU budget per round, for before/after
// comparisons (sflame diff). Each round of 5 ms of CPU time (on average, see below):
//   main -> serve_loop -> handle_request -> parse_request     1.0 ms   (2.0 ms with --slow-parse)
//   main -> serve_loop -> handle_request -> render_response   1.5 ms
//   main -> serve_loop -> poll_events                         the rest of the round (busy polling)
// so parse_request's share doubles with --slow-parse (20 % -> 40 %), render_response's share is
// the same either way (30 %), and poll_events shrinks (50 % -> 30 %).
//
// Work is measured in this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not in loop iterations
// or wall time, so the shares do not depend on the CPU's speed or on other processes taking the
// CPU away. The clock is read with a raw system call from inside each function: a call into
// libc's clock_gettime (built without frame pointers) would hide the calling function from a
// frame-pointer unwind.
//
// A round lasts 4 to 6 ms (uniformly, from a fixed-seed generator), not exactly 5: a profiler
// samples every 1.001 ms of CPU time (999 Hz), and rounds of exactly 5 ms would be sampled at
// the same five phases every round, so a function of 1.5 ms would get one sample per round or
// two, depending on the phase the recording happened to start at. With few rounds observed (a
// busy machine gives the process little CPU) that bias showed as 25 % or 40 % instead of 30 %.
//
// Usage: request-loop [--slow-parse] [SECONDS]
//   --slow-parse  make parse_request twice as expensive (the "regression")
//   SECONDS       stop after this much wall time (absent or 0: run until killed)
// Prints "ready" once running.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))
// An empty asm after each call keeps the compiler from turning the call into a tail jump,
// so every parent frame stays on the stack.
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")
// gcc sets up no frame in leaf functions even with -fno-omit-frame-pointer; taking the frame
// address forces one, so a frame-pointer unwind from a hot leaf still finds its caller.
#define NEED_FRAME() __asm__ volatile("" ::"r"(__builtin_frame_address(0)))

enum { ROUND_MIN_US = 4000, ROUND_SPREAD_US = 2000, PARSE_US = 1000, RENDER_US = 1500 };

static volatile unsigned long sink;

// This thread's CPU time in microseconds. Macros rather than inline functions: the symbolizer
// reports inlined functions as frames of their own (`_[i]`), and the work should be the
// function's own (self) samples. The clock is read with a raw system call made from the calling
// function itself, so it stays the innermost user frame while the kernel runs.
#if defined(__x86_64__)
#define THREAD_CPU_US()                                                                           \
    ({                                                                                            \
        struct timespec ts_;                                                                      \
        long ret_;                                                                                \
        __asm__ volatile("syscall"                                                                \
                         : "=a"(ret_)                                                             \
                         : "0"((long)SYS_clock_gettime), "D"((long)CLOCK_THREAD_CPUTIME_ID), "S"(&ts_) \
                         : "rcx", "r11", "memory");                                               \
        (void)ret_;                                                                               \
        ts_.tv_sec * 1000000L + ts_.tv_nsec / 1000;                                               \
    })
#else
#define THREAD_CPU_US()                                                                           \
    ({                                                                                            \
        struct timespec ts_;                                                                      \
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts_);                                             \
        ts_.tv_sec * 1000000L + ts_.tv_nsec / 1000;                                               \
    })
#endif

// Spins until this thread's CPU time reaches `until_us`, in chunks of about 20 µs of work
// between clock reads (the reads cost about 1 % of the time).
#define SPIN_UNTIL(until_us)                                                                      \
    do {                                                                                          \
        long until_ = (until_us);                                                                 \
        unsigned long x_ = sink;                                                                  \
        do {                                                                                      \
            for (int i_ = 0; i_ < 20000; i_++) x_ = x_ * 6364136223846793005UL + 1442695040888963407UL; \
        } while (THREAD_CPU_US() < until_);                                                       \
        sink = x_;                                                                                \
    } while (0)

static int slow_parse;

NOINLINE void parse_request(void) {
    NEED_FRAME();
    SPIN_UNTIL(THREAD_CPU_US() + (slow_parse ? 2 * PARSE_US : PARSE_US));
    KEEP_FRAME();
}

NOINLINE void render_response(void) {
    NEED_FRAME();
    SPIN_UNTIL(THREAD_CPU_US() + RENDER_US);
    KEEP_FRAME();
}

NOINLINE void handle_request(void) {
    parse_request();
    render_response();
    KEEP_FRAME();
}

NOINLINE void poll_events(long round_end_us) {
    NEED_FRAME();
    SPIN_UNTIL(round_end_us);
    KEEP_FRAME();
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

// xorshift64: the round lengths, reproducible from the fixed seed.
static unsigned long next_random(void) {
    static unsigned long state = 0x9e3779b97f4a7c15UL;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

NOINLINE void serve_loop(double seconds) {
    double end = seconds > 0 ? now() + seconds : 0;
    for (;;) {
        long round_end = THREAD_CPU_US() + ROUND_MIN_US + (long)(next_random() % (ROUND_SPREAD_US + 1));
        handle_request();
        poll_events(round_end);
        if (end > 0 && now() >= end) break;
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--slow-parse") == 0) {
            slow_parse = 1;
        } else {
            seconds = atof(argv[i]);
        }
    }
    printf("ready\n");
    fflush(stdout);
    serve_loop(seconds);
    return 0;
}
