// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

@testable import SFlameSymbolication

@Suite("Demangling and display names")
struct DemanglerTests {
    /// Itanium-mangled names whose demangled forms stress the parameter stripping.
    static let cxxSymbols = [
        "_ZN12_GLOBAL__N_113hidden_workerEi",  // (anonymous namespace)::hidden_worker(int)
        "_ZN3geolsERSoRKNS_5PointE",  // geo::operator<<(std::ostream&, geo::Point const&)
        "_ZN3geo5applyIPFiiEEEiT_i",  // int geo::apply<int (*)(int)>(int (*)(int), int)
        "_ZN3geo9call_withIXadL_ZNS_6to_intEcEEEEic",  // int geo::call_with<&geo::to_int>(char)
        "_ZZ4mainENKUliE_clEi",  // main::{lambda(int)#1}::operator()(int) const
        "_ZNK3geo11AccumulatorltERKS0_.isra.0",  // geo::Accumulator::operator<(…) const [clone .isra.0]
        "_ZN3geo11AccumulatorclEi",  // geo::Accumulator::operator()(int)
        "_ZNSt6vectorIiSaIiEE9push_backERKi",  // std::vector<int, std::allocator<int> >::push_back(int const&)
        "_ZNK2ns1fIPFicEEEvT_",  // void ns::f<int (*)(char)>(int (*)(char)) const
        "_Z3maxIiET_S0_S0_",  // int max<int>(int, int)
        "_ZN2ns1AcviEv",  // ns::A::operator int()
        "_ZN2ns1AnwEm",  // ns::A::operator new(unsigned long)
        "_ZThn8_N1B1fEv",  // non-virtual thunk to B::f()
        "_ZN2ns1AgtERKS0_",  // ns::A::operator>(ns::A const&)
        "_ZN2ns1AptEv",  // ns::A::operator->()
        "_ZNSt6vectorIiSaIiEEixEm",  // std::vector<int, std::allocator<int> >::operator[](unsigned long)
        "_ZN2ns3fooB5cxx11Ev",  // ns::foo[abi:cxx11]()
    ]

    /// `c++filt -i`: without libiberty's verbose expansion of standard typedefs (`std::ostream`
    /// stays `std::ostream`), which is what `__cxa_demangle` prints.
    static func cxxfilt(_ symbols: [String]) throws -> [String] {
        let output = try Tool.run("c++filt", ["-i"], input: symbols.joined(separator: "\n") + "\n")
        return output.split(separator: "\n").map(String.init)
    }

    @Test("C++ demangling agrees with c++filt", .enabled(if: Tool.isInstalled("c++filt"), "needs c++filt (binutils)"))
    func cxxMatchesCxxfilt() throws {
        let reference = try Self.cxxfilt(Self.cxxSymbols)
        #expect(reference.count == Self.cxxSymbols.count)
        for (symbol, expected) in zip(Self.cxxSymbols, reference) {
            #expect(expected != symbol, "c++filt could not demangle \(symbol)")
            #expect(Demangler.demangle(symbol) == expected)
        }
    }

    @Test("display names drop parameters, qualifiers and template return types")
    func displayNames() {
        let expected = [
            "(anonymous namespace)::hidden_worker",
            "geo::operator<<",
            "geo::apply<int (*)(int)>",
            "geo::call_with<&geo::to_int>",
            "main::{lambda(int)#1}::operator()",
            "geo::Accumulator::operator< [clone .isra.0]",
            "geo::Accumulator::operator()",
            "std::vector<int, std::allocator<int> >::push_back",
            "ns::f<int (*)(char)>",
            "max<int>",
            "ns::A::operator int",
            "ns::A::operator new",
            "non-virtual thunk to B::f",
            "ns::A::operator>",
            "ns::A::operator->",
            "std::vector<int, std::allocator<int> >::operator[]",
            "ns::foo[abi:cxx11]",
        ]
        #expect(Self.cxxSymbols.map(Demangler.displayName) == expected)
    }

    @Test(
        "withoutParameters on demangled strings",
        arguments: [
            ("ns::f<int(*)(char)>(int) const", "ns::f<int(*)(char)>"),
            ("ns::f<int (*)(char)>(int) const &&", "ns::f<int (*)(char)>"),
            ("void ns::g<std::pair<int, int> >(std::pair<int, int>)", "ns::g<std::pair<int, int> >"),
            ("bool operator< <Foo>(Foo const&, Foo const&)", "operator< <Foo>"),
            ("std::ostream& operator<<(std::ostream&, A const&)", "operator<<"),
            ("operator<<(std::ostream&, A const&)", "operator<<"),
            ("X::operator()(int) const", "X::operator()"),
            ("X::operator<=>(X const&) const", "X::operator<=>"),
            ("X::operator>>=(int)", "X::operator>>="),
            ("(anonymous namespace)::Worker::run()", "(anonymous namespace)::Worker::run"),
            ("f(int)::{lambda(int)#1}::operator()(int) const", "f(int)::{lambda(int)#1}::operator()"),
            ("void f<int>(int)::{lambda()#2}::operator()() const", "f<int>(int)::{lambda()#2}::operator()"),
            ("f(int) [clone .cold]", "f [clone .cold]"),
            ("f(int) const [clone .constprop.0] [clone .cold]", "f [clone .constprop.0] [clone .cold]"),
            ("vtable for ns::A", "vtable for ns::A"),
            ("main", "main"),
            ("", ""),
            ("(", "("),
            (")", ")"),
            ("f)(", "f)("),
        ])
    func withoutParameters(input: String, expected: String) {
        #expect(Demangler.withoutParameters(input) == expected)
    }

    @Test(
        "every C++ function of a compiled program: demangle matches c++filt, display names are shortened",
        .enabled(if: Tool.isInstalled("c++filt"), "needs c++filt (binutils)"))
    func compiledProgram() throws {
        let path = try FixturePrograms.names.get()
        let symbols = try ReferenceTools.symbols(of: path).values
            .filter { $0.name.hasPrefix("_Z") && "tTwW".contains($0.type) }.map(\.name).sorted()
        try #require(symbols.count >= 6)
        let reference = try Self.cxxfilt(symbols)
        for (symbol, expected) in zip(symbols, reference) {
            #expect(Demangler.demangle(symbol) == expected)
        }
        let names = Set(symbols.map(Demangler.displayName))
        for name in [
            "(anonymous namespace)::hidden_worker", "geo::operator<<", "geo::apply<int (*)(int)>",
            "geo::apply<main::{lambda(int)#1}>", "geo::call_with<&geo::to_int>",
        ] {
            #expect(names.contains(name), "\(name) not among \(names.sorted())")
        }

        // The symbolizer shows the same names for the functions' addresses.
        let symbolizer = Symbolizer()
        let table = try ReferenceTools.symbols(of: path)
        for symbol in symbols {
            let address = try #require(table[symbol]).address
            let frame = symbolizer.symbolize(modulePath: path, fileAddress: address).frames.last
            #expect(frame?.systemName == symbol)
            #expect(frame?.name == Demangler.displayName(symbol))
        }
    }

    @Test("Rust legacy symbols lose their hash")
    func rustLegacy() throws {
        #expect(Demangler.demangle("_ZN4core3fmt5write17h0123456789abcdefE") == "core::fmt::write")
        #expect(Demangler.displayName("_ZN4core3fmt5write17h0123456789abcdefE") == "core::fmt::write")
        #expect(Demangler.demangle("_ZN3std2rt10lang_start17h9f2d1c3b4a5e6f70E") == "std::rt::lang_start")
        // Not a Rust hash (upper case, wrong length): left to the C++ rules.
        #expect(Demangler.demangle("_ZN4core3fmt5write17h0123456789ABCDEFE") == "core::fmt::write::h0123456789ABCDEF")
        if Tool.isInstalled("c++filt") {
            let cxxfilt = try Tool.run("c++filt", ["_ZN4core3fmt5write17h0123456789abcdefE"])
            #expect(cxxfilt.trimmingCharacters(in: .whitespacesAndNewlines) == "core::fmt::write::h0123456789abcdef")
        }
    }

    @Test(
        "Swift symbols agree with swift-demangle",
        .enabled(if: Tool.isInstalled("swift-demangle"), "needs swift-demangle (Swift toolchain)"))
    func swiftMatchesSwiftDemangle() throws {
        var symbols = ["$sSi1poiyS2i_SitFZ", "$sSS5countSivg"]
        // Real symbols of this test binary, which is a Swift program.
        let testBinary = try #require(Bundle.main.executablePath ?? CommandLine.arguments.first)
        let own = try ReferenceTools.symbols(of: testBinary).keys
            .filter { $0.hasPrefix("$s") && $0.contains("SFlameSymbolication") }.sorted().prefix(40)
        try #require(!own.isEmpty, "no Swift symbols found in \(testBinary)")
        symbols += own
        // --no-sugar: the runtime's swift_demangle prints `Optional<String>` where the tool's
        // default prints `String?`.
        let reference = try Tool.run("swift-demangle", ["--no-sugar"], input: symbols.joined(separator: "\n") + "\n")
            .split(separator: "\n").map(String.init)
        #expect(reference.count == symbols.count)
        for (symbol, expected) in zip(symbols, reference) {
            #expect(expected != symbol)
            #expect(Demangler.demangle(symbol) == expected)
            #expect(Demangler.displayName(symbol) == expected, "Swift names stay complete")
        }
        #expect(
            Demangler.demangle("$sSi1poiyS2i_SitFZ") == "static Swift.Int.+ infix(Swift.Int, Swift.Int) -> Swift.Int")
    }

    @Test(
        "other names are returned unchanged",
        arguments: ["main", "_start", "_Z", "_Zjunk", "$sjunk", "_RNvjunk", "_Rb_tree_insert", "@", "f@", ""])
    func unchanged(symbol: String) {
        #expect(Demangler.demangle(symbol) == symbol)
        #expect(Demangler.displayName(symbol) == symbol)
    }

    @Test("Rust legacy symbols: escapes decoded and hash dropped by libiberty, as rustc-demangle does")
    func rustLegacyEscapes() {
        let symbol =
            "_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$"
            + "17h0123456789abcdefE"
        #expect(Demangler.demangle(symbol) == "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>")
        #expect(
            Demangler.displayName("_ZN4core3ptr35drop_in_place$LT$std..env..Args$GT$17h260e6fff11a80119E")
                == "core::ptr::drop_in_place<std::env::Args>")
    }

    @Test("Rust symbols renamed by ThinLTO (`.llvm.<digits>`) are demangled without the suffix, as rustc-demangle does")
    func rustLLVMSuffix() {
        let symbol = "_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h86fbd20a5b88f520E.llvm.10958737565877866535"
        #expect(Demangler.demangle(symbol) == "std::rt::lang_start::{{closure}}")
        #expect(Demangler.displayName(symbol) == "std::rt::lang_start::{{closure}}")
        #expect(Demangler.displayName("_RNvNtCs1234_7mycrate3foo3bar.llvm.123") == "mycrate::foo::bar")
        // C++ clones keep the suffix, as c++filt shows it.
        #expect(Demangler.displayName("_ZN2ns1fEv.llvm.42") == "ns::f [clone .llvm.42]")
    }

    @Test(
        "Rust v0 symbols (RFC 2603)",
        arguments: [
            ("_RNvNtCs1234_7mycrate3foo3bar", "mycrate::foo::bar"),
            ("_RNvMCs6GmmlP4bgsG_1rINtB2_7WrappermE4spinB2_", "<r::Wrapper<u32>>::spin"),
            ("_RNCNvCsgStHSCytQ6I_7mangled4main0B3_", "mangled::main::{closure#0}"),
            ("_RINvCshhNdl82Kjmm_1g4hashmEB2_", "g::hash::<u32>"),
        ])
    func rustV0(symbol: String, expected: String) {
        #expect(Demangler.demangle(symbol) == expected)
        #expect(Demangler.displayName(symbol) == expected)
    }

    @Test(
        "display names drop ELF symbol versions; demangle keeps them",
        arguments: [
            ("__libc_start_main@@GLIBC_2.34", "__libc_start_main", "__libc_start_main@@GLIBC_2.34"),
            ("pthread_cond_wait@@GLIBC_2.3.2", "pthread_cond_wait", "pthread_cond_wait@@GLIBC_2.3.2"),
            ("memcpy@GLIBC_2.2.5", "memcpy", "memcpy@GLIBC_2.2.5"),
            ("_ZN2ns1fEi@@LIBNS_1.0", "ns::f", "ns::f(int)@@LIBNS_1.0"),
        ])
    func symbolVersions(symbol: String, display: String, demangled: String) {
        #expect(Demangler.displayName(symbol) == display)
        #expect(Demangler.demangle(symbol) == demangled)
    }
}
