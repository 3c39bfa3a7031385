// SPDX-License-Identifier: Apache-2.0
//
// Test helper: parses a flame graph SVG with Foundation's XMLParser (so every test also checks
// that the output is well-formed XML) and collects what the assertions look at.
import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif

/// One `<g class="f">` frame element.
struct ParsedFrame: Equatable {
    var classes: [String]
    var title: String
    var x: Double
    var y: Double
    var width: Double
    var height: Double
    var fill: String
    var label: String

    /// The frame name: the tooltip up to its last " (".
    var name: String {
        guard let open = title.range(of: " (", options: .backwards) else { return title }
        return String(title[..<open.lowerBound])
    }
}

/// The parts of a flame graph SVG that tests inspect.
struct ParsedSVG {
    var rootAttributes: [String: String] = [:]
    var frames: [ParsedFrame] = []
    /// Every `id` attribute, in document order.
    var ids: [String] = []
    /// Text of `<text class="…">` controls by class (first class word).
    var controls: [String: String] = [:]
    var scriptCount = 0

    /// Parses `data`.
    /// - Throws: `ParseFailure` with the parser's error and line when the XML is malformed.
    init(_ data: Data) throws {
        let delegate = Collector()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else {
            throw ParseFailure(
                message: parser.parserError.map { "\($0)" } ?? "unknown error", line: parser.lineNumber)
        }
        self = delegate.result
    }

    init(_ text: String) throws { try self.init(Data(text.utf8)) }

    fileprivate init() {}

    struct ParseFailure: Error, CustomStringConvertible {
        var message: String
        var line: Int
        var description: String { "SVG is not well-formed XML at line \(line): \(message)" }
    }
}

private final class Collector: NSObject, XMLParserDelegate {
    var result = ParsedSVG()
    private var current: ParsedFrame?
    private var textTarget: TextTarget?
    private var buffer = ""

    private enum TextTarget {
        case title, label, control(String)
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if let id = attributes["id"] { result.ids.append(id) }
        let classes = (attributes["class"] ?? "").split(separator: " ").map(String.init)
        switch name {
        case "svg" where result.rootAttributes.isEmpty:
            result.rootAttributes = attributes
        case "g" where classes.contains("f"):
            current = ParsedFrame(
                classes: classes, title: "", x: .nan, y: .nan, width: .nan, height: .nan, fill: "", label: "")
        case "title" where current != nil:
            textTarget = .title
        case "rect" where current != nil:
            current?.x = Double(attributes["x"] ?? "") ?? .nan
            current?.y = Double(attributes["y"] ?? "") ?? .nan
            current?.width = Double(attributes["width"] ?? "") ?? .nan
            current?.height = Double(attributes["height"] ?? "") ?? .nan
            current?.fill = attributes["fill"] ?? ""
        case "text" where current != nil:
            textTarget = .label
        case "text":
            if let first = classes.first { textTarget = .control(first) }
        case "script":
            result.scriptCount += 1
        default:
            break
        }
        buffer = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        buffer += string
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch (name, textTarget) {
        case ("title", .title?): current?.title = buffer; textTarget = nil
        case ("text", .label?): current?.label = buffer; textTarget = nil
        case ("text", .control(let cls)?): result.controls[cls] = buffer; textTarget = nil
        case ("g", _):
            if let frame = current {
                result.frames.append(frame)
                current = nil
            }
        default: break
        }
    }
}
