// SPDX-License-Identifier: Apache-2.0
//
// `sflame convert IN -o OUT`: between pprof, folded stacks and speedscope JSON (perf script
// text in as well). The input format is recognised by content, the output format by extension:
//
//   sflame convert cpu.pb.gz -o cpu.folded
//   sflame convert perf.txt -o cpu.pb.gz
//   sflame convert cpu.pb.gz -o cpu.speedscope.json
import ArgumentParser
import FoundationEssentials
import SFlameProfile
import SFlameRender

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a profile between pprof, folded stacks and speedscope JSON.",
        discussion: """
            The input may be pprof (gzip'd or not), folded stacks, perf script text or speedscope \
            JSON, recognised by content. The output format follows the extension: .pb.gz or .pprof \
            (gzip'd pprof), .pb (uncompressed pprof), .folded, .collapsed or .txt (folded stacks), \
            .speedscope.json or .json (speedscope), .svg (flame graph).

            Folded stacks keep only names and counts: converted to pprof they become one function \
            per frame name. pprof and perf script keep addresses, modules and inline frames.

            Examples:
              sflame convert cpu.pb.gz -o cpu.folded
              perf script > perf.txt && sflame convert perf.txt -o cpu.pb.gz
              sflame convert cpu.pb.gz -o cpu.speedscope.json
            """
    )

    @Argument(help: "The input file; '-' reads standard input.")
    var input: String

    @Option(name: .shortAndLong, help: "An output file; its extension picks the format (repeatable).")
    var output: [String]

    @Option(help: "Which sample type weighs folded and speedscope output (e.g. samples, cpu); default: the profile's default.")
    var sampleType: String?

    @OptionGroup var event: EventOption

    @Flag(help: "Put each thread (name-tid) under its process in folded output.")
    var perThread = false

    func validate() throws {
        guard !output.isEmpty else { throw ValidationError("Missing expected argument '--output <output>'") }
        for path in output {
            _ = try OutputFormat(path: path)
            try OutputFile.validateWritable(path)
        }
    }

    func run() throws {
        try exitingOnInputErrors {
            let decoded = try ProfileInput.read(input, wanting: .profile(event: event.name)).decoded
            for warning in decoded.warnings { Diagnostics.warning("\(ProfileInput.displayName(input)): \(warning)") }
            let profile = decoded.profile
            guard !profile.samples.isEmpty else {
                throw ProfileError(.emptyInput, "no samples to convert", source: ProfileInput.displayName(input))
            }
            let index = try sampleTypeIndex(profile)
            var fold = FoldOptions(sampleTypeIndex: index, perThread: perThread)
            // Folded input stays as it was: no process root, no annotations added.
            if decoded.format == .folded { fold = FoldOptions(sampleTypeIndex: index, processRoot: false, annotate: false) }
            let valueIndex = index ?? profile.defaultSampleTypeIndex
            let hasNegativeValues = profile.samples.contains {
                $0.values.indices.contains(valueIndex) && $0.values[valueIndex] < 0
            }
            // Folded text, speedscope and flame graphs hold weights of 0 or more; checked for every
            // output before any is written.
            for path in output where hasNegativeValues {
                let format = try OutputFormat(path: path)
                if format != .pprof(compressed: true), format != .pprof(compressed: false) {
                    throw ProfileInput.negativeValuesError(
                        "the profile has negative values", output: "\(format)", source: ProfileInput.displayName(input))
                }
            }
            // All or nothing: every output is made before any is written, so a format that cannot
            // hold the profile, or an output whose directory went away, leaves no file behind.
            var rendered: [(path: String, format: OutputFormat, bytes: [UInt8])] = []
            for path in output {
                let format = try OutputFormat(path: path)
                let bytes: [UInt8]
                switch format {
                case .pprof(let compressed):
                    bytes = compressed ? profile.pprofGzip() : profile.pprofBytes()
                case .folded:
                    if decoded.format == .perfScript && !perThread {
                        // Collapse perf script text the way `sflame collapse` does (with
                        // --per-thread, the profile model below adds the thread frames).
                        bytes = try ProfileInput.read(input, wanting: .stacks(perfScript: PerfScriptFoldOptions(event: event.name))).stacks.foldedText()
                    } else {
                        bytes = Array(profile.folded(options: fold).text().utf8)
                    }
                case .speedscope:
                    bytes = Speedscope.write(
                        profile, name: ProfileInput.displayName(input), exporter: "sflame@\(SFlame.configuration.version)",
                        sampleTypeIndex: index)
                case .svg:
                    var stacks = StackTrie()
                    for s in profile.folded(options: fold).stacks where s.weight != 0 { stacks.add(s.frames, weight: s.weight) }
                    var options = FlameGraphOptions()
                    options.countName = countName(profile, index)
                    bytes = try FlameGraph.render(stacks, options: options).svg
                }
                rendered.append((path, format, bytes))
            }
            // validate() checked the paths before the work; check again now that it is done.
            for item in rendered { try OutputFile.checkWritable(item.path) }
            for item in rendered {
                try OutputFile.write(item.bytes, to: item.path)
                Diagnostics.notice("converted \(decoded.format) to \(item.format) in \(item.path)")
            }
        }
    }

    private func sampleTypeIndex(_ profile: Profile) throws(ProfileError) -> Int? {
        guard let sampleType else { return nil }
        if let i = profile.sampleTypes.firstIndex(where: { $0.type == sampleType }) { return i }
        let known = profile.sampleTypes.map(\.description).joined(separator: ", ")
        throw ProfileError(.invalidProfile, "the profile has no sample type '\(sampleType)' (it has \(known))")
    }

    private func countName(_ profile: Profile, _ index: Int?) -> String {
        let i = index ?? profile.defaultSampleTypeIndex
        guard profile.sampleTypes.indices.contains(i) else { return "samples" }
        let type = profile.sampleTypes[i]
        return type.unit == "count" ? type.type : type.unit
    }
}
