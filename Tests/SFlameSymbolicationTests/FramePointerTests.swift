// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

@testable import SFlameSymbolication

@Suite("Frame-pointer heuristic")
struct FramePointerTests {
    @Test("-fno-omit-frame-pointer gives a high share, -fomit-frame-pointer a low one")
    func shares() throws {
        let builds = try FixturePrograms.framePointers.get()
        let symbolizer = Symbolizer()
        let withInfo = try #require(symbolizer.moduleInfo(path: builds.with))
        let withoutInfo = try #require(symbolizer.moduleInfo(path: builds.without))
        let with = try #require(withInfo.framePointerShare)
        let without = try #require(withoutInfo.framePointerShare)
        print("framePointerShare: with frame pointers \(with), without \(without)")
        #expect(with > 0.8)
        #expect(without < 0.2)
    }

    @Test("prologue bytes, with and without endbr64")
    func prologue() {
        #expect(ElfModule.startsWithFramePointerPrologue([0x55, 0x48, 0x89, 0xe5, 0x90]))
        #expect(ElfModule.startsWithFramePointerPrologue([0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5]))
        // GCC -O2 scheduled `mov %edi,%eax; shl $5,%eax; add %edi,%eax` into the prologue.
        #expect(
            ElfModule.startsWithFramePointerPrologue([0x55, 0x89, 0xf8, 0xc1, 0xe0, 0x05, 0x01, 0xf8, 0x48, 0x89, 0xe5])
        )
        #expect(ElfModule.startsWithFramePointerPrologue([0x55, 0x48, 0x8b, 0xec]))
        // %rbp pushed as a callee-saved register, never made the frame pointer.
        #expect(
            !ElfModule.startsWithFramePointerPrologue([
                0x55, 0x53, 0x48, 0x83, 0xec, 0x08, 0x89, 0xfd, 0xe8, 0, 0, 0, 0, 0x89, 0xc3, 0x01, 0xeb, 0x48, 0x89,
                0xe5,
            ]))
        #expect(!ElfModule.startsWithFramePointerPrologue([0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x83, 0xec, 0x08]))
        #expect(!ElfModule.startsWithFramePointerPrologue([0x48, 0x83, 0xec, 0x08]))
        #expect(!ElfModule.startsWithFramePointerPrologue([0x55, 0x48]))
        #expect(!ElfModule.startsWithFramePointerPrologue([0xf3, 0x0f, 0x1e, 0xfa, 0x55]))
    }

    @Test("a module without function symbols has no share")
    func noFunctions() throws {
        let programs = try FixturePrograms.symbols.get()
        // Stripped without -rdynamic: .dynsym lists only undefined imports.
        let info = try #require(Symbolizer().moduleInfo(path: programs.stripped))
        #expect(info.framePointerShare == nil)
    }
}
