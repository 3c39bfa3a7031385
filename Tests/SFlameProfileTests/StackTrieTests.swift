// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import SFlameProfile

/// The fast folded path (byte-level reader into a trie) must say exactly what the reference
/// path (`FoldedProfile.parse` + `merged()`) says, for any input and any chunking.
@Suite struct StackTrieTests {
    /// Random folded text with shared prefixes, repeated stacks, spaces, odd bytes and CRLF.
    static func randomFoldedText(_ rng: inout SeededGenerator, lines: Int) -> String {
        let alphabet = Array("abcdefgh ()<>&\"'_:[]é;")
        var out = ""
        for _ in 0..<lines {
            let depth = Int.random(in: 1...7, using: &rng)
            var frames: [String] = []
            for d in 0..<depth {
                // Few distinct names near the root, so prefixes repeat.
                if Int.random(in: 0..<3, using: &rng) > 0 {
                    frames.append("f\(d)_\(Int.random(in: 0..<3, using: &rng))")
                } else {
                    frames.append(
                        String((0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                            .replacingOccurrences(of: ";", with: ":"))
                }
            }
            var stack = frames.joined(separator: ";")
            if stack.allSatisfy({ $0 == " " }) { stack = "x" + stack }
            out += stack + " \(Int.random(in: 0...50, using: &rng))"
            out += Int.random(in: 0..<10, using: &rng) == 0 ? "\r\n" : "\n"
            if Int.random(in: 0..<20, using: &rng) == 0 { out += "\n" }
        }
        return out
    }

    @Test func readerEqualsTheReferenceParserOnRandomInputs() throws {
        var rng = SeededGenerator(seed: 11)
        for round in 0..<150 {
            let text = Self.randomFoldedText(&rng, lines: Int.random(in: 0...40, using: &rng))
            let (reference, _) = try FoldedProfile.parse(text)
            let reader = try FoldedStackReader.read(Array(text.utf8))
            #expect(String(decoding: reader.stacks.foldedText(), as: UTF8.self) == reference.text(), "round \(round)")
            #expect(reader.stacks.foldedProfile() == reference.merged(), "round \(round)")
            #expect(reader.stacks.totalWeight == reference.totalWeight)
        }
    }

    @Test func everyChunkingGivesTheSameStacks() throws {
        var rng = SeededGenerator(seed: 5)
        let text = Array(Self.randomFoldedText(&rng, lines: 30).utf8)
        let whole = try FoldedStackReader.read(text).stacks.foldedText()
        for split in stride(from: 0, through: text.count, by: 3) {
            var reader = FoldedStackReader()
            try text.withUnsafeBufferPointer { buffer in
                try reader.consume(UnsafeBufferPointer(rebasing: buffer[0..<split]))
                try reader.consume(UnsafeBufferPointer(rebasing: buffer[split...]))
            }
            try reader.finish()
            #expect(reader.stacks.foldedText() == whole, "split at \(split)")
        }
    }

    @Test func errorsMatchTheReferenceParserWithTheirLineNumbers() {
        for text in ["main;a 1\nmain;b\n", "a 1\n\nb -3\n", "a 1\r\n 5\n", "x 99999999999999999999\n", "a 1.5"] {
            var reference: ProfileError?
            do { _ = try FoldedProfile.parse(text, source: "in") } catch { reference = error }
            var fast: ProfileError?
            do { _ = try FoldedStackReader.read(Array(text.utf8), source: "in") } catch { fast = error }
            #expect(reference != nil && fast == reference, "\(text.debugDescription): \(String(describing: fast))")
        }
        let skipped = try? FoldedStackReader.read(Array("a 1\nbad\nb 2\nworse\n".utf8), skipBadLines: true)
        #expect(skipped?.skippedLines == 2 && skipped?.stacks.totalWeight == 3)
    }

    @Test func mergeAddsWeightsAndReversedFlipsStacks() throws {
        var a = try FoldedStackReader.read(Array("m;x 1\nm;y 2\n".utf8)).stacks
        let b = try FoldedStackReader.read(Array("m;y 3\nq 4\n".utf8)).stacks
        a.merge(b)
        #expect(String(decoding: a.foldedText(), as: UTF8.self) == "m;x 1\nm;y 5\nq 4\n")
        #expect(String(decoding: a.reversed().foldedText(), as: UTF8.self) == "q 4\nx;m 1\ny;m 5\n")
    }

    @Test func sortingIsBytewiseByStackAsStackcollapseSortsIt() throws {
        // '!' (0x21) sorts before ';' (0x3B): "a!" comes before "a;x", and "a" (a prefix) first.
        let stacks = try FoldedStackReader.read(Array("a;x 1\na! 2\na 3\nB 4\n".utf8)).stacks
        #expect(String(decoding: stacks.foldedText(), as: UTF8.self) == "B 4\na 3\na! 2\na;x 1\n")
    }

    @Test func nameTableInternsBytesOnce() {
        var table = NameTable()
        var ids: [Int32] = []
        for i in 0..<5000 { ids.append(table.intern("name-\(i % 1234)")) }
        #expect(table.count == 1234)
        #expect(ids[0] == ids[1234] && table[ids[7]] == "name-7")
        #expect(table.intern("") == table.intern(""))
    }
}
