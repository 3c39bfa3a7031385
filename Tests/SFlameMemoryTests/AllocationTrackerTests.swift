// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameRecord
import Testing

@testable import SFlameMemory

/// Feeds probe hits to the tracker as the kernel would deliver them, in time order.
struct Calls {
    var tracker: AllocationTracker
    let tid: Int32 = 7
    let pid: Int32 = 7

    init(_ mode: AllocationTracker.Mode) { tracker = AllocationTracker(mode: mode) }

    mutating func enter(
        _ f: AllocatorFunction, _ a: AllocatorArguments, sp: UInt64 = 0x7000, ret: UInt64 = 0x401000, stack: Int = 1,
        fromAllocator: Bool = false
    ) {
        tracker.entry(
            AllocatorEntry(
                function: f, pid: pid, tid: tid, arguments: a, stackPointer: sp, returnAddress: ret,
                isCalledFromAllocator: fromAllocator)
        ) { StackID(stack) }
    }

    mutating func leave(_ f: AllocatorFunction, _ rax: UInt64, sp: UInt64 = 0x7008, stackCopy: [UInt8] = []) {
        tracker.exit(
            AllocatorExit(function: f, pid: pid, tid: tid, returnValue: rax, stackPointer: sp, stackCopy: stackCopy))
    }

    /// A call with its return.
    mutating func call(
        _ f: AllocatorFunction, _ a: AllocatorArguments, returns rax: UInt64, stack: Int = 1, sp: UInt64 = 0x7000
    ) {
        enter(f, a, sp: sp, stack: stack)
        leave(f, rax, sp: sp + 8)
    }

    mutating func free(_ address: UInt64, sp: UInt64 = 0x7000) { enter(.free, AllocatorArguments(address), sp: sp) }

    var outstanding: [Int: AllocationTotals] {
        Dictionary(uniqueKeysWithValues: tracker.outstanding().map { ($0.key.rawValue, $0.value) })
    }
}

@Suite struct AllocationTrackerTests {
    @Test func requestedSizesOfEveryFunction() {
        let a = AllocatorArguments(10, 20, 30)
        #expect(AllocatorFunction.malloc.requestedBytes(a) == 10)
        #expect(AllocatorFunction.calloc.requestedBytes(a) == 200)
        #expect(AllocatorFunction.realloc.requestedBytes(a) == 20)
        #expect(AllocatorFunction.posixMemalign.requestedBytes(a) == 30)
        #expect(AllocatorFunction.alignedAlloc.requestedBytes(a) == 20)
        #expect(AllocatorFunction.memalign.requestedBytes(a) == 20)
        #expect(AllocatorFunction.valloc.requestedBytes(a) == 10)
        #expect(AllocatorFunction.free.requestedBytes(a) == 0)
        #expect(AllocatorFunction.calloc.requestedBytes(AllocatorArguments(UInt64.max, 2)) == UInt64.max, "saturates")
    }

    @Test func registersInMaskOrder() throws {
        // AX, DX, SI, DI, SP: bits 0, 3, 4, 5, 7 of PERF_SAMPLE_REGS_USER.
        let r = try #require(ProbeRegisters(sampled: [1, 2, 3, 4, 5]))
        #expect(r.ax == 1 && r.dx == 2 && r.si == 3 && r.di == 4 && r.sp == 5)
        #expect(r.arguments == AllocatorArguments(4, 3, 2))
        #expect(ProbeRegisters.mask == 0b1011_1001)
        #expect(ProbeRegisters(sampled: []) == nil)
        // A wider mask (all of AX…IP, bits 0-8, as an unwinder asks for): picked by bit position.
        let all = try #require(ProbeRegisters(sampled: Array(10...18), sampleMask: 0x1ff))
        #expect(all.ax == 10 && all.dx == 13 && all.si == 14 && all.di == 15 && all.sp == 17)
    }

    @Test func allocationsAreCountedPerStack() {
        var c = Calls(.allocations)
        c.enter(.malloc, AllocatorArguments(3072), stack: 1)
        c.enter(.calloc, AllocatorArguments(4, 256), ret: 0x402000, stack: 2)
        c.enter(.malloc, AllocatorArguments(3072), stack: 1)
        #expect(c.tracker.allocated[StackID(1)] == AllocationTotals(count: 2, bytes: 6144))
        #expect(c.tracker.allocated[StackID(2)] == AllocationTotals(count: 1, bytes: 1024))
        #expect(c.tracker.stats.calls[.malloc] == 2)
    }

    @Test func callsFromInsideTheAllocatorAreNotCountedTwice() {
        var c = Calls(.allocations)
        // posix_memalign → _mid_memalign → malloc: malloc's return address is inside posix_memalign.
        c.enter(.posixMemalign, AllocatorArguments(0x7100, 16, 100), sp: 0x7000, stack: 1)
        c.enter(.malloc, AllocatorArguments(100), sp: 0x6f00, ret: 0x7f00_0009_9000, stack: 9, fromAllocator: true)
        #expect(c.tracker.allocated.count == 1 && c.tracker.allocated[StackID(1)]?.bytes == 100)
        #expect(c.tracker.stats.nestedCalls == 1)
    }

    @Test func aTailCallIntoMallocIsNested() {
        // glibc's realloc(NULL, n) jumps to malloc: same stack pointer, same return address.
        var c = Calls(.allocations)
        c.enter(.realloc, AllocatorArguments(0, 1000), sp: 0x7000, ret: 0x401000, stack: 1)
        c.enter(.malloc, AllocatorArguments(1000), sp: 0x7000, ret: 0x401000, stack: 2)
        #expect(c.tracker.allocated[StackID(1)]?.bytes == 1000)
        #expect(c.tracker.allocated[StackID(2)] == nil)
    }

    @Test func siblingAndRepeatedCallsAreNotNested() {
        var c = Calls(.allocations)
        // alloc_big → malloc and alloc_small → calloc from one caller: same depth, other return addresses.
        c.enter(.malloc, AllocatorArguments(3072), sp: 0x7000, ret: 0x401000, stack: 1)
        c.enter(.calloc, AllocatorArguments(4, 256), sp: 0x7000, ret: 0x401100, stack: 2)
        // One call site in a loop: same function, same stack pointer and return address.
        c.enter(.calloc, AllocatorArguments(4, 256), sp: 0x7000, ret: 0x401100, stack: 2)
        #expect(c.tracker.stats.nestedCalls == 0)
        #expect(c.tracker.allocated[StackID(2)]?.count == 2)
    }

    @Test func freedMemoryIsNotOutstanding() {
        var c = Calls(.liveAllocations)
        c.call(.malloc, AllocatorArguments(100), returns: 0xa000, stack: 1)
        c.call(.malloc, AllocatorArguments(200), returns: 0xb000, stack: 2)
        c.free(0xa000)
        #expect(c.outstanding == [2: AllocationTotals(count: 1, bytes: 200)])
        #expect(c.tracker.liveBytes == 200 && c.tracker.liveCount == 1)
        #expect(c.tracker.allocated[StackID(1)]?.bytes == 100, "allocated totals keep freed memory")
    }

    @Test func reallocMovesTheAllocationToItsNewAddressAndStack() {
        var c = Calls(.liveAllocations)
        c.call(.malloc, AllocatorArguments(100), returns: 0xa000, stack: 1)
        c.call(.realloc, AllocatorArguments(0xa000, 5000), returns: 0xc000, stack: 2)
        #expect(c.outstanding == [2: AllocationTotals(count: 1, bytes: 5000)])
        // realloc(p, 0) returning NULL frees p.
        c.call(.realloc, AllocatorArguments(0xc000, 0), returns: 0, stack: 3)
        #expect(c.outstanding.isEmpty)
        // A failed realloc keeps the old block.
        c.call(.malloc, AllocatorArguments(10), returns: 0xd000, stack: 4)
        c.call(.realloc, AllocatorArguments(0xd000, 1 << 40), returns: 0, stack: 5)
        #expect(c.outstanding == [4: AllocationTotals(count: 1, bytes: 10)])
        #expect(c.tracker.stats.failedAllocations == 1)
    }

    @Test func reallocFromNullTailCallingMallocCountsOnceUnderRealloc() {
        var c = Calls(.liveAllocations)
        c.enter(.realloc, AllocatorArguments(0, 1000), sp: 0x7000, stack: 1)
        // malloc entered with realloc's stack pointer (a jump); its return address is the return
        // probe's trampoline, so it differs.
        c.enter(.malloc, AllocatorArguments(1000), sp: 0x7000, ret: 0x7fff_f000, stack: 2)
        c.leave(.malloc, 0xe000)
        c.leave(.realloc, 0xe000)
        #expect(c.outstanding == [1: AllocationTotals(count: 1, bytes: 1000)])
        #expect(c.tracker.stats.nestedCalls == 1 && c.tracker.stats.unmatchedReturns == 0)
    }

    @Test func reallocCallingFreeInsideIsHarmless() {
        var c = Calls(.liveAllocations)
        c.call(.malloc, AllocatorArguments(100), returns: 0xa000, stack: 1)
        c.enter(.realloc, AllocatorArguments(0xa000, 0), sp: 0x7000, stack: 2)
        c.enter(.free, AllocatorArguments(0xa000), sp: 0x6f00, fromAllocator: true)
        c.leave(.realloc, 0)
        #expect(c.outstanding.isEmpty)
        #expect(c.tracker.stats.unknownFrees == 0)
    }

    @Test func posixMemalignResultIsReadFromTheStackCopy() {
        var c = Calls(.liveAllocations)
        // memptr at sp + 16 after the return; the copy starts at sp.
        let sp: UInt64 = 0x7008
        var copy = [UInt8](repeating: 0, count: 64)
        let address: UInt64 = 0x5555_0000_1240
        for i in 0..<8 { copy[16 + i] = UInt8((address >> (8 * UInt64(i))) & 0xff) }
        c.enter(.posixMemalign, AllocatorArguments(sp + 16, 64, 2048), sp: 0x7000, stack: 1)
        c.leave(.posixMemalign, 0, sp: sp, stackCopy: copy)
        #expect(c.outstanding == [1: AllocationTotals(count: 1, bytes: 2048)])
        c.free(address)
        #expect(c.outstanding.isEmpty)
        // memptr beyond the copy: not guessed.
        c.enter(.posixMemalign, AllocatorArguments(sp + 4096, 64, 2048), sp: 0x7000, stack: 1)
        c.leave(.posixMemalign, 0, sp: sp, stackCopy: copy)
        #expect(c.tracker.stats.unresolvedAlignedAllocations == 1 && c.outstanding.isEmpty)
        // An error return (ENOMEM) allocates nothing.
        c.enter(.posixMemalign, AllocatorArguments(sp + 16, 64, 2048), sp: 0x7000, stack: 1)
        c.leave(.posixMemalign, 12, sp: sp, stackCopy: copy)
        #expect(c.tracker.stats.failedAllocations == 1 && c.outstanding.isEmpty)
    }

    @Test func freesOfOlderMemoryAreCountedAndIgnored() {
        var c = Calls(.liveAllocations)
        c.free(0x1234)
        c.free(0)
        #expect(c.tracker.stats.unknownFrees == 1, "free(NULL) is not a free")
    }

    @Test func aLostReturnDoesNotMakeLaterCallsNested() {
        var c = Calls(.liveAllocations)
        c.enter(.malloc, AllocatorArguments(10), sp: 0x7000, stack: 1)  // its return is lost
        // A later call from a shallower frame: the pending malloc's frame is gone.
        c.call(.malloc, AllocatorArguments(20), returns: 0xa000, stack: 2, sp: 0x7100)
        #expect(c.outstanding == [2: AllocationTotals(count: 1, bytes: 20)])
        #expect(c.tracker.stats.abandonedCalls == 1 && c.tracker.stats.nestedCalls == 0)
        // A return without an entry.
        c.leave(.calloc, 0xb000)
        #expect(c.tracker.stats.unmatchedReturns == 1)
    }

    @Test func anAddressHandedOutAgainWithoutAFreeReplacesTheOldRecord() {
        var c = Calls(.liveAllocations)
        c.call(.malloc, AllocatorArguments(10), returns: 0xa000, stack: 1)
        c.call(.malloc, AllocatorArguments(30), returns: 0xa000, stack: 2)
        #expect(c.outstanding == [2: AllocationTotals(count: 1, bytes: 30)])
        #expect(c.tracker.stats.reusedLiveAddresses == 1)
    }

    @Test func theSameAddressInTwoProcessesIsTwoAllocations() {
        var tracker = AllocationTracker(mode: .liveAllocations)
        for pid: Int32 in [10, 11] {
            tracker.entry(
                AllocatorEntry(
                    function: .malloc, pid: pid, tid: pid, arguments: AllocatorArguments(8), stackPointer: 0x7000)
            ) { StackID(Int(pid)) }
            tracker.exit(
                AllocatorExit(function: .malloc, pid: pid, tid: pid, returnValue: 0xa000, stackPointer: 0x7008))
        }
        #expect(tracker.liveCount == 2)
    }
}

@Suite struct CallerInsertionTests {
    @Test func theReturnAddressGoesAfterTheProbedFunction() {
        let user = PerfCallchainContext.user
        let sample = PerfSample(callchain: [user, 0x7f00_0000_0100, 0x40_2000])
        let fixed = AllocationProfiler.addingCaller(0x40_1234, to: sample)
        #expect(fixed.callchain == [user, 0x7f00_0000_0100, 0x40_1234, 0x40_2000])
        // Already there (kernels that add it for functions starting with push %rbp or endbr64).
        #expect(AllocationProfiler.addingCaller(0x40_1234, to: fixed).callchain == fixed.callchain)
        #expect(AllocationProfiler.addingCaller(nil, to: sample).callchain == sample.callchain)
    }
}

@Suite struct AllocatorLocatorTests {
    @Test func theExecutableComesFirstAndTheCLibraryLast() {
        let ordered = AllocatorLocator.ordered([
            ("/srv/app", "/srv/app"), ("/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
            ("/usr/lib/libjemalloc.so.2", "/usr/lib/libjemalloc.so.2"), ("/lib/libm.so.6", "/lib/libm.so.6"),
        ])
        #expect(
            ordered.map(\.path) == [
                "/srv/app", "/usr/lib/libjemalloc.so.2", "/lib/libm.so.6", "/lib/x86_64-linux-gnu/libc.so.6",
            ])
    }
}
