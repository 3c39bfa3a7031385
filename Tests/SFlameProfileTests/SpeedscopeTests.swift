// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing
@testable import SFlameProfile

@Suite struct SpeedscopeTests {
    @Test func writtenFilesPassTheSchemaChecks() throws {
        let bytes = Speedscope.write(PprofTests.fullProfile(), name: "app \"quoted\"\n", exporter: "sflame@test")
        #expect(SpeedscopeSchema.problems(bytes) == [])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let profiles = try #require(json["profiles"] as? [[String: Any]])
        #expect(profiles.map { $0["name"] as? String } == ["app (42)", "pid 42"], "one profile per process")
        #expect(profiles[0]["unit"] as? String == "none", "samples/count is unitless")
        #expect(json["name"] as? String == "app \"quoted\"\n")
        // The checks catch what they should.
        #expect(!SpeedscopeSchema.problems(Array(#"{"shared":{"frames":[]},"profiles":[]}"#.utf8)).isEmpty)
        let badIndex = #"{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"}]},"profiles":[{"type":"sampled","name":"p","unit":"none","startValue":0,"endValue":1,"samples":[[1]],"weights":[1]}]}"#
        #expect(SpeedscopeSchema.problems(Array(badIndex.utf8)) == ["profiles[0].samples[0] refers to a frame that does not exist"])
    }

    @Test func foldedStacksSurviveARoundTrip() throws {
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<40 {
            let text = StackTrieTests.randomFoldedText(&rng, lines: Int.random(in: 1...30, using: &rng))
            let folded = try FoldedProfile.parse(text).profile.merged()
            guard folded.totalWeight > 0 else { continue }
            let bytes = Speedscope.write(folded.profile(), name: "t")
            #expect(SpeedscopeSchema.problems(bytes) == [])
            let back = try Speedscope.read(bytes)
            #expect(back.folded(options: FoldOptions(processRoot: false, annotate: false)).text() == folded.text())
        }
    }

    @Test func nanosecondProfilesKeepTheirUnitAndEventedProfilesAreRead() throws {
        var p = PprofTests.fullProfile()
        p.defaultSampleType = "cpu"
        let bytes = Speedscope.write(p, name: "x")
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""unit":"nanoseconds""#))
        let evented = #"""
            {"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"main"},{"name":"work"}]},
             "profiles":[{"type":"evented","name":"p","unit":"milliseconds","startValue":0,"endValue":10,
               "events":[{"type":"O","frame":0,"at":0},{"type":"O","frame":1,"at":2},{"type":"C","frame":1,"at":7},{"type":"C","frame":0,"at":10}]}]}
            """#
        let read = try Speedscope.read(Array(evented.utf8))
        #expect(read.sampleTypes == [ValueType(type: "time", unit: "milliseconds")])
        // A file's only profile adds no root (its name is the file's title).
        #expect(read.folded().text() == "main 5\nmain;work 5\n")
        // Several profiles (one per process) keep their names as roots.
        let several = try Speedscope.read(Speedscope.write(PprofTests.fullProfile(), name: "x"))
        #expect(Set(several.folded().stacks.map { $0.frames[0] }) == ["app (42)", "pid 42"])
    }

    /// Fractional weights are counted in a finer unit, not rounded per sample: 1,000 samples of
    /// 0.4 ms are 400 ms, not nothing.
    @Test func fractionalWeightsAreKept() throws {
        let samples = Array(repeating: "[0]", count: 1000) + Array(repeating: "[1]", count: 10)
        let weights = Array(repeating: "0.4", count: 1000) + Array(repeating: "5", count: 10)
        for (unit, expected, factor) in [("milliseconds", "microseconds", 1000.0), ("none", "count/10", 10)] {
            let json = #"{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"fast"},{"name":"slow"}]},"#
                + #""profiles":[{"type":"sampled","name":"p","unit":"\#(unit)","startValue":0,"endValue":450,"#
                + #""samples":[\#(samples.joined(separator: ","))],"weights":[\#(weights.joined(separator: ","))]}]}"#
            let profile = try Speedscope.read(Array(json.utf8))
            #expect(profile.sampleTypes.first?.unit == expected)
            let totals = profile.folded().functionTotals()
            #expect(totals.first { $0.name.hasSuffix("fast") }?.selfWeight == Int64(400 * factor), "\(unit)")
            #expect(totals.first { $0.name.hasSuffix("slow") }?.selfWeight == Int64(50 * factor), "\(unit)")
        }
        let negative = #"{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"}]},"#
            + #""profiles":[{"type":"sampled","name":"p","unit":"none","samples":[[0],[0]],"weights":[1,-3]}]}"#
        #expect(throws: ProfileError.self) { try Speedscope.read(Array(negative.utf8)) }
    }

    @Test func errorsNameTheFieldOrPosition() {
        func message(_ json: String) -> String {
            do {
                _ = try Speedscope.read(Array(json.utf8))
                return "accepted"
            } catch {
                return error.description
            }
        }
        let head = #"{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"}]},"#
        #expect(message(head + #""profiles":[{"type":"sampled","name":"p","unit":"none"}]}"#) == "accepted")
        #expect(message(head + #""profiles":[{"type":"sampled","name":"p"}]}"#).contains("profiles[0].unit is missing"))
        #expect(message(head + #""profiles":[{"type":"sampled","name":"p","unit":"none","samples":[[0]],"weights":["x"]}]}"#)
            .contains("profiles[0].weights[0] is not a number"))
        #expect(message(head + #""profiles":[{"type":"sampled","name":"p","unit":"none","samples":[[4]],"weights":[1]}]}"#)
            .contains("refers to frame 4"))
        #expect(message(#"{"$schema":"x","shared":{"frames":[]},"profiles":[]}"#).contains("not a speedscope file"))
        #expect(message("{\"a\": [1, 2,, 3]}").contains("not a valid speedscope file"))
        // JSON syntax errors name the line and the byte offset.
        let broken = message(head + "\n" + #""profiles":[{"type":"sampled","name":"p","unit":"none","weights":[1 2]}]}"#)
        #expect(broken.hasPrefix("line 2 at offset \(head.utf8.count + 1 + 68): not a valid speedscope file: the JSON is malformed"), "\(broken)")
        // Trailing commas are not JSON, though Foundation's parser takes them; commas in strings are names.
        let trailing = head + "\n" + #""profiles":[{"type":"sampled","name":"p,]","unit":"none","samples":[[0],],"weights":[1,2]}]}"#
        #expect(message(trailing).hasPrefix("line 2 at offset \(head.utf8.count + 1 + 71): not a valid speedscope file: "
            + "the JSON is malformed (a comma before ']')"), "\(message(trailing))")
        #expect(message(head + #""profiles":[{"type":"sampled","name":"p,]","unit":"none",}]}"#).contains("a comma before '}'"))
        #expect(message(head + #""profiles":[{"type":"sampled","name":"a\",]","unit":"none"}]}"#) == "accepted")
        let truncated = head + #""profiles":[{"type":"sa"#
        #expect(message(truncated).hasPrefix("line 1 at offset \(truncated.utf8.count): "), "\(message(truncated))")
    }
}
