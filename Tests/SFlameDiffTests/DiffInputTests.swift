// SPDX-License-Identifier: Apache-2.0
//
// The two ways to encode a side agree: from a parsed FoldedProfile, and straight from folded
// bytes (what `sflame diff` does for folded inputs).
import SFlameDiff
import SFlameProfile
import Testing

struct DiffInputTests {
    func fromBytes(_ bytes: [UInt8], source: String = "in.folded") throws -> DiffInput {
        try bytes.withUnsafeBufferPointer { try DiffInput(folded: $0, source: source, label: "BEFORE") }
    }

    func fromProfile(_ bytes: [UInt8]) throws -> DiffInput {
        let text = String(decoding: bytes, as: UTF8.self)
        return try DiffInput(FoldedProfile.parse(text).profile, label: "BEFORE")
    }

    @Test func bytesAndParsedProfilesEncodeAlike() throws {
        let cases: [[UInt8]] = [
            Array("m;a;b 3\nm;a 2\n\n  \nm;c 0\r\nm;a;b 4\nx 1".utf8),
            Array("main;operator<<(std::ostream&, \"x\") 2\r\nmain;a b\t7\nmain; 3\n".utf8),
            // Invalid UTF-8: two different byte sequences that both decode to "a\u{FFFD}".
            [0x6D, 0x3B, 0x61, 0xFF, 0x20, 0x31, 0x0A, 0x6D, 0x3B, 0x61, 0xFE, 0x20, 0x32, 0x0A],
            Array("λ;ünïcödé;🔥 5\n".utf8),
        ]
        for bytes in cases {
            let a = try fromBytes(bytes)
            let b = try fromProfile(bytes)
            #expect(a == b, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test(arguments: Array(1...20) as [UInt64])
    func randomProfilesEncodeAlike(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let text = randomProfile(&rng, stacks: 80).stacks.map { "\($0.frames.joined(separator: ";")) \($0.weight)\n" }
            .joined()
        #expect(try fromBytes(Array(text.utf8)) == fromProfile(Array(text.utf8)))
    }

    @Test func malformedLinesAreTheParsersErrors() throws {
        let bytes = Array("m;a 1\nm;b x\n".utf8)
        var parseError: ProfileError? = nil
        do { _ = try FoldedProfile.parse(String(decoding: bytes, as: UTF8.self), source: "in.folded") } catch {
            parseError = error
        }
        #expect(parseError?.line == 2)
        do {
            _ = try fromBytes(bytes)
            Issue.record("expected an error")
        } catch let error as ProfileError {
            #expect(error == parseError)
        }
    }

    @Test func comparisonsOfEitherEncodingAgree() throws {
        let before = Array("svc;main;parse 20\nsvc;main;poll 80\n".utf8)
        let after = Array("svc;main;parse 40\nsvc;main;poll 60\nsvc;main;new 5\n".utf8)
        let a = try ProfileDiff(baseline: fromBytes(before), comparison: fromBytes(after))
        let b = try ProfileDiff(baseline: fromProfile(before), comparison: fromProfile(after))
        #expect(a.functions == b.functions && a.newStacks == b.newStacks && a.stacks() == b.stacks())
    }
}
