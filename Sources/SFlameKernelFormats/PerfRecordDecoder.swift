// SPDX-License-Identifier: Apache-2.0
//
// Bytes of one ring-buffer record → `PerfRecord`. Example (sample_type IP|TID|TIME|PERIOD):
//
//   09 00 00 00 02 00 28 00      header: type 9 (SAMPLE), misc 2 (user), size 40
//   d0 11 40 00 00 00 00 00      ip   0x4011d0
//   39 30 00 00 3a 30 00 00      pid 12345, tid 12346
//   00 ca 9a 3b 00 00 00 00      time 1000000000
//   40 42 0f 00 00 00 00 00      period 1000000
//   ──► .sample(PerfSample(cpuMode: 2, ip: 0x4011d0, pid: 12345, tid: 12346, …))

/// Decodes perf ring-buffer records for one event layout.
///
/// Source: perf_event_open(2) and include/uapi/linux/perf_event.h for every field order.
public struct PerfRecordDecoder: Sendable {
    public let layout: PerfRecordLayout
    private let userRegisterCount: Int
    /// Layouts of the samples of other events writing into the same ring buffer, by their
    /// PERF_SAMPLE_IDENTIFIER (the first field of every sample, so it can be read before the
    /// layout is known). Used only when `layout` samples `.identifier`; every event must then
    /// sample it, and non-sample records must have the same `sample_id` trailer (the same tid,
    /// time, id, stream_id, cpu and identifier bits). Default empty.
    public var sampleLayouts: [UInt64: PerfRecordLayout] = [:]

    public init(layout: PerfRecordLayout) {
        self.layout = layout
        self.userRegisterCount = layout.userRegisterMask.nonzeroBitCount
    }

    /// Size of the `struct perf_event_header` that starts every record.
    public static let headerSize = 8

    /// Decodes one whole record, header included.
    ///
    /// - Parameter record: exactly the record's bytes (`header.size` of them).
    /// - Throws: `KernelFormatsError(.truncatedRecord)` when a field runs past the record.
    public func decode(_ record: UnsafeRawBufferPointer) throws(KernelFormatsError) -> PerfRecord {
        var c = ByteCursor(record)
        guard let type = c.u32(), let misc = c.u16(), let size = c.u16(), Int(size) == record.count,
            size >= Self.headerSize
        else {
            throw KernelFormatsError(.truncatedRecord, "record header does not match its \(record.count) bytes")
        }
        let bodyEnd = record.count - (type == PerfRecordType.sample ? 0 : layout.sampleIDSize)
        func sampleID() -> PerfSampleID { trailingSampleID(record) }
        func fail(_ what: String) -> KernelFormatsError {
            KernelFormatsError(.truncatedRecord, "record type \(type) (\(size) bytes) ends inside \(what)")
        }
        switch type {
        case PerfRecordType.sample:
            if !sampleLayouts.isEmpty, layout.sampleType.contains(.identifier) {
                var peek = c
                if let id = peek.u64(), let other = sampleLayouts[id] {
                    return .sample(try decodeSample(&c, misc: misc, layout: other, fail: fail))
                }
            }
            return .sample(try decodeSample(&c, misc: misc, layout: layout, fail: fail))
        case PerfRecordType.mmap, PerfRecordType.mmap2:
            guard let pid = c.u32(), let tid = c.u32(), let start = c.u64(), let length = c.u64(),
                let pgoff = c.u64()
            else { throw fail("mmap fields") }
            var m = PerfMmap(
                pid: Int32(bitPattern: pid), tid: Int32(bitPattern: tid), start: start, length: length,
                fileOffset: pgoff, filename: "", isData: misc & PerfRecordMisc.mmapData != 0)
            if type == PerfRecordType.mmap2 {
                if misc & PerfRecordMisc.mmapBuildID != 0 {
                    guard let idSize = c.u8(), c.skip(3), let id = c.bytes(20) else { throw fail("mmap2 build-id") }
                    m.buildID = Array(id.prefix(Int(min(idSize, 20))))
                } else {
                    guard let major = c.u32(), let minor = c.u32(), let ino = c.u64(), c.skip(8) else {
                        throw fail("mmap2 device fields")
                    }
                    (m.major, m.minor, m.inode) = (major, minor, ino)
                }
                guard let prot = c.u32(), let flags = c.u32() else { throw fail("mmap2 prot/flags") }
                (m.protection, m.flags) = (prot, flags)
            } else {
                m.protection = m.isData ? 1 : 4
            }
            guard let name = c.paddedString(fieldSize: bodyEnd - c.offset) else { throw fail("mmap filename") }
            m.filename = name
            m.sampleID = sampleID()
            return .mmap(m)
        case PerfRecordType.comm:
            guard let pid = c.u32(), let tid = c.u32(), let name = c.paddedString(fieldSize: bodyEnd - c.offset)
            else { throw fail("comm fields") }
            return .comm(
                PerfComm(
                    pid: Int32(bitPattern: pid), tid: Int32(bitPattern: tid), comm: name,
                    isExec: misc & PerfRecordMisc.commExec != 0, sampleID: sampleID()))
        case PerfRecordType.fork, PerfRecordType.exit:
            guard let pid = c.u32(), let ppid = c.u32(), let tid = c.u32(), let ptid = c.u32(), let time = c.u64()
            else { throw fail("task fields") }
            let event = PerfTaskEvent(
                pid: Int32(bitPattern: pid), parentPID: Int32(bitPattern: ppid), tid: Int32(bitPattern: tid),
                parentTID: Int32(bitPattern: ptid), time: time, sampleID: sampleID())
            return type == PerfRecordType.fork ? .fork(event) : .exit(event)
        case PerfRecordType.lost:
            guard c.skip(8), let lost = c.u64() else { throw fail("lost fields") }
            return .lost(count: lost, sampleID: sampleID())
        case PerfRecordType.lostSamples:
            guard let lost = c.u64() else { throw fail("lost-samples fields") }
            return .lostSamples(count: lost, sampleID: sampleID())
        case PerfRecordType.throttle, PerfRecordType.unthrottle:
            guard let time = c.u64() else { throw fail("throttle fields") }
            return .throttle(type == PerfRecordType.throttle, time: time)
        case PerfRecordType.switchTask, PerfRecordType.switchCPUWide:
            var s = PerfContextSwitch(
                isOut: misc & PerfRecordMisc.switchOut != 0, isPreempt: misc & PerfRecordMisc.switchOutPreempt != 0,
                sampleID: PerfSampleID())
            if type == PerfRecordType.switchCPUWide {
                guard let pid = c.u32(), let tid = c.u32() else { throw fail("switch fields") }
                s.nextOrPreviousPID = Int32(bitPattern: pid)
                s.nextOrPreviousTID = Int32(bitPattern: tid)
            }
            s.sampleID = sampleID()
            return .contextSwitch(s)
        default:
            return .other(type: type)
        }
    }

    private func decodeSample(
        _ c: inout ByteCursor, misc: UInt16, layout: PerfRecordLayout, fail: (String) -> KernelFormatsError
    ) throws(KernelFormatsError) -> PerfSample {
        let t = layout.sampleType
        let userRegisterCount =
            layout.userRegisterMask == self.layout.userRegisterMask
            ? self.userRegisterCount : layout.userRegisterMask.nonzeroBitCount
        var s = PerfSample(cpuMode: misc & PerfRecordMisc.cpuModeMask)
        if t.contains(.identifier) { guard let v = c.u64() else { throw fail("identifier") }; s.identifier = v }
        if t.contains(.ip) { guard let v = c.u64() else { throw fail("ip") }; s.ip = v }
        if t.contains(.tid) {
            guard let pid = c.u32(), let tid = c.u32() else { throw fail("pid/tid") }
            s.pid = Int32(bitPattern: pid)
            s.tid = Int32(bitPattern: tid)
        }
        if t.contains(.time) { guard let v = c.u64() else { throw fail("time") }; s.time = v }
        if t.contains(.addr) { guard c.skip(8) else { throw fail("addr") } }
        if t.contains(.id) {
            guard let v = c.u64() else { throw fail("id") }
            if !t.contains(.identifier) { s.identifier = v }
        }
        if t.contains(.streamID) { guard c.skip(8) else { throw fail("stream_id") } }
        if t.contains(.cpu) { guard let v = c.u32(), c.skip(4) else { throw fail("cpu") }; s.cpu = v }
        if t.contains(.period) { guard let v = c.u64() else { throw fail("period") }; s.period = v }
        if t.contains(.read) { throw KernelFormatsError(.truncatedRecord, "PERF_SAMPLE_READ is not supported") }
        if t.contains(.callchain) {
            guard let n = c.u64(), n <= UInt64(c.remaining / 8), let ips = c.u64Array(Int(n)) else {
                throw fail("callchain")
            }
            s.callchain = ips
        }
        if t.contains(.raw) {
            guard let n = c.u32(), let raw = c.bytes(Int(n)) else { throw fail("raw data") }
            s.raw = raw
        }
        if t.contains(.branchStack) { throw KernelFormatsError(.truncatedRecord, "PERF_SAMPLE_BRANCH_STACK is not supported") }
        if t.contains(.regsUser) {
            guard let abi = c.u64() else { throw fail("regs_user abi") }
            s.userRegisterABI = abi
            if abi != 0 {
                guard let regs = c.u64Array(userRegisterCount) else { throw fail("regs_user") }
                s.userRegisters = regs
            }
        }
        if t.contains(.stackUser) {
            guard let size = c.u64(), size <= UInt64(c.remaining) else { throw fail("stack_user size") }
            if size > 0 {
                let start = c.offset
                guard c.skip(Int(size)), let dynamicSize = c.u64() else { throw fail("stack_user data") }
                let kept = Int(min(dynamicSize, size))
                s.userStack = Array(UnsafeRawBufferPointer(rebasing: c.bytes[start..<start + kept]))
            }
        }
        return s
    }

    /// The trailing sample_id of a non-sample record (zeroed fields when absent).
    private func trailingSampleID(_ record: UnsafeRawBufferPointer) -> PerfSampleID {
        let size = layout.sampleIDSize
        guard size > 0, record.count >= Self.headerSize + size else { return PerfSampleID() }
        var c = ByteCursor(record, offset: record.count - size)
        var id = PerfSampleID()
        let t = layout.sampleType
        if t.contains(.tid) {
            id.pid = c.u32().map { Int32(bitPattern: $0) }
            id.tid = c.u32().map { Int32(bitPattern: $0) }
        }
        if t.contains(.time) { id.time = c.u64() }
        if t.contains(.id) { _ = c.skip(8) }
        if t.contains(.streamID) { _ = c.skip(8) }
        if t.contains(.cpu) {
            id.cpu = c.u32()
            _ = c.skip(4)
        }
        return id
    }
}
