// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import SFlameProfile
import SFlameRecord
import SFlameRender

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Unwind and symbolize a perf.data recording with sflame's own pipeline.",
        discussion: """
            Reads a perf.data file written by `perf record` (with --call-graph dwarf, or with frame \
            pointers) and turns it into sflame's outputs: the same record decoding, address spaces, \
            DWARF unwinding and symbolization as `sflame record`. Replay on the machine where the \
            recording was made: module files are read from the local file system. Prints how long \
            unwinding and symbolization took.

            Examples:
              perf record --call-graph dwarf -F 999 -p 4242 -- sleep 10
              sflame replay perf.data -o cpu.svg
              sflame replay perf.data --unwinder libunwind -o out.folded
            """
    )

    @Argument(help: ArgumentHelp("The perf.data file.", valueName: "PERF.DATA"))
    var input: String

    @Option(
        name: [.customShort("g"), .customLong("call-graph")],
        help: ArgumentHelp(
            "dwarf: unwind the recorded stack copies (default when the file has them); fp: use the recorded callchain.",
            valueName: "dwarf|fp"))
    var callGraph: String = "dwarf"

    @Option(name: .long, help: "The CFI unwinder for stack copies: libdw (elfutils) or libunwind.")
    var unwinder: DwarfUnwinder = .libdw

    @Option(
        name: .long,
        help: ArgumentHelp("An extra directory to search for separate debug info (repeatable).", valueName: "DIR"))
    var debuginfoPath: [String] = []

    @Flag(name: .long, help: "Put each thread (name-tid) under its process in the folded stacks and the flame graph.")
    var perThread = false

    @Option(
        name: [.short, .customLong("output")],
        help: ArgumentHelp(
            "Output file: .svg, .folded/.txt, .pb.gz/.pprof (pprof) or .speedscope.json (repeatable). Default: sflame.svg.",
            valueName: "FILE"))
    var outputs: [String] = []

    func validate() throws {
        if callGraph != "dwarf" && callGraph != "fp" {
            throw ValidationError("--call-graph must be dwarf or fp for a replay (got '\(callGraph)').")
        }
        for path in resolvedOutputs {
            _ = try OutputFormat(path: path)
            try OutputFile.validateWritable(path)
        }
    }

    private var resolvedOutputs: [String] { outputs.isEmpty ? ["sflame.svg"] : outputs }

    func run() throws {
        let options = PerfDataReplay.Options(
            unwindsStackCopies: callGraph == "dwarf", unwinder: unwinder, debugInfoPaths: debuginfoPath)
        let outcome: Result<PerfDataReplay.Result, RecordError>
        do {
            outcome = try InputFile.withMappedBytes(input) { bytes in
                do throws(RecordError) { return .success(try PerfDataReplay.replay(bytes, options: options)) } catch {
                    return .failure(error)
                }
            }
        } catch {
            Diagnostics.error(error.description)
            throw SFlameExit.failure
        }
        let result: PerfDataReplay.Result
        switch outcome {
        case .success(let replayed): result = replayed
        case .failure(let error):
            Diagnostics.error("\(input): \(error.description)")
            throw SFlameExit.invalidInput
        }
        let samples = result.stats.samples
        let rate = result.unwindSeconds > 0 ? Int(Double(samples) / result.unwindSeconds) : 0
        let how = result.usedStackCopies ? "unwound (\(unwinder.rawValue))" : "read (callchains)"
        Diagnostics.notice(
            "replayed \(Grouped(samples)) sample\(samples == 1 ? "" : "s"): \(how) in \(fixedDecimal(result.unwindSeconds, 3)) s "
                + "(\(Grouped(rate)) samples/s), symbolized in \(fixedDecimal(result.symbolizeSeconds, 3)) s.")
        for line in RecordingSummary.qualityLines(result.quality) { Diagnostics.notice(line) }

        let fold = FoldOptions(perThread: perThread)
        for path in resolvedOutputs {
            switch try OutputFormat(path: path) {
            case .folded:
                try OutputFile.write(result.profile.folded(options: fold).text(), to: path)
            case .svg:
                var graph = FlameGraphOptions()
                graph.title = "CPU flame graph"
                graph.subtitle = "\(input) (replayed)"
                graph.countName = "samples"
                try OutputFile.write(
                    try FlameGraph.render(result.profile.folded(options: fold), options: graph).svg, to: path)
            case .pprof(let compressed):
                try OutputFile.write(compressed ? result.profile.pprofGzip() : result.profile.pprofBytes(), to: path)
            case .speedscope:
                try OutputFile.write(
                    Speedscope.write(result.profile, name: "\(input) (replayed)", exporter: "sflame"), to: path)
            }
        }
        Diagnostics.notice("wrote \(resolvedOutputs.joined(separator: ", "))")
    }
}
