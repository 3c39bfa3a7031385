// SPDX-License-Identifier: Apache-2.0
// libunwind's remote API (apt: libunwind-dev; pkg-config: libunwind-ptrace). The unw_* names
// are macros expanding to per-architecture symbols (_Ux86_64_*), so Swift cannot call them
// directly; static inline wrappers stand in for the ones sflame uses.
#include <libunwind.h>
#include <libunwind-ptrace.h>
#include "ptrace_shim.h"
