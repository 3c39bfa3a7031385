// SPDX-License-Identifier: Apache-2.0
//
// Reads folded stacks straight into a `StackTrie`, in chunks, byte by byte: the fast path of
// `sflame flamegraph` and `sflame collapse` for folded input. The accepted text is exactly
// what `FoldedProfile.parse` accepts, with the same errors:
//
//   main;parse;lex 2        ──►  trie  main ─ parse ─ lex (2)
//   main;parse;lex 1                          └ render (6)
//   main;render 6                 (equal stacks merge: lex weighs 3)
//
// A line that shares its first frames with the line before (sorted input usually does)
// reuses the trie nodes of those frames without hashing them again.

/// Folded text → `StackTrie`, fed in chunks.
public struct FoldedStackReader: Sendable {
    /// The stacks read so far.
    public private(set) var stacks = StackTrie()
    /// Malformed lines skipped (with `skipBadLines`).
    public private(set) var skippedLines = 0
    /// Lines with a stack.
    public private(set) var stackLines = 0
    private let source: String?
    private let skipBadLines: Bool
    private var lines = LineChunker()
    private var failure: ProfileError?
    /// The previous line's stack bytes, the end offset of each of its frames, and its nodes.
    private var previous: [UInt8] = []
    private var previousFrameEnds: [Int] = []
    private var previousNodes: [Int32] = []
    private var twoCounts = TwoCountCheck()

    /// - Parameters:
    ///   - source: the input's name for error messages.
    ///   - skipBadLines: count and skip malformed lines instead of failing.
    public init(source: String? = nil, skipBadLines: Bool = false) {
        self.source = source
        self.skipBadLines = skipBadLines
    }

    /// Reads the next chunk of the input.
    ///
    /// - Throws: `ProfileError(.malformedLine)` naming the source and 1-based line of the first
    ///   malformed line, unless `skipBadLines`.
    public mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) throws(ProfileError) {
        if let failure { throw failure }
        var chunker = lines
        lines = LineChunker()
        chunker.lines(in: chunk) { self.handle($0, lineNumber: $1) }
        lines = chunker
        if let failure { throw failure }
    }

    /// Reads the last line (one without a final newline).
    public mutating func finish() throws(ProfileError) {
        if let failure { throw failure }
        var chunker = lines
        lines = LineChunker()
        chunker.finish { self.handle($0, lineNumber: $1) }
        lines = chunker
        if let failure { throw failure }
        if let error = twoCounts.error(source: source) { throw error }
    }

    /// Reads a whole input.
    public static func read(_ bytes: [UInt8], source: String? = nil, skipBadLines: Bool = false) throws(ProfileError)
        -> FoldedStackReader
    {
        var reader = FoldedStackReader(source: source, skipBadLines: skipBadLines)
        let result: Result<Void, ProfileError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(ProfileError) {
                try reader.consume(buffer)
                try reader.finish()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return reader
    }

    private mutating func handle(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int) -> Bool {
        switch parse(lineNumber == 1 ? FoldedProfile.droppingByteOrderMark(line) : line, lineNumber: lineNumber) {
        case .blank, .added:
            return true
        case .malformed(var error):
            if skipBadLines {
                skippedLines += 1
                return true
            }
            error.source = source
            error.line = lineNumber
            failure = error
            return false
        }
    }

    private enum LineResult {
        case blank
        case added
        case malformed(ProfileError)
    }

    @inline(__always)
    private static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    private mutating func parse(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int) -> LineResult {
        var end = line.count
        while end > 0 && Self.isBlank(line[end - 1]) { end -= 1 }
        if end == 0 { return .blank }
        var split = end
        while split > 0 && !Self.isBlank(line[split - 1]) { split -= 1 }
        if split == 0 {
            return .malformed(
                ProfileError(.malformedLine, "expected 'frame;frame;… COUNT', found no count: \(Self.excerpt(line))"))
        }
        var weight: Int64 = 0
        for i in split..<end {
            let b = line[i]
            guard b >= 0x30 && b <= 0x39 else {
                let found = String(decoding: UnsafeBufferPointer(rebasing: line[split..<end]), as: UTF8.self)
                return .malformed(
                    ProfileError(
                        .malformedLine, "expected a non-negative integer count at the end of the line, found '\(found)'"))
            }
            let (m, o1) = weight.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b - 0x30))
            if o1 || o2 { return .malformed(ProfileError(.malformedLine, "the count does not fit in 64 bits")) }
            weight = a
        }
        // One blank separates the stack from the count (flamegraph.pl's `\s+?`).
        let stackEnd = split - 1
        if stackEnd == 0 { return .malformed(ProfileError(.malformedLine, "the stack before the count is empty")) }
        let stack = UnsafeBufferPointer(start: line.baseAddress, count: stackEnd)
        twoCounts.see(stack, lineNumber: lineNumber)
        let node = insert(stack)
        stackLines += 1
        if !stacks.addWeight(weight, at: node) {
            return .malformed(ProfileError(.malformedLine, "the sum of the counts of this stack exceeds \(Int64.max)"))
        }
        return .added
    }

    /// Inserts the `;`-separated frames of `stack` and returns the node of its last frame.
    private mutating func insert(_ stack: UnsafeBufferPointer<UInt8>) -> Int32 {
        // Frames of the previous line that this line repeats byte for byte, including the `;`
        // after them, keep their nodes.
        var common = 0
        let limit = min(stack.count, previous.count)
        previous.withUnsafeBufferPointer { prev in
            while common < limit && prev[common] == stack[common] { common += 1 }
        }
        var reused = 0
        while reused < previousFrameEnds.count && previousFrameEnds[reused] < common
            && previousFrameEnds[reused] < stack.count && stack[previousFrameEnds[reused]] == 0x3B
        {
            reused += 1
        }
        previousFrameEnds.removeLast(previousFrameEnds.count - reused)
        previousNodes.removeLast(previousNodes.count - reused)
        var node = reused == 0 ? StackTrie.root : previousNodes[reused - 1]
        var start = reused == 0 ? 0 : previousFrameEnds[reused - 1] + 1
        var i = start
        let base = stack.baseAddress!
        while true {
            if i == stack.count || stack[i] == 0x3B {
                let name = stacks.names.intern(UnsafeBufferPointer(start: base + start, count: i - start))
                node = stacks.child(of: node, name: name)
                previousFrameEnds.append(i)
                previousNodes.append(node)
                if i == stack.count { break }
                start = i + 1
            }
            i += 1
        }
        previous.removeAll(keepingCapacity: true)
        previous.append(contentsOf: stack)
        return node
    }

    private static func excerpt(_ line: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: line, as: UTF8.self)
        return text.count > 80 ? "'\(text.prefix(77))...'" : "'\(text)'"
    }
}
