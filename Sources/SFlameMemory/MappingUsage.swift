// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

/// The memory of one group of mappings: all mappings of one file, the heap, the stacks, or the
/// anonymous memory, summed from /proc/PID/smaps.
///
/// Grouping (by `ProcMapping.path`): `[heap]`; `[stack]` (and the `[stack:TID]` of old
/// kernels); `[anon]` for anonymous memory without a name; named anonymous memory
/// (`[anon:NAME]`, `[anon_shmem:NAME]`) keeps its name; other pseudo mappings (`[vdso]`, `[vvar]`)
/// keep theirs; a file-backed mapping is grouped by its path, so the text, data and bss of a
/// library are one group.
///
/// Units: bytes. A field no mapping of the group printed is nil.
public struct MappingUsage: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case heap, stack, anonymous, file, other
    }

    public var kind: Kind
    /// How many mappings were summed.
    public var mappings: Int
    public var size: UInt64?
    public var rss: UInt64?
    public var pss: UInt64?
    public var anonymous: UInt64?
    public var privateDirty: UInt64?
    public var swap: UInt64?

    public init(
        kind: Kind, mappings: Int = 0, size: UInt64? = nil, rss: UInt64? = nil, pss: UInt64? = nil,
        anonymous: UInt64? = nil, privateDirty: UInt64? = nil, swap: UInt64? = nil
    ) {
        self.kind = kind
        self.mappings = mappings
        self.size = size
        self.rss = rss
        self.pss = pss
        self.anonymous = anonymous
        self.privateDirty = privateDirty
        self.swap = swap
    }

    /// The group name and kind of a mapping.
    public static func group(of mapping: ProcMapping) -> (name: String, kind: Kind) {
        let path = mapping.path
        if path == "[heap]" { return (path, .heap) }
        if path == "[stack]" || path.hasPrefix("[stack:") { return ("[stack]", .stack) }
        if path.isEmpty { return ("[anon]", .anonymous) }
        if path.hasPrefix("[anon") { return (path, .anonymous) }
        if path.hasPrefix("[") { return (path, .other) }
        return (path, .file)
    }

    /// Sums smaps entries into groups.
    ///
    /// Complexity: O(mappings).
    public static func groups(_ entries: [ProcSmapsEntry]) -> [String: MappingUsage] {
        var groups: [String: MappingUsage] = [:]
        for entry in entries {
            let (name, kind) = group(of: entry.mapping)
            var usage = groups[name] ?? MappingUsage(kind: kind)
            usage.mappings += 1
            usage.size = sum(usage.size, entry[.size])
            usage.rss = sum(usage.rss, entry[.rss])
            usage.pss = sum(usage.pss, entry[.pss])
            usage.anonymous = sum(usage.anonymous, entry[.anonymous])
            usage.privateDirty = sum(usage.privateDirty, entry[.privateDirty])
            usage.swap = sum(usage.swap, entry[.swap])
            groups[name] = usage
        }
        return groups
    }

    private static func sum(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
        guard let b else { return a }
        return (a ?? 0) &+ b
    }
}

/// The grouped mappings at one moment of the timeline.
public struct MappingSnapshot: Hashable, Sendable {
    /// Seconds since the first sample.
    public var time: Double
    public var groups: [String: MappingUsage]

    public init(time: Double, groups: [String: MappingUsage]) {
        self.time = time
        self.groups = groups
    }
}
