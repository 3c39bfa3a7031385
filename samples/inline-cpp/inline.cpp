// SPDX-License-Identifier: Apache-2.0
//
// inline-cpp: C++ whose hot code is inlined, with the inline chains known by construction.
//   main -> run_loop -> compute_alpha -> [work::scale] -> [work::mix]   3 units per round (≈ 75 %)
//   main -> run_loop -> compute_beta  -> [work::mix]                    1 unit per round  (≈ 25 %)
// [..] are always_inline helpers: no frames of their own, only DWARF inline records. work::mix
// is inlined into both callers, so each sample must show it under the right one.
// Usage: inline-cpp [SECONDS]   (0 or absent: run until killed). Prints "ready" once running.
#include <cstdio>
#include <cstdlib>
#include <ctime>

#define NOINLINE __attribute__((noinline, used))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static volatile unsigned long sink;
enum { UNIT = 200000 };

namespace work {
static ALWAYS_INLINE unsigned long mix(unsigned long x, unsigned long rounds) {
    for (unsigned long i = 0; i < rounds; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

static ALWAYS_INLINE unsigned long scale(unsigned long x, unsigned long units) {
    for (unsigned long u = 0; u < units; u++) x = mix(x, UNIT);
    return x;
}
}  // namespace work

NOINLINE unsigned long compute_alpha(unsigned long seed) {
    unsigned long r = work::scale(seed, 3);
    KEEP_FRAME();
    return r;
}

NOINLINE unsigned long compute_beta(unsigned long seed) {
    unsigned long r = work::mix(seed, UNIT);
    KEEP_FRAME();
    return r;
}

static double now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE void run_loop(double seconds) {
    double end = seconds > 0 ? now() + seconds : 0;
    for (unsigned long round = 1;; round++) {
        sink = compute_alpha(sink);
        sink = compute_beta(sink);
        if (end > 0 && (round & 15) == 0 && now() >= end) break;
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? std::atof(argv[1]) : 0;
    std::printf("ready\n");
    std::fflush(stdout);
    run_loop(seconds);
    return 0;
}
