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
        // Lines are split on the byte 0x0A: "\r\n" is one Character in Swift, so a String split
        // would not see those line ends.
        var text = text
        let result: Result<Void, ProfileError> = text.withUTF8 { bytes in
            var lineStart = 0
            while lineStart <= bytes.count {
                let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
                lineNumber += 1
                var end = lineEnd
                if end > lineStart && bytes[end - 1] == 0x0D { end -= 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<end])
                lineStart = lineEnd + 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                switch parseLine(line) {
                case .success(let stack):
                    stacks.append(stack)
                case .failure(var error):
                    if skipBadLines {
                        skipped += 1
                        continue
                    }
                    error.source = source
                    error.line = lineNumber
                    return .failure(error)
                }
            }
            return .success(())
        }
        if case .failure(let error) = result { throw error }
        return (FoldedProfile(stacks: stacks), skipped)
    }

    private static func parseLine(_ line: UnsafeBufferPointer<UInt8>) -> Result<FoldedStack, ProfileError> {
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
        var frames: [String] = []
        // One frame per ';' plus one: reserving avoids regrowing the array for deep stacks.
        frames.reserveCapacity(1 + line[0..<stackEnd].reduce(0) { $0 + ($1 == 0x3B ? 1 : 0) })
        var frameStart = 0
        for i in 0...stackEnd where i == stackEnd || line[i] == 0x3B {
            frames.append(String(decoding: UnsafeBufferPointer(rebasing: line[frameStart..<i]), as: UTF8.self))
            frameStart = i + 1
        }
        return .success(FoldedStack(frames: frames, weight: weight))
    }

    private static func excerpt(_ line: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: line, as: UTF8.self)
        return text.count > 80 ? "'\(text.prefix(77))...'" : "'\(text)'"
    }
}
