// SPDX-License-Identifier: Apache-2.0
//
// The consistent-palette file of flamegraph.pl's `--cp`: one frame name and its colour per line,
// so that a name keeps its colour across graphs even with `--random`:
//
//   main->rgb(216,51,51)
//   parse_[k]->rgb(225,120,0)
//
// Lines are sorted bytewise by name when written. The name ends at the line's last `->`.

/// Reads and writes consistent-palette maps (the text; files are the caller's business).
public enum PaletteMap {
    /// Parses a palette map.
    ///
    /// Blank lines are ignored; lines may end in LF or CRLF.
    /// - Throws: `RenderError(.invalidInput)` naming the 1-based line that has no `->` or whose
    ///   colour is not `rgb(R,G,B)` or `#rrggbb`.
    public static func parse(_ text: String) throws(RenderError) -> [String: RGBColor] {
        var map: [String: RGBColor] = [:]
        var lineNumber = 0
        // "\r\n" is one Character (a grapheme cluster), so split on either newline spelling.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            guard let arrow = lastArrow(in: line), let color = RGBColor(parsing: String(line[arrow.upperBound...]))
            else {
                throw RenderError(
                    .invalidInput,
                    "palette map line \(lineNumber): expected 'NAME->rgb(R,G,B)', found '\(line.prefix(80))'")
            }
            map[String(line[..<arrow.lowerBound])] = color
        }
        return map
    }

    /// The range of the last `->` in `line`.
    private static func lastArrow(in line: Substring) -> Range<Substring.Index>? {
        var i = line.utf8.endIndex
        while i > line.utf8.startIndex {
            let prev = line.utf8.index(before: i)
            if line.utf8[prev] == UInt8(ascii: ">"), prev > line.utf8.startIndex {
                let dash = line.utf8.index(before: prev)
                if line.utf8[dash] == UInt8(ascii: "-") { return dash..<i }
            }
            i = prev
        }
        return nil
    }

    /// The text of `map`: `NAME->rgb(R,G,B)` lines sorted bytewise by name, each ending in a
    /// newline.
    public static func text(_ map: [String: RGBColor]) -> String {
        var out = ""
        for (name, color) in map.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            out += name
            out += "->"
            out += color.css
            out += "\n"
        }
        return out
    }
}
