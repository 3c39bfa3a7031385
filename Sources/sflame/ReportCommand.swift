// SPDX-License-Identifier: Apache-2.0
//
// `sflame report IN [--top N] [--by self|total]`: the hottest functions as a table on the
// terminal, like `pprof -top` and `perf report --stdio`:
//
//   $ sflame report cpu.pb.gz --top 3
//   Showing the top 3 of 9 functions by self samples (1,234 samples in total)
//         self   self%    sum%      total  total%  function
//          925  74.96%  74.96%        925  74.96%  hot_a
import ArgumentParser
import SFlameProfile
import SFlameRender

struct ReportCommand: ParsableCommand {
    enum Order: String, ExpressibleByArgument, CaseIterable {
        case `self`
        case total
    }

    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the hottest functions with their self and total weight.",
        discussion: """
            Self is the weight of the samples where a function was running (the leaf of the stack; \
            pprof's 'flat'); total is the weight of the samples where it was anywhere on the stack \
            (pprof's 'cum'), counted once per sample. sum% adds up self% down the table. Inputs in \
            any format sflame reads (pprof, perf script, folded, speedscope); folded stacks have no \
            functions, so each frame name counts as one, the process root included.
            """
    )

    @Argument(help: "The input file; '-' reads standard input.")
    var input: String

    @Option(help: "How many functions to show.")
    var top = 20

    @Option(help: "Sort by self or total weight.")
    var by: Order = .self

    @Option(help: "Which sample type to add up (e.g. samples, cpu); default: the profile's default.")
    var sampleType: String?

    @OptionGroup var event: EventOption

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1 (got \(top)).") }
    }

    func run() throws {
        try exitingOnInputErrors {
            let decoded = try ProfileInput.read(input, wanting: .profile(event: event.name)).decoded
            for warning in decoded.warnings { Diagnostics.warning("\(ProfileInput.displayName(input)): \(warning)") }
            let profile = decoded.profile
            guard !profile.samples.isEmpty else {
                throw ProfileError(.emptyInput, "no samples to report", source: ProfileInput.displayName(input))
            }
            var index = profile.defaultSampleTypeIndex
            if let sampleType {
                guard let i = profile.sampleTypes.firstIndex(where: { $0.type == sampleType }) else {
                    let known = profile.sampleTypes.map(\.description).joined(separator: ", ")
                    throw ProfileError(.invalidProfile, "the profile has no sample type '\(sampleType)' (it has \(known))")
                }
                index = i
            }
            guard profile.valuesFitInt64(sampleTypeIndex: index) else {
                throw ProfileError(
                    .invalidProfile,
                    "the sample values add up to more than \(Int64.max), which 64-bit counts cannot hold",
                    source: ProfileInput.displayName(input))
            }
            let totals = profile.functionTotals(sampleTypeIndex: index, sortedBySelf: by == .self)
            let type = profile.sampleTypes.indices.contains(index) ? profile.sampleTypes[index] : ValueType.samples
            let unit = type.unit == "count" ? type.type : type.unit
            let lines = TopTable.lines(
                totals, total: profile.percentageBase(sampleTypeIndex: index), top: top, bySelf: by == .self, unit: unit)
            // write(2), not print: a full disk or closed pipe is an error, not exit status 0.
            try OutputFile.writeStandardOutput(Array((lines.joined(separator: "\n") + "\n").utf8))
        }
    }
}
