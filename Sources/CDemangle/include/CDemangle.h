// SPDX-License-Identifier: Apache-2.0
//
// The demanglers of the language runtimes sflame links anyway: the C++ runtime's
// __cxa_demangle (libstdc++, Itanium C++ ABI §5.1) and the Swift runtime's swift_demangle
// (libswiftCore, swift/include/swift/Demangling/Demangle.h). Declared here because neither
// has a header Swift can import.
#ifndef SFLAME_CDEMANGLE_H
#define SFLAME_CDEMANGLE_H

#include <stddef.h>
#include <stdint.h>

/// Demangles an Itanium C++ ABI name. Returns a malloc'ed string the caller frees, or NULL
/// when `mangled` is not a valid mangled name.
char *sflame_cxx_demangle(const char *mangled);

/// Demangles a Swift symbol ($s…, _T0…). Returns a malloc'ed string the caller frees, or NULL.
char *sflame_swift_demangle(const char *mangled, size_t length);

#endif
