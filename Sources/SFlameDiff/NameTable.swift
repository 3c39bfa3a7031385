// SPDX-License-Identifier: Apache-2.0
//
// Interns frame names: each distinct name gets the next integer id.
//
//   id("main") 0   id("parse") 1   id("main") 0   names ["main", "parse"]
//
// An open-addressing table (linear probing, at most half full) keyed by a 64-bit hash of the
// name's UTF-8 bytes, read eight at a time. It does the one job a `[String: Int32]` would, about twice as
// fast, which matters when two profiles bring millions of frames.

#if canImport(Glibc)
    import Glibc  // memcmp
#elseif canImport(Darwin)
    import Darwin
#endif

/// Frame names and their ids.
struct NameTable {
    private(set) var names: [String] = []
    private var hashes: [UInt64] = []
    /// Per slot: an index into `names`, or -1 when empty. The count is a power of two.
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// The id of `name`, adding it when new.
    mutating func id(_ name: String) -> Int32 {
        let hash = NameTable.hash(name)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = slots[slot]
            if index < 0 { break }
            if hashes[Int(index)] == hash && names[Int(index)] == name { return index }
            slot = (slot + 1) & mask
        }
        let id = Int32(names.count)
        names.append(name)
        hashes.append(hash)
        slots[slot] = id
        if names.count * 2 > slots.count { grow() }
        return id
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (i, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i)
        }
    }

    /// A 64-bit hash of the UTF-8 bytes, eight at a time: each word is mixed in with a
    /// multiply and a rotation, and SplitMix64's finalizer spreads every byte to the low bits
    /// used for the slot. Not for adversarial input (names come from the profiles compared).
    static func hash(_ name: String) -> UInt64 {
        // Native and small strings lend their bytes without a copy; other strings (bridged
        // ones, which Linux does not have) take the bytewise path.
        if let h = name.utf8.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) { return h }
        return Array(name.utf8).withUnsafeBytes { hash($0) }
    }

    static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var h = 0x9e37_79b9_7f4a_7c15 &+ UInt64(raw.count)
        var i = 0
        while i + 8 <= raw.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xbf58_476d_1ce4_e5b9
            h = (h << 31) | (h >> 33)
            i += 8
        }
        if i < raw.count {
            var tail: UInt64 = 0
            if raw.count >= 8 {
                // The last eight bytes, overlapping the words already mixed in: one load.
                tail = raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self)
            } else {
                var shift: UInt64 = 0
                while i < raw.count {
                    tail |= UInt64(raw[i]) << shift
                    shift += 8
                    i += 1
                }
            }
            h = (h ^ tail) &* 0xbf58_476d_1ce4_e5b9
        }
        h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
        h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
        return h ^ (h >> 31)
    }

}

/// Interns frame names given as UTF-8 bytes, as `NameTable` does for strings: the bytes are
/// kept in one arena, and a name is decoded to a `String` only once, by `names()`.
struct ByteNameTable {
    private var arena: [UInt8] = []
    /// Name i is `arena[starts[i]..<starts[i + 1]]`.
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Int32] = Array(repeating: -1, count: 1 << 12)
    private var mask = (1 << 12) - 1

    /// Per depth, a few recently seen names (slot by length and last byte): the same
    /// functions recur at the same depths, and comparing a few bytes is cheaper than hashing.
    private var recent: [Int32] = Array(repeating: -1, count: ByteNameTable.recentSlots * ByteNameTable.recentDepths)
    private static let recentSlots = 16
    private static let recentDepths = 64

    var count: Int { hashes.count }

    /// The id of the name spelled by `bytes`, found at `depth` of its stack, adding it when new.
    mutating func id(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) -> Int32 {
        guard depth < ByteNameTable.recentDepths else { return id(bytes) }
        let key = bytes.count &* 31 &+ Int(bytes.last ?? 0)
        let slot = depth &* ByteNameTable.recentSlots &+ key & (ByteNameTable.recentSlots - 1)
        let cached = Int(recent[slot])
        if cached >= 0 {
            let hit = arena.withUnsafeBufferPointer { arena in
                starts.withUnsafeBufferPointer { starts in
                    starts[cached + 1] - starts[cached] == bytes.count
                        && (bytes.count == 0
                            || memcmp(arena.baseAddress! + starts[cached], bytes.baseAddress!, bytes.count) == 0)
                }
            }
            if hit { return Int32(cached) }
        }
        let id = id(bytes)
        recent[slot] = id
        return id
    }

    /// The id of the name spelled by `bytes`, adding it when new.
    mutating func id(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let hash = NameTable.hash(UnsafeRawBufferPointer(bytes))
        let mask = self.mask
        // Unsafe buffers: this runs once per frame of the input; slots hold valid indices or -1,
        // and every name's range lies inside the arena. Returns the id, or -1 - the empty slot.
        let found: Int = arena.withUnsafeBufferPointer { arena in
            starts.withUnsafeBufferPointer { starts in
                hashes.withUnsafeBufferPointer { hashes in
                    slots.withUnsafeBufferPointer { slots in
                        var slot = Int(truncatingIfNeeded: hash) & mask
                        while true {
                            let index = Int(slots[slot])
                            if index < 0 { return -1 - slot }
                            if hashes[index] == hash && starts[index + 1] - starts[index] == bytes.count
                                && (bytes.count == 0
                                    || memcmp(arena.baseAddress! + starts[index], bytes.baseAddress!, bytes.count) == 0)
                            {
                                return index
                            }
                            slot = (slot + 1) & mask
                        }
                    }
                }
            }
        }
        if found >= 0 { return Int32(found) }
        let id = Int32(hashes.count)
        arena.append(contentsOf: bytes)
        starts.append(arena.count)
        hashes.append(hash)
        slots[-1 - found] = id
        if hashes.count * 2 > slots.count { grow() }
        return id
    }

    /// The names, in id order, decoded from UTF-8 (invalid sequences become U+FFFD).
    func names() -> [String] {
        arena.withUnsafeBufferPointer { arena in
            (0..<count).map {
                String(decoding: UnsafeBufferPointer(rebasing: arena[starts[$0]..<starts[$0 + 1]]), as: UTF8.self)
            }
        }
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (i, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i)
        }
    }
}
