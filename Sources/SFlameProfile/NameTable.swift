// SPDX-License-Identifier: Apache-2.0
//
// Interns frame names given as bytes, so the text readers hash each name's bytes once and make
// one `String` per distinct name instead of one per occurrence:
//
//   intern("main")  ──► 0      names: ["main", "parse"]
//   intern("parse") ──► 1
//   intern("main")  ──► 0      (found by hash and bytes; no String is made)

/// Distinct names, each with a dense id in order of first appearance.
///
/// Complexity: `intern` is O(length) expected (one hash, one byte comparison on a hit).
public struct NameTable: Sendable {
    /// The names, by id.
    public private(set) var names: [String] = []
    /// The names' bytes back to back; name `i` is `arena[starts[i]..<starts[i + 1]]`.
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Open addressing: name id + 1, or 0 for an empty slot. The count is a power of two.
    private var slots: [Int32] = Array(repeating: 0, count: 1024)

    public init() {}

    /// The number of distinct names.
    public var count: Int { names.count }

    /// The name with `id`.
    public subscript(id: Int32) -> String { names[Int(id)] }

    /// The bytes of the name with `id`, for callers that write text.
    public func withBytes<R>(of id: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let range = starts[Int(id)]..<starts[Int(id) + 1]
        return try arena.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// The id of `bytes`, adding the name when it is new. The bytes are decoded as UTF-8, with
    /// invalid sequences replaced by U+FFFD in the `String` (the stored bytes stay as given).
    public mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let hash = ByteHash.hash(bytes)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let id = Int(entry - 1)
            if hashes[id] == hash && equals(id, bytes) { return Int32(id) }
            slot = (slot + 1) & mask
        }
        let id = Int32(names.count)
        names.append(String(decoding: bytes, as: UTF8.self))
        arena.append(contentsOf: bytes)
        starts.append(arena.count)
        hashes.append(hash)
        slots[slot] = id + 1
        if names.count * 2 > slots.count { grow() }
        return id
    }

    /// The id of `name`, adding it when it is new.
    public mutating func intern(_ name: String) -> Int32 {
        var name = name
        return name.withUTF8 { intern($0) }
    }

    private func equals(_ id: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[id]
        let count = starts[id + 1] - start
        guard count == bytes.count else { return false }
        if count == 0 { return true }
        return arena.withUnsafeBufferPointer { arena in
            memoryEquals(arena.baseAddress! + start, bytes.baseAddress!, count)
        }
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for id in hashes.indices {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while bigger[slot] != 0 { slot = (slot + 1) & mask }
            bigger[slot] = Int32(id + 1)
        }
        slots = bigger
    }
}

/// Compares `count` bytes.
@inline(__always)
func memoryEquals(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    while i + 8 <= count {
        let x = UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self)
        let y = UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self)
        if x != y { return false }
        i += 8
    }
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// A fast, non-cryptographic hash of bytes (multiply-xorshift over 8-byte words), stable
/// across runs so tables iterate in the same order every time.
enum ByteHash {
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &* 0xBF58_476D_1CE4_E5B9
        z ^= z >> 31
        z = z &* 0x94D0_49BB_1331_11EB
        z ^= z >> 29
        return z
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return mix(h) }
        let raw = UnsafeRawPointer(base)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = mix(h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base[i]) << shift
                shift += 8
                i += 1
            }
            h = mix(h ^ tail ^ 0xFF)
        }
        return h
    }
}
