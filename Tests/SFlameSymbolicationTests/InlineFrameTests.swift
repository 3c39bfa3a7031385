// SPDX-License-Identifier: Apache-2.0

import CElfutils
import Foundation
import Testing

@testable import SFlameSymbolication

@Suite("Inline frames from DWARF")
struct InlineFrameTests {
    static let outer = "_ZN2ns14outer_functionEi"
    static let chain = ["ns::Mixer::mix<int>", "ns::mid_helper", "ns::outer_function"]

    /// Every address of ns::outer_function, with its frames.
    private func framesOfOuterFunction(_ symbolizer: Symbolizer) throws -> [(UInt64, [SymbolizedFrame])] {
        let path = try FixturePrograms.inline.get()
        let symbol = try #require(try ReferenceTools.symbols(of: path)[Self.outer])
        let size = try #require(symbol.size)
        return (symbol.address..<(symbol.address + size)).map {
            ($0, symbolizer.symbolize(modulePath: path, fileAddress: $0).frames)
        }
    }

    @Test("the chain is innermost first and only the outermost frame is not inlined")
    func chainOrder() throws {
        let all = try framesOfOuterFunction(Symbolizer())
        let deepest = all.filter { $0.1.count == 3 }
        try #require(!deepest.isEmpty, "no address of outer_function lies in the inlined Mixer::mix")
        for (address, frames) in deepest {
            #expect(frames.map(\.name) == Self.chain, "at 0x\(String(address, radix: 16))")
            #expect(frames.map(\.isInlined) == [true, true, false])
            #expect(frames.map(\.systemName) == ["_ZN2ns5Mixer3mixIiEET_S2_", "mid_helper", Self.outer])
            #expect(frames.allSatisfy { $0.file?.hasSuffix("inline.cpp") == true && $0.line != nil })
        }
        // Every address names outer_function last, and no chain is longer than the source's.
        for (_, frames) in all {
            #expect(frames.last?.name == "ns::outer_function")
            #expect(frames.last?.isInlined == false)
            #expect(frames.count <= 3)
        }
    }

    @Test(
        "call-site lines agree with eu-addr2line -i",
        .enabled(if: Tool.isInstalled("eu-addr2line"), "needs eu-addr2line (elfutils)"))
    func linesMatchAddr2line() throws {
        let path = try FixturePrograms.inline.get()
        for (address, frames) in try framesOfOuterFunction(Symbolizer()) {
            let expected = try ReferenceTools.inlineLines(of: path, address: address)
            #expect(frames.map(\.line) == expected.map(\.line), "at 0x\(String(address, radix: 16))")
            #expect(frames.map(\.file) == expected.map(\.file), "at 0x\(String(address, radix: 16))")
        }
    }

    @Test("the call site of an inlined frame is the line in its caller")
    func callSiteLines() throws {
        let source = try String(contentsOfFile: try FixturePrograms.source("inline.cpp"), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let all = try framesOfOuterFunction(Symbolizer())
        let (_, frames) = try #require(all.first { $0.1.count == 3 })
        // mid_helper's frame points at its call of Mixer::mix, outer_function's at its call of mid_helper.
        let midLine = try #require(frames[1].line)
        let outerLine = try #require(frames[2].line)
        #expect(lines[midLine - 1].contains("Mixer::mix<int>("))
        #expect(lines[outerLine - 1].contains("mid_helper(i)"))
    }

    @Test("inlineFrames: false keeps the outermost frame with its own line")
    func withoutInlineFrames() throws {
        let withInline = try framesOfOuterFunction(Symbolizer())
        let flat = try framesOfOuterFunction(Symbolizer(options: SymbolizerOptions(inlineFrames: false)))
        for ((address, full), (_, single)) in zip(withInline, flat) {
            #expect(single.count == 1, "at 0x\(String(address, radix: 16))")
            #expect(single.first == full.last)
        }
    }

    @Test("lineNumbers: false drops file and line, keeps the chain")
    func withoutLineNumbers() throws {
        let withLines = try framesOfOuterFunction(Symbolizer())
        let bare = try framesOfOuterFunction(Symbolizer(options: SymbolizerOptions(lineNumbers: false)))
        for ((_, full), (_, frames)) in zip(withLines, bare) {
            #expect(frames.map(\.name) == full.map(\.name))
            #expect(frames.allSatisfy { $0.file == nil && $0.line == nil })
        }
    }

    @Test("the per-unit function index finds the same scopes as dwarf_getscopes")
    func functionIndexMatchesUnitWalk() throws {
        // (module, file whose .symtab lists its functions, bytes between the addresses compared)
        let inline = try FixturePrograms.inline.get()
        var modules = [(inline, inline, UInt64(1))]
        if let libc = SystemLibraryTests.libcPath, let debugFile = SystemLibraryTests.libcDebugFile {
            modules.append((libc, debugFile, 97))
        }
        for (path, symbolFile, step) in modules {
            let module = try ElfModule(path: path, callbacks: DwflCallbacks(debugInfoPaths: []))
            let functions = try ReferenceTools.symbols(of: symbolFile).values
                .filter { "tT".contains($0.type) && ($0.size ?? 0) > 0 }
            var compared = 0
            var inlined = 0
            for function in functions.prefix(2000) {
                for address in stride(
                    from: function.address, to: function.address + (function.size ?? 0), by: Int(step))
                {
                    var bias: UInt64 = 0
                    guard let cu = dwfl_module_addrdie(module.module, address, &bias) else { continue }
                    let walked = ElfModule.scopesByWalkingUnit(cu, pc: address - bias).filter(Self.isFunctionScope)
                    guard let subprogram = FunctionRanges(compileUnit: cu.pointee).function(containing: address - bias)
                    else {
                        continue
                    }
                    let indexed = Array(ElfModule.scopesBelow(subprogram, holding: address - bias).reversed())
                        .filter(Self.isFunctionScope)
                    #expect(indexed.map(\.addr) == walked.map(\.addr), "\(path) at 0x\(String(address, radix: 16))")
                    compared += 1
                    if indexed.count > 1 { inlined += 1 }
                }
            }
            #expect(compared > 0)
            #expect(inlined > 0, "no inlined code compared in \(path)")
        }
    }

    private static func isFunctionScope(_ die: Dwarf_Die) -> Bool {
        let tag = ElfModule.tag(of: die)
        return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine
    }
}
