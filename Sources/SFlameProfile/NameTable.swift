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
#if canImport(Glibc)
    import Glibc
#endif

public struct NameTable: Sendable {
    /// The names, by id.
    public private(set) var names: [String] = []
    private var bytes = ByteInterner()

    public init() {}

    /// The number of distinct names.
    public var count: Int { names.count }

    /// The name with `id`.
    public subscript(id: Int32) -> String { names[Int(id)] }

    /// The bytes of the name with `id`, for callers that write text.
    public func withBytes<R>(of id: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try bytes.withBytes(of: id, body)
    }

    /// The id of `bytes`, adding the name when it is new. The bytes are decoded as UTF-8, with
    /// invalid sequences replaced by U+FFFD in the `String` (the stored bytes stay as given).
    @inline(__always)
    public mutating func intern(_ name: UnsafeBufferPointer<UInt8>) -> Int32 {
        let (id, inserted) = bytes.intern(name)
        if inserted { names.append(String(decoding: name, as: UTF8.self)) }
        return id
    }

    /// The id of `name`, adding it when it is new.
    /// The ids of all names in bytewise (UTF-8) order of their text, the order flamegraph.pl
    /// sorts its lines in: result[r] is the id of the r-th name. Compares the interned bytes
    /// with memcmp(3) instead of walking `String.UTF8View`s.
    ///
    /// - Complexity: O(n log n) comparisons for n names.
    public func idsInBytewiseOrder() -> [Int32] {
        bytes.idsInBytewiseOrder()
    }

    public mutating func intern(_ name: String) -> Int32 {
        var name = name
        return name.withUTF8 { intern($0) }
    }
}

/// Distinct byte strings with dense ids, without making a `String` of each: the storage of
/// `NameTable`, and the cache key table of the `perf script` collapser.
///
/// Each slot of the open-addressing table holds the id, a 32-bit tag of the hash and where the
/// bytes are, so a lookup touches one slot and the bytes it compares (two cache lines), not a
/// chain of arrays.
struct ByteInterner: Sendable {
    private struct Slot: Sendable {
        /// id + 1, or 0 for an empty slot.
        var idPlusOne: UInt32 = 0
        /// The hash's high 32 bits.
        var tag: UInt32 = 0
        var start: UInt32 = 0
        var length: UInt32 = 0
    }

    /// The strings back to back, in id order.
    private var arena: [UInt8] = []
    /// Per id: where its bytes start in `arena` (and one more entry: the end).
    private var starts: [Int] = [0]
    /// The count is a power of two, at least twice the number of strings.
    private var slots = [Slot](repeating: Slot(), count: 1024)
    private var hashes: [UInt64] = []

    /// The number of distinct strings.
    var count: Int { hashes.count }

    func withBytes<R>(of id: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let range = starts[Int(id)]..<starts[Int(id) + 1]
        return try arena.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// The id of `bytes`, and whether it was added now.
    func idsInBytewiseOrder() -> [Int32] {
        var ids = Array(0..<Int32(hashes.count))
        arena.withUnsafeBufferPointer { arena in
            starts.withUnsafeBufferPointer { starts in
                guard let base = arena.baseAddress else { return }
                ids.sort { a, b in
                    let sa = starts[Int(a)]
                    let la = starts[Int(a) + 1] - sa
                    let sb = starts[Int(b)]
                    let lb = starts[Int(b) + 1] - sb
                    let c = memcmp(base + sa, base + sb, min(la, lb))
                    return c != 0 ? c < 0 : la < lb
                }
            }
        }
        return ids
    }

    @inline(__always)
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> (id: Int32, inserted: Bool) {
        let hash = ByteHash.hash(bytes)
        let tag = UInt32(truncatingIfNeeded: hash >> 32)
        let length = UInt32(truncatingIfNeeded: bytes.count)
        var slot = Int(truncatingIfNeeded: hash) & (slots.count - 1)
        let found: Int32? = slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                let mask = slots.count - 1
                while true {
                    let entry = slots[slot]
                    if entry.idPlusOne == 0 { return nil }
                    if entry.tag == tag && entry.length == length
                        && (length == 0
                            || memoryEquals(arena.baseAddress! + Int(entry.start), bytes.baseAddress!, Int(length)))
                    {
                        return Int32(entry.idPlusOne - 1)
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        if let found { return (found, false) }
        let id = Int32(hashes.count)
        precondition(arena.count + bytes.count < Int(UInt32.max), "more than 4 GiB of distinct names")
        slots[slot] = Slot(idPlusOne: UInt32(id) + 1, tag: tag, start: UInt32(arena.count), length: length)
        arena.append(contentsOf: bytes)
        starts.append(arena.count)
        hashes.append(hash)
        if hashes.count * 2 > slots.count { grow() }
        return (id, true)
    }

    /// The id of the key `flag, a, 0, b, 0, c` (one byte, three byte strings, two zero bytes),
    /// and whether it was added now, without building the key first: the parts are hashed and
    /// compared where they lie. A key interned this way is found only this way (its hash
    /// combines the parts' hashes).
    @inline(__always)
    mutating func intern(
        flag: UInt8, _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, _ c: UnsafeBufferPointer<UInt8>
    ) -> (id: Int32, inserted: Bool) {
        let hashC: UInt64 = c.isEmpty ? 0 : ByteHash.hash(c) &* 0xC2B2_AE3D_27D4_EB4F
        let hash = ByteHash.mix(ByteHash.hash(a) ^ (ByteHash.hash(b) &* 0x9E37_79B9_7F4A_7C15) ^ hashC ^ UInt64(flag))
        let tag = UInt32(truncatingIfNeeded: hash >> 32)
        let la = a.count
        let lb = b.count
        let lc = c.count
        let length = UInt32(truncatingIfNeeded: 3 + la + lb + lc)
        var slot = Int(truncatingIfNeeded: hash) & (slots.count - 1)
        let found: Int32? = slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                let mask = slots.count - 1
                while true {
                    let entry = slots[slot]
                    if entry.idPlusOne == 0 { return nil }
                    if entry.tag == tag && entry.length == length {
                        let p = arena.baseAddress! + Int(entry.start)
                        if p[0] == flag && p[1 + la] == 0 && p[2 + la + lb] == 0
                            && (la == 0 || memoryEquals(p + 1, a.baseAddress!, la))
                            && (lb == 0 || memoryEquals(p + 2 + la, b.baseAddress!, lb))
                            && (lc == 0 || memoryEquals(p + 3 + la + lb, c.baseAddress!, lc))
                        {
                            return Int32(entry.idPlusOne - 1)
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        if let found { return (found, false) }
        let id = Int32(hashes.count)
        precondition(arena.count + Int(length) < Int(UInt32.max), "more than 4 GiB of distinct names")
        slots[slot] = Slot(idPlusOne: UInt32(id) + 1, tag: tag, start: UInt32(arena.count), length: length)
        arena.append(flag)
        arena.append(contentsOf: a)
        arena.append(0)
        arena.append(contentsOf: b)
        arena.append(0)
        arena.append(contentsOf: c)
        starts.append(arena.count)
        hashes.append(hash)
        if hashes.count * 2 > slots.count { grow() }
        return (id, true)
    }

    private mutating func grow() {
        var bigger = [Slot](repeating: Slot(), count: slots.count * 2)
        let mask = bigger.count - 1
        for old in slots where old.idPlusOne != 0 {
            var slot = Int(truncatingIfNeeded: hashes[Int(old.idPlusOne - 1)]) & mask
            while bigger[slot].idPlusOne != 0 { slot = (slot + 1) & mask }
            bigger[slot] = old
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

    /// FxHash-style: one multiply per 8 bytes (rotate, xor, multiply), then `mix` once.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let k: UInt64 = 0x517C_C1B7_2722_0A95
        var h: UInt64 = UInt64(bytes.count) &* k
        guard let base = bytes.baseAddress else { return mix(h) }
        let raw = UnsafeRawPointer(base)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = ((h << 5 | h >> 59) ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* k
            i += 8
        }
        if i < n {
            // The last 1…7 bytes: an overlapping load when the key is long enough, else bytewise.
            var tail: UInt64 = 0
            if n >= 8 {
                tail = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            } else {
                var shift: UInt64 = 0
                while i < n {
                    tail |= UInt64(base[i]) << shift
                    shift += 8
                    i += 1
                }
            }
            h = ((h << 5 | h >> 59) ^ tail) &* k
        }
        return mix(h)
    }
}
