// SPDX-License-Identifier: Apache-2.0
//
// Reads the inputs of commands that draw or convert profiles. The format is recognised by
// content, not by name (DESIGN.md); folded stacks are the only format so far:
//
//   main;parse;lex 12     ──►  InputFormat.folded  ──►  FoldedProfile [main, parse, lex] 12
//
// Adding a format means adding an `InputFormat` case, its test in `detect`, and its reader in
// `read`.
import SFlameProfile

/// Formats the CLI reads profiles from.
enum InputFormat: String, CaseIterable {
    /// `root;…;leaf COUNT` lines (FlameGraph's stackcollapse output).
    case folded

    /// The format of an input, judged by its first bytes; folded text when nothing else fits.
    static func detect(_ bytes: [UInt8]) -> InputFormat {
        .folded
    }
}

/// One input file, read and parsed.
struct ProfileInput {
    /// The path the user gave (`-` for standard input).
    var path: String
    var format: InputFormat
    var profile: FoldedProfile
    /// Malformed lines skipped because of `--skip-bad-lines`.
    var skippedLines: Int

    /// Reads and parses the input at `path` (`-` for standard input).
    ///
    /// - Throws: `FileError` when the file cannot be read; `ProfileError` naming the file and
    ///   line of the first malformed line, unless `skipBadLines`.
    static func read(_ path: String, skipBadLines: Bool) throws -> ProfileInput {
        let bytes = try InputFile.read(path)
        let source = path == "-" ? "<stdin>" : path
        let format = InputFormat.detect(bytes)
        switch format {
        case .folded:
            let text = String(decoding: bytes, as: UTF8.self)
            let (profile, skipped) = try FoldedProfile.parse(text, source: source, skipBadLines: skipBadLines)
            return ProfileInput(path: path, format: format, profile: profile, skippedLines: skipped)
        }
    }
}
