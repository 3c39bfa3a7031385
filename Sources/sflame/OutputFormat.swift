// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

/// Output formats, chosen by file extension (DESIGN.md: "Output format follows the extension").
enum OutputFormat: CustomStringConvertible, Equatable {
    case svg
    case folded
    /// google/pprof profile.proto; gzip'd for .pb.gz and .pprof (what `go tool pprof` expects).
    case pprof(compressed: Bool)
    /// speedscope's JSON file format.
    case speedscope

    init(path: String) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".svg") {
            self = .svg
        } else if lower.hasSuffix(".folded") || lower.hasSuffix(".txt") || lower.hasSuffix(".collapsed") {
            self = .folded
        } else if lower.hasSuffix(".pb.gz") || lower.hasSuffix(".pprof") || lower.hasSuffix(".pprof.gz") {
            self = .pprof(compressed: true)
        } else if lower.hasSuffix(".pb") {
            self = .pprof(compressed: false)
        } else if lower.hasSuffix(".json") {
            self = .speedscope
        } else {
            throw ValidationError(
                "Cannot tell the output format of '\(path)' from its extension. Use .svg (flame graph), "
                    + ".folded/.txt (folded stacks), .pb.gz/.pprof (pprof) or .speedscope.json (speedscope).")
        }
    }

    var description: String {
        switch self {
        case .svg: "a flame graph"
        case .folded: "folded stacks"
        case .pprof(let compressed): compressed ? "pprof" : "pprof (uncompressed)"
        case .speedscope: "speedscope JSON"
        }
    }
}
