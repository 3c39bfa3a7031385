// SPDX-License-Identifier: Apache-2.0
//
// Interns frame names: each distinct name gets the next integer id.
//
//   id("main") 0   id("parse") 1   id("main") 0   names ["main", "parse"]
//
// An open-addressing table (linear probing, at most half full) keyed by a 64-bit hash of the
// name's UTF-8 bytes, read eight at a time. It does the one job a `[String: Int32]` would, about twice as
// fast, which matters when two profiles bring millions of frames.

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

    private static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var h = 0x9e37_79b9_7f4a_7c15 &+ UInt64(raw.count)
        var i = 0
        while i + 8 <= raw.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xbf58_476d_1ce4_e5b9
            h = (h << 31) | (h >> 33)
            i += 8
        }
        if i < raw.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < raw.count {
                tail |= UInt64(raw[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xbf58_476d_1ce4_e5b9
        }
        h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
        h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
        return h ^ (h >> 31)
    }
}
