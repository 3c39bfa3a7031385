// SPDX-License-Identifier: Apache-2.0
//
// Folded (collapsed) stacks, the text format of FlameGraph's stackcollapse-*.pl scripts and
// the input of flamegraph.pl. One line per unique stack, root first, frames separated by
// `;`, then a space and the weight:
//
//   input lines                         FoldedProfile.stacks
//   main;parse;lex 12           ──►     [main, parse, lex] 12
//   main;render 30                      [main, render]     30
//
// The weight is the last space-separated field; frame names may contain spaces but not `;`.
// Written output is sorted by stack (bytewise), as stackcollapse-perf.pl sorts it.

/// One folded stack: frames root first, and the weight of the samples that had it.
public struct FoldedStack: Hashable, Sendable {
    /// Frame names, root first.
    public var frames: [String]
    /// Weight in the profile's unit (samples unless stated otherwise).
    public var weight: Int64
    public init(frames: [String], weight: Int64) {
        self.frames = frames
        self.weight = weight
    }
}

/// One line of folded text as bytes, from `FoldedProfile.scan`.
public struct FoldedLine {
    /// The stack: frame names root first, separated by `;`, as found in the input (UTF-8, not
    /// validated). Valid only during the `scan` callback.
    public let stack: UnsafeBufferPointer<UInt8>
    /// The weight after the stack.
    public let weight: Int64
    /// The 1-based line number.
    public let lineNumber: Int
}

/// A profile as folded stacks.
public struct FoldedProfile: Hashable, Sendable {
    /// Stacks in the order they were produced; `merged()` makes them unique and sorted.
    public var stacks: [FoldedStack]
    public init(stacks: [FoldedStack] = []) { self.stacks = stacks }

    /// Sum of all weights.
    public var totalWeight: Int64 { stacks.reduce(0) { $0 &+ $1.weight } }

    /// Equal stacks merged into one, sorted bytewise by their folded text, zero weights dropped.
    public func merged() -> FoldedProfile {
        var sums: [String: (frames: [String], weight: Int64)] = [:]
        sums.reserveCapacity(stacks.count)
        for s in stacks {
            let key = s.frames.joined(separator: ";")
            if let existing = sums[key] {
                sums[key] = (existing.frames, existing.weight &+ s.weight)
            } else {
                sums[key] = (s.frames, s.weight)
            }
        }
        let sorted = sums.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return FoldedProfile(stacks: sorted.compactMap { $0.value.weight == 0 ? nil : FoldedStack(frames: $0.value.frames, weight: $0.value.weight) })
    }

    /// The folded text: one `root;…;leaf WEIGHT` line per unique stack, sorted, each ending in
    /// a newline.
    public func text() -> String {
        var out = ""
        for s in merged().stacks {
            out += s.frames.joined(separator: ";")
            out += " "
            out += String(s.weight)
            out += "\n"
        }
        return out
    }

    /// Parses folded text.
    ///
    /// Blank lines are ignored. Each other line must end in a space (or tab) and a
    /// non-negative integer weight, after a non-empty stack (see `scan`, which reads the lines).
    ///
    /// - Parameters:
    ///   - text: the whole input.
    ///   - source: the input's name for error messages.
    ///   - skipBadLines: skip malformed lines instead of throwing; their count is returned.
    /// - Throws: `ProfileError(.malformedLine)` naming the 1-based line.
    public static func parse(_ text: String, source: String? = nil, skipBadLines: Bool = false) throws(ProfileError)
        -> (profile: FoldedProfile, skippedLines: Int)
    {
        var stacks: [FoldedStack] = []
        var text = text
        let result: Result<Int, ProfileError> = text.withUTF8 { bytes in
            Result { () throws(ProfileError) -> Int in
                try scan(bytes, source: source, skipBadLines: skipBadLines) { line in
                    stacks.append(FoldedStack(frames: frames(of: line.stack), weight: line.weight))
                }
            }
        }
        return (FoldedProfile(stacks: stacks), try result.get())
    }

    /// Reads folded text line by line, handing each stack's bytes and weight to `visit`
    /// without building frames: the grammar of `parse`, for readers that build something else
    /// (`parse` itself, and `sflame diff`, which interns frames as it goes).
    ///
    /// Lines end in `\n` or `\r\n`; blank lines are skipped. A line is a stack, exactly one
    /// blank (space or tab), and a non-negative integer weight, with blanks allowed at the end.
    ///
    /// - Parameters:
    ///   - bytes: the whole input, UTF-8 (not validated here; frames are decoded by the reader).
    ///   - source: the input's name for error messages.
    ///   - skipBadLines: skip malformed lines instead of throwing; their count is returned.
    ///   - visit: called once per stack, in input order; `line.stack` is valid during the call.
    /// - Returns: the number of malformed lines skipped.
    /// - Throws: `ProfileError(.malformedLine)` naming the source and 1-based line.
    public static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, source: String? = nil, skipBadLines: Bool = false,
        _ visit: (FoldedLine) -> Void
    ) throws(ProfileError) -> Int {
        var skipped = 0
        var lineNumber = 0
        var lineStart = 0
        var twoCounts = TwoCountCheck()
        // Lines are split on the byte 0x0A: "\r\n" is one Character in Swift, so a String split
        // would not see those line ends.
        while lineStart <= bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            lineNumber += 1
            var end = lineEnd
            if end > lineStart && bytes[end - 1] == 0x0D { end -= 1 }
            var line = UnsafeBufferPointer(rebasing: bytes[lineStart..<end])
            if lineNumber == 1 { line = droppingByteOrderMark(line) }
            lineStart = lineEnd + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            switch splitLine(line) {
            case .success(let (stackEnd, weight)):
                let stack = UnsafeBufferPointer(rebasing: line[0..<stackEnd])
                twoCounts.see(stack, lineNumber: lineNumber)
                visit(FoldedLine(stack: stack, weight: weight, lineNumber: lineNumber))
            case .failure(var error):
                if skipBadLines {
                    skipped += 1
                    continue
                }
                error.source = source
                error.line = lineNumber
                throw error
            }
        }
        if let error = twoCounts.error(source: source) { throw error }
        return skipped
    }

    /// `line` without a leading UTF-8 byte order mark (EF BB BF), which some editors and
    /// Windows tools put at the start of a text file; it is no part of the first frame's name.
    static func droppingByteOrderMark(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF else { return line }
        return UnsafeBufferPointer(rebasing: line[3...])
    }

    /// The frames of a stack's bytes, split on `;`, each decoded as UTF-8 (invalid sequences
    /// become U+FFFD).
    public static func frames(of stack: UnsafeBufferPointer<UInt8>) -> [String] {
        var frames: [String] = []
        // One frame per ';' plus one: reserving avoids regrowing the array for deep stacks.
        frames.reserveCapacity(1 + stack.reduce(0) { $0 + ($1 == 0x3B ? 1 : 0) })
        var frameStart = 0
        for i in 0...stack.count where i == stack.count || stack[i] == 0x3B {
            frames.append(String(decoding: UnsafeBufferPointer(rebasing: stack[frameStart..<i]), as: UTF8.self))
            frameStart = i + 1
        }
        return frames
    }

    /// Where a line's stack ends and its weight.
    private static func splitLine(_ line: UnsafeBufferPointer<UInt8>) -> Result<(Int, Int64), ProfileError> {
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        var end = line.count
        while end > 0 && isBlank(line[end - 1]) { end -= 1 }
        var split = end
        while split > 0 && !isBlank(line[split - 1]) { split -= 1 }
        if split == 0 {
            return .failure(ProfileError(.malformedLine, "expected 'frame;frame;… COUNT', found no count: \(excerpt(line))"))
        }
        var weight: Int64 = 0
        for b in line[split..<end] {
            guard b >= 0x30 && b <= 0x39 else {
                let found = String(decoding: UnsafeBufferPointer(rebasing: line[split..<end]), as: UTF8.self)
                return .failure(ProfileError(
                    .malformedLine, "expected a non-negative integer count at the end of the line, found '\(found)'"))
            }
            let (m, o1) = weight.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b - 0x30))
            if o1 || o2 { return .failure(ProfileError(.malformedLine, "the count does not fit in 64 bits")) }
            weight = a
        }
        // Exactly one blank separates the stack from the count (flamegraph.pl's `\s+?`), so a
        // frame that is itself a space survives: "a; 3" is the stack ["a", " "].
        let stackEnd = split - 1
        if stackEnd == 0 {
            return .failure(ProfileError(.malformedLine, "the stack before the count is empty"))
        }
        return .success((stackEnd, weight))
    }

    private static func excerpt(_ line: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: line, as: UTF8.self)
        return text.count > 80 ? "'\(text.prefix(77))...'" : "'\(text)'"
    }
}

/// Recognises difffolded.pl's output (`stack BEFORE AFTER`): read as folded text, every line's
/// stack would end in ` BEFORE`, a leaf named `hot_a 867250000`. When every stack line of an
/// input ends in a blank and a number, the input is refused instead of silently misread.
struct TwoCountCheck {
    private var lines = 0
    private var withNumber = 0
    private var firstLine = 0

    /// Notes one stack (the bytes before the count).
    @inline(__always)
    mutating func see(_ stack: UnsafeBufferPointer<UInt8>, lineNumber: Int) {
        lines += 1
        if firstLine == 0 { firstLine = lineNumber }
        // The stack itself has a folded line's shape: it ends in a blank and a count.
        if FoldedStackReader.isFoldedLine(stack) { withNumber += 1 }
    }

    /// The error for an input whose every line had two counts, else nil.
    func error(source: String?) -> ProfileError? {
        guard lines > 0 && withNumber == lines else { return nil }
        return ProfileError(
            .malformedLine,
            "every line ends in two counts, as difffolded.pl writes them (before and after); sflame reads one count "
                + "per line: compare the two profiles with 'sflame diff BEFORE AFTER -o diff.svg'",
            source: source, line: firstLine)
    }
}
