// SPDX-License-Identifier: Apache-2.0
//
// FNV-1a, the stable hash behind frame colours and SVG id prefixes. Swift's `hashValue` is
// seeded per process, so it would give a name a different colour in every run.
//
//   StableHash.fnv1a64("a".utf8)  ──►  0xaf63dc4c_8601ec8c (the same on every machine and run)

/// The 64-bit FNV-1a hash.
///
/// Source: Fowler, Noll, Vo, "FNV hash" (IETF draft-eastlake-fnv), offset basis
/// 0xcbf29ce484222325, prime 0x100000001b3.
public struct StableHash: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func combine<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var h = value
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        value = h
    }

    public mutating func combine(_ number: Int64) {
        withUnsafeBytes(of: number.littleEndian) { combine($0) }
    }

    /// The hash of `bytes` alone.
    public static func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var h = StableHash()
        h.combine(bytes)
        return h.value
    }
}
