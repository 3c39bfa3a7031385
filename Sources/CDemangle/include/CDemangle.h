// SPDX-License-Identifier: Apache-2.0
//
// The demanglers of the language runtimes sflame links anyway: the C++ runtime's
// __cxa_demangle (libstdc++, Itanium C++ ABI §5.1) and the Swift runtime's swift_demangle
// (libswiftCore, swift/include/swift/Demangling/Demangle.h), and libiberty's Rust demangler
// (binutils/GCC's rust-demangle.c, from Debian's libiberty-dev). Declared here because the
// runtimes have no header Swift can import; libiberty's header is included by demangle.c only.
#ifndef SFLAME_CDEMANGLE_H
#define SFLAME_CDEMANGLE_H

#include <stddef.h>
#include <stdint.h>

/// Demangles an Itanium C++ ABI name. Returns a malloc'ed string the caller frees, or NULL
/// when `mangled` is not a valid mangled name.
char *sflame_cxx_demangle(const char *mangled);

/// Demangles a Rust symbol, legacy (`_ZN…17h<hash>E`) or v0 (`_R…`), with libiberty's
/// `cplus_demangle` (DMGL_RUST; libiberty-dev, linked statically). The legacy hash is left out.
/// Returns a malloc'ed string the caller frees, or NULL when `mangled` is not a Rust symbol.
char *sflame_rust_demangle(const char *mangled);

/// Demangles a Swift symbol ($s…, _T0…). Returns a malloc'ed string the caller frees, or NULL.
char *sflame_swift_demangle(const char *mangled, size_t length);

#endif
