// SPDX-License-Identifier: Apache-2.0
//
// Examples (inputs are symbol-table names, outputs what sflame shows):
//
//   _ZN2ns1fIPFicEEEiT_                    → demangle: "int ns::f<int (*)(char)>(int (*)(char))"
//                                            displayName: "ns::f<int (*)(char)>"
//   _ZN4core3fmt5write17h0123456789abcdefE → "core::fmt::write"           (Rust legacy, hash dropped)
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
    /// - Rust legacy (`_ZN…17h<16 hex>E`): `__cxa_demangle`, then the `::h<hash>` suffix is
    ///   dropped, as rustc-demangle does in its default (non-alternate) form.
    /// - Swift (`$s…`, `$S…`, `$e…`, `_T0…`, and the `_`-prefixed forms): `swift_demangle` from the
    ///   Swift runtime.
    public static func demangle(_ symbol: String) -> String {
        switch Language(symbol: symbol) {
        case .cxx:
            return cxxDemangle(symbol) ?? symbol
        case .rustLegacy:
            guard let demangled = cxxDemangle(symbol) else { return symbol }
            return withoutRustHash(demangled)
        case .swift:
            return swiftDemangle(symbol) ?? symbol
        case .other:
            return symbol
        }
    }

    /// The name a flame graph shows: ``demangle(_:)``, and for C++ without the parameter list and
    /// trailing qualifiers (``withoutParameters(_:)``). Swift names keep their full demangled form.
    public static func displayName(_ symbol: String) -> String {
        let demangled = demangle(symbol)
        return Language(symbol: symbol) == .cxx ? withoutParameters(demangled) : demangled
    }

    /// The mangling scheme of a symbol, decided by its prefix and (for Rust) its hash suffix.
    enum Language: Equatable {
        case cxx, rustLegacy, swift, other

        init(symbol: String) {
            let utf8 = symbol.utf8
            func hasPrefix(_ prefix: StaticString) -> Bool {
                let bytes = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
                return utf8.starts(with: bytes)
            }
            if hasPrefix("_Z") {
                self = hasPrefix("_ZN") && Self.hasRustHash(utf8) ? .rustLegacy : .cxx
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

    private static func swiftDemangle(_ symbol: String) -> String? {
        let result = symbol.withCString { sflame_swift_demangle($0, strlen($0)) }
        guard let result else { return nil }
        defer { free(result) }
        return String(cString: result)
    }
}
