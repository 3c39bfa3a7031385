// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameUnwind

/// Why the DWARF unwinder stopped, without the details, so equal stacks still merge.
enum UserStackStop: Hashable {
    case reachedBase
    case stackCopyExhausted
    case noUnwindInfo
    case memoryUnreadable
    case frameLimit
    case failed

    init(_ stop: UnwindStop) {
        switch stop {
        case .reachedBase: self = .reachedBase
        case .stackCopyExhausted: self = .stackCopyExhausted
        case .noUnwindInfo: self = .noUnwindInfo
        case .memoryUnreadable: self = .memoryUnreadable
        case .frameLimit: self = .frameLimit
        case .failed: self = .failed
        }
    }
}

/// The DWARF call-graph state of a recording: one unwinder per process, kept in step with the
/// process's mappings, and what the quality report needs to know about stacks that stopped early.
final class DwarfUnwinding {
    /// How much of the stack a too-small copy would have needed, for one blamed module.
    struct StackCopyShortfall: Hashable {
        var samples = 0
        /// The most bytes above the stack pointer any of these stacks needed (an upper bound:
        /// distance to the top of the thread's stack), or the least it needed when the top was
        /// unknown (`isLowerBound`).
        var neededBytes: UInt64 = 0
        var isLowerBound = false
    }

    let session: UnwindSession
    /// Bytes of stack copied per sample.
    let stackBytes: UInt32
    /// The PERF_SAMPLE_REGS_USER mask the samples were taken with.
    let registerMask: UInt64
    private var unwinders: [Int32: (unwinder: ProcessUnwinder, generation: Int)] = [:]
    /// By the index of the module the stack stopped in (-1: none).
    var shortfalls: [Int32: StackCopyShortfall] = [:]
    /// libdw's/libunwind's messages for `.failed` stops, with counts.
    var failureMessages: [String: Int] = [:]
    /// The highest address of a thread's stack (/proc/PID/task/TID/stat `startstack` for a main
    /// thread, the end of the mapping holding the stack pointer for others); nil when unknown.
    var stackTop: ((_ pid: Int32, _ tid: Int32, _ stackPointer: UInt64) -> UInt64?)?

    init(unwinder: DwarfUnwinder, stackBytes: UInt32, registerMask: UInt64, debugInfoPaths: [String]) {
        let kind: UnwinderKind = unwinder == .libdw ? .libdw : .libunwind
        session = UnwindSession(kind: kind, debugInfoPaths: debugInfoPaths)
        self.stackBytes = stackBytes
        self.registerMask = registerMask
    }

    /// The process's unwinder, synchronized with its mappings when they changed since last time.
    func unwinder(pid: Int32, generation: Int, mappings: () -> [ExecutableMapping]) -> ProcessUnwinder {
        if let entry = unwinders[pid], entry.generation == generation { return entry.unwinder }
        let unwinder = unwinders[pid]?.unwinder ?? session.makeUnwinder(processID: pid)
        unwinder.setMappings(mappings())
        unwinders[pid] = (unwinder, generation)
        return unwinder
    }

    /// Module files the unwinders could not use.
    var moduleErrors: [UnwindError] { unwinders.values.flatMap { $0.unwinder.moduleErrors } }

    /// Counts a stack whose copy was too small, with the size it would have needed.
    func recordShortfall(module: Int32?, pid: Int32, tid: Int32, stackPointer: UInt64, failedAddress: UInt64) {
        var entry = shortfalls[module ?? -1, default: StackCopyShortfall()]
        entry.samples += 1
        if let top = stackTop?(pid, tid, stackPointer), top > stackPointer {
            entry.neededBytes = max(entry.isLowerBound ? 0 : entry.neededBytes, top - stackPointer)
            entry.isLowerBound = false
        } else if entry.isLowerBound || entry.neededBytes == 0 {
            entry.neededBytes = max(entry.neededBytes, failedAddress &- stackPointer &+ 8)
            entry.isLowerBound = true
        }
        shortfalls[module ?? -1] = entry
    }
}

extension RecordingState {
    /// The user frames of a sample, unwound from its registers and stack copy, leaf first, and
    /// why unwinding stopped; no frames (and nil) for samples without a user context.
    mutating func dwarfUserFrames(_ s: PerfSample, with dwarf: DwarfUnwinding) -> ([FrameRef], UserStackStop?) {
        guard s.userRegisterABI != 0 else { return ([], nil) }
        guard s.userRegisterABI == 2,
            let registers = UserRegisters(perfValues: s.userRegisters, mask: dwarf.registerMask)
        else {
            // A 32-bit task: its registers do not follow the x86-64 layout.
            dwarf.failureMessages["32-bit processes cannot be unwound", default: 0] += 1
            return ([resolve(pid: s.pid, address: s.ip)], .failed)
        }
        let generation = mappingGenerations[s.pid, default: 0]
        let unwinder = dwarf.unwinder(pid: s.pid, generation: generation) { executableMappings(of: s.pid) }
        let stack = s.userStack.withUnsafeBytes {
            unwinder.unwind(registers: registers, stack: $0, threadID: s.tid)
        }
        var frames: [FrameRef] = []
        frames.reserveCapacity(stack.frames.count)
        for frame in stack.frames { frames.append(resolve(pid: s.pid, address: frame.lookupAddress)) }
        switch stack.stop {
        case .stackCopyExhausted(let address):
            var module: Int32?
            if case .module(let index, _)? = frames.last { module = index }
            dwarf.recordShortfall(
                module: module, pid: s.pid, tid: s.tid, stackPointer: registers.stackPointer, failedAddress: address)
        case .failed(let message):
            dwarf.failureMessages[message, default: 0] += 1
        default:
            break
        }
        return (frames, UserStackStop(stack.stop))
    }

    /// The process's executable mappings with the files sflame opens for them (the vDSO's path is
    /// `[vdso]`, which the unwinders take from sflame's own copy).
    func executableMappings(of pid: Int32) -> [ExecutableMapping] {
        guard let space = addressSpaces[pid] else { return [] }
        return space.ranges.compactMap { range in
            if let module = range.module {
                return ExecutableMapping(
                    start: range.start, end: range.end, fileOffset: range.fileOffset,
                    path: modules[Int(module)].openPath)
            }
            return nil
        }
    }
}
