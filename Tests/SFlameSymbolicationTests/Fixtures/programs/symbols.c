// SPDX-License-Identifier: Apache-2.0
// Known, non-inlined functions for the symbol-lookup tests: three exported ones (which survive
// stripping in .dynsym when linked with -rdynamic) and two static ones (which only .symtab names).
#include <stdio.h>
#include <stdlib.h>

#define KEEP __attribute__((noinline, noclone, used))

KEEP int sflame_fixture_exported_alpha(int x) {
    volatile int v = x;
    for (int i = 0; i < 3; i++) v = v * 7 + i;
    return v;
}

KEEP int sflame_fixture_exported_beta(int x) {
    volatile int v = x;
    for (int i = 0; i < 5; i++) v = v * 11 - i;
    return v;
}

KEEP long sflame_fixture_exported_gamma(long x) {
    volatile long v = x;
    for (long i = 0; i < 7; i++) v ^= v << 3 | i;
    return v;
}

static KEEP int sflame_fixture_static_delta(int x) {
    volatile int v = x;
    for (int i = 0; i < 4; i++) v = v * 13 + 1;
    return v;
}

static KEEP int sflame_fixture_static_epsilon(int x) {
    volatile int v = x;
    for (int i = 0; i < 6; i++) v = v * 17 - 3;
    return v;
}

int main(int argc, char **argv) {
    (void)argv;
    long sum = sflame_fixture_exported_alpha(argc) + sflame_fixture_exported_beta(argc * 2)
        + sflame_fixture_exported_gamma(argc * 3) + sflame_fixture_static_delta(argc * 4)
        + sflame_fixture_static_epsilon(argc * 5);
    printf("%ld\n", sum);
    return 0;
}
