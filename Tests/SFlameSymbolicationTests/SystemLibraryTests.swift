// SPDX-License-Identifier: Apache-2.0

import Foundation
import SFlameProfile
import Testing

@testable import SFlameSymbolication

/// The C library this test process runs, symbolized like any other module: with libc6-dbg
/// installed, its debug file comes from the standard /usr/lib/debug/.build-id/ path.
@Suite("The system C library")
struct SystemLibraryTests {
    /// The libc mapped into this process (tests may read /proc; the library may not).
    static let libcPath: String? = {
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps"), let data = try? handle.readToEnd() else {
            return nil
        }
        try? handle.close()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last,
                path.hasPrefix("/"), path.contains("/libc.so") || path.contains("/libc-")
            else { continue }
            return String(path)
        }
        return nil
    }()

    /// ROOT/.build-id/xx/rest.debug under /usr/lib/debug for libc's build-id, when installed.
    static let libcDebugFile: String? = {
        guard let libc = libcPath, let id = try? ReferenceTools.buildID(of: libc), id.count > 2 else { return nil }
        let path = "/usr/lib/debug/.build-id/\(id.prefix(2))/\(id.dropFirst(2)).debug"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    @Test(
        "debug file found under /usr/lib/debug/.build-id without extra roots",
        .enabled(if: libcDebugFile != nil, "needs libc's debug file in /usr/lib/debug (apt install libc6-dbg)"))
    func standardDebugPath() throws {
        let libc = try #require(Self.libcPath)
        let debugFile = try #require(Self.libcDebugFile)
        let symbolizer = Symbolizer()
        let info = try #require(symbolizer.moduleInfo(path: libc))
        #expect(info.debugFilePath == debugFile)
        #expect(info.hasDebugInfo)
        #expect(info.hasSymbolTable)
        #expect(info.hasCFI)
        #expect(info.buildID == BuildID(hex: try #require(try ReferenceTools.buildID(of: libc))))

        // Local functions exist only in the debug file's .symtab.
        let table = try ReferenceTools.symbols(of: debugFile).values
        let namesByAddress = Dictionary(grouping: table, by: \.address).mapValues { Set($0.map(\.name)) }
        let locals = table.filter { $0.type == "t" && ($0.size ?? 0) > 16 && !$0.name.contains(".") }
            .sorted { $0.address < $1.address }
        try #require(locals.count > 50)
        for symbol in stride(from: 0, to: locals.count, by: locals.count / 50).map({ locals[$0] }) {
            let frames = symbolizer.symbolize(modulePath: libc, fileAddress: symbol.address + 4).frames
            let outermost = try #require(frames.last, "nothing at 0x\(String(symbol.address, radix: 16))")
            // An alias at the same address is as good a name.
            #expect(
                namesByAddress[symbol.address]?.contains(outermost.systemName) == true,
                "at 0x\(String(symbol.address, radix: 16)): \(outermost.systemName), nm: \(symbol.name)")
            #expect(!outermost.isInlined)
            #expect(frames.first?.line != nil)
        }
    }

    @Test("timing: 100k distinct addresses of libc", .enabled(if: libcPath != nil, "libc not found in /proc/self/maps"))
    func timing() throws {
        let libc = try #require(Self.libcPath)
        let symbols = try ReferenceTools.symbols(of: Self.libcDebugFile ?? libc, dynamic: Self.libcDebugFile == nil)
            .values
            .filter { "tTiW".contains($0.type) && ($0.size ?? 0) > 0 }
            .sorted { $0.address < $1.address }
        try #require(!symbols.isEmpty)
        var addresses: [UInt64] = []
        let step = max(1, Int(symbols.reduce(0) { $0 + ($1.size ?? 0) } / 100_000))
        for symbol in symbols {
            addresses += stride(from: symbol.address, to: symbol.address + (symbol.size ?? 0), by: step)
        }
        addresses = Array(addresses.prefix(100_000))
        let symbolizer = Symbolizer()
        let clock = ContinuousClock()
        var named = 0
        var withLines = 0
        var inlined = 0
        let first = clock.measure {
            for address in addresses {
                let frames = symbolizer.symbolize(modulePath: libc, fileAddress: address).frames
                if !frames.isEmpty { named += 1 }
                if frames.first?.line != nil { withLines += 1 }
                if frames.count > 1 { inlined += 1 }
            }
        }
        let again = clock.measure {
            for address in addresses { _ = symbolizer.symbolize(modulePath: libc, fileAddress: address) }
        }
        #expect(named == addresses.count)
        #expect(symbolizer.moduleOpenCount == 1)
        print(
            "symbolize: \(addresses.count) distinct libc addresses (\(withLines) with lines, \(inlined) with inline "
                + "frames): \(first) first time, \(again) cached")
    }
}
