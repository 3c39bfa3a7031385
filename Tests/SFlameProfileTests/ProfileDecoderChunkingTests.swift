// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import SFlameProfile

/// `ProfileDecoder` judges a first chunk of at least `ProfileFormat.detectionPrefix` bytes where
/// it is (no copy) and collects smaller ones first: every way of cutting the input gives the same
/// stacks, and errors keep their line numbers.
@Suite struct ProfileDecoderChunkingTests {
    private static func decode(_ bytes: [UInt8], chunk: Int, wanting: ProfileDecoder.Wanting) throws(ProfileError)
        -> DecodedProfile
    {
        var decoder = ProfileDecoder(wanting: wanting, source: "in")
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            let result: Result<Void, ProfileError> = bytes.withUnsafeBufferPointer { all in
                do throws(ProfileError) {
                    try decoder.consume(UnsafeBufferPointer(rebasing: all[offset..<end]))
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            try result.get()
            offset = end
        }
        return try decoder.finish()
    }

    /// Folded text and perf script text, larger than the detection prefix, in one chunk, in
    /// chunks smaller than the prefix, and with a first chunk just over it.
    @Test func everyChunkingGivesTheSameStacks() throws {
        var folded = ""
        var perfScript = ""
        for i in 0..<8000 {
            folded += "main;work_\(i % 37);leaf_\(i % 11) \(i % 5 + 1)\n"
            perfScript += "app 42/42 \(1000 + i).000000: 1 cpu-clock:u:\n\t401000 leaf_\(i % 11) (/bin/app)\n"
                + "\t402000 work_\(i % 37) (/bin/app)\n\t403000 main (/bin/app)\n\n"
        }
        for text in [folded, perfScript] {
            let bytes = Array(text.utf8)
            #expect(bytes.count > 2 * ProfileFormat.detectionPrefix)
            let whole = try Self.decode(bytes, chunk: bytes.count, wanting: .stacks()).stacks.foldedProfile().text()
            #expect(whole.split(separator: "\n").count == 37 * 11 / Int(gcd(37, 11)))
            for chunk in [1000, ProfileFormat.detectionPrefix - 1, ProfileFormat.detectionPrefix + 7, 300_000] {
                let cut = try Self.decode(bytes, chunk: chunk, wanting: .stacks()).stacks.foldedProfile().text()
                #expect(cut == whole, "chunks of \(chunk)")
            }
        }
    }

    @Test func aBadLineAfterALargeFirstChunkKeepsItsNumber() {
        var text = String(repeating: "a;b 1\n", count: 20_000)
        text += "a;b x\n"
        let bytes = Array(text.utf8)
        for chunk in [bytes.count, 4096] {
            #expect(throws: ProfileError.self) { try Self.decode(bytes, chunk: chunk, wanting: .stacks()) }
            do {
                _ = try Self.decode(bytes, chunk: chunk, wanting: .stacks())
            } catch {
                #expect(error.line == 20_001, "chunks of \(chunk): \(error)")
            }
        }
    }

    private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
