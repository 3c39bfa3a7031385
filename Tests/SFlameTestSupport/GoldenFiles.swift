// SPDX-License-Identifier: Apache-2.0
//
// Golden-file comparison (STYLE.md §7): compare line by line, report the first differing
// `file:line`, write the actual output to a temporary file, and re-record with
// SFLAME_RECORD_GOLDENS=1. A missing or just-recorded golden fails, so new baselines get
// reviewed.
import Foundation

public struct GoldenFiles: Sendable {
    /// The test target's Fixtures directory in the source tree, where goldens are recorded.
    public let sourceFixtures: URL
    /// The same fixtures as copied into the test bundle, where they are read.
    public let bundleFixtures: URL

    /// - Parameters:
    ///   - sourceFixtures: `Tests/<target>/Fixtures` (from the target's `#filePath`).
    ///   - bundleFixtures: `Bundle.module.resourceURL/Fixtures` of the target.
    public init(sourceFixtures: URL, bundleFixtures: URL) {
        self.sourceFixtures = sourceFixtures
        self.bundleFixtures = bundleFixtures
    }

    /// The text of fixture `path` (relative to Fixtures/).
    public func fixture(_ path: String) throws -> String {
        try String(contentsOf: bundleFixtures.appendingPathComponent(path), encoding: .utf8)
    }

    /// Compares `actual` with the golden at `path` (relative to Fixtures/). Tests assert on the
    /// result: `#expect(goldenFiles.mismatch(text, golden: path) == nil)`.
    ///
    /// - Returns: nil when they are equal; otherwise what differs — the first differing
    ///   `Fixtures/path:line` with both lines (the whole actual output is written to a temporary
    ///   file named in the message), or that the golden is missing. With SFLAME_RECORD_GOLDENS=1
    ///   the golden is (re)written and a message says so, so a just-recorded baseline still fails
    ///   until it has been reviewed.
    public func mismatch(_ actual: String, golden path: String) -> String? {
        if ProcessInfo.processInfo.environment["SFLAME_RECORD_GOLDENS"] == "1" {
            let url = sourceFixtures.appendingPathComponent(path)
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try actual.write(to: url, atomically: true, encoding: .utf8)
                return "recorded golden \(url.path); review it, then run again without SFLAME_RECORD_GOLDENS"
            } catch {
                return "could not record golden \(url.path): \(error)"
            }
        }
        guard let expected = try? fixture(path) else {
            return "missing golden Fixtures/\(path); create it with SFLAME_RECORD_GOLDENS=1 and review it"
        }
        guard expected != actual else { return nil }
        let actualURL = FileManager.default.temporaryDirectory
            .appendingPathComponent(
                "sflame-golden-\(UUID().uuidString)-" + path.replacingOccurrences(of: "/", with: "_"))
        try? actual.write(to: actualURL, atomically: true, encoding: .utf8)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var line = 0
        while line < min(e.count, a.count) && e[line] == a[line] { line += 1 }
        let expectedLine = line < e.count ? String(e[line]) : "<end of file>"
        let actualLine = line < a.count ? String(a[line]) : "<end of file>"
        return """
            output differs from Fixtures/\(path):\(line + 1)
              expected: \(expectedLine)
              actual:   \(actualLine)
            actual output written to \(actualURL.path)
            """
    }

    /// The SVG without its interactive script, for goldens: the script is tested in a browser.
    public static func withoutScript(_ svg: String) -> String {
        guard let start = svg.range(of: "<script"),
            let end = svg.range(of: "</script>", range: start.upperBound..<svg.endIndex)
        else { return svg }
        return svg.replacingCharacters(
            in: start.lowerBound..<end.upperBound, with: "<script><!-- omitted in goldens --></script>")
    }
}
