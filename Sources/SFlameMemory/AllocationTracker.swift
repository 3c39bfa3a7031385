// SPDX-License-Identifier: Apache-2.0
import SFlameRecord

/// A probe hit at an allocator function's entry.
public struct AllocatorEntry: Hashable, Sendable {
    public var function: AllocatorFunction
    public var pid: Int32
    public var tid: Int32
    public var arguments: AllocatorArguments
    /// The stack pointer at the entry: it points at the return address.
    public var stackPointer: UInt64
    /// The return address read at the stack pointer, or 0 when the stack copy was empty.
    public var returnAddress: UInt64
    /// Whether the return address lies inside one of the probed allocator functions: the
    /// allocator called itself (glibc's posix_memalign calls malloc, realloc calls malloc and
    /// free), and the outer call already accounts for the memory.
    public var isCalledFromAllocator: Bool

    public init(
        function: AllocatorFunction, pid: Int32, tid: Int32, arguments: AllocatorArguments, stackPointer: UInt64,
        returnAddress: UInt64 = 0, isCalledFromAllocator: Bool = false
    ) {
        self.function = function
        self.pid = pid
        self.tid = tid
        self.arguments = arguments
        self.stackPointer = stackPointer
        self.returnAddress = returnAddress
        self.isCalledFromAllocator = isCalledFromAllocator
    }
}

/// A return-probe hit: an allocator function returning to its caller.
public struct AllocatorExit: Hashable, Sendable {
    public var function: AllocatorFunction
    public var pid: Int32
    public var tid: Int32
    /// rax: the pointer returned, or posix_memalign's error number.
    public var returnValue: UInt64
    /// The stack pointer after the return.
    public var stackPointer: UInt64
    /// The user stack from `stackPointer` up, as sampled (PERF_SAMPLE_STACK_USER); where
    /// posix_memalign's `*memptr` is read from.
    public var stackCopy: [UInt8]

    public init(
        function: AllocatorFunction, pid: Int32, tid: Int32, returnValue: UInt64, stackPointer: UInt64,
        stackCopy: [UInt8] = []
    ) {
        self.function = function
        self.pid = pid
        self.tid = tid
        self.returnValue = returnValue
        self.stackPointer = stackPointer
        self.stackCopy = stackCopy
    }
}

/// What the tracker counted besides the profile itself.
public struct AllocationStats: Hashable, Sendable {
    /// Probe hits per function, nested ones included.
    public var calls: [AllocatorFunction: Int] = [:]
    /// Allocator calls made by the allocator itself (or tail-called from another allocator
    /// function), left out so that no byte is counted twice.
    public var nestedCalls = 0
    /// Allocations that returned NULL (or a posix_memalign error).
    public var failedAllocations = 0
    /// Frees of memory allocated before the recording started (or through an unprobed path).
    public var unknownFrees = 0
    /// Returns without a matching entry on their thread (an entry sample was lost).
    public var unmatchedReturns = 0
    /// Entries whose return never came (lost, or the function did not return: longjmp).
    public var abandonedCalls = 0
    /// posix_memalign successes whose `*memptr` was outside the sampled stack copy.
    public var unresolvedAlignedAllocations = 0
    /// Allocations at an address that was still live (its free was missed).
    public var reusedLiveAddresses = 0
    /// Samples that came without user registers.
    public var missingRegisters = 0

    public init() {}
}

/// Bytes and allocations per stack.
public struct AllocationTotals: Hashable, Sendable {
    public var count: Int64
    public var bytes: Int64

    public init(count: Int64 = 0, bytes: Int64 = 0) {
        self.count = count
        self.bytes = bytes
    }
}

/// Turns allocator probe hits into allocation totals per stack and, with return probes, the
/// allocations still live (the leak candidates). Pure bookkeeping: the caller feeds hits in
/// time order.
///
/// Semantics: malloc, calloc (n × size), aligned_alloc, memalign, valloc and pvalloc allocate the
/// requested bytes at the returned address; realloc(p, n) releases `p` and allocates `n` bytes at
/// the returned address (realloc(p, 0) returning NULL frees `p`; a failed realloc keeps `p`);
/// posix_memalign allocates at `*memptr` when it returns 0; free and sdallocx release. Byte
/// counts are the requested sizes (not the allocator's rounded-up chunk sizes).
///
/// Nested calls: an entry whose return address is inside an allocator function is the allocator
/// calling itself; an entry with the stack pointer of an unfinished outer call on the same thread
/// is a tail call from it (glibc's realloc(NULL, n) jumps to malloc). Both are left out, and the
/// outer call accounts for the memory. Without return probes, a tail call is recognised as an
/// entry into another allocator function with the same stack pointer and the same return address
/// as the thread's previous allocator entry (sibling calls from one caller differ in the return
/// address).
public struct AllocationTracker: Sendable {
    public enum Mode: Sendable {
        /// Entry probes only: what was allocated (bytes and calls per stack).
        case allocations
        /// Entry and return probes and frees: also what stays allocated.
        case liveAllocations
    }

    private struct PendingCall: Sendable {
        var function: AllocatorFunction
        var arguments: AllocatorArguments
        var stackPointer: UInt64
        var stack: StackID?
        var isNested: Bool
    }

    private struct LiveKey: Hashable, Sendable {
        var pid: Int32
        var address: UInt64
    }

    private struct LiveAllocation: Sendable {
        var bytes: UInt64
        var stack: StackID
    }

    public let mode: Mode
    public private(set) var stats = AllocationStats()
    /// Everything allocated while recording, per stack.
    public private(set) var allocated: [StackID: AllocationTotals] = [:]
    private var pending: [Int32: [PendingCall]] = [:]
    private var lastEntry: [Int32: (function: AllocatorFunction, stackPointer: UInt64, returnAddress: UInt64)] = [:]
    private var live: [LiveKey: LiveAllocation] = [:]

    public init(mode: Mode) {
        self.mode = mode
    }

    /// Live allocations and their bytes right now.
    public var liveCount: Int { live.count }
    public var liveBytes: UInt64 { live.values.reduce(0) { $0 &+ $1.bytes } }

    /// The allocations still live, grouped by the stack that made them.
    public func outstanding() -> [StackID: AllocationTotals] {
        var result: [StackID: AllocationTotals] = [:]
        for allocation in live.values {
            result[allocation.stack, default: AllocationTotals()].count += 1
            result[allocation.stack, default: AllocationTotals()].bytes &+= Int64(clamping: allocation.bytes)
        }
        return result
    }

    /// Records an entry hit. `stack` is asked for only when the call is counted.
    public mutating func entry(_ e: AllocatorEntry, stack: () -> StackID?) {
        stats.calls[e.function, default: 0] += 1
        guard e.function.isAllocation else {
            free(pid: e.pid, address: e.arguments.first)
            return
        }
        var nested = e.isCalledFromAllocator
        switch mode {
        case .allocations:
            if let last = lastEntry[e.tid], last.stackPointer == e.stackPointer, last.returnAddress == e.returnAddress,
                last.function != e.function
            {
                nested = true
            }
            lastEntry[e.tid] = (e.function, e.stackPointer, e.returnAddress)
        case .liveAllocations:
            var calls = pending[e.tid] ?? []
            // A pending call whose frame lies below this entry's stack pointer has returned
            // unseen (stacks grow down).
            while let top = calls.last, top.stackPointer < e.stackPointer {
                calls.removeLast()
                stats.abandonedCalls += 1
            }
            if let top = calls.last, top.stackPointer == e.stackPointer { nested = true }
            pending[e.tid] = calls
        }
        if nested { stats.nestedCalls += 1 }
        var id: StackID?
        if !nested {
            id = stack()
            if let id {
                let bytes = e.function.requestedBytes(e.arguments)
                allocated[id, default: AllocationTotals()].count += 1
                allocated[id, default: AllocationTotals()].bytes &+= Int64(clamping: bytes)
            }
        }
        if mode == .liveAllocations {
            pending[e.tid, default: []].append(
                PendingCall(
                    function: e.function, arguments: e.arguments, stackPointer: e.stackPointer, stack: id,
                    isNested: nested))
        }
    }

    /// Counts a sample that came without user registers (nothing can be read from it).
    public mutating func noteMissingRegisters() { stats.missingRegisters += 1 }

    /// Records a return hit (live-allocation mode).
    public mutating func exit(_ x: AllocatorExit) {
        guard mode == .liveAllocations else { return }
        guard var calls = pending[x.tid], let index = calls.lastIndex(where: { $0.function == x.function }) else {
            stats.unmatchedReturns += 1
            return
        }
        stats.abandonedCalls += calls.count - 1 - index
        let call = calls[index]
        calls.removeSubrange(index...)
        pending[x.tid] = calls
        guard !call.isNested, let stack = call.stack else { return }
        let bytes = call.function.requestedBytes(call.arguments)
        switch call.function {
        case .realloc:
            let old = call.arguments.first
            if x.returnValue != 0 {
                if old != 0 { live.removeValue(forKey: LiveKey(pid: x.pid, address: old)) }
                add(pid: x.pid, address: x.returnValue, bytes: bytes, stack: stack)
            } else if bytes == 0 {
                if old != 0 { live.removeValue(forKey: LiveKey(pid: x.pid, address: old)) }
            } else {
                stats.failedAllocations += 1
            }
        case .posixMemalign:
            guard x.returnValue == 0 else {
                stats.failedAllocations += 1
                return
            }
            guard let address = Self.pointer(at: call.arguments.first, stackPointer: x.stackPointer, copy: x.stackCopy)
            else {
                stats.unresolvedAlignedAllocations += 1
                return
            }
            add(pid: x.pid, address: address, bytes: bytes, stack: stack)
        default:
            if x.returnValue != 0 {
                add(pid: x.pid, address: x.returnValue, bytes: bytes, stack: stack)
            } else {
                stats.failedAllocations += 1
            }
        }
    }

    private mutating func free(pid: Int32, address: UInt64) {
        guard mode == .liveAllocations, address != 0 else { return }
        if live.removeValue(forKey: LiveKey(pid: pid, address: address)) == nil {
            stats.unknownFrees += 1
        }
    }

    private mutating func add(pid: Int32, address: UInt64, bytes: UInt64, stack: StackID) {
        if live.updateValue(LiveAllocation(bytes: bytes, stack: stack), forKey: LiveKey(pid: pid, address: address))
            != nil
        {
            stats.reusedLiveAddresses += 1
        }
    }

    /// The little-endian u64 at `address` when the stack copy (which starts at `stackPointer`)
    /// holds all of its bytes.
    static func pointer(at address: UInt64, stackPointer: UInt64, copy: [UInt8]) -> UInt64? {
        guard address >= stackPointer, address - stackPointer <= UInt64(max(0, copy.count - 8)), copy.count >= 8
        else { return nil }
        let offset = Int(address - stackPointer)
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(copy[offset + i]) << (8 * UInt64(i)) }
        return value
    }
}
