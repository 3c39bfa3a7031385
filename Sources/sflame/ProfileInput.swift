// SPDX-License-Identifier: Apache-2.0
//
// Reads the inputs of commands that draw, convert or report profiles: a thin adapter from
// files to SFlameProfile's `ProfileDecoder`, which recognises the format by content (never by
// name) and does all the parsing:
//
//   main;parse;lex 12            ──►  folded       ──►  stacks
//   two-hot 4242 1.0: cycles:    ──►  perf script  ──►  stacks (collapsed) or a profile
//   1f 8b … (prof.pb.gz)         ──►  pprof        ──►  a profile (folded on demand)
//   {"$schema": "…speedscope…"   ──►  speedscope   ──►  a profile
//
// Text inputs are read in 1 MiB chunks and parsed as they arrive.
import SFlameProfile

/// Formats the CLI reads profiles from (SFlameProfile's `ProfileFormat`; `InputFormat.detect`
/// judges a prefix of the input).
typealias InputFormat = ProfileFormat

/// One input file, read and parsed.
struct ProfileInput {
    /// The path the user gave (`-` for standard input).
    var path: String
    var decoded: DecodedProfile

    var format: ProfileFormat { decoded.format }
    /// The input as folded stacks (merged, or in input order when read for a flame chart).
    var profile: FoldedProfile { decoded.folded }
    /// The input as merged stacks.
    var stacks: StackTrie { decoded.stacks }
    /// Malformed lines skipped because of `--skip-bad-lines`.
    var skippedLines: Int { decoded.skippedLines }
    /// Things the reader wants the user to know (several events, unrecognized lines).
    var warnings: [String] { decoded.warnings }

    /// A warning when `inputs` weigh their stacks in different units (a pprof's samples and a
    /// perf script's periods in nanoseconds): merged into one graph, the smaller all but vanish.
    ///
    /// - Parameter units: each input's path and `weightUnit`.
    static func mixedUnitsWarning(_ units: [(path: String, unit: String)]) -> String? {
        guard Set(units.map(\.unit)).count > 1 else { return nil }
        let list = units.map { "\(displayName($0.path)): \($0.unit)" }.joined(separator: ", ")
        return "the inputs weigh their stacks in different units (\(list)); they are added as they are, "
            + "so the graph mixes them (pprof: choose a value with 'sflame convert --sample-type'; "
            + "perf script: 'sflame collapse --weight samples' counts samples)"
    }

    /// The error for a profile with negative values (a difference of two profiles, as `pprof
    /// -diff_base` writes) written as `output` (folded text, speedscope, a flame graph), which
    /// holds weights of 0 or more; `finding` says where ("the profile has negative values",
    /// "the stack 'a;b' has a negative weight").
    static func negativeValuesError(_ finding: String, output: String, source: String? = nil) -> ProfileError {
        ProfileError(
            .invalidProfile,
            "\(finding) (a difference of two profiles, as 'pprof -diff_base' writes) and "
                + "\(output) holds weights of 0 or more: keep it as pprof, or compare the two profiles with "
                + "'sflame diff BEFORE AFTER'",
            source: source)
    }

    /// This input's path and what its weights count, for `mixedUnitsWarning`.
    var weightUnit: (path: String, unit: String) { (path, decoded.weightUnit ?? "count") }

    /// The name of the input in messages: the path, or `<stdin>` for `-`.
    static func displayName(_ path: String) -> String { path == "-" ? "<stdin>" : path }

    /// Reads and parses the input at `path` (`-` for standard input) as merged stacks.
    ///
    /// - Throws: `FileError` when the file cannot be read; `ProfileError` naming the file and
    ///   the line or byte offset of what is malformed.
    static func read(_ path: String, skipBadLines: Bool) throws -> ProfileInput {
        try read(path, wanting: .stacks(), skipBadLines: skipBadLines)
    }

    /// Reads and parses the input at `path` for the given use (see `ProfileDecoder.Wanting`).
    static func read(_ path: String, wanting: ProfileDecoder.Wanting, skipBadLines: Bool = false) throws
        -> ProfileInput
    {
        if case .stacks(let options, _) = wanting, path != "-",
            let decoded = try ParallelCollapse.collapse(path, options: options, skipBadLines: skipBadLines)
        {
            return ProfileInput(path: path, decoded: decoded)
        }
        var decoder = ProfileDecoder(wanting: wanting, source: displayName(path), skipBadLines: skipBadLines)
        var failure: ProfileError?
        try InputFile.readChunks(path) { chunk in
            do throws(ProfileError) {
                try decoder.consume(chunk)
                return true
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        return ProfileInput(path: path, decoded: try decoder.finish())
    }
}
