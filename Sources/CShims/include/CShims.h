// SPDX-License-Identifier: Apache-2.0
//
// C declarations and static inline helpers that Swift cannot call directly. No state, no
// allocation, no policy (STYLE.md §5). Each helper says why it exists.
#ifndef SFLAME_CSHIMS_H
#define SFLAME_CSHIMS_H

#include <linux/perf_event.h>
#include <linux/hw_breakpoint.h>
#include <malloc.h>  // mallopt(3), M_MMAP_THRESHOLD…: allocator settings of `sflame diff`
#include <stdint.h>
#include <sys/types.h>

/// perf_event_open(2) has no glibc wrapper; the call goes through syscall(2), which is
/// variadic and so not callable from Swift. Returns the fd, or -1 with errno set.
int sflame_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
                           unsigned long flags);

/// ioctl(2) is variadic in glibc. Used for PERF_EVENT_IOC_ENABLE/DISABLE/SET_OUTPUT.
int sflame_ioctl_ulong(int fd, unsigned long request, unsigned long argument);

/// The PERF_EVENT_IOC_* request numbers are macros built with _IO/_IOW, which Swift does not
/// import.
unsigned long sflame_perf_ioc_enable(void);
unsigned long sflame_perf_ioc_disable(void);
unsigned long sflame_perf_ioc_set_output(void);
/// PERF_EVENT_IOC_ID: writes the event's id (a u64) through the pointer argument.
unsigned long sflame_perf_ioc_id(void);

/// The calling thread's id (gettid(2); glibc's wrapper is not visible to Swift).
pid_t sflame_gettid(void);

/// Reads `data_head` of a perf ring buffer's control page with acquire ordering, so that the
/// record bytes written by the kernel before it advanced the head are visible to us.
/// Source: perf_event_open(2), "data_head"; include/uapi/linux/perf_event.h.
static inline uint64_t sflame_ring_load_head(const void *control_page) {
    const struct perf_event_mmap_page *page = (const struct perf_event_mmap_page *)control_page;
    return __atomic_load_n(&page->data_head, __ATOMIC_ACQUIRE);
}

/// Publishes `data_tail` with release ordering, so that our reads of the records before
/// `tail` complete before the kernel may overwrite that space.
static inline void sflame_ring_store_tail(void *control_page, uint64_t tail) {
    struct perf_event_mmap_page *page = (struct perf_event_mmap_page *)control_page;
    __atomic_store_n(&page->data_tail, tail, __ATOMIC_RELEASE);
}

/// Offset and size of the data area inside the mmap'ed ring buffer (fields of the control
/// page since Linux 4.1).
static inline uint64_t sflame_ring_data_offset(const void *control_page) {
    return ((const struct perf_event_mmap_page *)control_page)->data_offset;
}
static inline uint64_t sflame_ring_data_size(const void *control_page) {
    return ((const struct perf_event_mmap_page *)control_page)->data_size;
}

/// Installs async-signal-safe handlers for SIGINT, SIGTERM and SIGHUP that record the signal
/// number and write one byte to `wake_fd` (a non-blocking pipe) so a poll(2) loop wakes.
/// Signal handlers must be C: Swift code is not async-signal-safe.
int sflame_install_stop_handlers(int wake_fd);

/// The first stop signal received since sflame_install_stop_handlers, or 0.
int sflame_stop_signal(void);

/// Restores the default dispositions of the stop signals.
void sflame_restore_stop_handlers(void);

/// Forks a child that waits until a byte arrives on `*go_fd` and then execvp(3)s
/// `file` with `argv`. If exec fails, the child writes its errno (an int) to the close-on-exec
/// pipe `*error_fd` and exits 127; on success that pipe reads EOF. fork(2) followed by exec
/// must run in C: the Swift runtime is not async-signal-safe in a forked child.
/// Returns the child's pid, or -1 with errno set.
pid_t sflame_spawn_suspended(const char *file, char *const argv[], int *go_fd, int *error_fd);

/// Names the calling thread (prctl(2) PR_SET_NAME, which is variadic; the kernel keeps the first
/// 15 bytes, as /proc/PID/task/TID/comm shows). Returns 0, or -1 with errno set.
int sflame_set_thread_name(const char *name);

/// ptrace(2) is variadic in glibc.
long sflame_ptrace(int request, pid_t pid, void *address, void *data);

/// Installs a SIGCHLD handler (async-signal-safe, so in C) that writes one byte to `wake_fd`, a
/// non-blocking pipe, so a poll(2) loop wakes when a tracee stops or exits; the previous
/// disposition is kept for sflame_restore_child_wake. No SA_NOCLDSTOP: ptrace stops must notify.
int sflame_install_child_wake(int wake_fd);

/// Peeks at the next waitable child or tracee without reaping it: waitid(P_ALL, WEXITED |
/// WSTOPPED | WNOHANG | WNOWAIT | __WALL). Returns its pid, 0 when none is waiting, -1 with
/// errno on error (ECHILD when there are none). A shim because siginfo_t's si_pid is in a union.
pid_t sflame_wait_peek(void);

/// Restores the SIGCHLD disposition saved by sflame_install_child_wake.
void sflame_restore_child_wake(void);

/// WIFEXITED / WEXITSTATUS / WIFSIGNALED / WTERMSIG are macros.
int sflame_wifexited(int status);
int sflame_wexitstatus(int status);
int sflame_wifsignaled(int status);
int sflame_wtermsig(int status);
int sflame_wifstopped(int status);
int sflame_wstopsig(int status);

#endif
