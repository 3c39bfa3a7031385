// SPDX-License-Identifier: Apache-2.0
//
// speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json): a shared
// frame table and profiles that index it. sflame writes "sampled" profiles, one per process,
// and reads "sampled" and "evented" ones:
//
//   Profile: process two-hot, samples main;hot_a ×3, main;hot_b ×1 (samples/count)
//
//   {"$schema":"https://www.speedscope.app/file-format-schema.json",
//    "shared":{"frames":[{"name":"main"},{"name":"hot_a"},{"name":"hot_b"}]},
//    "profiles":[{"type":"sampled","name":"two-hot","unit":"none","startValue":0,"endValue":4,
//                 "samples":[[0,1],[0,2]],"weights":[3,1]}],
//    "name":"two-hot","activeProfileIndex":0,"exporter":"sflame"}
//
// Stacks are root first. Frames are functions (name, file, and the function's first line),
// so one function is one frame wherever it was sampled.
//
// Source: jlfwong/speedscope, src/lib/file-format-spec.ts.

import FoundationEssentials

/// speedscope JSON writing and reading.
public enum Speedscope {
    /// The `$schema` value every speedscope file carries.
    public static let schemaURL = "https://www.speedscope.app/file-format-schema.json"

    /// The profile as a speedscope file: one "sampled" profile per process (per `process_name`
    /// or `pid` label; one profile when samples have neither), weighed in `sampleTypeIndex`
    /// (default: the profile's default sample type). Inlined lines become frames of their own.
    ///
    /// - Parameters:
    ///   - name: the file's `name` (speedscope's title).
    ///   - exporter: the `exporter` field, e.g. "sflame@0.1.0".
    public static func write(
        _ profile: Profile, name: String, exporter: String = "sflame", sampleTypeIndex: Int? = nil
    ) -> [UInt8] {
        let valueIndex = sampleTypeIndex ?? profile.defaultSampleTypeIndex
        let unit = profile.sampleTypes.indices.contains(valueIndex) ? unitName(profile.sampleTypes[valueIndex]) : "none"
        // Frames: one per function, in function order; locations without lines get a frame
        // named after their mapping, made on first use.
        var frameNames: [(name: String, file: String, line: Int64)] = profile.functions.map {
            ($0.name, $0.filename, $0.startLine)
        }
        var locationFrames = [[Int]?](repeating: nil, count: profile.locations.count)
        var extraFrames: [String: Int] = [:]
        func frames(of index: Int) -> [Int] {
            if let f = locationFrames[index] { return f }
            let location = profile.locations[index]
            var out: [Int]
            if location.lines.isEmpty {
                let name = profile.frameNames(of: location, options: FoldOptions(annotate: false))[0]
                if let existing = extraFrames[name] {
                    out = [existing]
                } else {
                    frameNames.append((name, "", 0))
                    extraFrames[name] = frameNames.count - 1
                    out = [frameNames.count - 1]
                }
            } else {
                // Lines are innermost first; stacks here are root first.
                out = location.lines.reversed().map { Int($0.functionID.rawValue) - 1 }
            }
            locationFrames[index] = out
            return out
        }

        struct Group {
            var name: String
            var stacks: [[Int]] = []
            var weights: [Int64] = []
        }
        var groups: [Group] = []
        var groupIndex: [String: Int] = [:]
        for sample in profile.samples where valueIndex < sample.values.count {
            let key =
                sample.stringLabel(Label.Key.processName).map { name in
                    sample.numberLabel(Label.Key.pid).map { "\(name) (\($0))" } ?? name
                } ?? sample.numberLabel(Label.Key.pid).map { "pid \($0)" } ?? name
            let g: Int
            if let existing = groupIndex[key] {
                g = existing
            } else {
                g = groups.count
                groupIndex[key] = g
                groups.append(Group(name: key))
            }
            var stack: [Int] = []
            for id in sample.locationIDs.reversed() { stack += frames(of: Int(id.rawValue) - 1) }
            groups[g].stacks.append(stack)
            groups[g].weights.append(sample.values[valueIndex])
        }

        var out = JSONWriter()
        out.raw("{\"$schema\":")
        out.string(schemaURL)
        out.raw(",\"shared\":{\"frames\":[")
        for (i, f) in frameNames.enumerated() {
            if i > 0 { out.raw(",") }
            out.raw("{\"name\":")
            out.string(f.name)
            if !f.file.isEmpty {
                out.raw(",\"file\":")
                out.string(f.file)
            }
            if f.line > 0 {
                out.raw(",\"line\":")
                out.number(f.line)
            }
            out.raw("}")
        }
        out.raw("]},\"profiles\":[")
        for (i, group) in groups.enumerated() {
            if i > 0 { out.raw(",") }
            out.raw("{\"type\":\"sampled\",\"name\":")
            out.string(group.name)
            out.raw(",\"unit\":")
            out.string(unit)
            out.raw(",\"startValue\":0,\"endValue\":")
            out.number(group.weights.reduce(0) { $0 &+ $1 })
            out.raw(",\"samples\":[")
            for (j, stack) in group.stacks.enumerated() {
                out.raw(j == 0 ? "[" : ",[")
                for (k, frame) in stack.enumerated() {
                    if k > 0 { out.raw(",") }
                    out.number(Int64(frame))
                }
                out.raw("]")
            }
            out.raw("],\"weights\":[")
            for (j, w) in group.weights.enumerated() {
                if j > 0 { out.raw(",") }
                out.number(w)
            }
            out.raw("]}")
        }
        out.raw("],\"name\":")
        out.string(name)
        out.raw(",\"activeProfileIndex\":0,\"exporter\":")
        out.string(exporter)
        out.raw("}\n")
        return out.bytes
    }

    /// speedscope's unit for a value type: time units and bytes map to theirs, counts to "none".
    static func unitName(_ type: ValueType) -> String {
        switch type.unit {
        case "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes": type.unit
        default: "none"
        }
    }

    /// Reads a speedscope file. When the file has several profiles (sflame writes one per
    /// process, py-spy one per thread), each becomes the samples of one process, its name in the
    /// `process_name` label (folded output puts it at the root); a file's only profile gets no
    /// label, as its name is just the file's title (folded → speedscope → folded gives back the
    /// same text). Evented profiles become one sample per interval between events, weighed by
    /// its length.
    ///
    /// - Throws: `ProfileError(.malformedData)` naming the JSON path of a missing or mistyped
    ///   field, or the position of a JSON syntax error; `.invalidProfile` for frame indices
    ///   out of range, unbalanced events, or samples without weights.
    public static func read(_ bytes: [UInt8]) throws(ProfileError) -> Profile {
        do {
            return try readFile(bytes)
        } catch {
            var error = error
            if !error.message.contains("speedscope") { error.message = "not a valid speedscope file: \(error.message)" }
            throw error
        }
    }

    private static func readFile(_ bytes: [UInt8]) throws(ProfileError) -> Profile {
        if let syntax = syntaxError(in: bytes) { throw syntax }
        let file: SpeedscopeFile
        do {
            file = try JSONDecoder().decode(SpeedscopeFile.self, from: Data(bytes))
        } catch let error as DecodingError {
            // JSONDecoder also refuses, as "not valid JSON" and without a position, what JSON's
            // grammar allows: invalid UTF-8 in a string, a lone surrogate escape, 1e999.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                let strict = syntaxError(in: bytes, strict: true)
            {
                throw strict
            }
            throw ProfileError(.malformedData, "not a valid speedscope file: \(describe(error))")
        } catch {
            throw ProfileError(.malformedData, "not a valid speedscope file: \(error)")
        }
        guard file.schema == schemaURL else {
            throw ProfileError(.malformedData, "not a speedscope file: $schema is '\(file.schema)', not '\(schemaURL)'")
        }
        let units = Set(file.profiles.map(\.unit))
        let unit = units.count == 1 ? units.first! : "none"
        for (p, sp) in file.profiles.enumerated() {
            if let w = sp.weights?.firstIndex(where: { $0 < 0 || !$0.isFinite }) {
                throw ProfileError(.invalidProfile, "profiles[\(p)].weights[\(w)] is \(sp.weights![w]), not a weight of 0 or more")
            }
        }
        // pprof values are integers: fractional weights (0.4 ms) are kept by counting in a finer
        // unit, not rounded away.
        let values = file.profiles.flatMap { ($0.weights ?? []) + ($0.events ?? []).map(\.at) }
        let (valueType, scale) = Self.integralValueType(unit: unit, values: values)
        var builder = ProfileBuilder(sampleTypes: [valueType])
        var locations: [LocationID?] = Array(repeating: nil, count: file.shared.frames.count)
        func location(_ index: Int, profile: Int) throws(ProfileError) -> LocationID {
            guard index >= 0 && index < file.shared.frames.count else {
                throw ProfileError(
                    .invalidProfile,
                    "profiles[\(profile)] refers to frame \(index), but shared.frames has \(file.shared.frames.count)")
            }
            if let id = locations[index] { return id }
            let frame = file.shared.frames[index]
            let function = builder.function(name: frame.name, filename: frame.file ?? "")
            let id = builder.location(lines: [Line(functionID: function, line: Int64(frame.line ?? 0))])
            locations[index] = id
            return id
        }
        for (p, sp) in file.profiles.enumerated() {
            let labels = file.profiles.count > 1 ? [Label(key: Label.Key.processName, string: sp.name)] : []
            switch sp.type {
            case "sampled":
                let samples = sp.samples ?? []
                let weights = sp.weights ?? []
                guard samples.count == weights.count else {
                    throw ProfileError(
                        .invalidProfile, "profiles[\(p)] has \(samples.count) sample\(samples.count == 1 ? "" : "s") but "
                            + "\(weights.count) weight\(weights.count == 1 ? "" : "s")")
                }
                for (stack, weight) in zip(samples, weights) {
                    var ids: [LocationID] = []
                    for frame in stack.reversed() { ids.append(try location(frame, profile: p)) }
                    builder.addSample(locationIDs: ids, values: [Int64((weight * scale).rounded())], labels: labels)
                }
            case "evented":
                var open: [Int] = []
                var last: Double?
                for (e, event) in (sp.events ?? []).enumerated() {
                    if let last, event.at > last, !open.isEmpty {
                        var ids: [LocationID] = []
                        for frame in open.reversed() { ids.append(try location(frame, profile: p)) }
                        builder.addSample(
                            locationIDs: ids, values: [Int64((event.at * scale).rounded() - (last * scale).rounded())],
                            labels: labels)
                    }
                    if let last, event.at < last {
                        throw ProfileError(.invalidProfile, "profiles[\(p)].events[\(e)] goes back in time")
                    }
                    last = event.at
                    switch event.type {
                    case "O":
                        _ = try location(event.frame, profile: p)
                        open.append(event.frame)
                    case "C":
                        guard open.last == event.frame else {
                            throw ProfileError(
                                .invalidProfile,
                                "profiles[\(p)].events[\(e)] closes frame \(event.frame), which is not the innermost open frame")
                        }
                        open.removeLast()
                    default:
                        throw ProfileError(
                            .malformedData, "profiles[\(p)].events[\(e)].type is '\(event.type)', not 'O' or 'C'")
                    }
                }
            default:
                throw ProfileError(.malformedData, "profiles[\(p)].type is '\(sp.type)', not 'sampled' or 'evented'")
            }
        }
        var profile = builder.profile
        if let name = file.name { profile.comments = ["speedscope: \(name)"] }
        return profile
    }

    /// The sample type for speedscope's `unit`, and the factor that makes `values` whole numbers
    /// in it: the file's own unit when they already are, else a finer one (milliseconds →
    /// microseconds → nanoseconds; a unitless weight ×10 up to ×10⁶, named `count/10`, …).
    /// Nanoseconds and bytes are rounded.
    static func integralValueType(unit: String, values: [Double]) -> (ValueType, Double) {
        func integral(_ scale: Double) -> Bool {
            values.allSatisfy { v in
                let x = v * scale
                return x.magnitude > 9e15 || (x - x.rounded()).magnitude <= 1e-6 * max(1, x.magnitude)
            }
        }
        let times = ["seconds", "milliseconds", "microseconds", "nanoseconds"]
        if let start = times.firstIndex(of: unit) {
            for (k, finer) in times[start...].enumerated() {
                let scale = [1.0, 1e3, 1e6, 1e9][k]
                if finer == "nanoseconds" || integral(scale) { return (ValueType(type: "time", unit: finer), scale) }
            }
        }
        if unit == "bytes" { return (ValueType(type: "space", unit: "bytes"), 1) }
        var scale = 1.0
        while scale < 1e6 && !integral(scale) { scale *= 10 }
        return (ValueType(type: "weight", unit: scale == 1 ? "count" : "count/\(Int(scale))"), scale)
    }

    /// Where the JSON syntax of `bytes` breaks, as an error with its line and byte offset, or
    /// nil when it is JSON. `JSONDecoder` reports only "not valid JSON", without a position, and
    /// takes trailing commas, which JSON forbids.
    private static func syntaxError(in bytes: [UInt8], strict: Bool = false) -> ProfileError? {
        guard let failure = JSONSyntax.firstError(in: bytes, strict: strict) else { return nil }
        return ProfileError(
            .malformedData, "not a valid speedscope file: the JSON is malformed (\(failure.reason))",
            line: lineNumber(at: failure.offset, in: bytes), offset: failure.offset)
    }

    /// The 1-based line of byte `offset` in `bytes`; lines end with LF, CRLF or a lone CR.
    private static func lineNumber(at offset: Int, in bytes: [UInt8]) -> Int {
        var line = 1
        for i in 0..<min(offset, bytes.count) {
            if bytes[i] == 0x0A || (bytes[i] == 0x0D && (i + 1 == bytes.count || bytes[i + 1] != 0x0A)) { line += 1 }
        }
        return line
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            var out = ""
            for key in context.codingPath {
                if let i = key.intValue {
                    out += "[\(i)]"
                } else {
                    out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return out.isEmpty ? "the top level" : out
        }
        switch error {
        case .keyNotFound(let key, let context):
            let at = path(context)
            return "\(at == "the top level" ? "" : at + ".")\(key.stringValue) is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context)) is not a \(type == Double.self || type == Int.self ? "number" : "\(type)")"
        case .valueNotFound(_, let context):
            return "\(path(context)) is null"
        case .dataCorrupted(let context):
            return context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}

/// The parts of a speedscope file that sflame reads.
private struct SpeedscopeFile: Decodable {
    struct Frame: Decodable {
        var name: String
        var file: String?
        var line: Int?
    }
    struct Shared: Decodable {
        var frames: [Frame]
    }
    struct Event: Decodable {
        var type: String
        var at: Double
        var frame: Int
    }
    struct Profile: Decodable {
        var type: String
        var name: String
        var unit: String
        var samples: [[Int]]?
        var weights: [Double]?
        var events: [Event]?
    }
    var schema: String
    var shared: Shared
    var profiles: [Profile]
    var name: String?

    enum CodingKeys: String, CodingKey {
        case schema = "$schema"
        case shared, profiles, name
    }
}

/// Appends JSON tokens to a byte buffer.
struct JSONWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func number(_ n: Int64) { appendDecimal(n, to: &bytes) }

    /// A JSON string: quotes, backslashes and control characters escaped (RFC 8259 §7).
    mutating func string(_ s: String) {
        bytes.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }
}
