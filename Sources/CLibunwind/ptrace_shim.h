// SPDX-License-Identifier: Apache-2.0
// libunwind-ptrace: unwinding a stopped tracee from its live registers and memory, through the
// _UPT_* accessors (PTRACE_PEEKUSER for registers, PTRACE_PEEKDATA for memory, /proc/PID/maps
// and the module files for the unwind tables). The unw_* names are macros expanding to
// per-architecture symbols (_Ux86_64_*), which Swift cannot call; these static inline wrappers
// stand in for the ones the live unwinder uses. They carry their own `sflame_upt_` prefix so
// they never clash with the stack-copy unwinder's wrappers of the same functions.
#ifndef SFLAME_CLIBUNWIND_PTRACE_SHIM_H
#define SFLAME_CLIBUNWIND_PTRACE_SHIM_H

#include <libunwind.h>
#include <libunwind-ptrace.h>

/// unw_create_addr_space over libunwind-ptrace's accessors (_UPT_accessors), native byte order.
static inline unw_addr_space_t sflame_upt_create_addr_space(void) {
    return unw_create_addr_space(&_UPT_accessors, 0);
}

/// unw_destroy_addr_space.
static inline void sflame_upt_destroy_addr_space(unw_addr_space_t space) { unw_destroy_addr_space(space); }

/// unw_set_caching_policy with UNW_CACHE_GLOBAL: unwind rules are cached per address, so the
/// unwind tables are searched once per distinct program counter, not once per sample.
static inline int sflame_upt_cache_globally(unw_addr_space_t space) {
    return unw_set_caching_policy(space, UNW_CACHE_GLOBAL);
}

/// unw_flush_cache over the whole address range (after exec, dlclose).
static inline void sflame_upt_flush_cache(unw_addr_space_t space) { unw_flush_cache(space, 0, 0); }

/// unw_init_remote: the cursor starts at the stopped thread's registers. `upt` is from _UPT_create.
static inline int sflame_upt_init_remote(unw_cursor_t *cursor, unw_addr_space_t space, void *upt) {
    return unw_init_remote(cursor, space, upt);
}

/// unw_step: > 0 stepped to the caller, 0 at the outermost frame, < 0 an error (-UNW_*).
static inline int sflame_upt_step(unw_cursor_t *cursor) { return unw_step(cursor); }

/// unw_get_reg(UNW_REG_IP): the frame's program counter.
static inline int sflame_upt_get_ip(unw_cursor_t *cursor, unw_word_t *ip) {
    return unw_get_reg(cursor, UNW_REG_IP, ip);
}

/// unw_get_reg(UNW_REG_SP): the frame's stack pointer.
static inline int sflame_upt_get_sp(unw_cursor_t *cursor, unw_word_t *sp) {
    return unw_get_reg(cursor, UNW_REG_SP, sp);
}

/// unw_is_signal_frame: > 0 when the frame is a signal trampoline (its IP is exact, not a
/// return address).
static inline int sflame_upt_is_signal_frame(unw_cursor_t *cursor) { return unw_is_signal_frame(cursor); }

#endif
