// SPDX-License-Identifier: Apache-2.0
//
// plugin-host: loads a plugin with dlopen when told to, then runs it:
//   before:  main -> wait_for_go (sleeps in sigsuspend, no CPU)
//   after:   main -> run_plugin -> plugin_run -> plugin_hot      (plugin_* in libsflame-plugin.so)
// Usage: plugin-host PLUGIN.so [SECONDS]. Prints "ready", waits for SIGUSR1, dlopens PLUGIN.so,
// prints "loaded" and runs it for SECONDS (0 or absent: until killed).
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/sample.h"

static volatile sig_atomic_t go;
static void on_usr1(int signal) { (void)signal; go = 1; }

NOINLINE void wait_for_go(void) {
    sigset_t blocked, waiting;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blocked, &waiting);
    sigdelset(&waiting, SIGUSR1);
    while (!go) sigsuspend(&waiting);
    KEEP_FRAME();
}

NOINLINE void run_plugin(void (*entry)(double), double seconds) {
    entry(seconds);
    KEEP_FRAME();
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: plugin-host PLUGIN.so [SECONDS]\n"); return 2; }
    double seconds = argc > 2 ? atof(argv[2]) : 0;
    signal(SIGUSR1, on_usr1);
    printf("ready\n");
    fflush(stdout);
    wait_for_go();
    void *plugin = dlopen(argv[1], RTLD_NOW);
    if (!plugin) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    void (*entry)(double) = (void (*)(double))dlsym(plugin, "plugin_run");
    if (!entry) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    printf("loaded\n");
    fflush(stdout);
    run_plugin(entry, seconds);
    return 0;
}
