// SPDX-License-Identifier: Apache-2.0
import Testing

@testable import SFlameUnwind

@Suite struct UserRegistersTests {
    @Test func sflamesMaskHoldsTheRegistersCFIUses() {
        // AX BX CX DX SI DI BP SP IP (bits 0–8) and R8–R15 (bits 16–23).
        #expect(UserRegisters.perfSampleMask == 0xff_01ff)
    }

    @Test func perfOrderBecomesDWARFOrder() throws {
        // perf's own --call-graph dwarf mask also has FLAGS, CS, SS (bits 9–11).
        let mask: UInt64 = 0xff_0fff
        // Value i is perf register i for bits 0–11, then R8–R15 as 100…107.
        let values: [UInt64] = Array(0...11) + Array(100...107)
        let r = try #require(UserRegisters(perfValues: values, mask: mask))
        // DWARF: rax rdx rcx rbx rsi rdi rbp rsp r8…r15 rip.
        #expect(r.values == [0, 3, 2, 1, 4, 5, 6, 7, 100, 101, 102, 103, 104, 105, 106, 107, 8])
        #expect(r.stackPointer == 7 && r.instructionPointer == 8)
    }

    @Test func aMaskWithoutSPOrIPOrWithTheWrongCountIsRefused() {
        #expect(UserRegisters(perfValues: [1, 2], mask: 0b11) == nil)
        #expect(UserRegisters(perfValues: [1], mask: UserRegisters.perfSampleMask) == nil)
    }
}

@Suite struct ModuleImageTests {
    @Test func theVDSOCopyHasAnUnwindTable() throws {
        let image = try #require(ModuleImageCache.vdsoImage())
        #expect(image.path == "[vdso]")
        #expect(!image.segments.isEmpty)
        let table = try #require(EHFrameTable(image: image), "the vDSO has .eh_frame_hdr")
        #expect(table.entryCount > 0)
    }

    @Test func aMappingPlacesTheModuleAtItsLoadBias() throws {
        let image = try ModuleImage(path: "/bin/true")
        let text = try #require(image.segments.first { $0.isExecutable })
        // The executable segment mapped at 0x5555_0000_0000 + its page offset.
        let start: UInt64 = 0x5555_0000_0000 + (text.fileAddress & ~0xfff)
        let mapping = ExecutableMapping(
            start: start, end: start + 0x1000, fileOffset: text.fileOffset & ~0xfff, path: "/bin/true")
        let module = try #require(LoadedModule(image: image, mapping: mapping))
        #expect(module.bias == 0x5555_0000_0000)
        #expect(module.range.contains(start))
        // Bytes read at a runtime address are the file's bytes at the matching offset.
        var word: UInt64 = 0
        #expect(
            withUnsafeMutableBytes(of: &word) {
                module.read(address: start + (text.fileAddress & 0xfff), into: $0.baseAddress!, count: 8)
            })
        let direct = image.bytes.loadUnaligned(fromByteOffset: Int(text.fileOffset), as: UInt64.self)
        #expect(word == direct)
    }

    @Test func filesThatAreNotELFAreRefused() {
        #expect(throws: UnwindError.self) { try ModuleImage(path: "/etc/hostname") }
        #expect(throws: UnwindError.self) { try ModuleImage(path: "/nonexistent") }
        #expect(throws: UnwindError.self) { try ModuleImage(path: "/etc") }
    }
}

@Suite struct ProcessUnwinderTests {
    @Test(arguments: UnwinderKind.allCases) func withoutModulesOnlyTheSampledAddressIsKnown(kind: UnwinderKind) {
        let unwinder = UnwindSession(kind: kind).makeUnwinder(processID: 1)
        var values = [UInt64](repeating: 0, count: UserRegisters.count)
        values[UserRegisters.instructionPointerIndex] = 0x1234
        values[UserRegisters.stackPointerIndex] = 0x7fff_0000
        let stack = unwinder.unwind(
            registers: UserRegisters(dwarfValues: values), stack: [UInt8](repeating: 0, count: 64), threadID: 1)
        #expect(stack.frames == [UnwoundFrame(programCounter: 0x1234, isReturnAddress: false)])
        #expect(stack.stop == .noUnwindInfo(programCounter: 0x1234))
    }

    @Test func aReadJustAboveTheCopyMeansTheCopyWasTooSmall() {
        let memory = SampleMemory()
        var values = [UInt64](repeating: 0, count: UserRegisters.count)
        values[UserRegisters.stackPointerIndex] = 0x7fff_0000
        [UInt8](repeating: 0xab, count: 64).withUnsafeBytes { stack in
            memory.begin(registers: UserRegisters(dwarfValues: values), stack: stack, live: nil)
            #expect(memory.readWord(0x7fff_0000 + 56) == 0xabab_abab_abab_abab)
            #expect(memory.readWord(0x7fff_0000 + 60) == nil, "straddles the end of the copy")
            #expect(memory.stopForFailedRead() == .stackCopyExhausted(address: 0x7fff_0000 + 60))
            #expect(memory.readWord(0x10) == nil)
            #expect(memory.stopForFailedRead() == .memoryUnreadable(address: 0x10))
            memory.end()
        }
    }
}
