// SPDX-License-Identifier: Apache-2.0
//
// `sflame flamegraph` run as a process: output files (written atomically), errors and exit
// codes, merged inputs, the consistent-palette file.
import Foundation
import Testing

enum SFlameBinary {
    /// The `sflame` executable built beside this test bundle.
    static var path: String {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("sflame").path
    }

    static func run(_ arguments: [String], in directory: URL, stdin: String? = nil) throws -> ProcessResult {
        try #require(
            FileManager.default.isExecutableFile(atPath: path), "no sflame binary at \(path): run swift build first")
        return try ProcessRunner.run(path, arguments, in: directory, stdin: stdin)
    }
}

struct FlameGraphCommandTests {
    private func workspace(_ files: [String: String]) throws -> URL {
        let dir = try ProcessRunner.temporaryDirectory("cli")
        for (name, text) in files {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir
    }

    private func files(in dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test func writesTheGraphToAFileOrToStandardOutput() throws {
        let dir = try workspace(["in.folded": "main;a 3\nmain;b 1\n"])
        let toFile = try SFlameBinary.run(["flamegraph", "in.folded", "-o", "out.svg", "--title", "T<1>"], in: dir)
        #expect(toFile.status == 0, "\(toFile.stderr)")
        #expect(toFile.stdout.isEmpty)
        let svg = try ParsedSVG(Data(contentsOf: dir.appendingPathComponent("out.svg")))
        #expect(svg.controls["title"] == "T<1>")
        #expect(try files(in: dir) == ["in.folded", "out.svg"])
        let toStdout = try SFlameBinary.run(["flamegraph", "in.folded"], in: dir)
        #expect(toStdout.status == 0)
        #expect(try ParsedSVG(toStdout.stdout).frames.count == 4)
        let fromStdin = try SFlameBinary.run(["flamegraph"], in: dir, stdin: "x;y 2\n")
        #expect(try ParsedSVG(fromStdin.stdout).frames.map(\.name) == ["all", "x", "y"])
    }

    @Test func optionsReachTheRenderer() throws {
        let dir = try workspace(["in.folded": "main;a 96\nmain;b 4\n"])
        let result = try SFlameBinary.run(
            [
                "flamegraph", "in.folded", "--inverted", "--countname", "bytes", "--minwidth", "5%", "--width", "600",
                "--colors", "mem", "--bgcolors", "#102030", "--nametype", "Site:", "--factor", "2",
            ], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let svg = try ParsedSVG(result.stdout)
        #expect(svg.frames.map(\.name) == ["all", "main", "a"])
        #expect(svg.frames.last?.title == "a (192 bytes, 96.00%)")
        #expect(svg.rootAttributes["width"] == "600" && svg.rootAttributes["data-inv"] == "1")
        #expect(svg.rootAttributes["data-nt"] == "Site:")
        #expect(result.stdout.contains("stop-color=\"#102030\""))
        let bad = try SFlameBinary.run(["flamegraph", "in.folded", "--colors", "pink"], in: dir)
        #expect(bad.status == 64 || bad.status == 2, "argument errors exit with a usage code: \(bad.status)")
    }

    @Test func severalInputsAreMerged() throws {
        let dir = try workspace(["a.folded": "main;x 1\n", "b.folded": "main;x 2\r\nmain;y 1\r\n"])
        let result = try SFlameBinary.run(["flamegraph", "a.folded", "b.folded"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ParsedSVG(result.stdout).frames.first { $0.name == "x" }?.title == "x (3 samples, 75.00%)")
    }

    @Test func malformedLineIsAnErrorNamingFileAndLine() throws {
        let dir = try workspace(["bad.folded": "main;a 1\nno count here\nmain;b 2\n"])
        let result = try SFlameBinary.run(["flamegraph", "bad.folded", "-o", "out.svg"], in: dir)
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.folded:2:"), "\(result.stderr)")
        #expect(try files(in: dir) == ["bad.folded"])
        let skipped = try SFlameBinary.run(["flamegraph", "bad.folded", "--skip-bad-lines", "-o", "out.svg"], in: dir)
        #expect(skipped.status == 0)
        #expect(skipped.stderr.contains("skipped 1 malformed line in bad.folded"), "\(skipped.stderr)")
        #expect(try ParsedSVG(Data(contentsOf: dir.appendingPathComponent("out.svg"))).frames.count == 4)
    }

    @Test func missingInputIsAClearError() throws {
        let dir = try workspace([:])
        let result = try SFlameBinary.run(["flamegraph", "missing.folded"], in: dir)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("cannot read 'missing.folded'") && result.stderr.contains("ENOENT"),
            "\(result.stderr)")
    }

    @Test func emptyInputIsAClearError() throws {
        let dir = try workspace(["empty.folded": "\n", "zero.folded": "main 0\n"])
        let result = try SFlameBinary.run(["flamegraph", "empty.folded", "zero.folded", "-o", "out.svg"], in: dir)
        #expect(result.status == 2)
        #expect(result.stderr.contains("empty.folded, zero.folded: no samples"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.svg").path))
    }

    @Test func unwritableOutputIsAClearError() throws {
        let dir = try workspace(["in.folded": "main 1\n"])
        // Checked before any work, as every command's output: a usage error.
        let result = try SFlameBinary.run(["flamegraph", "in.folded", "-o", "no/such/dir/out.svg"], in: dir)
        #expect(result.status == 64)
        #expect(
            result.stderr.contains("cannot write 'no/such/dir/out.svg'") && result.stderr.contains("ENOENT"),
            "\(result.stderr)")
    }

    @Test func failedWriteLeavesTheOldFileIntact() throws {
        // A file-size limit of 4 KiB makes write(2) fail with EFBIG half way through the SVG, as a
        // full disk would; SIGXFSZ is ignored so the failure reaches sflame as an error.
        let folded = (0..<50).map { "main;function_\($0) \($0 + 1)" }.joined(separator: "\n")
        let dir = try workspace(["in.folded": folded, "out.svg": "old graph\n"])
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o640], ofItemAtPath: dir.appendingPathComponent("out.svg").path)
        let script = "trap '' XFSZ; ulimit -f 8; exec \"$0\" \"$@\""
        let result = try ProcessRunner.run(
            "/bin/sh", ["-c", script, SFlameBinary.path, "flamegraph", "in.folded", "-o", "out.svg"], in: dir)
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot write 'out.svg'") && result.stderr.contains("EFBIG"), "\(result.stderr)")
        #expect(try String(contentsOf: dir.appendingPathComponent("out.svg"), encoding: .utf8) == "old graph\n")
        #expect(try files(in: dir) == ["in.folded", "out.svg"], "a temporary file was left behind")

        let ok = try SFlameBinary.run(["flamegraph", "in.folded", "-o", "out.svg"], in: dir)
        #expect(ok.status == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("out.svg").path)
        #expect(attributes[.posixPermissions] as? Int == 0o640, "the replaced file keeps its permissions")
        #expect(try ParsedSVG(Data(contentsOf: dir.appendingPathComponent("out.svg"))).frames.count == 52)
    }

    @Test func consistentPaletteFileIsWrittenAndReused() throws {
        let dir = try workspace(["in.folded": "main;a 1\nmain;b 1\n"])
        let first = try SFlameBinary.run(
            ["flamegraph", "in.folded", "--cp", "--random", "--palette-file", "p.map"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let map = try String(contentsOf: dir.appendingPathComponent("p.map"), encoding: .utf8)
        #expect(
            map.split(separator: "\n").map { $0.split(separator: "-").first.map(String.init) ?? "" } == [
                "a", "all", "b", "main",
            ])
        let second = try SFlameBinary.run(
            ["flamegraph", "in.folded", "--cp", "--random", "--palette-file", "p.map"], in: dir)
        let fills = { (text: String) in try ParsedSVG(text).frames.map(\.fill) }
        #expect(try fills(second.stdout) == fills(first.stdout))
        #expect(try String(contentsOf: dir.appendingPathComponent("p.map"), encoding: .utf8) == map)
        try "main->rgb(1,2,3)\nbroken\n".write(
            to: dir.appendingPathComponent("bad.map"), atomically: true, encoding: .utf8)
        let bad = try SFlameBinary.run(["flamegraph", "in.folded", "--cp", "--palette-file", "bad.map"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.map: palette map line 2"), "\(bad.stderr)")
        // Without --cp the palette file would do nothing: a usage error, not silence.
        let alone = try SFlameBinary.run(["flamegraph", "in.folded", "--palette-file", "p.map"], in: dir)
        #expect(alone.status == 64)
        #expect(alone.stderr.contains("add --cp"), "\(alone.stderr)")
        // A palette file that cannot be written is found before the graph is written.
        let unwritable = try SFlameBinary.run(
            ["flamegraph", "in.folded", "--cp", "--palette-file", "no/such/dir/p.map", "-o", "new.svg"], in: dir)
        #expect(unwritable.status == 64)
        #expect(unwritable.stderr.contains("cannot write 'no/such/dir/p.map'"), "\(unwritable.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("new.svg").path))
    }
}
