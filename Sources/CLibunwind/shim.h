// SPDX-License-Identifier: Apache-2.0
// libunwind's remote API (apt: libunwind-dev; pkg-config: libunwind-ptrace). The unw_* names
// are macros expanding to per-architecture symbols (_Ux86_64_*), so Swift cannot call them
// directly; static inline wrappers stand in for the ones sflame uses.
#ifndef SFLAME_CLIBUNWIND_SHIM_H
#define SFLAME_CLIBUNWIND_SHIM_H

#include <libunwind.h>
#include <libunwind-ptrace.h>
#include <sys/auxv.h>

#include "ptrace_shim.h"

/// Looks `ip` up in a binary-search table of `.eh_frame_hdr` form described by `di` and fills
/// `pi` (with the parsed FDE when `need_unwind_info`). Exported by libunwind but not declared
/// in its public headers; perf's unwind-libunwind-local.c declares it the same way.
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
                                              unw_proc_info_t *pi, int need_unwind_info, void *arg);

/// unw_create_addr_space: an address space whose memory, registers and unwind info come from
/// the accessors (byteorder 0: the host's).
static inline unw_addr_space_t sflame_unw_create_addr_space(unw_accessors_t *accessors, int byteorder) {
    return unw_create_addr_space(accessors, byteorder);
}

static inline void sflame_unw_destroy_addr_space(unw_addr_space_t as) { unw_destroy_addr_space(as); }

/// UNW_CACHE_GLOBAL keeps parsed register states per IP across unwinds of this address space.
static inline int sflame_unw_set_caching_policy(unw_addr_space_t as, unw_caching_policy_t policy) {
    return unw_set_caching_policy(as, policy);
}

/// Forgets cached unwind info for [lo, hi) (0, 0: everything), after a module was unmapped.
static inline void sflame_unw_flush_cache(unw_addr_space_t as, unw_word_t lo, unw_word_t hi) {
    unw_flush_cache(as, lo, hi);
}

static inline int sflame_unw_init_remote(unw_cursor_t *cursor, unw_addr_space_t as, void *arg) {
    return unw_init_remote(cursor, as, arg);
}

/// > 0: stepped to the caller; 0: the last frame; < 0: a negated unw_error_t.
static inline int sflame_unw_step(unw_cursor_t *cursor) { return unw_step(cursor); }

static inline int sflame_unw_get_reg(unw_cursor_t *cursor, int reg, unw_word_t *value) {
    return unw_get_reg(cursor, reg, value);
}

static inline int sflame_unw_is_signal_frame(unw_cursor_t *cursor) { return unw_is_signal_frame(cursor); }

static inline int sflame_unw_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
                                                       unw_proc_info_t *pi, int need_unwind_info, void *arg) {
    return UNW_OBJ(dwarf_search_unwind_table)(as, ip, di, pi, need_unwind_info, arg);
}

/// UNW_REG_IP and UNW_REG_SP are aliases Swift does not import.
static const int sflame_unw_reg_ip = UNW_REG_IP;
static const int sflame_unw_reg_sp = UNW_REG_SP;

/// The address of sflame's own vDSO image (getauxval(AT_SYSINFO_EHDR)), 0 when there is none.
/// <sys/auxv.h> is not part of Swift's Glibc module. The unwinders read the target's vDSO CFI
/// from this copy: the kernel maps the same image into every 64-bit process.
static inline unsigned long sflame_vdso_address(void) { return getauxval(AT_SYSINFO_EHDR); }

#endif
