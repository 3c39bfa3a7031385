// SPDX-License-Identifier: Apache-2.0
//
// Shared helpers for the sample programs: keep named functions and their frames on the stack,
// so the expected call stacks survive -O2.
#ifndef SFLAME_SAMPLE_H
#define SFLAME_SAMPLE_H

#include <time.h>

// Not inlined, and kept in the symbol table.
#define NOINLINE __attribute__((noinline, used))

// An empty asm after each call keeps the compiler from turning the call into a tail jump,
// so every parent frame stays on the stack.
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

// gcc sets up no frame in leaf functions even with -fno-omit-frame-pointer; taking the frame
// address forces one, so a frame-pointer unwind from a hot leaf still finds its caller. Builds
// that must lack frame pointers define SAMPLE_NO_FRAME_POINTERS.
#ifdef SAMPLE_NO_FRAME_POINTERS
#define NEED_FRAME() ((void)0)
#else
#define NEED_FRAME() __asm__ volatile("" ::"r"(__builtin_frame_address(0)))
#endif

// CLOCK_MONOTONIC in seconds.
static inline double sample_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
