// SPDX-License-Identifier: Apache-2.0
import SFlameProfile
import SFlameRender

#if canImport(Glibc)
    import Glibc
#endif

/// Messages on stderr, prefixed `sflame:`. The CLI is the only target that prints.
enum Diagnostics {
    static func write(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        writeStandardError(line)
    }
    static func error(_ text: String) { write("sflame: error: \(text)") }
    static func warning(_ text: String) { write("sflame: warning: \(text)") }
    static func notice(_ text: String) { write("sflame: \(text)") }
}

/// The one-line progress display on a terminal: elapsed time, samples, lost.
final class ProgressLine {
    let enabled: Bool
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: RecordingProgressValues) {
        guard enabled else { return }
        let text = "\r\u{1B}[K[sflame] \(formatSeconds(p.elapsedSeconds)) · \(Grouped(p.samples)) samples · \(Grouped(Int(p.lost))) lost"
        writeStandardError(text)
        shown = true
    }

    func clear() {
        guard enabled, shown else { return }
        writeStandardError("\r\u{1B}[K")
        shown = false
    }
}

func formatSeconds(_ s: Double) -> String {
    let tenths = Int((s * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) s"
}

/// An integer with thousands separators: 12,004.
func Grouped(_ n: Int) -> String {
    groupedDecimal(n)
}

/// Writes text to file descriptor 2 unbuffered (the C `stderr` global is not concurrency-safe
/// in Swift 6).
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { break }
        offset += n
    }
}

/// Runs a subcommand's work over input files: a malformed input (`ProfileError`, `RenderError`)
/// is printed and exits with `SFlameExit.invalidInput` (2); a file that cannot be read or written
/// (`FileError`) exits with `SFlameExit.failure` (1). Other errors pass through unchanged.
func exitingOnInputErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ProfileError {
        Diagnostics.error(error.description)
        throw SFlameExit.invalidInput
    } catch let error as RenderError {
        Diagnostics.error(error.description)
        throw SFlameExit.invalidInput
    } catch let error as FileError {
        Diagnostics.error(error.description)
        throw SFlameExit.failure
    }
}
