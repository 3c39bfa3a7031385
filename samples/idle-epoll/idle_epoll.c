// SPDX-License-Identifier: Apache-2.0
//
// idle-epoll: an idle event loop, like a service with nothing to do:
//   main -> event_loop -> epoll_wait (no descriptors, no timeout: blocked for good)
// It counts the times epoll_wait fails with EINTR. A stop (SIGSTOP/SIGCONT, or a tracer's
// PTRACE_INTERRUPT) makes epoll_wait return EINTR even without a signal handler (signal(7),
// "Interruption of system calls and library functions by stop signals"), so the count shows
// how often a sampler stopped the thread.
// Usage: idle-epoll. Prints "ready" when waiting, and "eintr N" on SIGUSR1 (N before that
// signal's own interruption).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static volatile unsigned long interruptions;

static void on_usr1(int signo) {
    (void)signo;
    char line[32] = "eintr ";
    char digits[24];
    unsigned long n = interruptions;
    int count = 0, at = 6;
    do {
        digits[count++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    while (count > 0) line[at++] = digits[--count];
    line[at++] = '\n';
    ssize_t ignored = write(1, line, (size_t)at);
    (void)ignored;
}

NOINLINE void event_loop(int fd) {
    struct epoll_event event;
    for (;;) {
        if (epoll_wait(fd, &event, 1, -1) < 0 && errno == EINTR) interruptions++;
    }
    KEEP_FRAME();
}

int main(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    sigaction(SIGUSR1, &action, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    int fd = epoll_create1(EPOLL_CLOEXEC);
    printf("ready\n");
    fflush(stdout);
    event_loop(fd);
    return 0;
}
