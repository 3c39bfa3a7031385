// SPDX-License-Identifier: Apache-2.0
import Testing

@testable import SFlameKernelFormats

/// perf.data header, attributes and data section, on files built byte by byte.
@Suite struct PerfDataFileTests {
    /// A perf.data file with one event (IP|TID|TIME|CALLCHAIN|PERIOD|REGS_USER|STACK_USER, the
    /// layout of `perf record --call-graph dwarf`) and the given data records.
    func file(records: [[UInt8]], attrFlags: UInt64 = (1 << 10) | (1 << 18) | (1 << 22), headerSize: UInt64 = 104)
        -> [UInt8]
    {
        var out = RecordBytes(type: 0, misc: 0)
        out.bytes = []
        let attrSize: UInt64 = 136 + 16
        let data = records.flatMap { $0 }
        for v in [0x3245_4c49_4652_4550, headerSize, attrSize, 104, attrSize, 104 + attrSize, UInt64(data.count), 0, 0]
            as [UInt64]
        {
            out.u64(v)
        }
        while out.bytes.count < 104 { out.bytes.append(0) }
        // struct perf_event_attr (136 bytes) + ids section.
        var attr = [UInt8](repeating: 0, count: Int(attrSize))
        func put32(_ v: UInt32, at o: Int) {
            withUnsafeBytes(of: v.littleEndian) { attr.replaceSubrange(o..<o + 4, with: $0) }
        }
        func put64(_ v: UInt64, at o: Int) {
            withUnsafeBytes(of: v.littleEndian) { attr.replaceSubrange(o..<o + 8, with: $0) }
        }
        put32(1, at: 0)  // PERF_TYPE_SOFTWARE
        put32(136, at: 4)
        put64(0, at: 8)  // cpu-clock
        put64(999, at: 16)
        let sampleType: PerfSampleType = [.ip, .tid, .time, .callchain, .period, .regsUser, .stackUser]
        put64(sampleType.rawValue, at: 24)
        put64(attrFlags, at: 40)
        put64(0xff_0fff, at: 80)  // perf's x86-64 mask: AX…SS and R8–R15
        put32(8192, at: 88)
        out.bytes += attr
        out.bytes += data
        return out.bytes
    }

    func comm() -> [UInt8] {
        var r = RecordBytes(type: PerfRecordType.comm, misc: 0)
        r.u32(42)
        r.u32(42)
        r.string("app")
        r.u32(42)
        r.u32(42)
        r.u64(7)  // sample_id: pid/tid, time
        return r.finish()
    }

    @Test func theLayoutComesFromTheEventAttributes() throws {
        let bytes = file(records: [comm()])
        try bytes.withUnsafeBytes { raw in
            let data = try PerfDataFile.parse(raw)
            #expect(data.layout.sampleType.contains(.stackUser))
            #expect(data.layout.userRegisterMask == 0xff_0fff)
            #expect(data.layout.sampleIDAll)
            #expect(data.userStackBytes == 8192)
            #expect(data.excludesUserCallchain)
            #expect(data.frequencyHz == 999)
            #expect(data.eventType == 1 && data.eventConfig == 0)
            var seen: [(Int, Int)] = []
            try data.forEachRecord(in: raw) { offset, record in seen.append((offset, record.count)) }
            #expect(seen.count == 1 && seen[0].0 == 104 + 152)
            let record = UnsafeRawBufferPointer(rebasing: raw[seen[0].0..<seen[0].0 + seen[0].1])
            #expect(data.time(ofRecord: record) == 7)
            guard case .comm(let c) = try PerfRecordDecoder(layout: data.layout).decode(record) else {
                Issue.record("not a COMM record")
                return
            }
            #expect(c.comm == "app" && c.pid == 42)
        }
    }

    @Test func whatCannotBeReadIsRefusedWithTheOffset() throws {
        func error(_ bytes: [UInt8]) -> String {
            bytes.withUnsafeBytes { raw in
                do {
                    let data = try PerfDataFile.parse(raw)
                    try data.forEachRecord(in: raw) { _, _ in }
                    return ""
                } catch {
                    return "\(error)"
                }
            }
        }
        #expect(error(Array("not a perf file at all, really".utf8)).contains("no PERFILE2 magic"))
        #expect(error(file(records: [], headerSize: 16)).contains("pipe-mode"))
        var compressed = RecordBytes(type: 81, misc: 0)
        compressed.u64(0)
        #expect(error(file(records: [compressed.finish()])).contains("perf record -z"))
        var truncated = file(records: [comm()])
        truncated.removeLast(8)
        #expect(error(truncated).contains("runs past the end"))
    }
}
