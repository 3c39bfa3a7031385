// SPDX-License-Identifier: Apache-2.0

import Testing

@testable import SFlameSymbolication

@Suite("Address indexes: PT_LOAD segments and symbols")
struct IndexTests {
    /// A typical PIE: read-only headers, text, rodata, then data whose file offset and address differ.
    static let segments = LoadSegments([
        .init(fileOffset: 0x2dd0, fileAddress: 0x3dd0, fileSize: 0x248, isExecutable: false),
        .init(fileOffset: 0, fileAddress: 0, fileSize: 0x618, isExecutable: false),
        .init(fileOffset: 0x1000, fileAddress: 0x1000, fileSize: 0x6e9, isExecutable: true),
        .init(fileOffset: 0x2000, fileAddress: 0x2000, fileSize: 0x74c, isExecutable: false),
    ])

    @Test("file offsets and SVMAs map both ways through PT_LOAD")
    func segments() {
        let segments = Self.segments
        #expect(segments.fileAddress(fileOffset: 0x1180) == 0x1180)
        #expect(segments.fileAddress(fileOffset: 0x2dd8) == 0x3dd8)
        #expect(segments.fileAddress(fileOffset: 0x16e9) == nil, "past the text segment's file bytes")
        #expect(segments.fileAddress(fileOffset: 0x9000) == nil)
        #expect(segments.fileLocation(fileAddress: 0x3dd8)?.offset == 0x2dd8)
        #expect(segments.fileLocation(fileAddress: 0x16e0)?.bytesToSegmentEnd == 9)
        #expect(segments.fileLocation(fileAddress: 0x4100) == nil, ".bss has no file bytes")
        #expect(segments.segment(containing: 0x1100)?.isExecutable == true)
    }

    @Test("an old-style layout where two segments share a file page prefers the executable one")
    func overlappingSegments() {
        let segments = LoadSegments([
            .init(fileOffset: 0, fileAddress: 0x400000, fileSize: 0x800, isExecutable: true),
            .init(fileOffset: 0x7f0, fileAddress: 0x6007f0, fileSize: 0x100, isExecutable: false),
        ])
        #expect(segments.fileAddress(fileOffset: 0x7f8) == 0x4007f8)
        #expect(segments.fileAddress(fileOffset: 0x820) == 0x600820)
    }

    static func symbol(_ address: UInt64, _ size: UInt64, binding: UInt8 = 0, function: Bool = true, index: Int32)
        -> SymbolIndex.Symbol
    {
        SymbolIndex.Symbol(address: address, size: size, bindingRank: binding, isFunction: function, tableIndex: index)
    }

    @Test("symbol ranges: sized, sizeless, nested, aliases")
    func symbols() {
        let index = SymbolIndex(
            [
                Self.symbol(0x1000, 0, function: false, index: 1),  // _init-like label, sizeless
                Self.symbol(0x1100, 0x100, index: 2),  // outer function
                Self.symbol(0x1140, 0x20, binding: 2, index: 3),  // nested local function
                Self.symbol(0x1150, 0, function: false, index: 4),  // label inside the nested one
                Self.symbol(0x1300, 0x40, binding: 1, index: 5),  // weak alias …
                Self.symbol(0x1300, 0x40, binding: 0, index: 6),  // … loses to the global one
                Self.symbol(0x1300, 0, binding: 0, index: 7),  // sizeless at the same address loses too
                Self.symbol(0x1600, 0, function: false, index: 8),  // sizeless, last: bounded by the segment
            ], segments: Self.segments)
        #expect(index.lookup(0xfff) == nil)
        #expect(index.lookup(0x1000)?.tableIndex == 1)
        #expect(index.lookup(0x10ff)?.tableIndex == 1, "a sizeless symbol reaches the next symbol")
        #expect(index.lookup(0x1100)?.tableIndex == 2)
        #expect(index.lookup(0x1145)?.tableIndex == 3)
        #expect(index.lookup(0x1155)?.tableIndex == 3, "a sized symbol wins over a sizeless label inside it")
        #expect(index.lookup(0x115f)?.tableIndex == 3)
        #expect(index.lookup(0x1160)?.tableIndex == 2, "past the nested function, the outer one holds it")
        #expect(index.lookup(0x11ff)?.tableIndex == 2)
        #expect(index.lookup(0x1200) == nil, "between functions: the label ended with its function")
        #expect(index.lookup(0x1310)?.tableIndex == 6)
        #expect(index.lookup(0x1340) == nil)
        #expect(index.lookup(0x16e8)?.tableIndex == 8)
        #expect(index.lookup(0x16e9) == nil, "a sizeless symbol ends with its segment")
        #expect(index.symbols.count == 6, "one entry per address")
    }

    @Test("an empty table finds nothing")
    func emptySymbols() {
        let index = SymbolIndex([], segments: Self.segments)
        #expect(index.lookup(0) == nil)
        #expect(index.lookup(.max) == nil)
    }
}
