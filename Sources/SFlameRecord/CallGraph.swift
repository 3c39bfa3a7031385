// SPDX-License-Identifier: Apache-2.0

/// How the user part of each sample's stack is recovered.
public enum CallGraph: Hashable, Sendable {
    /// Frame pointers when every module the target has mapped at the start has them, DWARF
    /// otherwise (with this stack copy size). Distribution libraries are mostly built without
    /// frame pointers (Debian's libc has none), so this usually means DWARF.
    case auto(stackBytes: UInt32)
    /// The kernel's frame-pointer callchain (cheap; wrong or cut short in code built with
    /// `-fomit-frame-pointer`).
    case framePointers
    /// Copies of the user stack, `stackBytes` per sample, unwound with CFI during the recording.
    case dwarf(stackBytes: UInt32)

    /// Stack bytes copied per sample by default: 8 KiB (perf's default, enough for most stacks).
    public static let defaultStackBytes: UInt32 = 8192
    /// The largest copy the kernel makes: a u16 record size leaves just under 64 KiB, rounded
    /// down to a multiple of 8.
    public static let maxStackBytes: UInt32 = 65528

    /// The default: `.auto(stackBytes: 8192)`.
    public static let `default` = CallGraph.auto(stackBytes: defaultStackBytes)

    /// Parses perf's syntax: `fp`, `dwarf`, `dwarf,BYTES`, `auto` or `auto,BYTES`. BYTES is rounded
    /// up to a multiple of 8, as perf does.
    ///
    /// Throws: a message naming the accepted forms and limits.
    public init(parsing text: String) throws(CallGraphError) {
        let parts = text.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var bytes = Self.defaultStackBytes
        if parts.count == 2 {
            guard let value = UInt64(parts[1]), value >= 8, value <= UInt64(Self.maxStackBytes) else {
                throw CallGraphError(
                    "invalid stack copy size '\(parts[1])' in '\(text)': give bytes between 8 and \(Self.maxStackBytes), "
                        + "e.g. dwarf,16384")
            }
            bytes = UInt32((value + 7) / 8 * 8)
        }
        switch (parts[0], parts.count) {
        case ("fp", 1): self = .framePointers
        case ("dwarf", _): self = .dwarf(stackBytes: bytes)
        case ("auto", _): self = .auto(stackBytes: bytes)
        default:
            throw CallGraphError("invalid call graph '\(text)': use fp, dwarf, dwarf,BYTES or auto")
        }
    }

    /// Stack bytes per sample when DWARF unwinding is used.
    public var stackBytes: UInt32 {
        switch self {
        case .auto(let bytes), .dwarf(let bytes): return bytes
        case .framePointers: return 0
        }
    }
}

/// A call-graph argument that does not parse.
public struct CallGraphError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Which library unwinds stack copies (DWARF mode).
public enum DwarfUnwinder: String, Hashable, Sendable, CaseIterable {
    /// elfutils libdw: `.eh_frame` and `.debug_frame` (also from separate debug files). Default.
    case libdw
    /// libunwind's remote API over `.eh_frame_hdr`.
    case libunwind
}
