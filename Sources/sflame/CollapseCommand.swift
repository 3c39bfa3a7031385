// SPDX-License-Identifier: Apache-2.0
//
// `sflame collapse`: `perf script` text (or pprof, speedscope, folded) in, folded stacks out,
// with stackcollapse-perf.pl's output and options:
//
//   perf record -g -p 4242 -- sleep 10 && perf script > out.perf
//   sflame collapse out.perf > out.folded              # = stackcollapse-perf.pl out.perf
//   perf script | sflame collapse --pid --kernel | sflame flamegraph > cpu.svg
import ArgumentParser
import SFlameProfile

struct CollapseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collapse",
        abstract: "Fold perf script text (or pprof, speedscope) into folded stacks, as stackcollapse-perf.pl does.",
        discussion: """
            Writes one 'root;…;leaf COUNT' line per distinct stack, sorted, with the process name \
            (comm) as the root frame. Each sample counts its period when perf script printed one \
            (stackcollapse-perf.pl's rule; --weight samples counts samples instead). Only the first \
            event in the input is kept unless --event names one. Inputs are recognised by content: \
            perf script text, pprof (.pb.gz), speedscope JSON, or folded stacks (merged and sorted). \
            Several inputs are merged.

            Examples:
              perf script | sflame collapse > out.folded
              sflame collapse --pid --kernel perf.txt -o out.folded
              sflame collapse cpu.pb.gz > cpu.folded
            """
    )

    @Argument(help: "Input files; '-' or none reads standard input.")
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: "Write the folded stacks here (atomically) instead of to standard output.")
    var output: String?

    @Flag(help: "Root frame 'comm-PID' (perf script must print pids: -F +pid).")
    var pid = false

    @Flag(help: "Root frame 'comm-PID/TID'.")
    var tid = false

    @Flag(help: "Suffix kernel frames with _[k].")
    var kernel = false

    @Flag(help: "Suffix JIT frames (/tmp/perf-PID.map) with _[j].")
    var jit = false

    @Flag(help: "Suffix frames perf marked (inlined) with _[i].")
    var inline = false

    @Flag(help: "All annotations: --kernel --jit.")
    var all = false

    @Flag(help: "Name frames without a symbol [module <ADDRESS>] instead of [module].")
    var addrs = false

    @OptionGroup var event: EventOption

    @Option(help: "What a sample counts: its period (as printed by perf script, else 1) or 1.")
    var weight: PerfScriptFoldOptions.Weight = .period

    @Flag(name: .customLong("skip-bad-lines"), help: "Skip malformed input lines (folded, or perf script text) instead of failing; their count goes to stderr.")
    var skipBadLines = false

    func validate() throws {
        if let output {
            try OutputFile.validateWritable(output)
        }
    }

    func run() throws {
        try exitingOnInputErrors {
            var merged: StackTrie?
            var units: [(path: String, unit: String)] = []
            for path in inputs.isEmpty ? ["-"] : inputs {
                let input = try ProfileInput.read(
                    path, wanting: .stacks(perfScript: perfScriptOptions, fold: foldOptions), skipBadLines: skipBadLines)
                if input.skippedLines > 0 {
                    Diagnostics.warning(
                        "skipped \(input.skippedLines) malformed line\(input.skippedLines == 1 ? "" : "s") in \(path)")
                }
                for warning in input.warnings { Diagnostics.warning("\(ProfileInput.displayName(path)): \(warning)") }
                units.append(input.weightUnit)
                if merged == nil {
                    merged = input.stacks
                } else {
                    try merged!.mergeChecked(input.stacks)
                }
            }
            if let warning = ProfileInput.mixedUnitsWarning(units) { Diagnostics.warning(warning) }
            // As flamegraph and report do: an input without one stack is an error (exit 2), not
            // an empty output that a pipeline would take for a profile.
            guard let merged, merged.nodeCount > 1 else {
                let names = (inputs.isEmpty ? ["-"] : inputs).map(ProfileInput.displayName).joined(separator: ", ")
                throw ProfileError(.emptyInput, "no samples to collapse", source: names)
            }
            if let negative = merged.firstNegativeStack {
                throw ProfileInput.negativeValuesError(
                    "the stack '\(negative.joined(separator: ";"))' has a negative weight", output: "folded text")
            }
            let text = merged.foldedText()
            if let output {
                try OutputFile.write(text, to: output)
            } else {
                try OutputFile.writeStandardOutput(text)
            }
        }
    }

    private var perfScriptOptions: PerfScriptFoldOptions {
        PerfScriptFoldOptions(
            includePID: pid, includeTID: tid, annotateKernel: kernel || all, annotateJIT: jit || all,
            annotateInlined: inline, includeAddresses: addrs, event: event.name, weight: weight)
    }

    /// The same choices for profiles (pprof, speedscope).
    private var foldOptions: FoldOptions {
        var options = FoldOptions(annotate: false, unknownAddresses: addrs)
        options.rootIDs = tid ? .pidAndTID : pid ? .pid : .none
        options.annotateKernel = kernel || all
        options.annotateJIT = jit || all
        options.annotateInlined = inline
        return options
    }
}

extension PerfScriptFoldOptions.Weight: ExpressibleByArgument {}
