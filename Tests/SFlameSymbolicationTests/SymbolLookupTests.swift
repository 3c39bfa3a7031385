// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

@testable import SFlameSymbolication

@Suite("Symbol lookup against nm and readelf")
struct SymbolLookupTests {
    static let exportedFunctions = [
        "sflame_fixture_exported_alpha", "sflame_fixture_exported_beta", "sflame_fixture_exported_gamma",
    ]
    static let staticFunctions = ["sflame_fixture_static_delta", "sflame_fixture_static_epsilon"]

    @Test("by file address and by file offset, PIE and non-PIE", arguments: ["pie", "non-PIE"])
    func lookupMatchesNM(variant: String) throws {
        let programs = try FixturePrograms.symbols.get()
        let path = variant == "pie" ? programs.pie : programs.nonPIE
        #expect(try ReferenceTools.elfType(of: path) == (variant == "pie" ? "DYN" : "EXEC"))
        let symbols = try ReferenceTools.symbols(of: path)
        let symbolizer = Symbolizer()

        for function in Self.exportedFunctions + Self.staticFunctions {
            let symbol = try #require(symbols[function], "nm does not list \(function)")
            let size = try #require(symbol.size)
            for address in [symbol.address, symbol.address + size / 2, symbol.address + size - 1] {
                let byAddress = symbolizer.symbolize(modulePath: path, fileAddress: address)
                #expect(byAddress.moduleFound)
                #expect(byAddress.frames.map(\.name) == [function], "at 0x\(String(address, radix: 16))")
                #expect(byAddress.frames.first?.systemName == function)
                #expect(byAddress.frames.first?.file?.hasSuffix("symbols.c") == true)
                #expect(byAddress.frames.first?.line != nil)

                let offset = try #require(try ReferenceTools.fileOffset(of: address, in: path))
                #expect(symbolizer.fileAddress(modulePath: path, fileOffset: offset) == address)
                let byOffset = symbolizer.symbolize(modulePath: path, fileOffset: offset)
                #expect(byOffset == byAddress)
            }
            // One past the end belongs to something else (padding or the next function).
            let after = symbolizer.symbolize(modulePath: path, fileAddress: symbol.address + size)
            #expect(after.frames.first?.name != function)
        }
    }

    @Test(
        "lines agree with eu-addr2line", .enabled(if: Tool.isInstalled("eu-addr2line"), "needs eu-addr2line (elfutils)")
    )
    func linesMatchAddr2line() throws {
        let path = try FixturePrograms.symbols.get().pie
        let symbols = try ReferenceTools.symbols(of: path)
        let symbolizer = Symbolizer()
        for function in Self.exportedFunctions + Self.staticFunctions {
            let symbol = try #require(symbols[function])
            for address in symbol.address..<(symbol.address + (symbol.size ?? 1)) {
                let expected = try ReferenceTools.inlineLines(of: path, address: address)
                let frames = symbolizer.symbolize(modulePath: path, fileAddress: address).frames
                #expect(frames.map(\.line) == expected.map(\.line), "at 0x\(String(address, radix: 16))")
                #expect(frames.map(\.file) == expected.map(\.file))
            }
        }
    }

    @Test("stripped -rdynamic: .dynsym names the exported functions, static ones stay empty")
    func strippedUsesDynamicSymbols() throws {
        let programs = try FixturePrograms.symbols.get()
        let symbols = try ReferenceTools.symbols(of: programs.exportedUnstripped)
        #expect(try ReferenceTools.symbols(of: programs.strippedExported).isEmpty, "strip left a .symtab")
        let dynamic = try ReferenceTools.symbols(of: programs.strippedExported, dynamic: true)
        let symbolizer = Symbolizer()

        for function in Self.exportedFunctions {
            #expect(dynamic[function] != nil, "-rdynamic did not export \(function)")
            let symbol = try #require(symbols[function])
            let location = symbolizer.symbolize(modulePath: programs.strippedExported, fileAddress: symbol.address + 1)
            #expect(location.moduleFound)
            #expect(location.frames.map(\.name) == [function])
            #expect(location.frames.first?.file == nil, "no DWARF in a stripped file")
        }
        for function in Self.staticFunctions {
            let symbol = try #require(symbols[function])
            let location = symbolizer.symbolize(modulePath: programs.strippedExported, fileAddress: symbol.address + 1)
            #expect(location.moduleFound)
            #expect(location.frames.isEmpty, "got \(location.frames.map(\.name)) for \(function)")
        }
        let info = try #require(symbolizer.moduleInfo(path: programs.strippedExported))
        #expect(!info.hasSymbolTable)
        #expect(!info.hasDebugInfo)
        #expect(info.hasCFI, ".eh_frame survives strip")
        #expect(info.debugFilePath == nil)
    }

    @Test("stripped without -rdynamic: nothing is named, the module is still found")
    func strippedWithoutExports() throws {
        let programs = try FixturePrograms.symbols.get()
        let symbols = try ReferenceTools.symbols(of: programs.pie)
        let symbolizer = Symbolizer()
        for function in Self.exportedFunctions + Self.staticFunctions {
            let symbol = try #require(symbols[function])
            let location = symbolizer.symbolize(modulePath: programs.stripped, fileAddress: symbol.address)
            #expect(location == SymbolizedLocation(frames: [], moduleFound: true), "\(function)")
        }
    }

    @Test("unsymbolized file offsets: outside every PT_LOAD")
    func offsetOutsideSegments() throws {
        let path = try FixturePrograms.symbols.get().pie
        let symbolizer = Symbolizer()
        let end = try ReferenceTools.loadSegments(of: path).map { $0.offset + $0.fileSize }.max() ?? 0
        #expect(symbolizer.fileAddress(modulePath: path, fileOffset: end + 0x10_0000) == nil)
        #expect(
            symbolizer.symbolize(modulePath: path, fileOffset: end + 0x10_0000)
                == SymbolizedLocation(frames: [], moduleFound: true))
    }

    @Test("missing, non-ELF and non-regular paths")
    func unusablePaths() throws {
        let directory = FixturePrograms.directory
        let textFile = directory + "/not-elf.txt"
        try "just text\n".write(toFile: textFile, atomically: true, encoding: .utf8)
        let missing = directory + "/does-not-exist"
        let symbolizer = Symbolizer()

        for path in [missing, textFile, directory] {
            #expect(symbolizer.moduleInfo(path: path) == nil)
            #expect(
                symbolizer.symbolize(modulePath: path, fileOffset: 0x1000)
                    == SymbolizedLocation(frames: [], moduleFound: false))
            #expect(symbolizer.symbolize(modulePath: path, fileAddress: 0x1000).moduleFound == false)
            #expect(symbolizer.fileAddress(modulePath: path, fileOffset: 0) == nil)
        }
        let missingError = #expect(throws: SymbolizationError.self) { try symbolizer.moduleInfoOrError(path: missing) }
        #expect(missingError?.kind == .cannotOpen)
        #expect(missingError?.description.contains("No such file or directory") == true)
        let textError = #expect(throws: SymbolizationError.self) { try symbolizer.moduleInfoOrError(path: textFile) }
        #expect(textError?.kind == .notELF)
        let directoryError = #expect(throws: SymbolizationError.self) {
            try symbolizer.moduleInfoOrError(path: directory)
        }
        #expect(directoryError?.kind == .notRegularFile)
        #expect(symbolizer.moduleOpenCount == 3, "each failing path is tried once")
    }
}
