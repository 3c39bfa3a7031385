// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import SFlameProfile

/// Formats are recognised by content, and no importer crashes: random bytes and mutations of
/// valid files give a profile or a `ProfileError` that says where (line or byte offset) or
/// what (a JSON path) is wrong.
@Suite struct ImporterRobustnessTests {
    static let validInputs: [(String, [UInt8])] = [
        ("folded", Array("main;parse;lex 12\nmain;render 30\n".utf8)),
        ("perf-script", Array(PerfScriptTests.defaultFields.utf8)),
        ("pprof", PprofTests.fullProfile().pprofBytes()),
        ("pprof.gz", PprofTests.fullProfile().pprofGzip()),
        ("speedscope", Speedscope.write(PprofTests.fullProfile(), name: "x")),
    ]

    @Test func formatsAreRecognisedByContent() throws {
        #expect(ProfileFormat.detect(Array("main;parse 12\n".utf8)) == .folded)
        #expect(ProfileFormat.detect(Array("a 1\n".utf8)) == .folded)
        #expect(ProfileFormat.detect(Array("# ========\n# captured on: x\n".utf8)) == .perfScript)
        #expect(ProfileFormat.detect(Array("java 19983 cycles:\nffffffff8103d0ca native ([kernel.kallsyms])\n".utf8)) == .perfScript)
        #expect(ProfileFormat.detect(Array("comm 123 1000\n\t 4005d0 main (/bin/x)\n".utf8)) == .perfScript,
                "a header that ends in a number, then a frame line")
        #expect(ProfileFormat.detect(Array(PerfScriptTests.defaultFields.utf8)) == .perfScript)
        #expect(ProfileFormat.detect(PprofTests.fullProfile().pprofBytes()) == .pprof)
        #expect(ProfileFormat.detect(PprofTests.fullProfile().pprofGzip()) == .pprof)
        #expect(ProfileFormat.detect(Array("\u{FEFF}  {\"$schema\": 1}".utf8)) == .speedscope)
        #expect(ProfileFormat.detect([]) == .folded)
        // A control byte in text does not make it pprof: pprof is gzip or a protobuf Profile.
        #expect(ProfileFormat.detect(Array("main;a 1\nmain;\0b 2\n".utf8)) == .folded)
        #expect(ProfileFormat.detect(Array("main;a 1\u{01}\n".utf8) + [UInt8](repeating: 0x61, count: 70_000)) == .folded)
        for (name, bytes) in Self.validInputs {
            let decoded = try ProfileDecoder.decode(bytes, wanting: .stacks())
            #expect(decoded.stacks.totalWeight > 0, "\(name)")
            #expect(decoded.isCompressed == (name == "pprof.gz"), "\(name)")
        }
        // gzip'd text is read as the text it holds.
        let gzFolded = try ProfileDecoder.decode(Gzip.compress(Array("a;b 3\n".utf8)), wanting: .stacks())
        #expect(gzFolded.format == .folded && gzFolded.isCompressed && gzFolded.stacks.totalWeight == 3)
    }

    /// Decodes for every use; returns the error, or nil when the input was accepted.
    func decodeAll(_ bytes: [UInt8]) -> [ProfileError] {
        var errors: [ProfileError] = []
        for wanting: ProfileDecoder.Wanting in [.stacks(), .orderedStacks(), .profile()] {
            do {
                let decoded = try ProfileDecoder.decode(bytes, wanting: wanting, source: "fuzz")
                // Whatever was accepted must be usable.
                _ = decoded.stacks.foldedText()
                if case .profile(let p) = decoded.content { try p.validate() }
            } catch {
                errors.append(error)
            }
        }
        return errors
    }

    func expectLocated(_ error: ProfileError, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error.source == "fuzz", "\(what): \(error)", sourceLocation: sourceLocation)
        switch error.kind {
        case .malformedLine:
            #expect(error.line != nil, "\(what): \(error)", sourceLocation: sourceLocation)
        case .malformedData:
            // Binary formats give an offset; JSON gives a field path or a position in words.
            #expect(error.offset != nil || error.message.contains("speedscope") || error.message.contains("pprof"),
                    "\(what): \(error)", sourceLocation: sourceLocation)
        case .emptyInput, .invalidProfile, .unknownFormat:
            #expect(!error.message.isEmpty, "\(what): \(error)", sourceLocation: sourceLocation)
        }
    }

    /// A folded file with a NUL byte: an error naming its line and offset, not a pprof
    /// decoding error.
    @Test func aNulByteInTextIsNamedByLineAndOffset() {
        let text = Array("main;a 1\nmain;b 2\nmain;\0c 3\n".utf8)
        #expect {
            _ = try ProfileDecoder.decode(text, wanting: .stacks(), source: "x.folded")
        } throws: { error in
            guard let error = error as? ProfileError else { return false }
            return error.kind == .malformedData && error.line == 3 && error.offset == 23
                && error.message.contains("NUL") && error.message.contains("folded")
        }
    }

    @Test func randomBytesNeverCrashAnImporter() {
        var rng = SeededGenerator(seed: 1234)
        for round in 0..<400 {
            let count = Int.random(in: 0...600, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Steer some inputs into each format's reader.
            switch round % 5 {
            case 1: bytes = Array("# perf\n".utf8) + bytes
            case 2: bytes = [0x1F, 0x8B] + bytes
            case 3: bytes = Array("{\"$schema\":".utf8) + bytes
            case 4: bytes = bytes.map { $0 & 0x7F | 0x20 }  // printable: folded or perf script text
            default: break
            }
            for error in decodeAll(bytes) { expectLocated(error, "round \(round)") }
        }
    }

    @Test func mutationsOfValidFilesNeverCrashAnImporter() {
        var rng = SeededGenerator(seed: 99)
        for (name, valid) in Self.validInputs {
            for round in 0..<250 {
                var bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    guard !bytes.isEmpty else { break }
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<5, using: &rng) {
                    case 0: bytes[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                    case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                    case 2: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...16, using: &rng)))
                    case 3: bytes.insert(contentsOf: bytes[i..<min(bytes.count, i + 8)], at: Int.random(in: 0...bytes.count, using: &rng))
                    default: bytes = Array(bytes.prefix(i))
                    }
                }
                for error in decodeAll(bytes) { expectLocated(error, "\(name) mutation \(round)") }
            }
        }
    }
}
