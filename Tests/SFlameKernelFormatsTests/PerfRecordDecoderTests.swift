// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import SFlameKernelFormats

@Suite struct PerfRecordDecoderTests {
    let layout = PerfRecordLayout(sampleType: [.ip, .tid, .time, .cpu, .period, .callchain])
    var decoder: PerfRecordDecoder { PerfRecordDecoder(layout: layout) }

    func decode(_ bytes: [UInt8]) throws -> PerfRecord {
        try bytes.withUnsafeBytes { try decoder.decode($0) }
    }

    /// The trailing sample_id of non-sample records with this layout: pid/tid, time, cpu.
    func appendSampleID(_ r: inout RecordBytes, pid: UInt32, tid: UInt32, time: UInt64, cpu: UInt32) {
        r.u32(pid); r.u32(tid); r.u64(time); r.u32(cpu); r.u32(0)
    }

    @Test func sampleWithCallchain() throws {
        var r = RecordBytes(type: 9, misc: 2)
        r.u64(0x4011d0)
        r.u32(12345); r.u32(12346)
        r.u64(1_000_000_000)
        r.u32(1); r.u32(0)
        r.u64(10_101_010)
        r.u64(4)
        r.u64(PerfCallchainContext.user); r.u64(0x4011d0); r.u64(0x401200); r.u64(0x401300)
        guard case .sample(let s) = try decode(r.finish()) else { Issue.record("not a sample"); return }
        #expect(s.ip == 0x4011d0)
        #expect(s.pid == 12345 && s.tid == 12346)
        #expect(s.time == 1_000_000_000)
        #expect(s.cpu == 1)
        #expect(s.period == 10_101_010)
        #expect(s.cpuMode == 2)
        #expect(SplitCallchain(raw: s.callchain) == SplitCallchain(kernel: [], user: [0x4011d0, 0x401200, 0x401300]))
    }

    @Test func callchainContextMarkersSplitKernelAndUser() {
        let raw: [UInt64] = [
            PerfCallchainContext.kernel, 0xffff_ffff_8100_0010, 0xffff_ffff_8100_0020,
            PerfCallchainContext.user, 0x5555_0000_1000, 0x5555_0000_2000,
        ]
        let split = SplitCallchain(raw: raw)
        #expect(split.kernel == [0xffff_ffff_8100_0010, 0xffff_ffff_8100_0020])
        #expect(split.user == [0x5555_0000_1000, 0x5555_0000_2000])
        // Guest and hypervisor parts are dropped.
        let guest = SplitCallchain(raw: [PerfCallchainContext.guestKernel, 0x1, PerfCallchainContext.user, 0x2])
        #expect(guest == SplitCallchain(kernel: [], user: [0x2]))
    }

    @Test func mmap2WithDeviceFields() throws {
        var r = RecordBytes(type: 10, misc: 2)
        r.u32(100); r.u32(101)
        r.u64(0x7f00_0000_0000); r.u64(0x2000); r.u64(0x1000)
        r.u32(8); r.u32(1); r.u64(1311); r.u64(0)
        r.u32(5); r.u32(2)  // PROT_READ|PROT_EXEC, MAP_PRIVATE
        r.string("/usr/lib/libfoo.so")
        appendSampleID(&r, pid: 100, tid: 101, time: 77, cpu: 0)
        guard case .mmap(let m) = try decode(r.finish()) else { Issue.record("not an mmap"); return }
        #expect(m.pid == 100 && m.tid == 101)
        #expect(m.start == 0x7f00_0000_0000 && m.length == 0x2000 && m.fileOffset == 0x1000)
        #expect(m.major == 8 && m.minor == 1 && m.inode == 1311)
        #expect(m.isExecutable && !m.isData)
        #expect(m.filename == "/usr/lib/libfoo.so")
        #expect(m.sampleID.time == 77)
    }

    @Test func mmap2WithBuildID() throws {
        var r = RecordBytes(type: 10, misc: 2 | PerfRecordMisc.mmapBuildID)
        r.u32(1); r.u32(1)
        r.u64(0x1000); r.u64(0x1000); r.u64(0)
        r.bytes.append(20); r.bytes.append(contentsOf: [0, 0, 0])
        r.bytes.append(contentsOf: (0..<20).map { UInt8($0) })
        r.u32(4); r.u32(2)
        r.string("/bin/x")
        appendSampleID(&r, pid: 1, tid: 1, time: 0, cpu: 0)
        guard case .mmap(let m) = try decode(r.finish()) else { Issue.record("not an mmap"); return }
        #expect(m.buildID == (0..<20).map { UInt8($0) })
        #expect(m.filename == "/bin/x")
    }

    @Test func commForkExitLost() throws {
        var comm = RecordBytes(type: 3, misc: PerfRecordMisc.commExec)
        comm.u32(7); comm.u32(8); comm.string("worker")
        appendSampleID(&comm, pid: 7, tid: 8, time: 1, cpu: 0)
        #expect(try decode(comm.finish()) == .comm(PerfComm(pid: 7, tid: 8, comm: "worker", isExec: true,
            sampleID: PerfSampleID(pid: 7, tid: 8, time: 1, cpu: 0))))

        var fork = RecordBytes(type: 7, misc: 0)
        fork.u32(7); fork.u32(1); fork.u32(9); fork.u32(8); fork.u64(55)
        appendSampleID(&fork, pid: 7, tid: 9, time: 55, cpu: 1)
        guard case .fork(let f) = try decode(fork.finish()) else { Issue.record("not a fork"); return }
        #expect(f.pid == 7 && f.parentPID == 1 && f.tid == 9 && f.parentTID == 8 && f.time == 55)

        var exit = RecordBytes(type: 4, misc: 0)
        exit.u32(7); exit.u32(1); exit.u32(7); exit.u32(7); exit.u64(99)
        appendSampleID(&exit, pid: 7, tid: 7, time: 99, cpu: 1)
        guard case .exit(let e) = try decode(exit.finish()) else { Issue.record("not an exit"); return }
        #expect(e.pid == 7 && e.tid == 7)

        var lost = RecordBytes(type: 2, misc: 0)
        lost.u64(1); lost.u64(42)
        appendSampleID(&lost, pid: 0, tid: 0, time: 0, cpu: 0)
        guard case .lost(let count, _) = try decode(lost.finish()) else { Issue.record("not lost"); return }
        #expect(count == 42)
    }

    @Test func userRegistersAndStack() throws {
        let layout = PerfRecordLayout(sampleType: [.ip, .tid, .regsUser, .stackUser], userRegisterMask: 0b1011)
        var r = RecordBytes(type: 9, misc: 2)
        r.u64(0x1234)
        r.u32(1); r.u32(2)
        r.u64(2)  // ABI 64
        r.u64(10); r.u64(11); r.u64(12)
        r.u64(16)  // stack size
        r.bytes.append(contentsOf: (0..<16).map { UInt8($0) })
        r.u64(8)  // dyn_size: only 8 bytes valid
        let record = try r.finish().withUnsafeBytes { try PerfRecordDecoder(layout: layout).decode($0) }
        guard case .sample(let s) = record else { Issue.record("not a sample"); return }
        #expect(s.userRegisterABI == 2)
        #expect(s.userRegisters == [10, 11, 12])
        #expect(s.userStack == (0..<8).map { UInt8($0) })
    }

    @Test func truncatedRecordsAreErrorsNotCrashes() throws {
        var r = RecordBytes(type: 9, misc: 2)
        r.u64(0x4011d0)
        r.u32(1); r.u32(1); r.u64(0); r.u32(0); r.u32(0); r.u64(1)
        r.u64(1000)  // callchain claims 1000 entries that are not there
        let bytes = r.finish()
        #expect(throws: KernelFormatsError.self) { try decode(bytes) }
        // A header whose size disagrees with the buffer.
        var bad = bytes
        bad[6] = 200
        #expect(throws: KernelFormatsError.self) { try decode(bad) }
        // Random mutations never crash.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var m = bytes
            for _ in 0..<3 { m[Int.random(in: 8..<m.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            _ = try? decode(m)
        }
    }

    @Test func unknownTypesAreSkipped() throws {
        var r = RecordBytes(type: 99, misc: 0)
        r.u64(0)
        #expect(try decode(r.finish()) == .other(type: 99))
    }
}
