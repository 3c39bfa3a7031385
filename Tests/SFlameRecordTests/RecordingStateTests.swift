// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import Testing
@testable import SFlameRecord

@Suite struct AddressSpaceTests {
    func range(_ start: UInt64, _ end: UInt64, offset: UInt64 = 0, module: Int32? = 0) -> AddressSpace.Range {
        AddressSpace.Range(start: start, end: end, fileOffset: offset, module: module, name: "m", isExecutable: true)
    }

    @Test func lookupFindsTheContainingRange() {
        var space = AddressSpace()
        space.insert(range(0x3000, 0x4000, module: 2))
        space.insert(range(0x1000, 0x2000, module: 1))
        #expect(space.lookup(0x1000)?.module == 1)
        #expect(space.lookup(0x1fff)?.module == 1)
        #expect(space.lookup(0x2000) == nil)
        #expect(space.lookup(0x3abc)?.module == 2)
        #expect(space.lookup(0x4000) == nil)
        #expect(space.lookup(0x0) == nil)
    }

    @Test func aNewMappingReplacesWhatItOverlaps() {
        var space = AddressSpace()
        space.insert(range(0x1000, 0x5000, offset: 0, module: 1))
        space.insert(range(0x2000, 0x3000, offset: 0x100, module: 2))
        #expect(space.ranges.count == 3)
        #expect(space.lookup(0x1800)?.module == 1)
        #expect(space.lookup(0x2800)?.module == 2)
        let right = space.lookup(0x3800)
        #expect(right?.module == 1)
        // The right part keeps mapping the file where it did before: offset grows with the trim.
        #expect(right?.start == 0x3000 && right?.fileOffset == 0x2000)
    }
}

@Suite struct RecordingStateTests {
    func sample(pid: Int32, tid: Int32, chain: [UInt64]) -> PerfRecord {
        .sample(PerfSample(cpuMode: 2, ip: chain.first ?? 0, pid: pid, tid: tid, time: 1, period: 10_000_000, callchain: chain))
    }

    func state() -> RecordingState {
        var s = RecordingState(targets: [100], includeKernel: true, maxCallchainDepth: 127)
        s.load(pid: 100, mappings: [
            ProcMapping(start: 0x40_0000, end: 0x40_2000, isExecutable: true, fileOffset: 0x1000, inode: 7, path: "/bin/app"),
            ProcMapping(start: 0x7f00_0000, end: 0x7f00_1000, isExecutable: true, path: "[vdso]"),
        ])
        return s
    }

    @Test func returnAddressesAreMovedIntoTheCallInstruction() throws {
        var s = state()
        s.apply(sample(pid: 100, tid: 100, chain: [PerfCallchainContext.user, 0x40_0010, 0x40_0100, 0x7f00_0010]))
        #expect(s.stats.samples == 1)
        let key = try #require(s.stacks.keys.first)
        #expect(key.frames == [
            .module(0, fileOffset: 0x1010),  // the sampled ip, as is
            .module(0, fileOffset: 0x10ff),  // a return address, minus one
            .module(1, fileOffset: 0xf),  // the vDSO is a module without a file
        ])
        #expect(key.kernelCount == 0)
        #expect(s.modules[0].path == "/bin/app")
    }

    @Test func kernelFramesComeFirstAndTheFirstUserFrameIsAReturnAddress() throws {
        var s = state()
        s.apply(sample(pid: 100, tid: 101, chain: [
            PerfCallchainContext.kernel, 0xffff_ffff_8100_0010, PerfCallchainContext.user, 0x40_0020,
        ]))
        let key = try #require(s.stacks.keys.first)
        #expect(key.frames == [.kernel(0xffff_ffff_8100_0010), .module(0, fileOffset: 0x101f)])
        #expect(key.kernelCount == 1)
    }

    @Test func samplesAreMergedPerThreadAndStack() throws {
        var s = state()
        for _ in 0..<3 { s.apply(sample(pid: 100, tid: 100, chain: [PerfCallchainContext.user, 0x40_0010])) }
        s.apply(sample(pid: 100, tid: 101, chain: [PerfCallchainContext.user, 0x40_0010]))
        #expect(s.stacks.count == 2)
        #expect(s.stacks.values.map(\.count).sorted() == [1, 3])
        #expect(s.stacks.values.map(\.period).reduce(0, +) == 40_000_000)
        #expect(s.stats.threads == 2)
    }

    @Test func foreignSamplesLostRecordsAndUnmappedFramesAreCounted() {
        var s = state()
        s.apply(sample(pid: 999, tid: 999, chain: [PerfCallchainContext.user, 0x40_0010]))
        s.apply(.lost(count: 5, sampleID: PerfSampleID()))
        s.apply(.lostSamples(count: 2, sampleID: PerfSampleID()))
        s.apply(sample(pid: 100, tid: 100, chain: [PerfCallchainContext.user, 0x9999_0000]))
        #expect(s.stats.foreignSamples == 1)
        #expect(s.stats.lost == 7)
        #expect(s.stats.unmappedFrames == 1)
        #expect(s.stacks.keys.first?.frames == [.unmapped(0x9999_0000)])
    }

    @Test func mappingsFromRecordsAndExecAndFork() {
        var s = state()
        s.apply(.mmap(PerfMmap(pid: 100, tid: 100, start: 0x7e00_0000, length: 0x1000, fileOffset: 0, inode: 9,
                               filename: "/usr/lib/libplugin.so")))
        s.apply(sample(pid: 100, tid: 100, chain: [PerfCallchainContext.user, 0x7e00_0100]))
        #expect(s.stacks.keys.contains { $0.frames == [.module(2, fileOffset: 0x100)] })  // 0: app, 1: [vdso]
        s.apply(.comm(PerfComm(pid: 100, tid: 100, comm: "newname", isExec: true, sampleID: PerfSampleID())))
        #expect(s.processNames[100] == "newname")
        #expect(s.addressSpaces[100]?.ranges.isEmpty == true, "exec starts a new address space")
        s.apply(.mmap(PerfMmap(pid: 100, tid: 100, start: 0x1000, length: 0x1000, fileOffset: 0, inode: 3, filename: "/bin/new")))
        s.apply(.fork(PerfTaskEvent(pid: 200, parentPID: 100, tid: 200, parentTID: 100, time: 0, sampleID: PerfSampleID())))
        #expect(s.addressSpaces[200]?.lookup(0x1800) != nil, "a forked child inherits the address space")
        s.apply(.exit(PerfTaskEvent(pid: 100, parentPID: 1, tid: 100, parentTID: 1, time: 0, sampleID: PerfSampleID())))
        #expect(s.exited == [100])
    }

    @Test func addressesOutsideKnownMappingsAskForFreshMaps() {
        var s = state()
        var asked = 0
        s.refreshMappings = { pid in
            asked += 1
            return [ProcMapping(start: 0x5000_0000, end: 0x5000_1000, isExecutable: true, inode: 4, path: "/lib/late.so")]
        }
        s.apply(sample(pid: 100, tid: 100, chain: [PerfCallchainContext.user, 0x5000_0010]))
        #expect(asked == 1)
        #expect(s.stacks.keys.first?.frames.first == .module(2, fileOffset: 0x10))  // 0: app, 1: [vdso]
    }
}
