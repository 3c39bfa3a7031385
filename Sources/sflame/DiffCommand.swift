// SPDX-License-Identifier: Apache-2.0
//
// `sflame diff BEFORE AFTER`: a differential flame graph, the regression report, and a CI gate.
//
//   sflame diff base.folded new.folded                       text report on stdout
//   sflame diff base.folded new.folded -o diff.svg --report md
//   sflame diff base.pb.gz new.folded --fail-on-regression 2 --fail-on-regression 'parse_.*:0.5'
//
// Exit codes: 0 compared (and the gate passed), 1 a file could not be read or written,
// 2 invalid input or options, 3 the gate found a regression.
import ArgumentParser
import CShims
import Dispatch
import FoundationEssentials
import Synchronization
import SFlameDiff
import SFlameProfile
import SFlameRender

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two profiles: a differential flame graph, a regression report and a CI gate.",
        discussion: """
            Merges BEFORE and AFTER (any input format sflame reads; they may differ) by stack and \
            compares every function's self share (samples where it is the leaf) and total share \
            (samples whose stack contains it). The report (--report, on stdout) lists the largest \
            changes in percentage points and relative terms with the sample counts behind them, a \
            significance estimate per function, and the stacks that are new in AFTER or vanished \
            from BEFORE.

            Significance: a two-proportion z-test per function, with the Holm-Bonferroni \
            correction over all functions compared; changes that are not significant are labelled \
            'within noise'. Samples are not independent (periodic sampling of a program that runs \
            in phases is autocorrelated), so the estimate is optimistic: treat it as a guide, and \
            record long enough for thousands of samples.

            The differential flame graph (-o diff.svg) has AFTER's shape (--negate: BEFORE's), \
            each frame coloured by the change of its share, rolled up from its callees: red grew, \
            blue shrank, near-white unchanged. Normalization scales BEFORE to AFTER's total; it is \
            automatic when the totals differ by more than 10%.

            CI gate: --fail-on-regression PCT exits with code 3 when a function's total share grew \
            by more than PCT percentage points and the growth is significant; REGEX:PCT limits the \
            rule to functions whose name matches REGEX (anywhere; the text after the last ':' is \
            PCT). Repeatable. Offenders are printed on stderr.

            Exit codes: 0 compared (gate passed), 1 a file could not be read or written, 2 invalid \
            input or options, 3 regression found.

            Examples:
              sflame diff before.folded after.folded -o diff.svg
              sflame diff before.folded after.folded --report md -o report.md
              sflame diff before.folded after.folded --fail-on-regression 2 --fail-on-regression 'parse_.*:0.5'
            """
    )

    @Argument(help: "The baseline profile (BEFORE); '-' reads standard input.")
    var before: String

    @Argument(help: "The comparison profile (AFTER); '-' reads standard input.")
    var after: String

    @Option(
        name: [.short, .customLong("output")],
        help: ArgumentHelp(
            "Output file; the extension picks the format: .svg (differential flame graph), .txt, .md or .json "
                + "(the report). Repeatable.", valueName: "FILE"))
    var outputs: [String] = []

    @Option(help: ArgumentHelp("The report's format on standard output: text, md or json.", valueName: "FORMAT"))
    var report: ReportFormat = .text

    @Flag(
        inversion: .prefixedNo,
        help:
            "Scale BEFORE to AFTER's total (compare shares), or never (compare counts). Default: when the totals differ by more than 10%."
    )
    var normalize: Bool?

    @Flag(help: "Draw BEFORE's shape instead of AFTER's (frames that vanished show; red still means grew).")
    var negate = false

    @Option(
        name: .customLong("fail-on-regression"),
        help: ArgumentHelp(
            "Exit with code 3 when a function's total share grew by more than PCT percentage points, significantly; "
                + "REGEX:PCT for functions matching REGEX. Repeatable.", valueName: "[REGEX:]PCT"))
    var failOnRegression: [String] = []

    @Option(help: "Significance level (family-wise, Holm-Bonferroni) for 'significant' and for the gate.")
    var alpha = 0.05

    @Option(help: "Functions per table and stacks per list in text and Markdown reports; 0 for all.")
    var top = 20

    @Option(help: "The graph's title.")
    var title: String?

    @Option(help: "The graph's second title line (default: what is drawn and compared).")
    var subtitle: String?

    @Option(help: "Image width in pixels.")
    var width = 1200

    @Option(help: "Leave out frames narrower than this: pixels (0.1), or percent of the total ('0.5%').")
    var minwidth: FlameGraphOptions.MinWidth = .pixels(0.1)

    @Option(help: "What the counts are, for tooltips.")
    var countname = "samples"

    @Flag(help: "Draw an icicle graph (root at the top).")
    var inverted = false

    @Flag(help: "Reverse each stack before merging (merge from the leaves).")
    var reverse = false

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
        case text, md, json
    }

    func validate() throws {
        if before == "-" && after == "-" {
            throw ValidationError("Only one of BEFORE and AFTER can be standard input ('-').")
        }
        if top < 0 { throw ValidationError("--top must be 0 (all) or more (got \(top)).") }
        if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha must be between 0 and 1 (got \(alpha)).") }
        _ = try rules()
        for path in outputs {
            _ = try DiffOutput(path: path)
            try OutputFile.validateWritable(path)
        }
    }

    private func rules() throws -> [RegressionRule] {
        try failOnRegression.map { text in
            do {
                return try RegressionRule(parsing: text)
            } catch {
                throw ValidationError("--fail-on-regression: \(error)")
            }
        }
    }

    func run() throws {
        DiffCommand.tuneAllocator()
        let diff: ProfileDiff
        do {
            diff = try compare()
        } catch let error as ProfileError {
            throw fail(error.description, SFlameExit.invalidInput)
        } catch let error as DiffError {
            // The comparison calls the inputs BEFORE and AFTER; name the files too.
            var message = error.message
            if message.hasPrefix("BEFORE") { message = "\(displayName(before)): " + message }
            if message.hasPrefix("AFTER") { message = "\(displayName(after)): " + message }
            throw fail(message, SFlameExit.invalidInput)
        } catch let error as FileError {
            throw fail(error.description, SFlameExit.failure)
        }
        noticeNormalization(diff)
        let report = DiffReport(
            diff,
            options: DiffReportOptions(
                baselineName: displayName(before), comparisonName: displayName(after), top: top, rules: try rules()))
        var failed = false
        for path in outputs {
            do {
                try write(report, to: path)
            } catch let error as RenderError {
                throw fail(error.message, SFlameExit.invalidInput)
            } catch {
                Diagnostics.error("could not write \(path): \(error)")
                failed = true
            }
        }
        do {
            try OutputFile.writeStandardOutput(Array(text(of: report, as: self.report).utf8))
        } catch {
            throw fail(error.description, SFlameExit.failure)
        }
        if !report.gatePassed {
            for offender in report.offenders {
                Diagnostics.notice("diff: regression: \(DiffReport.offenderLine(offender))")
            }
            throw SFlameExit.regression
        }
        if failed { throw SFlameExit.failure }
    }

    /// Keeps freed memory in the process: a comparison allocates and frees arrays of tens of
    /// megabytes, and glibc's defaults give each back to the kernel (munmap, heap trimming), so
    /// the next one faults its pages in again. Page faults were a quarter of the time of a
    /// comparison of two 100,000-stack profiles (tools/bench-diff.sh). One arena lets the main
    /// thread reuse what the two reading threads freed (they allocate little while they run, so
    /// they do not contend for it); the other settings keep large blocks in the heap. The values
    /// are glibc's limits (32 MiB is the largest mmap threshold it accepts).
    ///
    /// Source: mallopt(3), M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_TOP_PAD.
    private static func tuneAllocator() {
        _ = mallopt(M_ARENA_MAX, 1)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        _ = mallopt(M_TOP_PAD, 64 << 20)
    }

    /// Reads both inputs and compares them.
    ///
    /// The two inputs are read, parsed and encoded on two threads at once: that is most of the
    /// work, and the two are independent. The merge then builds the call tree and the
    /// per-function statistics at once.
    private func compare() throws -> ProfileDiff {
        let paths = [before, after]
        let labels = ["BEFORE", "AFTER"]
        let results = ResultSlots<DiffInput>(count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            results[i] = Result { try DiffCommand.encode(paths[i], label: labels[i]) }
        }
        let baseline = try results[0]!.get()
        let comparison = try results[1]!.get()
        let normalization: DiffOptions.Normalization = normalize.map { $0 ? .always : .never } ?? .automatic
        return try ProfileDiff(
            baseline: baseline, comparison: comparison,
            options: DiffOptions(normalization: normalization, significanceLevel: alpha),
            runBoth: { first, second in
                DispatchQueue.concurrentPerform(iterations: 2) { $0 == 0 ? first() : second() }
            })
    }

    /// Reads and encodes one input. Folded text (by content, `InputFormat.detect`) is encoded
    /// straight from its bytes, interning frames without building a `String` for each one
    /// (most of the time of a large comparison went there); other formats, and standard input,
    /// are read by `ProfileInput`.
    private static func encode(_ path: String, label: String) throws -> DiffInput {
        if path != "-" {
            let bytes = try InputFile.read(path)
            if InputFormat.detect(bytes) == .folded {
                return try bytes.withUnsafeBufferPointer { try DiffInput(folded: $0, source: path, label: label) }
            }
        }
        return try DiffInput(ProfileInput.read(path, skipBadLines: false).profile, label: label)
    }

    private func text(of report: DiffReport, as format: ReportFormat) -> String {
        switch format {
        case .text: report.text()
        case .md: report.markdown()
        case .json: report.json()
        }
    }

    private func write(_ report: DiffReport, to path: String) throws {
        switch try DiffOutput(path: path) {
        case .svg:
            let graph = try FlameGraph.renderDifferential(report.diff, options: graphOptions(report.diff))
            graph.warnings.forEach { Diagnostics.warning($0) }
            noticeHiddenStacks(report.diff)
            try OutputFile.write(graph.svg, to: path)
        case .text: try OutputFile.write(report.text(), to: path)
        case .markdown: try OutputFile.write(report.markdown(), to: path)
        case .json: try OutputFile.write(report.json(), to: path)
        }
    }

    private func graphOptions(_ diff: ProfileDiff) -> FlameGraphOptions {
        let drawn = negate ? "BEFORE \(displayName(before))" : "AFTER \(displayName(after))"
        let compared = diff.normalization.isApplied ? "change in share" : "change in samples"
        return FlameGraphOptions(
            title: title, subtitle: subtitle ?? "widths: \(drawn) · colour: \(compared), red grew, blue shrank",
            width: width, minWidth: minwidth, countName: countname, inverted: inverted, reverse: reverse,
            negate: negate)
    }

    /// Says on stderr when normalization was switched on because the totals differ.
    private func noticeNormalization(_ diff: ProfileDiff) {
        let n = diff.normalization
        guard n.reason == .totalsDiffer else { return }
        Diagnostics.notice(
            "diff: the totals differ by \(percent(n.relativeDifference)) (BEFORE \(Grouped(Int(diff.baselineTotal))), "
                + "AFTER \(Grouped(Int(diff.comparisonTotal))) samples), more than 10 %: normalizing, so shares are "
                + "compared (--no-normalize compares counts).")
    }

    /// Says on stderr which stacks have no width in the graph, so none is dropped silently.
    private func noticeHiddenStacks(_ diff: ProfileDiff) {
        let hidden = negate ? diff.newStacks : diff.vanishedStacks
        guard !hidden.isEmpty else { return }
        let samples = hidden.reduce(Int64(0)) { $0 + (negate ? $1.comparisonWeight : $1.baselineWeight) }
        let side = negate ? "AFTER" : "BEFORE"
        let total = negate ? diff.comparisonTotal : diff.baselineTotal
        Diagnostics.notice(
            "diff: \(hidden.count) stack\(hidden.count == 1 ? "" : "s") (\(Grouped(Int(samples))) sample\(samples == 1 ? "" : "s"), "
                + "\(percent(Double(samples) / Double(total))) of \(side)) \(hidden.count == 1 ? "is" : "are") only in "
                + "\(side) and \(hidden.count == 1 ? "has" : "have") no width in this graph; "
                + (negate ? "without --negate" : "--negate") + " draws \(side)'s shape, and the report lists them.")
    }

    private func percent(_ fraction: Double) -> String {
        let tenths = Int((fraction * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10) %"
    }

    private func displayName(_ path: String) -> String { path == "-" ? "<stdin>" : path }

    private func fail(_ message: String, _ code: ExitCode) -> ExitCode {
        Diagnostics.error("diff: \(message)")
        return code
    }
}

/// One result per concurrent task; each task writes only its own slot, and the slots are read
/// after `concurrentPerform` returns.
private final class ResultSlots<Value: Sendable>: Sendable {
    private let slots: Mutex<[Result<Value, any Error>?]>

    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }

    subscript(i: Int) -> Result<Value, any Error>? {
        get { slots.withLock { $0[i] } }
        set { slots.withLock { $0[i] = newValue } }
    }
}

/// Output formats of `sflame diff`, by extension.
enum DiffOutput {
    case svg, text, markdown, json

    init(path: String) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".svg") {
            self = .svg
        } else if lower.hasSuffix(".txt") {
            self = .text
        } else if lower.hasSuffix(".md") || lower.hasSuffix(".markdown") {
            self = .markdown
        } else if lower.hasSuffix(".json") {
            self = .json
        } else {
            throw ValidationError(
                "Cannot tell the output format of '\(path)' from its extension. Use .svg (differential flame graph), "
                    + ".txt, .md or .json (the report).")
        }
    }
}
