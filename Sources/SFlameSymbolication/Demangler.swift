// SPDX-License-Identifier: Apache-2.0
//
// Examples (inputs are symbol-table names, outputs what sflame shows):
//
//   _ZN2ns1fIPFicEEEiT_                    → demangle: "int ns::f<int (*)(char)>(int (*)(char))"
//                                            displayName: "ns::f<int (*)(char)>"
//   _ZN4core3fmt5write17h0123456789abcdefE → "core::fmt::write"           (Rust legacy, hash dropped)
//   _RNvMCs6GmmlP4bgsG_1rINtB2_7WrappermE4spinB2_ → "<r::Wrapper<u32>>::spin"  (Rust v0)
//   pthread_cond_wait@@GLIBC_2.3.2         → displayName: "pthread_cond_wait"   (ELF symbol version dropped)
//   $sSi1poiyS2i_SitFZ                     → "static Swift.Int.+ infix(Swift.Int, Swift.Int) -> Swift.Int"
//   main                                   → "main"

internal import CDemangle

#if canImport(Glibc)
import Glibc
#endif

/// Demangling with the language runtimes' own demanglers, and the flame-graph display name.
public enum Demangler {
    /// Demangles a symbol-table name; anything not recognised is returned unchanged.
    ///
    /// - C++ (`_Z…`): `__cxa_demangle` (Itanium C++ ABI §5.1), with the parameter list.
    /// - Rust legacy (`_ZN…17h<16 hex>E`) and v0 (`_R…`): libiberty's `cplus_demangle` with
    ///   `DMGL_RUST` (the demangler of binutils and GCC, statically linked from Debian's
    ///   libiberty-dev). Legacy `$LT$`-style escapes are decoded and the `::h<hash>` suffix is
    ///   dropped, v0 crate disambiguators are left out: rustc-demangle's default (non-alternate)
    ///   form.
    /// - Swift (`$s…`, `$S…`, `$e…`, `_T0…`, and the `_`-prefixed forms): `swift_demangle` from the
    ///   Swift runtime.
    ///
    /// An ELF symbol version (`name@@VERSION`, `name@VERSION`) is kept and the name before it
    /// demangled: `_ZN1a1bEv@@V1` → `a::b()@@V1`.
    public static func demangle(_ symbol: String) -> String {
        let (base, version) = splitVersion(symbol)
        guard let version else { return demangleUnversioned(symbol) }
        return demangleUnversioned(base) + version
    }

    private static func demangleUnversioned(_ symbol: String) -> String {
        // LLVM's ThinLTO renames local symbols it promotes (`….llvm.<digits>`); rustc-demangle
        // leaves that suffix out of Rust names, and so does sflame.
        if let core = withoutLLVMSuffix(symbol), Language(symbol: core).isRust {
            return demangleUnversioned(core)
        }
        switch Language(symbol: symbol) {
        case .cxx:
            return cxxDemangle(symbol) ?? symbol
        case .rustLegacy:
            if let demangled = rustDemangle(symbol) { return demangled }
            // Not valid for libiberty's Rust grammar (an unusual escape): the Itanium form it
            // shares with C++, without the hash.
            return cxxDemangle(symbol).map(withoutRustHash) ?? symbol
        case .rustV0:
            return rustDemangle(symbol) ?? symbol
        case .swift:
            return swiftDemangle(symbol) ?? symbol
        case .other:
            return symbol
        }
    }

    /// The name a flame graph shows: ``demangle(_:)`` without the ELF symbol version (as perf
    /// prints names: `pthread_cond_wait@@GLIBC_2.3.2` → `pthread_cond_wait`), and for C++ without
    /// the parameter list and trailing qualifiers (``withoutParameters(_:)``). Rust and Swift
    /// names keep their full demangled form. The symbol-table name, version included, stays in
    /// the profile as the function's system name.
    public static func displayName(_ symbol: String) -> String {
        let base = splitVersion(symbol).base
        let demangled = demangleUnversioned(base)
        let language = Language(symbol: withoutLLVMSuffix(base) ?? base)
        return language == .cxx ? withoutParameters(demangled) : demangled
    }

    /// Splits an ELF symbol version off a symbol-table name: `memcpy@@GLIBC_2.14` →
    /// (`memcpy`, `@@GLIBC_2.14`), `memcpy@GLIBC_2.2.5` → (`memcpy`, `@GLIBC_2.2.5`). Linkers
    /// write these names into `.symtab` for versioned definitions (`.symver`); mangled names
    /// never contain `@`, so the first `@` after the first character starts the version.
    /// Returns a nil version for names without one (and for `@` alone at either end).
    public static func splitVersion(_ symbol: String) -> (base: String, version: String?) {
        let utf8 = symbol.utf8
        guard let at = utf8.firstIndex(of: UInt8(ascii: "@")), at != utf8.startIndex else { return (symbol, nil) }
        var versionStart = utf8.index(after: at)
        if versionStart != utf8.endIndex && utf8[versionStart] == UInt8(ascii: "@") {
            versionStart = utf8.index(after: versionStart)
        }
        guard versionStart != utf8.endIndex else { return (symbol, nil) }
        return (String(symbol[..<at]), String(symbol[at...]))
    }

    /// The name before a trailing `.llvm.` + digits, nil without one.
    static func withoutLLVMSuffix(_ symbol: String) -> String? {
        let bytes = Array(symbol.utf8)
        let marker = Array(".llvm.".utf8)
        var end = bytes.count
        while end > 0 && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end - 1]) { end -= 1 }
        guard end < bytes.count, end >= marker.count, Array(bytes[(end - marker.count)..<end]) == marker else {
            return nil
        }
        return String(decoding: bytes[..<(end - marker.count)], as: UTF8.self)
    }

    /// The mangling scheme of a symbol, decided by its prefix and (for Rust) its hash suffix.
    enum Language: Equatable {
        case cxx, rustLegacy, rustV0, swift, other

        var isRust: Bool { self == .rustLegacy || self == .rustV0 }

        init(symbol: String) {
            let utf8 = symbol.utf8
            func hasPrefix(_ prefix: StaticString) -> Bool {
                let bytes = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
                return utf8.starts(with: bytes)
            }
            if hasPrefix("_Z") {
                self = hasPrefix("_ZN") && Self.hasRustHash(utf8) ? .rustLegacy : .cxx
            } else if hasPrefix("_R"), let third = utf8.dropFirst(2).first,
                third == UInt8(ascii: "N") || third == UInt8(ascii: "M") || third == UInt8(ascii: "I")
                    || third == UInt8(ascii: "X") || third == UInt8(ascii: "Y") || third == UInt8(ascii: "C")
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(third)
            {
                // v0: `_R`, an optional decimal encoding version, then a path (RFC 2603).
                self = .rustV0
            } else if hasPrefix("$s") || hasPrefix("$S") || hasPrefix("$e") || hasPrefix("_T0")
                || hasPrefix("_$s") || hasPrefix("_$S") || hasPrefix("_$e")
            {
                self = .swift
            } else {
                self = .other
            }
        }

        /// Rust legacy symbols end in the path component `17h` + 16 hex digits, then `E`.
        private static func hasRustHash(_ utf8: String.UTF8View) -> Bool {
            let tail = Array(utf8.suffix(20))
            guard tail.count == 20, tail[0] == UInt8(ascii: "1"), tail[1] == UInt8(ascii: "7"),
                tail[2] == UInt8(ascii: "h"), tail[19] == UInt8(ascii: "E")
            else { return false }
            return tail[3..<19].allSatisfy(isLowerHexDigit)
        }
    }

    private static func isLowerHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// Drops a trailing `::h` + 16 hex digits.
    private static func withoutRustHash(_ demangled: String) -> String {
        let utf8 = Array(demangled.utf8)
        guard utf8.count > 19 else { return demangled }
        let hashStart = utf8.count - 19
        guard utf8[hashStart] == UInt8(ascii: ":"), utf8[hashStart + 1] == UInt8(ascii: ":"),
            utf8[hashStart + 2] == UInt8(ascii: "h"), utf8[(hashStart + 3)...].allSatisfy(isLowerHexDigit)
        else { return demangled }
        return String(decoding: utf8[..<hashStart], as: UTF8.self)
    }

    private static func cxxDemangle(_ symbol: String) -> String? {
        guard let result = sflame_cxx_demangle(symbol) else { return nil }
        defer { free(result) }
        return String(cString: result)
    }

    private static func rustDemangle(_ symbol: String) -> String? {
        guard let result = sflame_rust_demangle(symbol) else { return nil }
        defer { free(result) }
        return String(cString: result)
    }

    private static func swiftDemangle(_ symbol: String) -> String? {
        let result = symbol.withCString { sflame_swift_demangle($0, strlen($0)) }
        guard let result else { return nil }
        defer { free(result) }
        return String(cString: result)
    }
}
