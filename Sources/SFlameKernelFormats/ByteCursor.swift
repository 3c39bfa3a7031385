// SPDX-License-Identifier: Apache-2.0

/// A forward reader over kernel bytes with explicit little-endian, unaligned loads.
///
/// The bytes are borrowed: a cursor must not outlive the buffer it reads (it is only ever
/// created inside a `withUnsafeBytes`-style closure). Reads past the end return nil and leave
/// the cursor where it was, so a truncated record is reported, never read out of bounds.
public struct ByteCursor {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func u8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        // Unaligned load: records are 8-byte aligned as a whole, fields inside need not be.
        defer { offset += 2 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    public mutating func u32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    public mutating func u64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        defer { offset += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Skips `count` bytes; false (and no move) when fewer remain.
    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        offset += count
        return true
    }

    /// Copies `count` bytes out.
    public mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
    }

    /// Reads `count` u64 values.
    public mutating func u64Array(_ count: Int) -> [UInt64]? {
        guard count >= 0, count <= remaining / 8 else { return nil }
        var out = [UInt64](repeating: 0, count: count)
        for i in 0..<count {
            out[i] = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + i * 8, as: UInt64.self))
        }
        offset += count * 8
        return out
    }

    /// A NUL-terminated string inside the next `fieldSize` bytes (the kernel pads names to
    /// 8 bytes); consumes the whole field.
    public mutating func paddedString(fieldSize: Int) -> String? {
        guard fieldSize >= 0, remaining >= fieldSize else { return nil }
        let field = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + fieldSize])
        let end = field.firstIndex(of: 0) ?? field.count
        offset += fieldSize
        return String(decoding: UnsafeRawBufferPointer(rebasing: field[0..<end]), as: UTF8.self)
    }
}
