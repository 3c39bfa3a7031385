// SPDX-License-Identifier: Apache-2.0

/// The x86-64 user registers of one sample, in DWARF register numbering: the state of the
/// innermost user frame that CFI unwinding starts from.
///
/// perf delivers the registers of PERF_SAMPLE_REGS_USER in the bit order of
/// `perf_event_attr.sample_regs_user` (arch/x86/include/uapi/asm/perf_regs.h: AX 0, BX 1, CX 2,
/// DX 3, SI 4, DI 5, BP 6, SP 7, IP 8, FLAGS 9, CS 10, SS 11, DS–GS 12–15, R8–R15 16–23). CFI
/// uses the numbering of the System V x86-64 ABI (figure 3.36: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi,
/// 5 rdi, 6 rbp, 7 rsp, 8–15 r8–r15, 16 the return address column, rip), which is also
/// libunwind's `UNW_X86_64_*` numbering.
public struct UserRegisters: Hashable, Sendable {
    /// Number of DWARF registers kept: rax … r15 and rip.
    public static let count = 17
    /// DWARF number of the stack pointer (rsp).
    public static let stackPointerIndex = 7
    /// DWARF number of the instruction pointer (rip, the return-address column).
    public static let instructionPointerIndex = 16

    /// perf register index for each DWARF register number 0…16.
    static let perfIndexByDwarfNumber: [Int] = [0, 3, 2, 1, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 8]

    /// The PERF_SAMPLE_REGS_USER mask sflame asks for: AX BX CX DX SI DI BP SP IP and R8–R15,
    /// the registers x86-64 CFI can refer to (perf's `--call-graph dwarf` samples the same set
    /// plus flags and segment registers, which CFI never needs).
    public static let perfSampleMask: UInt64 = perfIndexByDwarfNumber.reduce(0) { $0 | (1 << UInt64($1)) }

    /// Values indexed by DWARF register number; always `count` entries.
    public private(set) var values: [UInt64]

    /// Registers from DWARF-numbered values (`values.count == count`).
    public init(dwarfValues: [UInt64]) {
        precondition(dwarfValues.count == Self.count, "x86-64 has \(Self.count) DWARF registers")
        values = dwarfValues
    }

    /// Registers from a sample's PERF_SAMPLE_REGS_USER values (one per set bit of `mask`, in bit
    /// order). Nil when the mask lacks SP or IP or the value count does not match the mask.
    /// Registers outside the mask read as 0.
    public init?(perfValues: [UInt64], mask: UInt64) {
        guard perfValues.count == mask.nonzeroBitCount,
            mask & (1 << 7) != 0, mask & (1 << 8) != 0
        else { return nil }
        var out = [UInt64](repeating: 0, count: Self.count)
        for (dwarf, perf) in Self.perfIndexByDwarfNumber.enumerated() {
            let bit: UInt64 = 1 << UInt64(perf)
            guard mask & bit != 0 else { continue }
            // The position of this register's value: the number of set mask bits below it.
            let position = (mask & (bit - 1)).nonzeroBitCount
            out[dwarf] = perfValues[position]
        }
        values = out
    }

    /// rip: where the thread was (a runtime address).
    public var instructionPointer: UInt64 { values[Self.instructionPointerIndex] }
    /// rsp: the lowest address of the thread's stack in use; a sampled stack copy starts here.
    public var stackPointer: UInt64 { values[Self.stackPointerIndex] }
}
