// SPDX-License-Identifier: Apache-2.0

/// One frame of an unwound user stack.
public struct UnwoundFrame: Hashable, Sendable {
    /// The runtime address: the sampled instruction pointer for the innermost frame, a return
    /// address for the callers.
    public var programCounter: UInt64
    /// True when ``programCounter`` is a return address, which points after the call: subtract
    /// one before symbolizing so the address lands in the call instruction (a call can be a
    /// function's last instruction). False for the innermost frame and for a frame interrupted
    /// by a signal.
    public var isReturnAddress: Bool

    public init(programCounter: UInt64, isReturnAddress: Bool) {
        self.programCounter = programCounter
        self.isReturnAddress = isReturnAddress
    }

    /// The address to symbolize: inside the call instruction for return addresses.
    public var lookupAddress: UInt64 { isReturnAddress ? programCounter &- 1 : programCounter }
}

/// Why unwinding stopped.
public enum UnwindStop: Hashable, Sendable {
    /// The CFI of the outermost frame says it has no caller (its return address is undefined, as
    /// in glibc's `_start`, `clone3` and `start_thread`): the stack is complete.
    case reachedBase
    /// The unwinder needed stack memory at `address`, above the end of the copied stack: the
    /// stack copy was too small for this stack.
    case stackCopyExhausted(address: UInt64)
    /// No module, or no CFI in the module, covers the outermost frame's address, and the
    /// unwinder's fallbacks did not find a caller.
    case noUnwindInfo(programCounter: UInt64)
    /// The unwinder needed memory at `address`, which is neither in the stack copy nor in a
    /// module file (heap data, or a corrupt frame).
    case memoryUnreadable(address: UInt64)
    /// The stack has more frames than the unwinder's limit.
    case frameLimit
    /// Any other failure, with the unwinder's message.
    case failed(String)

    /// True when the stack ends before its base.
    public var isTruncation: Bool {
        if case .reachedBase = self { return false }
        return true
    }
}

/// The user part of one sample's stack, as an unwinder recovered it.
///
/// Shape: ``frames`` are leaf first (the sampled instruction pointer first), runtime addresses.
public struct UnwoundStack: Hashable, Sendable {
    public var frames: [UnwoundFrame]
    public var stop: UnwindStop

    public init(frames: [UnwoundFrame], stop: UnwindStop) {
        self.frames = frames
        self.stop = stop
    }
}
