// SPDX-License-Identifier: Apache-2.0
// Forty small non-inlined functions, built once with and once without frame pointers, for the
// ModuleInfo.framePointerShare heuristic.
#include <stdio.h>

#define KEEP __attribute__((noinline, noclone, used))
#define FN(n) KEEP int sflame_fixture_fp_##n(int x) { volatile int v = x * n; return v + sflame_fixture_sink(v); }

KEEP int sflame_fixture_sink(int x) {
    volatile int v = x;
    return v & 1;
}

FN(1) FN(2) FN(3) FN(4) FN(5) FN(6) FN(7) FN(8) FN(9) FN(10)
FN(11) FN(12) FN(13) FN(14) FN(15) FN(16) FN(17) FN(18) FN(19) FN(20)
FN(21) FN(22) FN(23) FN(24) FN(25) FN(26) FN(27) FN(28) FN(29) FN(30)
FN(31) FN(32) FN(33) FN(34) FN(35) FN(36) FN(37) FN(38) FN(39) FN(40)

int main(int argc, char **argv) {
    (void)argv;
    int sum = sflame_fixture_fp_1(argc) + sflame_fixture_fp_2(argc) + sflame_fixture_fp_40(argc);
    printf("%d\n", sum);
    return 0;
}
