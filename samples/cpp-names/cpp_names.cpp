// SPDX-License-Identifier: Apache-2.0
//
// cpp-names: C++ whose hot functions have the names that are hard to demangle, with a known split.
//   main -> run_loop -> shop::Basket<unsigned long>::weigh                  2 units per round (≈ 50 %)
//   main -> run_loop -> run_loop(double)::{lambda(int)#1}::operator()      1 unit per round  (≈ 25 %)
//   main -> run_loop -> shop::label[abi:cxx11]                              1 unit per round  (≈ 25 %)
// (a class template's member, a lambda, and a function with an ABI tag: it returns std::string.)
// Usage: cpp-names [SECONDS]   (0 or absent: run until killed). Prints "ready" once running.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../common/sample.h"

static volatile unsigned long sink;
enum { UNIT = 400000 };

static inline unsigned long churn(unsigned long x, unsigned long units) {
    for (unsigned long i = 0; i < units * UNIT; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

namespace shop {
template <typename T>
struct Basket {
    T seed;
    __attribute__((noipa)) T weigh(unsigned long units) {
        NEED_FRAME();
        T r = (T)churn(seed, units);
        KEEP_FRAME();
        return r;
    }
};

NOINLINE std::string label(unsigned long seed) {
    NEED_FRAME();
    unsigned long r = churn(seed, 1);
    KEEP_FRAME();
    return std::string(1, (char)('a' + r % 26));
}
}  // namespace shop

NOINLINE void run_loop(double seconds) {
    NEED_FRAME();
    auto stir = [](int units) __attribute__((noipa)) {
        NEED_FRAME();
        unsigned long r = churn(sink, (unsigned long)units);
        KEEP_FRAME();
        return r;
    };
    double end = seconds > 0 ? sample_now() + seconds : 0;
    for (unsigned long round = 1;; round++) {
        shop::Basket<unsigned long> basket{sink};
        sink = basket.weigh(2);
        sink = stir(1);
        sink += (unsigned long)shop::label(sink)[0];
        if (end > 0 && (round & 7) == 0 && sample_now() >= end) break;
    }
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0;
    printf("ready\n");
    fflush(stdout);
    run_loop(seconds);
    KEEP_FRAME();
    return 0;
}
