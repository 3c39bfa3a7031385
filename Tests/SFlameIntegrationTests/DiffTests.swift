// SPDX-License-Identifier: Apache-2.0
//
// `sflame diff` end to end: real recordings of samples/request-loop with and without the
// regression switch, and the command's behaviour on hand-written inputs (errors, outputs, gate).
import Foundation
import SFlameTestSupport
import Testing

/// Three recordings of request-loop: two of the normal build, one with --slow-parse.
final class RequestLoopRecordings: @unchecked Sendable {
    let directory: TemporaryDirectory
    var before: String { directory.file("before.folded") }
    var beforeAgain: String { directory.file("before-again.folded") }
    var after: String { directory.file("after.folded") }

    static let shared: Result<RequestLoopRecordings, any Error> = Result { try RequestLoopRecordings() }

    private init() throws {
        directory = try TemporaryDirectory()
        try Self.record(slowParse: false, to: before)
        try Self.record(slowParse: true, to: after)
        try Self.record(slowParse: false, to: beforeAgain)
    }

    /// Records the running sample for 3 s at 1,999 Hz, by PID: a few thousand samples, a few
    /// hundred when the machine is busy (cpu-clock samples the target's CPU time only).
    private static func record(slowParse: Bool, to path: String) throws {
        let target = try SampleProcess(try Samples.path("request-loop"), arguments: slowParse ? ["--slow-parse"] : [])
        let result = SFlameBinary.run(["record", "--pid", "\(target.pid)", "-F", "1999", "-d", "3", "-o", path])
        guard result.status == 0 else { throw SampleError("sflame record failed: \(result.standardError)") }
        let folded = try FoldedStacks(file: path)
        guard folded.total >= 200 else {
            throw SampleError("too few samples (\(folded.total)) in \(path): is the machine this busy?")
        }
    }
}

@Suite(.serialized) struct DiffRecordingTests {
    func recordings() throws -> RequestLoopRecordings { try RequestLoopRecordings.shared.get() }

    func json(_ arguments: [String]) throws -> (status: Int32, object: [String: Any], stderr: String) {
        let result = SFlameBinary.run(["diff", "--report", "json"] + arguments)
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        return (result.status, try #require(object, "\(result.standardError)"), result.standardError)
    }

    func function(_ name: String, in report: [String: Any]) throws -> (leaf: [String: Any], total: [String: Any]) {
        let functions = try #require(report["functions"] as? [[String: Any]])
        let f = try #require(functions.first { $0["name"] as? String == name }, "\(name) in the report")
        return (try #require(f["self"] as? [String: Any]), try #require(f["total"] as? [String: Any]))
    }

    @Test func theRecordingsHaveTheConstructedShapes() throws {
        let r = try recordings()
        for (path, parse) in [(r.before, 0.2), (r.after, 0.4), (r.beforeAgain, 0.2)] {
            let folded = try FoldedStacks(file: path)
            let share = folded.share(containing: ["serve_loop", "handle_request", "parse_request"])
            #expect(abs(share - parse) < 0.08, "parse_request share \(share) in \(path)")
            let render = folded.share(containing: ["serve_loop", "handle_request", "render_response"])
            #expect(abs(render - 0.3) < 0.08, "render_response share \(render) in \(path)")
        }
    }

    @Test func theReportRanksParseRequestFirstAsASignificantRegression() throws {
        let r = try recordings()
        let (status, report, _) = try json([r.before, r.after])
        #expect(status == 0)
        let regressions = try #require(report["regressions"] as? [String])
        #expect(regressions.first == "parse_request", "\(regressions)")
        let parse = try function("parse_request", in: report)
        #expect(parse.total["significant"] as? Bool == true)
        #expect((parse.total["pointChange"] as? Double ?? 0) > 10)
        #expect((parse.total["relativeChange"] as? Double ?? 0) > 0.6, "about twice as expensive")
        // The untouched function is labelled within noise.
        let render = try function("render_response", in: report)
        #expect(render.total["significant"] as? Bool == false, "\(render.total)")
        #expect(render.leaf["significant"] as? Bool == false, "\(render.leaf)")
        let text = SFlameBinary.run(["diff", "--top", "0", r.before, r.after]).standardOutput
        let renderRows = text.split(separator: "\n").filter { $0.hasSuffix("  render_response") }
        #expect(renderRows.count == 2 && renderRows.allSatisfy { $0.contains("within noise") }, "\(renderRows)")
    }

    @Test func theGateFailsWithTheSwitchAndPassesWithout() throws {
        let r = try recordings()
        let failing = SFlameBinary.run(["diff", r.before, r.after, "--fail-on-regression", "5"])
        #expect(failing.status == 3, "\(failing.standardError)")
        #expect(failing.standardError.contains("regression: parse_request: total share"))
        #expect(failing.standardOutput.contains("Regression gate (5): FAILED"))
        let scoped = SFlameBinary.run(["diff", r.before, r.after, "--fail-on-regression", "^parse_request$:5"])
        #expect(scoped.status == 3)
        let untouched = SFlameBinary.run(["diff", r.before, r.after, "--fail-on-regression", "render_response:1"])
        #expect(untouched.status == 0, "render_response did not regress: \(untouched.standardError)")
        // Two recordings without the switch must not fail the gate.
        let same = SFlameBinary.run(["diff", r.before, r.beforeAgain, "--fail-on-regression", "5"])
        #expect(same.status == 0, "\(same.standardOutput)\n\(same.standardError)")
        #expect(same.standardOutput.contains("Regression gate (5): passed"))
        // Going back is no regression of parse_request (though poll_events' share grows).
        let reversed = SFlameBinary.run(["diff", r.after, r.before, "--fail-on-regression", "parse_request:5"])
        #expect(reversed.status == 0, "\(reversed.standardError)")
    }

    @Test func theDifferentialGraphColoursTheGrownFrameRedAndTheUntouchedOneNearWhite() throws {
        let r = try recordings()
        let dir = try TemporaryDirectory()
        let svgPath = dir.file("diff.svg")
        let result = SFlameBinary.run(["diff", r.before, r.after, "--normalize", "-o", svgPath])
        #expect(result.status == 0, "\(result.standardError)")
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        func fill(of name: String) throws -> (Int, Int, Int) {
            let pattern = try Regex("<title>\(name) \\(before [^<]*</title><rect [^>]*fill=\"#([0-9a-f]{6})\"")
            let match = try #require(svg.firstMatch(of: pattern), "\(name) frame in the SVG")
            let hex = String(match.output[1].substring ?? "")
            let v = Int(hex, radix: 16)!
            return (v >> 16, v >> 8 & 0xFF, v & 0xFF)
        }
        let parse = try fill(of: "parse_request")
        #expect(parse.0 == 255 && parse.1 < 80 && parse.2 < 80, "parse_request is red: \(parse)")
        let render = try fill(of: "render_response")
        #expect(min(render.0, render.1, render.2) >= 185, "render_response is near-white: \(render)")
        let poll = try fill(of: "poll_events")
        #expect(poll.2 == 255 && poll.0 < 130, "poll_events is blue: \(poll)")
    }

    @Test func everyStackOnlyInBeforeIsListed() throws {
        let r = try recordings()
        let before = Set(try FoldedStacks(file: r.before).stacks.map { $0.frames })
        let after = Set(try FoldedStacks(file: r.after).stacks.map { $0.frames })
        let (_, report, _) = try json([r.before, r.after])
        let vanished = try #require(report["vanishedStacks"] as? [[String: Any]]).compactMap {
            $0["frames"] as? [String]
        }
        let new = try #require(report["newStacks"] as? [[String: Any]]).compactMap { $0["frames"] as? [String] }
        #expect(Set(vanished) == before.subtracting(after))
        #expect(Set(new) == after.subtracting(before))
    }
}

/// `sflame diff` on hand-written folded files: outputs, notices, errors and exit codes.
struct DiffCommandTests {
    static let before = """
        svc;main;handle;parse 200
        svc;main;handle;render 300
        svc;main;poll 470
        svc;main;legacy<&> 30

        """
    static let after = """
        svc;main;handle;parse 400
        svc;main;handle;render 300
        svc;main;poll 300

        """

    /// BEFORE and AFTER written to a temporary directory, which lives as long as the value.
    struct Inputs {
        let directory: TemporaryDirectory
        var before: String { directory.file("before.folded") }
        var after: String { directory.file("after.folded") }
        func file(_ name: String) -> String { directory.file(name) }
    }

    func files(_ before: String = before, _ after: String = after) throws -> Inputs {
        let inputs = Inputs(directory: try TemporaryDirectory())
        try before.write(toFile: inputs.before, atomically: true, encoding: .utf8)
        try after.write(toFile: inputs.after, atomically: true, encoding: .utf8)
        return inputs
    }

    @Test func writesTheGraphAndReportsByExtensionAndPrintsTextByDefault() throws {
        let f = try files()
        let (b, a) = (f.before, f.after)
        let result = SFlameBinary.run([
            "diff", b, a, "-o", f.file("d.svg"), "-o", f.file("r.md"), "-o", f.file("r.json"), "-o",
            f.file("r.txt"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("BEFORE  \(b)"))
        #expect(result.standardOutput == (try String(contentsOfFile: f.file("r.txt"), encoding: .utf8)))
        #expect(try String(contentsOfFile: f.file("r.md"), encoding: .utf8).hasPrefix("## Profile comparison"))
        _ = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.file("r.json"))))
        let svg = try String(contentsOfFile: f.file("d.svg"), encoding: .utf8)
        #expect(svg.contains("Differential Flame Graph") && svg.contains("widths: AFTER"))
        // The vanished stack has no width in AFTER's shape: stderr says so, the report lists it.
        #expect(result.standardError.contains("1 stack (30 samples, 3.0 % of BEFORE) is only in BEFORE"))
        #expect(result.standardOutput.contains("Stacks only in BEFORE (vanished): 1 stack, 30 samples"))
        #expect(result.standardOutput.contains("svc;main;legacy<&>"))
        #expect(!svg.contains("legacy"))
        let negated = SFlameBinary.run(["diff", b, a, "--negate", "-o", f.file("n.svg")])
        #expect(negated.status == 0)
        let negatedSVG = try String(contentsOfFile: f.file("n.svg"), encoding: .utf8)
        #expect(negatedSVG.contains("<title>legacy&lt;&amp;&gt; (before 30, after 0 samples"))
        #expect(negatedSVG.contains("widths: BEFORE"))
    }

    @Test func reportFormatsOnStandardOutput() throws {
        let f = try files()
        let (b, a) = (f.before, f.after)
        let md = SFlameBinary.run(["diff", b, a, "--report", "md"])
        #expect(md.status == 0 && md.standardOutput.hasPrefix("## Profile comparison"))
        let json = SFlameBinary.run(["diff", b, a, "--report", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
        #expect(object?["regressions"] as? [String] == ["parse", "handle"])
        let bad = SFlameBinary.run(["diff", b, a, "--report", "html"])
        #expect(bad.status == 64 || bad.status == 2, "argument parser's usage error: \(bad.status)")
    }

    @Test func totalsThatDifferByMoreThanTenPercentAreNormalizedWithANotice() throws {
        let f = try files()
        let (b, a) = (f.before, f.after)
        let result = SFlameBinary.run(["diff", b, a])  // 1,000 vs 1,000: close
        #expect(!result.standardError.contains("normalizing"))
        let f2 = try files(Self.before, Self.after + "svc;main;poll 200\n")  // 1,000 vs 1,200
        let (b2, a2) = (f2.before, f2.after)
        let differing = SFlameBinary.run(["diff", b2, a2])
        #expect(differing.status == 0)
        #expect(differing.standardError.contains("the totals differ by 20.0 % (BEFORE 1,000, AFTER 1,200 samples)"))
        #expect(differing.standardError.contains("normalizing"))
        let refused = SFlameBinary.run(["diff", b2, a2, "--no-normalize"])
        #expect(!refused.standardError.contains("normalizing"))
        #expect(refused.standardOutput.contains("Not normalized on request"))
    }

    @Test func theGateExitsWithCode3AndNamesTheOffenders() throws {
        let f = try files()
        let (b, a) = (f.before, f.after)
        let result = SFlameBinary.run(["diff", b, a, "--fail-on-regression", "5", "--fail-on-regression", "parse:1"])
        #expect(result.status == 3)
        #expect(result.standardError.contains("regression: parse: total share 20.00% -> 40.00%"))
        #expect(result.standardError.contains("[rule parse:1]"))
        let passing = SFlameBinary.run(["diff", b, a, "--fail-on-regression", "render:0"])
        #expect(passing.status == 0)
    }

    @Test(arguments: [
        (["--fail-on-regression", "abc"], "expected PCT or REGEX:PCT"),
        (["--fail-on-regression", "[x:2"], "not a valid regular expression"),
        (["--alpha", "2"], "--alpha must be between 0 and 1"),
        (["-o", "out.png"], "Cannot tell the output format of 'out.png'"),
        (["--top=-1"], "--top must be 0 (all) or more"),
    ])
    func invalidOptionsAreUsageErrors(arguments: [String], message: String) throws {
        let f = try files()
        let (b, a) = (f.before, f.after)
        let result = SFlameBinary.run(["diff", b, a] + arguments)
        #expect(result.status == 64 || result.status == 2, "\(result.status)")
        #expect(result.standardError.contains(message), "\(result.standardError)")
    }

    @Test func malformedInputIsAnErrorNamingTheFileAndLine() throws {
        let f = try files("svc;main 10\nsvc;main;broken 1x\n")
        let (b, a) = (f.before, f.after)
        let result = SFlameBinary.run(["diff", b, a])
        #expect(result.status == 2)
        #expect(result.standardError.contains("\(b):2:"), "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
    }

    @Test func emptyInputsAreErrorsNamingTheFile() throws {
        let f = try files(Self.before, "")
        let (b, a) = (f.before, f.after)
        let result = SFlameBinary.run(["diff", b, a])
        #expect(result.status == 2)
        #expect(result.standardError.contains("\(a): AFTER has no samples"), "\(result.standardError)")
        let f2 = try files("svc;main 0\n", Self.after)
        let (b2, a2) = (f2.before, f2.after)
        let zero = SFlameBinary.run(["diff", b2, a2])
        #expect(zero.status == 2 && zero.standardError.contains("\(b2): BEFORE has no samples"))
    }

    @Test func aMissingFileIsAFailureWithTheErrno() throws {
        let f = try files()
        let result = SFlameBinary.run(["diff", f.before, f.file("missing.folded")])
        #expect(result.status == 1)
        #expect(result.standardError.contains("ENOENT") && result.standardError.contains("missing.folded"))
    }

    @Test func standardInputCanBeOneSide() throws {
        let f = try files()
        let (b, a) = (f.before, f.after)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SFlameBinary.path)
        process.arguments = ["diff", b, "-"]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: a))
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("AFTER   <stdin>"))
        let both = SFlameBinary.run(["diff", "-", "-"])
        #expect(both.status == 64 || both.status == 2)
    }
}
