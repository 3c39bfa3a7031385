// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameProfile
import SFlameTestSupport
import Testing

/// The formats end to end with the sflame binary, real recordings, real `perf script` text,
/// `go tool pprof` and Go's runtime/pprof beside it.
@Suite(.serialized) struct FormatsTests {
    /// Records two-hot once into pprof and folded output (the same recording).
    func recordTwoHot(_ dir: TemporaryDirectory, extra: [String] = []) throws -> ProcessRunner.Result {
        let result = SFlameBinary.run(
            ["record", "-F", "499", "-o", dir.file("cpu.pb.gz"), "-o", dir.file("cpu.folded")] + extra + [
                "--", try Samples.path("two-hot"), "2",
            ])
        #expect(result.status == 0, "\(result.standardError)")
        return result
    }

    @Test func recordToPprofToFoldedEqualsRecordToFolded() throws {
        let dir = try TemporaryDirectory()
        _ = try recordTwoHot(dir)
        let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file("cpu.pb.gz"))))
        #expect(raw.starts(with: [0x1F, 0x8B]), "gzip'd")
        let converted = SFlameBinary.run(["convert", dir.file("cpu.pb.gz"), "-o", dir.file("back.folded")])
        #expect(converted.status == 0, "\(converted.standardError)")
        let direct = try String(contentsOfFile: dir.file("cpu.folded"), encoding: .utf8)
        let viaPprof = try String(contentsOfFile: dir.file("back.folded"), encoding: .utf8)
        #expect(!direct.isEmpty && direct == viaPprof)
        // The pprof keeps what folded text loses: sample types with units, mappings, labels.
        let profile = try Profile(pprof: raw)
        #expect(profile.sampleTypes == [.samples, .cpuNanoseconds])
        #expect(profile.defaultSampleType == "samples" && profile.periodType == .cpuPeriod && profile.period > 0)
        #expect(profile.durationNanos > 1_000_000_000 && profile.timeNanos > 1_600_000_000_000_000_000)
        #expect(profile.comments.contains { $0.contains("samples") && $0.contains("lost") })
        #expect(profile.samples.allSatisfy { $0.numberLabel("pid") != nil && $0.numberLabel("tid") != nil })
        #expect(profile.samples.allSatisfy { $0.stringLabel("thread_name") == "two-hot" })
        let app = try #require(profile.mappings.first { $0.filename.hasSuffix("/two-hot") })
        #expect(app.buildID.count == 40 && app.hasFunctions && app.start < app.limit)
        #expect(profile.mappings.first?.id == app.id, "the executable is the first mapping (pprof's main binary)")
    }

    /// Mapping start/limit/offset must turn a location's address back into its place in the
    /// file: address − start + file_offset lands inside the function's symbol (nm's address
    /// and size; two-hot's text segment has file offset = ELF address).
    @Test func mappingsTurnAddressesIntoFileOffsetsInsideTheirFunctions() throws {
        let dir = try TemporaryDirectory()
        _ = try recordTwoHot(dir)
        let profile = try Profile(pprof: try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file("cpu.pb.gz")))))
        let nm = ProcessRunner.run("/usr/bin/nm", ["-S", try Samples.path("two-hot")])
        var symbols: [String: (start: UInt64, size: UInt64)] = [:]
        for line in nm.standardOutput.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 4, let start = UInt64(f[0], radix: 16), let size = UInt64(f[1], radix: 16) {
                symbols[String(f[3])] = (start, size)
            }
        }
        var checked = 0
        for location in profile.locations {
            guard let m = location.mappingID.map(profile.mapping), m.filename.hasSuffix("/two-hot"),
                let line = location.lines.last
            else { continue }
            let name = profile.function(line.functionID).name
            guard let symbol = symbols[name] else { continue }
            #expect(location.address >= m.start && location.address < m.limit, "\(name) inside its mapping")
            let fileAddress = location.address - m.start + m.fileOffset
            #expect(fileAddress >= symbol.start && fileAddress < symbol.start + symbol.size,
                    "\(name): 0x\(String(fileAddress, radix: 16)) not in [0x\(String(symbol.start, radix: 16)), +\(symbol.size))")
            checked += 1
        }
        #expect(checked >= 3, "checked \(checked) locations")
    }

    @Test func foldedToPprofToFoldedIsTheIdentity() throws {
        let dir = try TemporaryDirectory()
        let text = "main;parse;lex 12\nmain;render 30\nmain;parse 5\nother;x y (z) 1\n"
        try text.write(toFile: dir.file("in.folded"), atomically: true, encoding: .utf8)
        #expect(SFlameBinary.run(["convert", dir.file("in.folded"), "-o", dir.file("p.pb.gz")]).status == 0)
        #expect(SFlameBinary.run(["convert", dir.file("p.pb.gz"), "-o", dir.file("p.pprof")]).status == 0)
        #expect(SFlameBinary.run(["convert", dir.file("p.pprof"), "-o", dir.file("out.folded")]).status == 0)
        let out = try String(contentsOfFile: dir.file("out.folded"), encoding: .utf8)
        #expect(out == (try FoldedProfile.parse(text).profile.text()))
        let collapsed = SFlameBinary.run(["collapse", dir.file("p.pb.gz")])
        #expect(collapsed.standardOutput == out, "collapse reads pprof too")
    }

    @Test func convertWritesEveryOutputItIsGiven() throws {
        let dir = try TemporaryDirectory()
        try "main;a 3\nmain;b 1\n".write(toFile: dir.file("in.folded"), atomically: true, encoding: .utf8)
        let result = SFlameBinary.run([
            "convert", dir.file("in.folded"), "-o", dir.file("x.pb.gz"), "-o", dir.file("x.svg"), "-o", dir.file("x.folded"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        for name in ["x.pb.gz", "x.svg", "x.folded"] {
            #expect(FileManager.default.fileExists(atPath: dir.file(name)), "\(name) not written")
        }
        #expect(try String(contentsOfFile: dir.file("x.folded"), encoding: .utf8) == "main;a 3\nmain;b 1\n")
        // An unknown extension among them is refused before anything is written.
        let bad = SFlameBinary.run(["convert", dir.file("in.folded"), "-o", dir.file("y.svg"), "-o", dir.file("y.bogus")])
        #expect(bad.status != 0)
        #expect(!FileManager.default.fileExists(atPath: dir.file("y.svg")))
    }

    /// `-o` naming a device, a FIFO or a symbolic link writes through it; the node or link is
    /// never swapped for a regular file (as root, `-o /dev/null` would replace the system's).
    @Test func outputsThroughDevicesFIFOsAndLinksKeepTheNode() throws {
        let dir = try TemporaryDirectory()
        try "main;a 3\nmain;b 1\n".write(toFile: dir.file("in.folded"), atomically: true, encoding: .utf8)
        func type(_ name: String) throws -> FileAttributeType? {
            try FileManager.default.attributesOfItem(atPath: dir.file(name))[.type] as? FileAttributeType
        }
        // A character device like /dev/null (1, 3), made here.
        #expect(mknod(dir.file("null"), S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0)  // makedev(1, 3)
        let device = SFlameBinary.run(["flamegraph", dir.file("in.folded"), "-o", dir.file("null")])
        #expect(device.status == 0, "\(device.standardError)")
        #expect(try type("null") == .typeCharacterSpecial)
        // A FIFO with a reader gets the bytes.
        #expect(mkfifo(dir.file("fifo"), 0o600) == 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [dir.file("fifo")]
        let pipe = Pipe()
        reader.standardOutput = pipe
        try reader.run()
        let fifo = SFlameBinary.run(["collapse", dir.file("in.folded"), "-o", dir.file("fifo")])
        #expect(fifo.status == 0, "\(fifo.standardError)")
        let received = pipe.fileHandleForReading.readDataToEndOfFile()
        reader.waitUntilExit()
        #expect(String(decoding: received, as: UTF8.self) == "main;a 3\nmain;b 1\n")
        #expect(try type("fifo") != .typeRegular)
        // A link to a file replaces the file and keeps the link; a dangling link creates its file.
        try "old\n".write(toFile: dir.file("real.folded"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.folded"), withDestinationPath: "real.folded")
        try FileManager.default.createSymbolicLink(atPath: dir.file("dangling.folded"), withDestinationPath: "new.folded")
        for link in ["link.folded", "dangling.folded"] {
            let r = SFlameBinary.run(["collapse", dir.file("in.folded"), "-o", dir.file(link)])
            #expect(r.status == 0, "\(r.standardError)")
            #expect(try type(link) == .typeSymbolicLink)
        }
        #expect(try String(contentsOfFile: dir.file("real.folded"), encoding: .utf8) == "main;a 3\nmain;b 1\n")
        #expect(try String(contentsOfFile: dir.file("new.folded"), encoding: .utf8) == "main;a 3\nmain;b 1\n")
        // A full device is an error naming the path and ENOSPC.
        let full = SFlameBinary.run(["collapse", dir.file("in.folded"), "-o", "/dev/full"])
        #expect(full.status == 1)
        #expect(full.standardError.contains("'/dev/full'") && full.standardError.contains("ENOSPC"), "\(full.standardError)")
        // So is a report or a diff written to a full standard output (they exited 0).
        for arguments in [["report", dir.file("in.folded")], ["diff", dir.file("in.folded"), dir.file("in.folded")]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: SFlameBinary.path)
            process.arguments = arguments
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 1, "\(arguments[0]) to /dev/full")
        }
    }

    /// A diff profile (`pprof -diff_base`) has negative values: it converts to pprof, and is
    /// refused, before anything is written, for folded text, speedscope and SVG.
    @Test func negativeValuesConvertOnlyToPprof() throws {
        let dir = try TemporaryDirectory()
        var builder = ProfileBuilder(sampleTypes: [ValueType(type: "samples", unit: "count")])
        let grew = builder.location(lines: [Line(functionID: builder.function(name: "grew"), line: 0)])
        let shrank = builder.location(lines: [Line(functionID: builder.function(name: "shrank"), line: 0)])
        builder.addSample(locationIDs: [grew], values: [30])
        builder.addSample(locationIDs: [shrank], values: [-12])
        try Data(builder.profile.pprofGzip()).write(to: URL(fileURLWithPath: dir.file("d.pb.gz")))
        let ok = SFlameBinary.run(["convert", dir.file("d.pb.gz"), "-o", dir.file("copy.pb.gz")])
        #expect(ok.status == 0, "\(ok.standardError)")
        let refused = SFlameBinary.run(["convert", dir.file("d.pb.gz"), "-o", dir.file("x.pb.gz"), "-o", dir.file("x.folded")])
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("negative values"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.pb.gz")))
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.folded")))
    }

    /// Several outputs are all written or none is: a later output that cannot be made (a flame
    /// graph of a sample type that is 0 everywhere) or written (a missing directory) leaves no
    /// earlier one behind.
    @Test func convertWritesEveryOutputOrNone() throws {
        let dir = try TemporaryDirectory()
        var builder = ProfileBuilder(sampleTypes: [.samples, .cpuNanoseconds])
        let main = builder.location(lines: [Line(functionID: builder.function(name: "main"), line: 0)])
        builder.addSample(locationIDs: [main], values: [3, 0])
        try Data(builder.profile.pprofGzip()).write(to: URL(fileURLWithPath: dir.file("p.pb.gz")))
        let unrenderable = SFlameBinary.run(
            ["convert", dir.file("p.pb.gz"), "--sample-type", "cpu", "-o", dir.file("a.folded"), "-o", dir.file("a.svg")])
        #expect(unrenderable.status == 2)
        #expect(unrenderable.standardError.contains("no samples to draw"), "\(unrenderable.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("a.folded")))
        let unwritable = SFlameBinary.run(
            ["convert", dir.file("p.pb.gz"), "-o", dir.file("b.folded"), "-o", dir.file("no/such/dir/b.pb.gz")])
        #expect(unwritable.status == 64)
        #expect(unwritable.standardError.contains("cannot write '\(dir.file("no/such/dir/b.pb.gz"))'"), "\(unwritable.standardError)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("b.folded")))
        let both = SFlameBinary.run(
            ["convert", dir.file("p.pb.gz"), "--sample-type", "samples", "-o", dir.file("c.folded"), "-o", dir.file("c.svg")])
        #expect(both.status == 0, "\(both.standardError)")
        #expect(try String(contentsOfFile: dir.file("c.folded"), encoding: .utf8) == "main 3\n")
    }

    /// folded → speedscope → folded gives back the same bytes: the file's only profile adds no
    /// root frame; several profiles (one per process) keep their names as roots.
    @Test func foldedThroughSpeedscopeIsIdentical() throws {
        let dir = try TemporaryDirectory()
        let text = "main;parse;lex 12\nmain;parse;tokenize 1\nmain;run 30\nother 2\n"
        try text.write(toFile: dir.file("in.folded"), atomically: true, encoding: .utf8)
        let there = SFlameBinary.run(["convert", dir.file("in.folded"), "-o", dir.file("in.speedscope.json")])
        #expect(there.status == 0, "\(there.standardError)")
        let back = SFlameBinary.run(["convert", dir.file("in.speedscope.json"), "-o", dir.file("back.folded")])
        #expect(back.status == 0, "\(back.standardError)")
        #expect(try String(contentsOfFile: dir.file("back.folded"), encoding: .utf8) == text)
        #expect(SFlameBinary.run(["collapse", dir.file("in.speedscope.json")]).standardOutput == text)
        // Two processes: two profiles, each under its name.
        var builder = ProfileBuilder(sampleTypes: [.samples])
        let main = builder.location(lines: [Line(functionID: builder.function(name: "main"), line: 0)])
        builder.addSample(locationIDs: [main], values: [2], labels: [Label(key: Label.Key.processName, string: "a")])
        builder.addSample(locationIDs: [main], values: [1], labels: [Label(key: Label.Key.processName, string: "b")])
        try Data(builder.profile.pprofGzip()).write(to: URL(fileURLWithPath: dir.file("two.pb.gz")))
        _ = SFlameBinary.run(["convert", dir.file("two.pb.gz"), "-o", dir.file("two.speedscope.json")])
        #expect(SFlameBinary.run(["collapse", dir.file("two.speedscope.json")]).standardOutput == "a;main 2\nb;main 1\n")
    }

    /// Counts of one are singular in what sflame prints.
    @Test func aCountOfOneIsSingular() throws {
        let dir = try TemporaryDirectory()
        try "main;work 1\n".write(toFile: dir.file("one.folded"), atomically: true, encoding: .utf8)
        let report = SFlameBinary.run(["report", dir.file("one.folded")])
        #expect(report.status == 0, "\(report.standardError)")
        #expect(
            report.standardOutput.hasPrefix("Showing the top 2 of 2 functions by self samples (1 sample in total)\n"),
            "\(report.standardOutput)")
        try "work 1\n".write(toFile: dir.file("leaf.folded"), atomically: true, encoding: .utf8)
        let leaf = SFlameBinary.run(["report", dir.file("leaf.folded")])
        #expect(leaf.standardOutput.hasPrefix("Showing the top 1 of 1 function by self samples (1 sample in total)\n"),
                "\(leaf.standardOutput)")
        // perf script text with two events, one of them sampled once.
        let perf = "app 7  1.000000:    1 cpu-clock: \n\t 10 main+0x1 (/app)\n\n"
            + "app 7  1.100000:    1 cpu-clock: \n\t 10 main+0x1 (/app)\n\n"
            + "app 7  1.200000:    1 page-faults: \n\t 10 main+0x1 (/app)\n\n"
        try perf.write(toFile: dir.file("perf.txt"), atomically: true, encoding: .utf8)
        let events = SFlameBinary.run(["collapse", dir.file("perf.txt")])
        #expect(events.standardError.contains("cpu-clock (2 samples), page-faults (1 sample)"), "\(events.standardError)")
    }

    /// `convert --per-thread` puts the thread under the process for perf script input too.
    @Test func convertPerThreadAppliesToPerfScriptText() throws {
        let dir = try TemporaryDirectory()
        let text = "two-hot 32129  2941.992273:    1001001 cpu-clock:ppp: \n\t 1384 hot_a+0x34 (/tmp/two-hot)\n\n"
        try text.write(toFile: dir.file("perf.txt"), atomically: true, encoding: .utf8)
        let result = SFlameBinary.run(["convert", dir.file("perf.txt"), "--per-thread", "-o", dir.file("x.folded")])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try String(contentsOfFile: dir.file("x.folded"), encoding: .utf8) == "two-hot;two-hot-32129;hot_a 1001001\n")
    }

    /// Merging inputs whose weights count different things (folded samples, perf script
    /// periods) warns, naming each input's unit; inputs that agree merge silently.
    @Test func inputsInDifferentUnitsAreNamed() throws {
        let dir = try TemporaryDirectory()
        try "two-hot;hot_b 3\n".write(toFile: dir.file("a.folded"), atomically: true, encoding: .utf8)
        let text = "two-hot 32129  2941.992273:    1001001 cpu-clock:ppp: \n\t 1384 hot_a+0x34 (/tmp/two-hot)\n\n"
        try text.write(toFile: dir.file("perf.txt"), atomically: true, encoding: .utf8)
        let mixed = SFlameBinary.run(["flamegraph", dir.file("a.folded"), dir.file("perf.txt"), "-o", dir.file("m.svg")])
        #expect(mixed.status == 0, "\(mixed.standardError)")
        #expect(mixed.standardError.contains("different units"), "\(mixed.standardError)")
        #expect(mixed.standardError.contains("perf.txt: period of cpu-clock:ppp"), "\(mixed.standardError)")
        let samples = SFlameBinary.run(["collapse", dir.file("a.folded"), dir.file("perf.txt"), "--weight", "samples"])
        #expect(samples.status == 0 && !samples.standardError.contains("different units"), "\(samples.standardError)")
        #expect(samples.standardOutput == "two-hot;hot_a 1\ntwo-hot;hot_b 3\n")
    }

    @Test func speedscopeOutputValidates() throws {
        let dir = try TemporaryDirectory()
        _ = try recordTwoHot(dir, extra: ["-o", dir.file("rec.speedscope.json")])
        let converted = SFlameBinary.run(["convert", dir.file("cpu.pb.gz"), "-o", dir.file("cpu.speedscope.json")])
        #expect(converted.status == 0, "\(converted.standardError)")
        for file in ["cpu.speedscope.json", "rec.speedscope.json"] {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file(file))))
            #expect(SpeedscopeSchema.problems(bytes) == [], "\(file)")
        }
        // And it reads back: the same stacks as the pprof (speedscope frames are functions).
        let back = SFlameBinary.run(["collapse", dir.file("cpu.speedscope.json")])
        let fromPprof = SFlameBinary.run(["collapse", dir.file("cpu.pb.gz")])
        #expect(back.status == 0 && FoldedStacks(text: back.standardOutput).total == FoldedStacks(text: fromPprof.standardOutput).total)
    }

    @Test func goToolPprofRanksTheSameTopFunctionsWithTheSameCounts() throws {
        guard let go = Tools.find("go") else {
            Issue.record("go is not installed (tools/setup installs golang-go)")
            return
        }
        let dir = try TemporaryDirectory()
        _ = try recordTwoHot(dir)
        let ours = SFlameBinary.run(["report", dir.file("cpu.pb.gz"), "--top", "6"])
        #expect(ours.status == 0, "\(ours.standardError)")
        // pprof's own cut (and its default drop of nodes under 0.5 %) would separate functions
        // tied with ours at the end of the table: take its whole table and look ours up in it.
        let theirs = ProcessRunner.run(
            go, ["tool", "pprof", "-top", "-nodecount=1000", "-nodefraction=0", dir.file("cpu.pb.gz")],
            environment: Tools.goEnvironment(dir.path))
        #expect(theirs.status == 0, "\(theirs.standardError)")
        #expect(theirs.standardOutput.contains("File: two-hot"), "pprof names the executable as the main binary")
        let a = TopRows(sflame: ours.standardOutput)
        let b = TopRows(pprof: theirs.standardOutput)
        #expect(a.rows.count >= 3 && b.rows.count >= 3, "\(ours.standardOutput)\n\(theirs.standardOutput)")
        // Same functions with the same self and total counts; ties may be ordered differently.
        #expect(Set(a.rows.prefix(2).map(\.name)) == Set(b.rows.prefix(2).map(\.name)))
        for row in a.rows {
            let match = b.rows.first { $0.name == row.name }
            #expect(match?.flat == row.flat && match?.cum == row.cum, "\(row) vs \(String(describing: match))")
        }
        #expect(a.rows.first?.name == "hot_a")
    }

    /// `sflame replay` of a real `perf record -g` file writes pprof too: every sample, the
    /// executable as the first mapping (perf.data's kernel image, pid -1, is not a process).
    @Test func replayWritesPprof() throws {
        let dir = try TemporaryDirectory()
        let perf = ProcessRunner.run(
            "/usr/bin/perf", ["record", "-q", "-g", "-F", "499", "-o", dir.file("perf.data"), "--", try Samples.path("two-hot"), "1"])
        try #require(perf.status == 0, "perf record: \(perf.standardError)")
        let replay = SFlameBinary.run(["replay", dir.file("perf.data"), "--call-graph", "fp", "-o", dir.file("r.pb.gz")])
        #expect(replay.status == 0, "\(replay.standardError)")
        let script = ProcessRunner.run("/usr/bin/perf", ["script", "-i", dir.file("perf.data"), "-F", "comm"])
        let samples = script.standardOutput.split(separator: "\n").filter { $0.contains("two-hot") }.count
        let profile = try Profile(pprof: try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file("r.pb.gz")))))
        // two-hot runs 1 s of wall time: on a saturated shared machine it may get a fifth of a CPU.
        #expect(samples > 20 && profile.samples.reduce(0) { $0 + $1.values[0] } == Int64(samples), "\(samples) samples")
        #expect(profile.mappings.first?.filename.hasSuffix("/two-hot") == true, "\(profile.mappings.map(\.filename))")
    }

    @Test func pprofWrittenByGoIsRead() throws {
        guard let go = Tools.find("go") else {
            Issue.record("go is not installed (tools/setup installs golang-go)")
            return
        }
        let dir = try TemporaryDirectory()
        // A Go program that profiles itself with runtime/pprof.
        let program = """
            package main

            import (
            \t"os"
            \t"runtime/pprof"
            \t"time"
            )

            //go:noinline
            func sflameGoHot(n int) int {
            \ts := 0
            \tfor i := 0; i < n; i++ {
            \t\ts += i * i % 7
            \t}
            \treturn s
            }

            func main() {
            \tf, _ := os.Create(os.Args[1])
            \tpprof.StartCPUProfile(f)
            \tdeadline := time.Now().Add(1500 * time.Millisecond)
            \tsum := 0
            \tfor time.Now().Before(deadline) {
            \t\tsum += sflameGoHot(1000000)
            \t}
            \tpprof.StopCPUProfile()
            \tf.Close()
            \tif sum == 42 {
            \t\tprintln(sum)
            \t}
            }
            """
        try program.write(toFile: dir.file("main.go"), atomically: true, encoding: .utf8)
        let env = Tools.goEnvironment(dir.path)
        let run = ProcessRunner.run(go, ["run", dir.file("main.go"), dir.file("go.pprof")], environment: env)
        #expect(run.status == 0, "\(run.standardError)")
        let report = SFlameBinary.run(["report", dir.file("go.pprof"), "--top", "3"])
        #expect(report.status == 0, "\(report.standardError)")
        #expect(report.standardOutput.contains("main.sflameGoHot"), "\(report.standardOutput)")
        let folded = SFlameBinary.run(["collapse", dir.file("go.pprof")])
        let stacks = FoldedStacks(text: folded.standardOutput)
        #expect(stacks.share(containing: ["main.main", "main.sflameGoHot"]) > 0.5, "\(folded.standardOutput)")
        // pprof's own re-encoding of an sflame profile is read back the same.
        _ = try recordTwoHot(dir)
        let proto = ProcessRunner.run(go, ["tool", "pprof", "-proto", "-output", dir.file("re.pb.gz"), dir.file("cpu.pb.gz")],
                                      environment: env)
        #expect(proto.status == 0, "\(proto.standardError)")
        let mine = SFlameBinary.run(["collapse", dir.file("cpu.pb.gz")]).standardOutput
        let theirs = SFlameBinary.run(["collapse", dir.file("re.pb.gz")]).standardOutput
        #expect(!mine.isEmpty && mine == theirs)
    }

    @Test func flamegraphAndReportTakeEveryFormat() throws {
        let dir = try TemporaryDirectory()
        _ = try recordTwoHot(dir, extra: ["-o", dir.file("cpu.speedscope.json")])
        for input in ["cpu.pb.gz", "cpu.folded", "cpu.speedscope.json"] {
            let svg = SFlameBinary.run(["flamegraph", dir.file(input), "-o", dir.file("\(input).svg")])
            #expect(svg.status == 0, "\(input): \(svg.standardError)")
            let text = try String(contentsOfFile: dir.file("\(input).svg"), encoding: .utf8)
            #expect(text.contains("hot_a") && text.contains("<svg"), "\(input)")
            let report = SFlameBinary.run(["report", dir.file(input), "--by", "total", "--top", "12"])
            #expect(report.status == 0 && report.standardOutput.contains("hot_a"), "\(input): \(report.standardError)")
        }
        let bad = SFlameBinary.run(["report", "/nonexistent/profile"])
        #expect(bad.status == 1 && bad.standardError.contains("ENOENT"))
        try Data([0x0A, 0x7F, 0x08]).write(to: URL(fileURLWithPath: dir.file("broken.pb")))
        let broken = SFlameBinary.run(["collapse", dir.file("broken.pb")])
        #expect(broken.status == 2 && broken.standardError.contains("offset 0"), "\(broken.standardError)")
    }
}

/// The rows of `sflame report` or `go tool pprof -top`.
struct TopRows {
    struct Row: CustomStringConvertible {
        var name: String
        var flat: Int
        var cum: Int
        var description: String { "\(name) flat \(flat) cum \(cum)" }
    }
    var rows: [Row] = []

    /// `   925  74.96%  74.96%        925  74.96%  hot_a`
    init(sflame text: String) {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6, let flat = Int(f[0].replacingOccurrences(of: ",", with: "")),
                let cum = Int(f[3].replacingOccurrences(of: ",", with: ""))
            else { continue }
            rows.append(Row(name: f[5...].joined(separator: " "), flat: flat, cum: cum))
        }
    }

    /// `       350 72.46% 72.46%        352 72.88%  hot_a`
    init(pprof text: String) {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6, let flat = Int(f[0]), f[1].hasSuffix("%"), let cum = Int(f[3]) else { continue }
            rows.append(Row(name: f[5...].joined(separator: " "), flat: flat, cum: cum))
        }
    }
}

/// External tools the tests run beside sflame.
enum Tools {
    static func find(_ name: String) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/local/go/bin", "/usr/lib/go/bin"] {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// go needs a writable cache and home; keep them inside the test's directory.
    static func goEnvironment(_ dir: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir
        env["GOCACHE"] = "\(dir)/go-cache"
        env["GOPATH"] = "\(dir)/go-path"
        env["GOFLAGS"] = "-mod=mod"
        env["GO111MODULE"] = "off"
        env["PPROF_TMPDIR"] = dir
        return env
    }
}
