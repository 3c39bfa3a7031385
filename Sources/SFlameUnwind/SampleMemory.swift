// SPDX-License-Identifier: Apache-2.0

/// Reads memory of a live process, for unwinding from something other than a stack copy (a
/// ptrace-stopped thread: `process_vm_readv`). Implemented by the sampling layer; SFlameUnwind
/// never reads another process itself.
public protocol MemoryReader: AnyObject {
    /// Copies `count` bytes at a runtime address of the target into `destination`; false when
    /// the memory cannot be read.
    func read(runtimeAddress: UInt64, into destination: UnsafeMutableRawPointer, count: Int) -> Bool
}

/// The memory an unwinder sees during one unwind: the sampled stack copy, then the module files
/// (for `.eh_frame` reads and the rare CFI expression that dereferences non-stack memory), then
/// an optional live reader.
///
/// Not thread-safe; one per ``ProcessUnwinder``. `stack` is only valid during one unwind.
final class SampleMemory {
    /// How far above the stack pointer a failed read still counts as "in the stack" (and so as a
    /// stack copy that was too small): more than any default thread stack (8 MiB).
    static let stackReach: UInt64 = 64 << 20

    var modules = LoadedModules()
    var registers = UserRegisters(dwarfValues: [UInt64](repeating: 0, count: UserRegisters.count))
    var stack = UnsafeRawBufferPointer(start: nil, count: 0)
    var live: MemoryReader?
    /// The last address that could not be read during the current unwind.
    var lastFailedRead: UInt64?

    var stackStart: UInt64 { registers.stackPointer }
    var stackEnd: UInt64 { registers.stackPointer &+ UInt64(stack.count) }

    func begin(registers: UserRegisters, stack: UnsafeRawBufferPointer, live: MemoryReader?) {
        self.registers = registers
        self.stack = stack
        self.live = live
        lastFailedRead = nil
    }

    func end() {
        stack = UnsafeRawBufferPointer(start: nil, count: 0)
        live = nil
    }

    /// The 8-byte little-endian word at a runtime address.
    @inline(__always)
    func readWord(_ address: UInt64) -> UInt64? {
        let start = stackStart
        if address >= start, address &- start <= UInt64(stack.count) &- 8, stack.count >= 8 {
            return UInt64(littleEndian: stack.loadUnaligned(fromByteOffset: Int(address &- start), as: UInt64.self))
        }
        return readOutsideStack(address)
    }

    private func readOutsideStack(_ address: UInt64) -> UInt64? {
        var word: UInt64 = 0
        if let module = modules.module(containing: address),
            withUnsafeMutableBytes(of: &word, { module.read(address: address, into: $0.baseAddress!, count: 8) })
        {
            return UInt64(littleEndian: word)
        }
        if let live,
            withUnsafeMutableBytes(of: &word, { live.read(runtimeAddress: address, into: $0.baseAddress!, count: 8) })
        {
            return UInt64(littleEndian: word)
        }
        lastFailedRead = address
        return nil
    }

    /// Why a failed unwind stopped, judged from the last failed read: beyond the stack copy but
    /// within reach of the stack pointer means the copy was too small.
    func stopForFailedRead() -> UnwindStop? {
        guard let address = lastFailedRead else { return nil }
        if address >= stackStart && address &+ 8 > stackEnd && address &- stackStart < Self.stackReach && live == nil {
            return .stackCopyExhausted(address: address)
        }
        return .memoryUnreadable(address: address)
    }
}
