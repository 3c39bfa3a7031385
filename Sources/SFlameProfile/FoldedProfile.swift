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
    /// non-negative integer weight, after a non-empty stack.
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
        var skipped = 0
        var lineNumber = 0
        // "\r\n" is one Character (a grapheme cluster), so split on either newline spelling.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            do {
                stacks.append(try parseLine(line))
            } catch let error {
                if skipBadLines {
                    skipped += 1
                    continue
                }
                var e = error
                e.source = source
                e.line = lineNumber
                throw e
            }
        }
        return (FoldedProfile(stacks: stacks), skipped)
    }

    private static func parseLine(_ line: Substring) throws(ProfileError) -> FoldedStack {
        var trimmed = line
        while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
        guard let split = trimmed.lastIndex(where: { $0 == " " || $0 == "\t" }) else {
            throw ProfileError(.malformedLine, "expected 'frame;frame;… COUNT', found no count: \(excerpt(line))")
        }
        let countText = trimmed[trimmed.index(after: split)...]
        guard let weight = Int64(String(countText)), weight >= 0 else {
            throw ProfileError(
                .malformedLine, "expected a non-negative integer count at the end of the line, found '\(countText)'")
        }
        var stackText = trimmed[..<split]
        while let last = stackText.last, last == " " || last == "\t" { stackText = stackText.dropLast() }
        if stackText.isEmpty {
            throw ProfileError(.malformedLine, "the stack before the count is empty")
        }
        let frames = stackText.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        return FoldedStack(frames: frames, weight: weight)
    }

    private static func excerpt(_ line: Substring) -> String {
        line.count > 80 ? "'\(line.prefix(77))...'" : "'\(line)'"
    }
}
