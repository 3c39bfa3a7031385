// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameProfile
import SFlameTestSupport
import Testing

/// Inputs that once read wrong with exit status 0, or crashed: each is now read right or
/// refused with the file and line, and a usage error is 64.
struct FormatEdgeCaseTests {
    private func write(_ text: String, _ name: String, in dir: TemporaryDirectory) throws -> String {
        try text.write(toFile: dir.file(name), atomically: true, encoding: .utf8)
        return dir.file(name)
    }

    /// A folded file that starts with a comment line is folded text, not perf script text: its
    /// first line is named, and skipped with --skip-bad-lines (once read as perf script, each
    /// stack became one frame of count 1).
    @Test func aFoldedFileStartingWithACommentStaysFolded() throws {
        let dir = try TemporaryDirectory()
        let path = try write("# from my tool\nmain;foo 10\nmain;bar 30\n", "h.folded", in: dir)
        let report = SFlameBinary.run(["report", path])
        #expect(report.status == 2)
        #expect(report.standardError.contains("h.folded:1:"), "\(report.standardError)")
        let skipped = SFlameBinary.run(["collapse", "--skip-bad-lines", path])
        #expect(skipped.status == 0, "\(skipped.standardError)")
        #expect(skipped.standardOutput == "main;bar 30\nmain;foo 10\n")
        // perf script text after `perf script --header`'s comment block is still perf script.
        let perf = try write(
            "# ========\n# captured on    : Sun Nov 29 22:00:00 2026\n# ========\n#\n"
                + "app 7  1.000000:    250 cpu-clock: \n\t 10 main+0x1 (/app)\n\n", "perf.txt", in: dir)
        #expect(SFlameBinary.run(["collapse", perf]).standardOutput == "app;main 250\n")
    }

    /// A negative count is refused by line (once read as perf script: frames "a;b", count 1).
    @Test func aNegativeFoldedCountIsRefusedByLine() throws {
        let dir = try TemporaryDirectory()
        let path = try write("a;b -3\na;c 5\n", "neg.folded", in: dir)
        let result = SFlameBinary.run(["flamegraph", path, "-o", dir.file("x.svg")])
        #expect(result.status == 2)
        #expect(result.standardError.contains("neg.folded:1:") && result.standardError.contains("'-3'"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.svg")))
    }

    /// One control byte in a few lines of folded text is named by line, not read as pprof.
    @Test func aControlByteInShortFoldedTextIsNamedByLine() throws {
        let dir = try TemporaryDirectory()
        let path = try write("a;b 5\na;\u{01}c 3\n", "c.folded", in: dir)
        let result = SFlameBinary.run(["collapse", path])
        #expect(result.status == 2)
        #expect(result.standardError.contains("c.folded:2"), "\(result.standardError)")
        #expect(!result.standardError.contains("pprof profile:"), "\(result.standardError)")
    }

    /// collapse of an input without a stack is an error, as for flamegraph and report.
    @Test func collapseOfAnEmptyInputIsAnError() throws {
        let dir = try TemporaryDirectory()
        let path = try write("", "empty.txt", in: dir)
        let result = SFlameBinary.run(["collapse", path, "-o", dir.file("out.folded")])
        #expect(result.status == 2)
        #expect(result.standardError.contains("empty.txt: no samples"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.folded")))
    }

    /// Counts whose sums pass Int64.max are errors: report once trapped (exit 132), collapse of
    /// two inputs once printed one input's count.
    @Test func sumsPastInt64AreErrors() throws {
        let dir = try TemporaryDirectory()
        let max = try write("x;a 9223372036854775807\nx;b 9223372036854775807\n", "ov.folded", in: dir)
        let report = SFlameBinary.run(["report", max])
        #expect(report.status == 2, "\(report.standardError)")
        #expect(report.standardError.contains("add up to more than 9223372036854775807"), "\(report.standardError)")
        let big = "x;a 9223372036854775000\n"
        let one = try write(big, "a.folded", in: dir)
        let two = try write(big, "b.folded", in: dir)
        let collapse = SFlameBinary.run(["collapse", one, two])
        #expect(collapse.status == 2, "\(collapse.standardOutput)")
        #expect(collapse.standardError.contains("'x;a'"), "\(collapse.standardError)")
    }

    /// A difference of two profiles (`pprof -diff_base`) is ranked by the size of the change,
    /// as `pprof -top` does, and its percentages are of the base profile's total; collapse
    /// refuses it (folded stacks hold weights of 0 or more).
    @Test func aDifferenceIsRankedBySizeAsPprofDoes() throws {
        let dir = try TemporaryDirectory()
        var builder = ProfileBuilder(sampleTypes: [ValueType(type: "samples", unit: "count")])
        let grew = builder.location(lines: [Line(functionID: builder.function(name: "grew"), line: 0)])
        let shrank = builder.location(lines: [Line(functionID: builder.function(name: "shrank"), line: 0)])
        let base = [Label(key: "pprof::base", string: "true")]
        builder.addSample(locationIDs: [grew], values: [-100], labels: base)
        builder.addSample(locationIDs: [shrank], values: [-100], labels: base)
        builder.addSample(locationIDs: [grew], values: [110])
        builder.addSample(locationIDs: [shrank], values: [50])
        try Data(builder.profile.pprofGzip()).write(to: URL(fileURLWithPath: dir.file("d.pb.gz")))
        let report = SFlameBinary.run(["report", dir.file("d.pb.gz")])
        #expect(report.status == 0, "\(report.standardError)")
        let lines = report.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first == "Showing the top 2 of 2 functions by self samples (200 samples in total)", "\(lines)")
        #expect(lines.count == 4)
        if lines.count == 4 {
            #expect(lines[2].hasSuffix("shrank") && lines[2].contains("-50") && lines[2].contains("-25.00%"), "\(lines)")
            #expect(lines[3].hasSuffix("grew") && lines[3].contains(" 10 "), "\(lines)")
        }
        let collapse = SFlameBinary.run(["collapse", dir.file("d.pb.gz")])
        #expect(collapse.status == 2)
        #expect(collapse.standardError.contains("negative weight"), "\(collapse.standardError)")
    }

    /// report weighs perf script samples by their period, as perf report, collapse and
    /// flamegraph do.
    @Test func reportWeighsPerfScriptByPeriod() throws {
        let dir = try TemporaryDirectory()
        let text = "app 7  1.000000:    1000 page-faults: \n\t 10 rare_big+0x1 (/app)\n\n"
            + "app 7  1.100000:    10 page-faults: \n\t 20 often_small+0x1 (/app)\n\n"
            + "app 7  1.200000:    10 page-faults: \n\t 20 often_small+0x1 (/app)\n\n"
        let path = try write(text, "perf.txt", in: dir)
        let report = SFlameBinary.run(["report", path])
        #expect(report.status == 0, "\(report.standardError)")
        let lines = report.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("(1,020 page-faults in total)") == true, "\(lines)")
        #expect(lines.count > 2 && lines[2].hasSuffix("rare_big"), "\(lines)")
        #expect(SFlameBinary.run(["collapse", path]).standardOutput == "app;often_small 20\napp;rare_big 1000\n")
    }

    /// Out-of-range drawing options are usage errors (64) like every other bad option value.
    @Test func drawingOptionLimitsAreUsageErrors() throws {
        let dir = try TemporaryDirectory()
        let path = try write("a;b 1\n", "in.folded", in: dir)
        for option in [["--width", "0"], ["--fontsize", "-1"], ["--height", "1"]] {
            let result = SFlameBinary.run(["flamegraph", path] + option + ["-o", dir.file("x.svg")])
            #expect(result.status == 64, "\(option): \(result.standardError)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("x.svg")))
        }
    }

    /// replay names an unreadable input the way the other commands do, with errno's text.
    @Test func replayOfAnUnreadableFileSaysWhy() throws {
        let dir = try TemporaryDirectory()
        let missing = SFlameBinary.run(["replay", dir.file("none.data"), "-o", dir.file("x.folded")])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("cannot read '\(dir.file("none.data"))': No such file or directory"),
            "\(missing.standardError)")
        let directory = SFlameBinary.run(["replay", dir.path, "-o", dir.file("x.folded")])
        #expect(directory.status == 1)
        #expect(directory.standardError.contains("Is a directory"), "\(directory.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.folded")))
    }
}
