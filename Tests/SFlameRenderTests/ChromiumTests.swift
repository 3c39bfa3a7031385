// SPDX-License-Identifier: Apache-2.0
//
// The flame graph script, run for real: headless Chromium loads a graph from file:// with state
// in the URL (?s=REGEX, ?x=&y=), and the tests read the DOM it dumps after the script ran.
// Skipped, with the reason, only when the `chromium` binary is absent (tools/setup installs it).
import Foundation
import SFlameProfile
import SFlameRender
import Testing

enum Chromium {
    static let path = ProcessRunner.which("chromium")

    /// The DOM of `page` + `query` after its scripts ran, and Chromium's log (console included).
    static func dumpDOM(of page: URL, query: String = "") throws -> (dom: String, log: String) {
        let profileDir = try ProcessRunner.temporaryDirectory("chromium-profile")
        defer { try? FileManager.default.removeItem(at: profileDir) }
        let result = try ProcessRunner.run(
            path!,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=\(profileDir.path)", page.absoluteString + query,
            ], timeout: 30)
        guard !result.timedOut else { throw Failure(description: "chromium timed out after 30 s:\n\(result.stderr)") }
        guard result.status == 0 else {
            throw Failure(description: "chromium exited \(result.status):\n\(result.stderr)")
        }
        return (result.stdout, result.stderr)
    }

    /// Console messages that report script errors.
    static func scriptErrors(_ log: String) -> [String] {
        log.split(separator: "\n").filter {
            $0.contains("CONSOLE") && ($0.contains("Uncaught") || $0.contains("Error"))
        }
        .map(String.init)
    }

    struct Failure: Error, CustomStringConvertible { var description: String }
}

@Suite(
    .serialized,
    .enabled(
        if: Chromium.path != nil, "needs the `chromium` binary (apt-get install -y chromium; tools/setup installs it)"))
struct ChromiumTests {
    /// Writes the graph of `lines` to a temporary graph.svg and returns its URL.
    private func writeGraph(_ lines: [(String, Int64)], _ options: FlameGraphOptions = FlameGraphOptions()) throws
        -> URL
    {
        let dir = try ProcessRunner.temporaryDirectory("chromium-page")
        let url = dir.appendingPathComponent("graph.svg")
        try Data(FlameGraph.render(profile(lines), options: options).svg).write(to: url)
        return url
    }

    private func load(_ url: URL, query: String) throws -> ParsedSVG {
        let (dom, log) = try Chromium.dumpDOM(of: url, query: query)
        #expect(Chromium.scriptErrors(log).isEmpty, "script errors: \(Chromium.scriptErrors(log))")
        let svg = try ParsedSVG(dom)
        #expect(svg.rootAttributes["data-ready"] == "1", "the script did not finish; log:\n\(log.suffix(2000))")
        return svg
    }

    @Test func searchFromURLHighlightsMatchesAndShowsThePercentage() throws {
        let url = try writeGraph([("main;hot_a", 75), ("main;hot_b", 25)])
        let svg = try load(url, query: "?s=hot_a")
        #expect(svg.controls["matched"] == "Matched: 75.0%")
        #expect(svg.controls["search"] == "Reset Search")
        let a = try #require(svg.frames.first { $0.name == "hot_a" })
        let b = try #require(svg.frames.first { $0.name == "hot_b" })
        #expect(a.classes.contains("m"))
        #expect(!b.classes.contains("m"))
        #expect(svg.frames.filter { $0.classes.contains("m") }.count == 1)
    }

    @Test func nestedMatchesCountOnce() throws {
        // parse (60) contains parse_inner (40); parse_late (10) is elsewhere: 70 %, not 110 %.
        let url = try writeGraph([
            ("main;parse;parse_inner", 40), ("main;parse", 20), ("main;other;parse_late", 10), ("main;idle", 30),
        ])
        let svg = try load(url, query: "?s=" + "^parse".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        #expect(svg.controls["matched"] == "Matched: 70.0%")
        #expect(
            Set(svg.frames.filter { $0.classes.contains("m") }.map(\.name)) == ["parse", "parse_inner", "parse_late"])
    }

    @Test func zoomFromURLFillsTheWidth() throws {
        let lines: [(String, Int64)] = [("main;hot_a;leaf", 75), ("main;hot_b;leaf", 25)]
        let url = try writeGraph(lines)
        let original = try ParsedSVG(Data(contentsOf: url))
        let target = try #require(original.frames.first { $0.name == "hot_b" })
        let svg = try load(url, query: "?x=\(target.x.formatted())&y=\(target.y.formatted())")
        let b = try #require(svg.frames.first { $0.name == "hot_b" })
        #expect(b.x == 10 && b.width == 1180)
        let leaves = svg.frames.filter { $0.name == "leaf" }
        #expect(leaves.filter { !$0.classes.contains("h") }.map(\.width) == [1180])
        #expect(svg.frames.first { $0.name == "hot_a" }?.classes.contains("h") == true)
        #expect(svg.frames.first { $0.name == "main" }?.classes.contains("p") == true)
        #expect(svg.controls["unzoom"] == "Reset Zoom")
        #expect(b.label == "hot_b")
    }

    @Test func invalidRegexIsReportedNotThrown() throws {
        let url = try writeGraph([("main;a", 1)])
        let svg = try load(url, query: "?s=%28")
        #expect(svg.controls["matched"] == "Invalid regular expression")
    }

    @Test func twoGraphsOnOnePageEachRunTheirOwnScript() throws {
        func body(_ lines: [(String, Int64)]) throws -> String {
            let text = try FlameGraph.render(profile(lines)).svgText
            return String(text[text.range(of: "<svg")!.lowerBound...])
        }
        let dir = try ProcessRunner.temporaryDirectory("chromium-html")
        let page = dir.appendingPathComponent("page.html")
        let html =
            try "<!DOCTYPE html><html><body>\n" + body([("main;one", 1)]) + body([("main;two", 2), ("x", 1)])
            + "</body></html>\n"
        try html.write(to: page, atomically: true, encoding: .utf8)
        let (dom, log) = try Chromium.dumpDOM(of: page)
        #expect(Chromium.scriptErrors(log).isEmpty, "script errors: \(Chromium.scriptErrors(log))")
        #expect(dom.components(separatedBy: "data-ready=\"1\"").count - 1 == 2, "both graphs should initialise")
    }
}
