// SPDX-License-Identifier: Apache-2.0
//
// libsflame-plugin.so, loaded by plugin-host with dlopen: plugin_run -> plugin_hot.
#include "../common/sample.h"

static volatile unsigned long sink;

NOINLINE void plugin_hot(unsigned long n) {
    NEED_FRAME();
    unsigned long x = sink;
    for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
    KEEP_FRAME();
}

void plugin_run(double seconds) {
    double end = seconds > 0 ? sample_now() + seconds : 0;
    for (unsigned long round = 1;; round++) {
        plugin_hot(200000);
        if (end > 0 && (round & 15) == 0 && sample_now() >= end) break;
    }
    KEEP_FRAME();
}
