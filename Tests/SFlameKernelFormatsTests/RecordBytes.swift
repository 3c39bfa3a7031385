// SPDX-License-Identifier: Apache-2.0

/// Builds perf record bytes for tests, little-endian, padded like the kernel pads them.
struct RecordBytes {
    var bytes: [UInt8] = []

    init(type: UInt32, misc: UInt16) {
        u32(type)
        u16(misc)
        u16(0)  // size, patched by `finish()`
    }

    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        bytes.append(contentsOf: Array(s.utf8))
        bytes.append(0)
        while bytes.count % 8 != 0 { bytes.append(0) }
    }

    func finish() -> [UInt8] {
        var out = bytes
        let size = UInt16(out.count)
        out[6] = UInt8(size & 0xff)
        out[7] = UInt8(size >> 8)
        return out
    }
}
