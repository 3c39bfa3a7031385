// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int sflame_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
                           unsigned long flags) {
    return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

int sflame_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

int sflame_ioctl_ulong(int fd, unsigned long request, unsigned long argument) {
    return ioctl(fd, request, argument);
}

unsigned long sflame_perf_ioc_enable(void) { return PERF_EVENT_IOC_ENABLE; }
unsigned long sflame_perf_ioc_disable(void) { return PERF_EVENT_IOC_DISABLE; }
unsigned long sflame_perf_ioc_set_output(void) { return PERF_EVENT_IOC_SET_OUTPUT; }
unsigned long sflame_perf_ioc_id(void) { return PERF_EVENT_IOC_ID; }

static volatile sig_atomic_t stop_signal = 0;
static volatile int stop_wake_fd = -1;

static void on_stop_signal(int signo) {
    int saved = errno;
    if (stop_signal == 0) stop_signal = signo;
    if (stop_wake_fd >= 0) {
        char byte = 1;
        ssize_t ignored = write(stop_wake_fd, &byte, 1);
        (void)ignored;
    }
    errno = saved;
}

int sflame_install_stop_handlers(int wake_fd) {
    stop_wake_fd = wake_fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) != 0) return -1;
    if (sigaction(SIGTERM, &action, NULL) != 0) return -1;
    if (sigaction(SIGHUP, &action, NULL) != 0) return -1;
    // A parent may have started us with these signals blocked (posix_spawn inherits the
    // spawning thread's mask); a blocked SIGTERM would never end the recording.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : -1;
}

int sflame_stop_signal(void) { return stop_signal; }

void sflame_restore_stop_handlers(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    stop_wake_fd = -1;
}

pid_t sflame_spawn_suspended(const char *file, char *const argv[], int *go_fd, int *error_fd) {
    int go[2], err[2];
    if (pipe2(go, O_CLOEXEC) != 0) return -1;
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(go[0]);
        close(go[1]);
        return -1;
    }
    pid_t child = fork();
    if (child < 0) {
        int saved = errno;
        close(go[0]); close(go[1]); close(err[0]); close(err[1]);
        errno = saved;
        return -1;
    }
    if (child == 0) {
        // Only async-signal-safe calls from here on.
        close(go[1]);
        close(err[0]);
        // The parent's stop handlers must not survive into the command.
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        char byte;
        ssize_t got;
        do {
            got = read(go[0], &byte, 1);
        } while (got < 0 && errno == EINTR);
        if (got != 1) _exit(127);  // sflame gave up before starting the command
        close(go[0]);
        execvp(file, argv);
        int code = errno;
        ssize_t ignored = write(err[1], &code, sizeof code);
        (void)ignored;
        _exit(127);
    }
    close(go[0]);
    close(err[1]);
    *go_fd = go[1];
    *error_fd = err[0];
    return child;
}

long sflame_ptrace(int request, pid_t pid, void *address, void *data) {
    return ptrace((enum __ptrace_request)request, pid, address, data);
}

static volatile int child_wake_fd = -1;
static struct sigaction saved_child_action;
static int child_wake_installed = 0;

static void on_child_signal(int signo) {
    (void)signo;
    int saved = errno;
    if (child_wake_fd >= 0) {
        char byte = 1;
        ssize_t ignored = write(child_wake_fd, &byte, 1);
        (void)ignored;
    }
    errno = saved;
}

int sflame_install_child_wake(int wake_fd) {
    child_wake_fd = wake_fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_child_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGCHLD, &action, child_wake_installed ? NULL : &saved_child_action) != 0) return -1;
    child_wake_installed = 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : -1;
}

void sflame_restore_child_wake(void) {
    if (child_wake_installed) {
        sigaction(SIGCHLD, &saved_child_action, NULL);
        child_wake_installed = 0;
    }
    child_wake_fd = -1;
}

pid_t sflame_wait_peek(void) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) != 0) return -1;
    return info.si_pid;
}

int sflame_wifexited(int status) { return WIFEXITED(status); }
int sflame_wexitstatus(int status) { return WEXITSTATUS(status); }
int sflame_wifsignaled(int status) { return WIFSIGNALED(status); }
int sflame_wtermsig(int status) { return WTERMSIG(status); }
int sflame_wifstopped(int status) { return WIFSTOPPED(status); }
int sflame_wstopsig(int status) { return WSTOPSIG(status); }

pid_t sflame_gettid(void) {
    return (pid_t)syscall(SYS_gettid);
}
