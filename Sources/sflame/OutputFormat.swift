// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

/// Output formats, chosen by file extension.
enum OutputFormat {
    case svg
    case folded

    init(path: String) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".svg") {
            self = .svg
        } else if lower.hasSuffix(".folded") || lower.hasSuffix(".txt") || lower.hasSuffix(".collapsed") {
            self = .folded
        } else {
            throw ValidationError(
                "Cannot tell the output format of '\(path)' from its extension. Use .svg (flame graph) or "
                    + ".folded/.txt (folded stacks).")
        }
    }
}
