// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import SFlameProfile

@Suite struct FoldedProfileTests {
    func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/folded/\(name)", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// difffolded.pl's output (two counts per line) is refused by both folded readers, naming
    /// the first line; a file where only some leaves end in a number is ordinary folded text.
    /// A UTF-8 byte order mark at the start of the file is no part of the first frame.
    @Test func aByteOrderMarkIsNotAFrame() throws {
        let text = "\u{FEFF}main;a 1\nmain;b 2\n"
        #expect(try FoldedProfile.parse(text).profile.merged().text() == "main;a 1\nmain;b 2\n")
        #expect(String(decoding: try FoldedStackReader.read(Array(text.utf8)).stacks.foldedText(), as: UTF8.self)
            == "main;a 1\nmain;b 2\n")
    }

    @Test func twoCountsPerLineAreRefusedNotMisread() throws {
        let diff = "main;hot_a 867250000 3469\nmain;hot_b 100 200\n"
        for read in [
            { (text: String) throws -> Void in _ = try FoldedProfile.parse(text, source: "d.folded") },
            { (text: String) throws -> Void in _ = try FoldedStackReader.read(Array(text.utf8), source: "d.folded") },
        ] {
            do {
                try read(diff)
                Issue.record("accepted difffolded output")
            } catch let error as ProfileError {
                #expect(error.line == 1 && error.description.hasPrefix("d.folded:1: every line ends in two counts"), "\(error)")
                #expect(error.description.contains("sflame diff"))
            }
            try read("main;worker 2 5\nmain;b 1\n")
        }
    }

    @Test func duplicatesMergeAndOutputIsSorted() throws {
        let (profile, skipped) = try FoldedProfile.parse(try fixture("merge-duplicates.folded"))
        #expect(skipped == 0)
        #expect(profile.text() == "main;parse;lex 15\nmain;render 30\n")
        #expect(profile.totalWeight == 45)
    }

    @Test func badLineIsNamedOrSkipped() throws {
        let text = try fixture("bad-lines.folded")
        #expect(throws: ProfileError(.malformedLine, "expected 'frame;frame;… COUNT', found no count: 'main;render'",
                                     source: "bad-lines.folded", line: 2)) {
            try FoldedProfile.parse(text, source: "bad-lines.folded")
        }
        let (profile, skipped) = try FoldedProfile.parse(text, skipBadLines: true)
        #expect(skipped == 1)
        #expect(profile.stacks.count == 2)
    }

    @Test func malformedCountsAndEmptyStacks() {
        for line in ["main;a -3", "main;a 1.5", "main;a 12x", " 5", "justone"] {
            #expect(throws: ProfileError.self, "\(line)") { try FoldedProfile.parse(line) }
        }
    }

    @Test func namesWithSpacesTabsAndCRLF() throws {
        let (p, _) = try FoldedProfile.parse("main;operator<<(std::ostream&, \"x\") 2\r\nmain;a b\t7\n")
        #expect(p.stacks[0].frames == ["main", "operator<<(std::ostream&, \"x\")"])
        #expect(p.stacks[1].frames == ["main", "a b"] && p.stacks[1].weight == 7)
    }

    @Test func scanHandsOverStackBytesWeightsAndLineNumbers() throws {
        let bytes = Array("a;b 3\r\n\n  \nbad\nc 0\n".utf8)
        var lines: [(String, Int64, Int)] = []
        let skipped = try bytes.withUnsafeBufferPointer { buffer in
            try FoldedProfile.scan(buffer, skipBadLines: true) { line in
                lines.append((String(decoding: line.stack, as: UTF8.self), line.weight, line.lineNumber))
            }
        }
        #expect(skipped == 1)
        #expect(lines.map(\.0) == ["a;b", "c"] && lines.map(\.1) == [3, 0] && lines.map(\.2) == [1, 5])
        #expect(Array("a;;b".utf8).withUnsafeBufferPointer { FoldedProfile.frames(of: $0) } == ["a", "", "b"])
    }

    @Test func parseOfTextIsTheIdentityOnRandomProfiles() throws {
        var rng = SeededGenerator(seed: 7)
        let alphabet = Array("abcdefgh ()<>&\"'_:[]")
        for _ in 0..<200 {
            var stacks: [FoldedStack] = []
            for _ in 0..<Int.random(in: 1...20, using: &rng) {
                let frames = (0..<Int.random(in: 1...6, using: &rng)).map { _ in
                    String((0..<Int.random(in: 1...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                        .trimmingCharacters(in: .whitespaces)
                }.map { $0.isEmpty ? "x" : $0 }
                stacks.append(FoldedStack(frames: frames, weight: Int64.random(in: 1...1000, using: &rng)))
            }
            let folded = FoldedProfile(stacks: stacks)
            let reparsed = try FoldedProfile.parse(folded.text()).profile
            #expect(reparsed == folded.merged())
            #expect(reparsed.text() == folded.text())
        }
    }
}

/// A deterministic generator (SplitMix64) so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
