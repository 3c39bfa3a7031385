// SPDX-License-Identifier: Apache-2.0
//
// perf.data (the file `perf record` writes) → its event layout and the records of its data
// section, which are the very records a perf ring buffer holds. Layout:
//
//   struct perf_file_header {          // at offset 0
//       u64 magic;                     // "PERFILE2"
//       u64 size;                      // of this header
//       u64 attr_size;                 // of one attrs entry
//       struct perf_file_section attrs, data, event_types;   // {u64 offset, u64 size} each
//       u64 adds_features[4];
//   };
//   attrs: attr_size-byte entries { struct perf_event_attr attr; struct perf_file_section ids; }
//   data:  perf_event_header-prefixed records (kernel records, and perf's own types ≥ 64)
//
// Source: tools/perf/Documentation/perf.data-file-format.txt; include/uapi/linux/perf_event.h
// (`struct perf_event_attr` field offsets).

/// The parts of a perf.data file sflame replays: the sampling layout and the data section.
public struct PerfDataFile: Hashable, Sendable {
    /// The layout the file's sample records were written with.
    public var layout: PerfRecordLayout
    /// `perf_event_attr.sample_stack_user`: bytes of user stack per sample (0 without
    /// `--call-graph dwarf`).
    public var userStackBytes: UInt32
    /// `exclude_callchain_user`: the callchain holds only the kernel part (DWARF recordings).
    public var excludesUserCallchain: Bool
    /// `sample_freq` when `freq` is set, else nil.
    public var frequencyHz: UInt64?
    /// `perf_event_attr.type` and `config` of the first event (1/0 is cpu-clock).
    public var eventType: UInt32
    public var eventConfig: UInt64
    /// The byte range of the data section in the file.
    public var dataRange: Range<Int>

    /// `PERFILE2` as a little-endian u64.
    static let magic: UInt64 = 0x3245_4c49_4652_4550
    /// PERF_RECORD_COMPRESSED (`perf record -z`), a perf user record type.
    static let compressedRecordType: UInt32 = 81
    static let headerFields = 13 * 8

    /// Reads the header and the event attributes of a whole perf.data file.
    ///
    /// Throws: `KernelFormatsError(.truncatedRecord)` naming the offset when the file is not a
    /// perf.data file, is in pipe mode or big-endian, or holds several events whose sample
    /// layouts differ (sflame replays one layout).
    public static func parse(_ file: UnsafeRawBufferPointer) throws(KernelFormatsError) -> PerfDataFile {
        func fail(_ what: String, at offset: Int) -> KernelFormatsError {
            KernelFormatsError(.truncatedRecord, "perf.data offset \(offset): \(what)")
        }
        var c = ByteCursor(file)
        guard let magic = c.u64() else { throw fail("too short for a perf.data header", at: 0) }
        guard magic == Self.magic else {
            if magic == Self.magic.byteSwapped { throw fail("big-endian perf.data is not supported", at: 0) }
            throw fail("not a perf.data file (no PERFILE2 magic)", at: 0)
        }
        guard let headerSize = c.u64(), let attrSize = c.u64(), let attrsOffset = c.u64(), let attrsSize = c.u64(),
            let dataOffset = c.u64(), let dataSize = c.u64()
        else { throw fail("header ends early", at: c.offset) }
        guard headerSize >= UInt64(Self.headerFields) else {
            throw fail("header of \(headerSize) bytes: pipe-mode perf.data (perf record -o -) is not supported", at: 8)
        }
        guard attrSize >= 72, attrsSize >= attrSize, attrsOffset <= UInt64(file.count),
            attrsSize <= UInt64(file.count) - attrsOffset
        else { throw fail("attribute section out of range", at: Int(clamping: attrsOffset)) }
        guard dataOffset <= UInt64(file.count), dataSize <= UInt64(file.count) - dataOffset else {
            throw fail("data section (\(dataSize) bytes) runs past the end of the \(file.count)-byte file", at: 32)
        }
        var result: PerfDataFile?
        for index in 0..<Int(attrsSize / attrSize) {
            let offset = Int(attrsOffset) + index * Int(attrSize)
            let attr = try Self.attribute(file, at: offset, size: Int(attrSize))
            if let first = result, first.layout != attr.layout || first.userStackBytes != attr.userStackBytes {
                throw fail(
                    "event \(index + 1) samples different fields than event 1; replay one event at a time (perf record -e)",
                    at: offset)
            }
            if result == nil { result = attr }
        }
        guard var parsed = result else { throw fail("no event attributes", at: Int(attrsOffset)) }
        parsed.dataRange = Int(dataOffset)..<Int(dataOffset + dataSize)
        return parsed
    }

    /// One `struct perf_event_attr`: sample_type at 24, flags at 40, sample_regs_user at 80,
    /// sample_stack_user at 88.
    private static func attribute(_ file: UnsafeRawBufferPointer, at offset: Int, size: Int) throws(KernelFormatsError)
        -> PerfDataFile
    {
        func u32(_ o: Int) -> UInt32 {
            UInt32(littleEndian: file.loadUnaligned(fromByteOffset: offset + o, as: UInt32.self))
        }
        func u64(_ o: Int) -> UInt64 {
            UInt64(littleEndian: file.loadUnaligned(fromByteOffset: offset + o, as: UInt64.self))
        }
        let attrSize = Int(u32(4))
        let sampleType = PerfSampleType(rawValue: u64(24))
        let flags = u64(40)
        let hasRegisters = attrSize >= 88 && size >= 88
        let hasStack = attrSize >= 92 && size >= 92
        let freqBit: UInt64 = 1 << 10
        let sampleIDAllBit: UInt64 = 1 << 18
        let excludeCallchainUserBit: UInt64 = 1 << 22
        return PerfDataFile(
            layout: PerfRecordLayout(
                sampleType: sampleType, userRegisterMask: hasRegisters && sampleType.contains(.regsUser) ? u64(80) : 0,
                sampleIDAll: flags & sampleIDAllBit != 0),
            userStackBytes: hasStack && sampleType.contains(.stackUser) ? u32(88) : 0,
            excludesUserCallchain: flags & excludeCallchainUserBit != 0,
            frequencyHz: flags & freqBit != 0 ? u64(16) : nil,
            eventType: u32(0), eventConfig: u64(8),
            dataRange: 0..<0)
    }

    /// Calls `body` with each record of the data section, in file order.
    ///
    /// Throws: `KernelFormatsError(.truncatedRecord)` naming the offset of a record whose size
    /// is invalid or runs past the section, or of a compressed record (`perf record -z`).
    public func forEachRecord(
        in file: UnsafeRawBufferPointer, _ body: (_ offset: Int, _ record: UnsafeRawBufferPointer) -> Void
    ) throws(KernelFormatsError) {
        var offset = dataRange.lowerBound
        let end = min(dataRange.upperBound, file.count)
        while offset + PerfRecordDecoder.headerSize <= end {
            let type = UInt32(littleEndian: file.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let size = Int(UInt16(littleEndian: file.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self)))
            guard size >= PerfRecordDecoder.headerSize, offset + size <= end else {
                throw KernelFormatsError(
                    .truncatedRecord, "perf.data offset \(offset): record of \(size) bytes runs past the data section")
            }
            if type == Self.compressedRecordType {
                throw KernelFormatsError(
                    .truncatedRecord,
                    "perf.data offset \(offset): compressed records (perf record -z) are not supported; record without -z"
                )
            }
            body(offset, UnsafeRawBufferPointer(rebasing: file[offset..<offset + size]))
            offset += size
        }
    }

    /// The timestamp of a record, for putting records back in time order as `perf script` does:
    /// a sample's TIME field, or the `sample_id` trailer's of other kernel records; nil for
    /// perf's own record types (≥ 64) and layouts without TIME.
    public func time(ofRecord record: UnsafeRawBufferPointer) -> UInt64? {
        guard layout.sampleType.contains(.time), record.count >= PerfRecordDecoder.headerSize else { return nil }
        let type = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let t = layout.sampleType
        if type == PerfRecordType.sample {
            var offset = PerfRecordDecoder.headerSize
            if t.contains(.identifier) { offset += 8 }
            if t.contains(.ip) { offset += 8 }
            if t.contains(.tid) { offset += 8 }
            guard record.count >= offset + 8 else { return nil }
            return UInt64(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        guard type < 64, layout.sampleIDAll else { return nil }
        let idSize = layout.sampleIDSize
        guard record.count >= PerfRecordDecoder.headerSize + idSize else { return nil }
        var offset = record.count - idSize
        if t.contains(.tid) { offset += 8 }
        return UInt64(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
