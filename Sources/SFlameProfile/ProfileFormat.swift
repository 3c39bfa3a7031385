// SPDX-License-Identifier: Apache-2.0
//
// Recognises a profile's format by its content, never by its name (DESIGN.md):
//
//   1f 8b …                                   ──►  gzip (decompressed, then recognised again)
//   bytes a text never has (0x00–0x08, …)     ──►  pprof (profile.proto), when they read as a
//                                                  protobuf Profile or are more than 1/16 of
//                                                  the first 4 KiB; else text (an error names
//                                                  the control byte's line and offset)
//   {"$schema": "…speedscope…", …             ──►  speedscope
//   "# …" or a frame line under a header      ──►  perf script
//   "main;parse 12"                           ──►  folded
//   anything else                             ──►  folded (its reader names the bad line)

/// The profile formats sflame reads.
public enum ProfileFormat: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `root;…;leaf COUNT` lines (FlameGraph's stackcollapse output).
    case folded
    /// The text `perf script` prints.
    case perfScript = "perf-script"
    /// google/pprof's profile.proto, gzip'd or not.
    case pprof
    /// speedscope's JSON file format.
    case speedscope

    public var description: String {
        switch self {
        case .folded: "folded stacks"
        case .perfScript: "perf script text"
        case .pprof: "pprof"
        case .speedscope: "speedscope JSON"
        }
    }

    /// How many leading bytes `detect` looks at (at most).
    public static let detectionPrefix = 64 << 10

    /// The format of an input judged by its first bytes (up to `detectionPrefix`; pass fewer
    /// only when the input is shorter). gzip'd input is reported as `.pprof`; `ProfileDecoder`
    /// decompresses it and asks again.
    public static func detect(_ prefix: some Collection<UInt8>) -> ProfileFormat {
        let bytes = Array(prefix.prefix(detectionPrefix))
        if Gzip.isGzip(bytes) { return .pprof }
        // Binary bytes: pprof when they read as a protobuf Profile, or when they are mostly
        // binary (a broken pprof file, whose reader names the offset); otherwise text with a
        // stray control byte (ProfileDecoder names it: `firstControlByte`).
        if looksBinary(bytes) {
            let head = bytes.prefix(4096)
            // Binary when the first 4 KiB have fewer than 8 printable ASCII bytes per control
            // byte (or DEL): a few lines of text with one stray byte stay text, named by line.
            let controlBytes = head.reduce(0) { $0 + (isControlByte($1) || $1 == 0x7F ? 1 : 0) }
            let printable = head.reduce(0) { $0 + ($1 >= 0x20 && $1 < 0x7F ? 1 : 0) }
            if controlBytes * 8 > printable
                || ProtobufWireCheck.couldBeProfile(bytes, isWhole: bytes.count < detectionPrefix)
            {
                return .pprof
            }
        }
        var i = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }  // UTF-8 byte order mark
        while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D) {
            i += 1
        }
        if i < bytes.count && bytes[i] == 0x7B { return .speedscope }
        return looksLikePerfScript(bytes) ? .perfScript : .folded
    }

    /// Control bytes that text (UTF-8, tabs, newlines, escapes) does not contain.
    static func looksBinary(_ bytes: [UInt8]) -> Bool {
        bytes.prefix(4096).contains(where: isControlByte)
    }

    @inline(__always)
    static func isControlByte(_ b: UInt8) -> Bool { b < 0x09 || (b > 0x0D && b < 0x20 && b != 0x1B) }

    /// The first control byte (one text does not contain: NUL, 0x01–0x08, 0x0E–0x1F but ESC) in
    /// `bytes`: its offset, its 1-based line and its value; nil when there is none.
    public static func firstControlByte(_ bytes: UnsafeBufferPointer<UInt8>) -> (offset: Int, line: Int, byte: UInt8)? {
        var line = 1
        for offset in 0..<bytes.count {
            let b = bytes[offset]
            if b == 0x0A {
                line += 1
            } else if isControlByte(b) {
                return (offset, line, b)
            }
        }
        return nil
    }

    /// `firstControlByte` of an array's bytes.
    public static func firstControlByte(_ bytes: ArraySlice<UInt8>) -> (offset: Int, line: Int, byte: UInt8)? {
        bytes.withUnsafeBufferPointer { firstControlByte($0) }
    }

    /// perf script text: its first line that is neither blank nor a `#` comment (`perf script
    /// --header` writes some) is followed by an indented frame line, or is a sample header and
    /// not a folded line (`stack COUNT`, the count perhaps negative, which the folded reader
    /// then refuses by line). Text of nothing but comments is perf script's (a header with no
    /// samples). A folded file that starts with a comment line stays folded, so its reader
    /// names that line.
    static func looksLikePerfScript(_ bytes: [UInt8]) -> Bool {
        var lines: [ArraySlice<UInt8>] = []
        var sawComment = false
        var start = 0
        while start < bytes.count && lines.count < 2 {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            var line = bytes[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            if line.first == 0x23 {
                sawComment = true
            } else if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                lines.append(line)
            }
            start = end + 1
        }
        guard let first = lines.first else { return sawComment }
        if lines.count > 1, let second = lines.last, second.first == 0x20 || second.first == 0x09,
            Array(second).withUnsafeBufferPointer({ PerfScriptFrame.parse($0) }) != nil
        {
            return true
        }
        let firstIsFolded = Array(first).withUnsafeBufferPointer { FoldedStackReader.isFoldedLine($0) }
        if firstIsFolded { return false }
        return Array(first).withUnsafeBufferPointer { PerfScriptHeader.parse($0) } != nil
    }
}

extension FoldedStackReader {
    /// Whether `line` has the shape `stack COUNT` (a `-` before the count included: the shape
    /// of a folded line, whose reader refuses the negative count by line).
    static func isFoldedLine(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var end = line.count
        while end > 0 && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        var split = end
        while split > 0 && line[split - 1] >= 0x30 && line[split - 1] <= 0x39 { split -= 1 }
        guard split < end else { return false }
        if split >= 1 && line[split - 1] == 0x2D { split -= 1 }  // "-3"
        return split >= 2 && (line[split - 1] == 0x20 || line[split - 1] == 0x09)
    }
}
