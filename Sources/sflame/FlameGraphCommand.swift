// SPDX-License-Identifier: Apache-2.0
//
// `sflame flamegraph`: a profile in any format (folded, perf script, pprof, speedscope) in, an
// interactive SVG flame graph out. Options keep flamegraph.pl's names:
//
//   sflame flamegraph out.folded -o cpu.svg --title "CPU: api-server" --minwidth 0.5%
//   stackcollapse-perf.pl perf.txt | sflame flamegraph > cpu.svg
//   perf script | sflame flamegraph > cpu.svg
import ArgumentParser
import FoundationEssentials
import SFlameProfile
import SFlameRender

struct FlameGraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flamegraph",
        abstract: "Render folded stacks as an interactive SVG flame graph.",
        discussion: """
            Inputs are folded stacks ('root;…;leaf COUNT' lines, as stackcollapse-*.pl write them), \
            perf script text, pprof (.pb.gz) or speedscope JSON, recognised by content; several inputs \
            are merged. The SVG works opened from disk: click to zoom, Ctrl-F to search \
            (regular expressions), and 'graph.svg?s=REGEX' searches on load.
            """
    )

    @Argument(help: "Input files (folded, perf script, pprof, speedscope); '-' or none reads standard input.")
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: "Write the SVG here (atomically) instead of to standard output.")
    var output: String?

    @Option(
        help: "Title text (default 'Flame Graph', 'Icicle Graph' with --inverted, 'Flame Chart' with --flamechart).")
    var title: String?

    @Option(help: "Second-level title.")
    var subtitle: String?

    @Option(help: "Image width in pixels.")
    var width = 1200

    @Option(help: "Height of each frame in pixels.")
    var height = 16

    @Option(help: "Font size in pixels.")
    var fontsize = 12.0

    @Option(help: "Font family.")
    var fonttype = "Verdana"

    @Option(help: "Average character width relative to the font size, for fitting labels.")
    var fontwidth = 0.59

    @Option(help: "Leave out frames narrower than this: pixels (0.1), or percent of the total ('0.5%').")
    var minwidth: FlameGraphOptions.MinWidth = .pixels(0.1)

    @Option(help: "What the counts are, for tooltips.")
    var countname = "samples"

    @Option(help: "What the names are, for the details line.")
    var nametype = "Function:"

    @Option(help: "Notes stored in the SVG (its <desc> element).")
    var notes: String?

    @Option(help: "Colour palette.")
    var colors: Palette = .hot

    @Flag(inversion: .prefixedNo, help: "Colour by a stable hash of each name, the same in every graph.")
    var hash = true

    @Flag(help: "Colour frames randomly (a new seed per run).")
    var random = false

    @Flag(help: "Use a consistent palette: read and update the map file (see --palette-file).")
    var cp = false

    @Option(name: .customLong("palette-file"), help: "The palette map file of --cp (default: palette.map).")
    var paletteFileOption: String?

    /// The palette map of --cp.
    var paletteFile: String { paletteFileOption ?? "palette.map" }

    func validate() throws {
        if paletteFileOption != nil && !cp {
            throw ValidationError("--palette-file names the map of a consistent palette: add --cp (it does nothing without).")
        }
        // The limits of the drawing options (--width 0, --fontsize -1, ...) are usage errors
        // too, as for the other commands' options.
        do throws(RenderError) {
            try options(palette: nil).validate()
        } catch {
            throw ValidationError(error.message)
        }
        // Checked before any work, so that a path that cannot be written leaves nothing written.
        if let output { try OutputFile.validateWritable(output) }
        if cp { try OutputFile.validateWritable(paletteFile) }
    }

    @Flag(help: "Draw an icicle graph (root at the top).")
    var inverted = false

    @Flag(help: "Reverse each stack before merging (merge from the leaves).")
    var reverse = false

    @Flag(help: "Draw a flame chart: stacks in input order, not sorted or merged by name.")
    var flamechart = false

    @Flag(help: "Accepted for flamegraph.pl compatibility; differential graphs are drawn by 'sflame diff' (see its --negate).")
    var negate = false

    @Option(help: "Multiply the counts shown in tooltips by this factor.")
    var factor = 1.0

    @Option(help: "Background: yellow, blue, green, grey, '#rrggbb' or 'rgb(R,G,B)' (default by palette).")
    var bgcolors: Background?

    @Option(help: "The total count the full width stands for (to draw graphs to one scale).")
    var total: Int64?

    @Flag(name: .customLong("skip-bad-lines"), help: "Skip malformed input lines (their count goes to stderr).")
    var skipBadLines = false

    @OptionGroup var event: EventOption

    func run() throws {
        do {
            try render()
        } catch let error as ProfileError {
            throw fail(error.description, SFlameExit.invalidInput)
        } catch let error as RenderError {
            // Name the inputs: the renderer does not know them.
            let inputNames = inputs.isEmpty ? "standard input" : inputs.joined(separator: ", ")
            throw fail(
                error.kind == .emptyInput ? "\(inputNames): \(error)" : error.description, SFlameExit.invalidInput)
        } catch let error as FileError {
            throw fail(error.description, SFlameExit.failure)
        }
    }

    private func render() throws {
        let palette = cp ? try readPaletteMap() : nil
        let result: FlameGraphOutput
        var units: [(path: String, unit: String)] = []
        if flamechart {
            // A flame chart keeps the input order: read the stacks unmerged.
            var stacks: [FoldedStack] = []
            for path in inputs.isEmpty ? ["-"] : inputs {
                let input = try ProfileInput.read(path, wanting: .orderedStacks(perfScript: PerfScriptFoldOptions(event: event.name)), skipBadLines: skipBadLines)
                report(input)
                units.append(input.weightUnit)
                stacks.append(contentsOf: input.profile.stacks)
            }
            if let warning = ProfileInput.mixedUnitsWarning(units) { warn(warning) }
            result = try FlameGraph.render(FoldedProfile(stacks: stacks), options: options(palette: palette))
        } else {
            var merged: StackTrie?
            for path in inputs.isEmpty ? ["-"] : inputs {
                let input = try ProfileInput.read(path, wanting: .stacks(perfScript: PerfScriptFoldOptions(event: event.name)), skipBadLines: skipBadLines)
                report(input)
                units.append(input.weightUnit)
                if merged == nil {
                    merged = input.stacks
                } else {
                    try merged!.mergeChecked(input.stacks)
                }
            }
            if let warning = ProfileInput.mixedUnitsWarning(units) { warn(warning) }
            result = try FlameGraph.render(merged ?? StackTrie(), options: options(palette: palette))
        }
        result.warnings.forEach(warn)
        if let output {
            try OutputFile.write(result.svg, to: output)
        } else {
            try OutputFile.writeStandardOutput(result.svg)
        }
        if let palette, !result.newPaletteColors.isEmpty {
            try OutputFile.write(
                PaletteMap.text(palette.merging(result.newPaletteColors) { old, _ in old }), to: paletteFile)
        }
    }

    /// Warns about skipped lines and what the reader noticed.
    private func report(_ input: ProfileInput) {
        if input.skippedLines > 0 {
            warn("skipped \(input.skippedLines) malformed line\(input.skippedLines == 1 ? "" : "s") in \(input.path)")
        }
        for warning in input.warnings { warn("\(ProfileInput.displayName(input.path)): \(warning)") }
    }

    /// The `--cp` palette map; empty when the file does not exist yet.
    private func readPaletteMap() throws -> [String: RGBColor] {
        guard FileManager.default.fileExists(atPath: paletteFile) else { return [:] }
        let text = String(decoding: try InputFile.read(paletteFile), as: UTF8.self)
        do {
            return try PaletteMap.parse(text)
        } catch {
            throw RenderError(error.kind, "\(paletteFile): \(error.message)")
        }
    }

    private func options(palette: [String: RGBColor]?) -> FlameGraphOptions {
        FlameGraphOptions(
            title: title, subtitle: subtitle, width: width, frameHeight: height, fontSize: fontsize,
            fontType: fonttype, fontWidth: fontwidth, minWidth: minwidth, countName: countname,
            nameType: nametype, notes: notes, colors: colors, hash: hash, random: random,
            randomSeed: random ? UInt64.random(in: .min ... .max) : 0, consistentPalette: palette,
            inverted: inverted, reverse: reverse, flameChart: flamechart, negate: negate, factor: factor,
            background: bgcolors, total: total)
    }

    private func warn(_ message: String) {
        writeStandardError("sflame flamegraph: warning: \(message)\n")
    }

    private func fail(_ message: String, _ code: ExitCode) -> ExitCode {
        writeStandardError("sflame flamegraph: error: \(message)\n")
        return code
    }
}

extension Palette: ExpressibleByArgument {}

extension Background: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

extension FlameGraphOptions.MinWidth: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }

    /// The spelling `init(parsing:)` reads: `0.1` or `0.5%`.
    public var defaultValueDescription: String {
        switch self {
        case .pixels(let px): "\(px)"
        case .percent(let pct): "\(pct)%"
        }
    }
}
