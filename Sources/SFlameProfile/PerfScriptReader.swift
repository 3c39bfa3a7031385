// SPDX-License-Identifier: Apache-2.0
//
// Reads the text `perf script` prints, in chunks: samples separated by blank lines, each a
// header line and its callchain, leaf first (perf's default field set):
//
//   # comments (perf's header with --header)
//   two-hot 32129  2941.992273:    1001001 cpu-clock:ppp:
//   	            1384 hot_a+0x34 (/tmp/two-hot)
//   	            13fe path_a+0xe (/tmp/two-hot)
//   	           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)
//
// ──► sample: comm two-hot, tid 32129, period 1001001, event cpu-clock:ppp,
//     frames (leaf first): [1384 hot_a+0x34 (/tmp/two-hot)], [13fe path_a+0xe …], […]
//
// The reader follows stackcollapse-perf.pl's grammar: a frame line is an address, a symbol
// and `(module)`; `perf script --inline` marks inlined frames `(inlined)`. Only the first event
// is kept unless an event is named (mixing cycles and instructions misleads). Where the Perl
// script loses data, the reader keeps it: a sample ends at the next header as well as at a
// blank line (and at the end of the input), frame lines without a module are kept, and a
// sample without a callchain (`perf record` without -g) keeps the frame printed on its header
// line. Lines that fit nowhere (not a header, a frame, a # comment or blank; a frame at column 0
// must have its `(module)`; a line with a comm and a number but no cpu, time or event among
// samples that name events is no header) are counted with the first one's number: an error for
// the decoder, unless it skips bad lines.

/// Receives the samples of a `perf script` text.
protocol PerfScriptSink {
    /// A sample starts; `line` is its header line.
    mutating func beginSample(_ header: PerfScriptHeader, line: UnsafeBufferPointer<UInt8>)
    /// One frame line of the current sample, leaf first.
    mutating func frame(_ frame: PerfScriptFrameLine)
    /// The current sample is complete.
    mutating func endSample()
}

/// A callchain line as found: where its address ends and its text after it, without splitting
/// the symbol from the module yet (`parse()` does, for callers that need the parts).
struct PerfScriptFrameLine {
    var line: UnsafeBufferPointer<UInt8>
    var addressStart: Int
    /// Where the address ends: the text after it (`line[addressEnd..<end]`, leading blanks
    /// included) decides the frame's names, whatever the address.
    var addressEnd: Int
    /// The end of the line without trailing blanks.
    var end: Int

    /// Finds the address of a frame line whose first non-blank byte is at `start`, or returns
    /// nil when there is no address or nothing after it.
    @inline(__always)
    init?(_ line: UnsafeBufferPointer<UInt8>, start: Int) {
        let n = line.count
        var i = start
        while i < n && PerfScriptFrame.isWordByte(line[i]) { i += 1 }
        guard i > start else { return nil }
        var end = n
        while end > i && PerfScriptHeader.isSpace(line[end - 1]) { end -= 1 }
        guard end > i else { return nil }
        self.line = line
        self.addressStart = start
        self.addressEnd = i
        self.end = end
    }

    var address: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: line[addressStart..<addressEnd]) }

    /// The frame's parts; see `PerfScriptFrame.parse`.
    @inline(__always)
    func parse() -> PerfScriptFrame {
        PerfScriptFrame.parse(line, addressStart: addressStart, addressEnd: addressEnd, end: end)
    }
}

/// One callchain line, split into its parts. Byte views are valid only during the call.
struct PerfScriptFrame {
    /// The address as printed (hex digits, no `0x`).
    var address: UnsafeBufferPointer<UInt8>
    /// The symbol as printed, with any `+0xOFFSET`.
    var symbol: UnsafeBufferPointer<UInt8>
    /// The module in parentheses, nil when perf printed none.
    var module: UnsafeBufferPointer<UInt8>?

    /// Whether perf marked the frame `(inlined)` (perf script --inline).
    var isInlined: Bool {
        guard let module, module.count == 7 else { return false }
        return module.elementsEqual("inlined".utf8)
    }

    /// Splits a frame line (`[spaces] ADDRESS SYMBOL (MODULE)`), or returns nil.
    ///
    /// The module is what lies between the last ` (` that has a `)` after it and the last `)`,
    /// as in stackcollapse-perf.pl, so symbols with parentheses (C++ parameters) stay whole.
    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> PerfScriptFrame? {
        let n = line.count
        var i = 0
        while i < n && PerfScriptHeader.isSpace(line[i]) { i += 1 }
        let addressStart = i
        while i < n && isWordByte(line[i]) { i += 1 }
        guard i > addressStart else { return nil }
        let addressEnd = i
        var end = n
        while end > addressEnd && PerfScriptHeader.isSpace(line[end - 1]) { end -= 1 }
        return parse(line, addressStart: addressStart, addressEnd: addressEnd, end: end)
    }

    /// `parse(_:)` where the address (`line[addressStart..<addressEnd]`, not empty) and the end
    /// without trailing blanks are already known.
    @inline(__always)
    static func parse(_ line: UnsafeBufferPointer<UInt8>, addressStart: Int, addressEnd: Int, end: Int)
        -> PerfScriptFrame
    {
        let base = line.baseAddress!
        let address = UnsafeBufferPointer(start: base + addressStart, count: addressEnd - addressStart)
        var i = addressEnd
        while i < end && PerfScriptHeader.isSpace(line[i]) { i += 1 }
        // The last ")" and the last " (" before it (searched 8 bytes at a time: modules are long
        // paths).
        if let close = lastIndex(of: 0x29, in: base, from: addressEnd + 1, to: end) {
            // The last "(" at addressEnd + 2 or later, before `close`, with a blank before it.
            let low = addressEnd + 2
            var high = close
            while high > low, let open = lastIndex(of: 0x28, in: base, from: low, to: high) {
                if line[open - 1] == 0x20 {
                    // Only blanks before " (": the symbol is those blanks but the last, as the Perl
                    // regex `\s*(.+) \(` gives it (perf printed an empty symbol).
                    let symbolStart = i < open - 1 ? i : addressEnd
                    return PerfScriptFrame(
                        address: address,
                        symbol: UnsafeBufferPointer(start: base + symbolStart, count: open - 1 - symbolStart),
                        module: UnsafeBufferPointer(start: base + open + 1, count: close - open - 1))
                }
                high = open
            }
        }
        // No module: the rest of the line is the symbol (perf script -F ip,sym).
        return PerfScriptFrame(
            address: address, symbol: UnsafeBufferPointer(start: base + min(i, end), count: max(0, end - i)), module: nil)
    }

    /// The index of the last `byte` in `base[from..<to]`, or nil: 8 bytes per step (a byte
    /// equal to `byte` is the only one whose XOR with it is zero; the test has no carries
    /// between bytes, so the highest flagged byte is the last match).
    @inline(__always)
    static func lastIndex(of byte: UInt8, in base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
        let raw = UnsafeRawPointer(base)
        let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var end = to
        while end - from >= 8 {
            let v = raw.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self) ^ pattern
            let zeros = ~(((v & low7) &+ low7) | v | low7)
            if zeros != 0 { return end - 8 + (63 - zeros.leadingZeroBitCount) / 8 }
            end -= 8
        }
        while end > from {
            end -= 1
            if base[end] == byte { return end }
        }
        return nil
    }

    static func isHexDigit(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    /// `\w` of Perl's regexes on ASCII: a letter, a digit or `_`.
    @inline(__always)
    static func isWordByte(_ b: UInt8) -> Bool {
        // Digits, or letters either case (b | 0x20 folds upper to lower case), or '_'.
        (b &- 0x30) < 10 || ((b | 0x20) &- 0x61) < 26 || b == 0x5F
    }
}

/// What a `perf script` reader saw besides samples: counts for the summary and warnings.
public struct PerfScriptStatistics: Hashable, Sendable {
    /// Samples read (of every event).
    public var samples = 0
    /// Samples kept (of the chosen event).
    public var keptSamples = 0
    /// Frame lines read in kept samples.
    public var frames = 0
    /// Events in order of first appearance, with their sample counts.
    public var events: [String] = []
    public var eventSamples: [String: Int] = [:]
    /// The event whose samples were kept, nil when the samples named none.
    public var keptEvent: String?
    /// Whether the kept event was named by the user (then several events are no surprise).
    public var eventWasNamed = false
    /// Lines that were neither a header, a frame, a comment nor blank.
    public var unrecognizedLines = 0
    /// The first such line's number (1-based) and text, for the warning.
    public var firstUnrecognizedLine: (number: Int, text: String)? {
        get { firstUnrecognized.map { ($0.number, $0.text) } }
        set { firstUnrecognized = newValue.map { Unrecognized(number: $0.number, text: $0.text) } }
    }
    private var firstUnrecognized: Unrecognized?
    private struct Unrecognized: Hashable, Sendable {
        var number: Int
        var text: String
    }

    public init() {}

    /// Adds the statistics of the text that follows this one (`lineOffset` lines later).
    public mutating func append(_ next: PerfScriptStatistics, lineOffset: Int) {
        samples += next.samples
        keptSamples += next.keptSamples
        frames += next.frames
        for event in next.events where eventSamples[event] == nil { events.append(event) }
        for (event, count) in next.eventSamples { eventSamples[event, default: 0] += count }
        if keptEvent == nil { keptEvent = next.keptEvent }
        if unrecognizedLines == 0, let first = next.firstUnrecognized {
            firstUnrecognized = Unrecognized(number: first.number + lineOffset, text: first.text)
        }
        unrecognizedLines += next.unrecognizedLines
    }

    /// The error for the first unrecognized line, naming its number and text; nil when every
    /// line was recognized.
    public func unrecognizedLineError(source: String?) -> ProfileError? {
        guard unrecognizedLines > 0, let first = firstUnrecognized else { return nil }
        let more = unrecognizedLines > 1 ? " (and \(unrecognizedLines - 1) more such line\(unrecognizedLines == 2 ? "" : "s"))" : ""
        return ProfileError(
            .malformedLine,
            "not perf script text: '\(first.text)' is neither a sample header, a callchain frame, "
                + "a # comment nor a blank line\(more); skip such lines with --skip-bad-lines",
            source: source, line: first.number)
    }

    /// What a folded weight counts under `weight`: `period of EVENT`, or `count`.
    public func weightUnit(_ weight: PerfScriptFoldOptions.Weight) -> String {
        weight == .period ? "period of \(keptEvent ?? "the event")" : "count"
    }

    /// Warnings for the user: several events (unrecognized lines are an error, or skipped:
    /// `unrecognizedLineError`).
    public var warnings: [String] {
        var out: [String] = []
        if events.count > 1, !eventWasNamed, let kept = keptEvent {
            let list = events.map { event in
                let n = eventSamples[event] ?? 0
                return "\(event) (\(n) sample\(n == 1 ? "" : "s"))"
            }.joined(separator: ", ")
            out.append("the input has several events: \(list); kept only '\(kept)' (choose one with --event NAME)")
        }
        return out
    }
}

/// Where `perf script` text can be cut into parts that fold independently.
public enum PerfScriptSplit {
    /// The offset of the first sample that starts at or after `offset`: the start of the line
    /// after a blank line, or of a line that starts with a name (a header); `bytes.count` when
    /// there is none. Reading the text before and from that offset separately gives the same
    /// samples as reading it whole.
    public static func sampleStart(in bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> Int {
        var i = offset
        let n = bytes.count
        // To the start of the next line.
        if i > 0 && i < n && bytes[i - 1] != 0x0A {
            while i < n && bytes[i] != 0x0A { i += 1 }
            i += 1
        }
        var previousWasBlank = false
        while i < n {
            var end = i
            while end < n && bytes[end] != 0x0A { end += 1 }
            var j = i
            while j < end && (bytes[j] == 0x20 || bytes[j] == 0x09 || bytes[j] == 0x0D) { j += 1 }
            let isBlank = j == end
            if !isBlank && (previousWasBlank || (j == i && bytes[i] != 0x23)) { return i }
            previousWasBlank = isBlank
            i = end + 1
        }
        return n
    }
}

/// The sample-splitting state machine over `perf script` lines, generic over what is built.
struct PerfScriptReader<Sink: PerfScriptSink> {
    var sink: Sink
    /// The event to keep; nil keeps the first event seen.
    private(set) var eventFilter: [UInt8]?
    private let filterIsDefault: Bool
    private(set) var statistics = PerfScriptStatistics()
    private var lines = LineChunker()
    /// The previous header's comm and thread id, to parse the next one faster.
    private var headerPrefix = PerfScriptHeader.Prefix()
    private var inSample = false
    /// The current header line was filtered out: skip its frames.
    private var skipping = false

    init(sink: Sink, event: String?) {
        self.sink = sink
        self.eventFilter = event.map { Array($0.utf8) }
        self.filterIsDefault = event == nil
        if let event {
            statistics.keptEvent = event
            statistics.eventWasNamed = true
        }
    }

    /// Lines read so far.
    var lineCount: Int { lines.lineNumber }

    /// Adds the statistics of a later part of the same input.
    mutating func appendStatistics(_ next: PerfScriptStatistics, lineOffset: Int) {
        statistics.append(next, lineOffset: lineOffset)
    }

    mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) {
        var chunker = lines
        lines = LineChunker()
        chunker.lines(in: chunk) { self.handle($0, lineNumber: $1) }
        lines = chunker
    }

    mutating func finish() {
        var chunker = lines
        lines = LineChunker()
        chunker.finish { self.handle($0, lineNumber: $1) }
        lines = chunker
        closeSample()
        flushEventCount()
    }

    /// The event of the latest samples and how many of them there were since it changed.
    private var lastEvent: [UInt8] = []
    private var lastEventCount = 0

    private mutating func flushEventCount() {
        guard lastEventCount > 0 else { return }
        let name = String(decoding: lastEvent, as: UTF8.self)
        if statistics.eventSamples[name] == nil { statistics.events.append(name) }
        statistics.eventSamples[name, default: 0] += lastEventCount
        lastEventCount = 0
    }

    private mutating func closeSample() {
        if inSample { sink.endSample() }
        inSample = false
        skipping = false
    }

    private mutating func handle(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int) -> Bool {
        let n = line.count
        var i = 0
        // Callchain lines start with a tab and up to 15 blanks: skip them 8 at a time.
        if n > 8 && line[0] == 0x09 {
            let raw = UnsafeRawPointer(line.baseAddress!)
            i = 1
            while i + 8 <= n && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == 0x2020_2020_2020_2020 { i += 8 }
        }
        while i < n && PerfScriptHeader.isSpace(line[i]) { i += 1 }
        if i == n {  // a blank line ends the sample
            closeSample()
            return true
        }
        if i == 0 {
            if line[0] == 0x23 { return true }  // '#': perf's header and comments
            // A line with a comm and a number but no cpu, time or event field, among samples
            // that name events, is not one of perf's headers ("Warning: 3 lost samples").
            var header = PerfScriptHeader(comm: 0..<0, tid: 0..<0)
            if PerfScriptHeader.parse(line, previous: &headerPrefix, into: &header),
                header.event != nil || header.time != nil || header.cpu != nil || eventFilter == nil
            {
                headerLine(header, line: line)
                return true
            }
            // Not a header. perf indents callchain lines, but some versions did not: a frame at
            // column 0 must have its module, `ADDRESS SYMBOL (MODULE)` (stackcollapse-perf.pl's
            // frame pattern), so a stray line ("hello world") is not taken for one.
            if let frame = PerfScriptFrameLine(line, start: 0), frame.parse().module != nil {
                if skipping { return true }
                if inSample {
                    statistics.frames += 1
                    sink.frame(frame)
                    return true
                }
            }
        } else {
            // Without call chains (`perf record` without -g) perf right-aligns the comm, so a
            // header can start with blanks ("         two-hot 31200 36028.856293: …"). Callchain
            // lines start with a tab and are not looked at.
            if line[0] == 0x20 {
                let rest = UnsafeBufferPointer(rebasing: line[i...])
                var header = PerfScriptHeader(comm: 0..<0, tid: 0..<0)
                if PerfScriptHeader.parse(rest, previous: &headerPrefix, into: &header), header.event != nil,
                    header.time != nil || header.cpu != nil
                {
                    headerLine(header, line: rest)
                    return true
                }
            }
            if skipping { return true }
            // `perf script -F +srcline` prints each frame's source line under it
            // ("  two_hot.c:24", "  ls[d42f]", "  libc-start.c:360 (inlined)"): not a frame.
            // (perf indents them with blanks, callchain lines with a tab: those are not looked at.)
            if inSample && line[0] != 0x09 && Self.isSourceLine(line, from: i) { return true }
            if inSample, let frame = PerfScriptFrameLine(line, start: i) {
                // A frame's address is followed by a blank; a word and a colon is perf's
                // instruction line (-F +insn, +insnlen: " insn: 48 39 d7", " ilen: 3"): skipped.
                if line[frame.addressEnd] == 0x3A && Self.isInstructionLine(line, from: i) { return true }
                statistics.frames += 1
                sink.frame(frame)
                return true
            }
        }
        statistics.unrecognizedLines += 1
        if statistics.unrecognizedLines == 1 {
            let text = String(decoding: line.prefix(120), as: UTF8.self)
            statistics.firstUnrecognizedLine = (lineNumber, text)
        }
        return true
    }

    /// A header line ends the current sample and starts the next, unless it is one of perf's
    /// side-band records (`perf script --show-task-events / --show-mmap-events / …`:
    /// "two-hot 4242 1.000: PERF_RECORD_COMM exec: two-hot:4242/4242"), which is no sample.
    private mutating func headerLine(_ header: PerfScriptHeader, line: UnsafeBufferPointer<UInt8>) {
        closeSample()
        if !Self.isSideBandRecord(line, header) { startSample(header, line: line) }
    }

    /// Whether a header-shaped line is one of perf's side-band records (`PERF_RECORD_COMM`,
    /// `PERF_RECORD_MMAP2`, `PERF_RECORD_FORK`, …): the first word after its time (or thread
    /// id) starts with `PERF_RECORD_`.
    static func isSideBandRecord(_ line: UnsafeBufferPointer<UInt8>, _ header: PerfScriptHeader) -> Bool {
        var i = header.time.map { $0.upperBound + 1 } ?? header.tid.upperBound
        while i < line.count && PerfScriptHeader.isSpace(line[i]) { i += 1 }
        let marker = "PERF_RECORD_".utf8
        guard line.count - i > marker.count else { return false }
        return UnsafeBufferPointer(rebasing: line[i..<(i + marker.count)]).elementsEqual(marker)
    }

    /// Whether the indented line starting at `start` is a source line of `perf script -F +srcline`
    /// (perf's get_srcline, printed under each frame): one word, either `FILE:LINE`
    /// (`two_hot.c:24`, `??:0`, `:0` when the file name is unknown) or `MODULE[ADDRESS]` for an
    /// address without line information (`ls[d42f]`, `[kernel.kallsyms][ffffffff81000e06]`),
    /// followed by ` (inlined)` under an inlined frame (`libc-start.c:360 (inlined)`).
    static func isSourceLine(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var end = line.count
        while end > start && PerfScriptHeader.isSpace(line[end - 1]) { end -= 1 }
        let inlined = " (inlined)".utf8
        if end - start > inlined.count
            && UnsafeBufferPointer(rebasing: line[(end - inlined.count)..<end]).elementsEqual(inlined)
        {
            end -= inlined.count
        }
        guard end > start else { return false }
        for i in start..<end where PerfScriptHeader.isSpace(line[i]) { return false }
        var k = end
        if line[end - 1] == 0x5D {  // MODULE[ADDRESS]
            k -= 1
            while k > start && PerfScriptFrame.isHexDigit(line[k - 1]) { k -= 1 }
            return k < end - 1 && k - 1 > start && line[k - 1] == 0x5B
        }
        while k > start && line[k - 1] >= 0x30 && line[k - 1] <= 0x39 { k -= 1 }
        return k < end && k - 1 >= start && line[k - 1] == 0x3A
    }

    /// Whether the indented line starting at `start` is one of perf's instruction lines:
    /// `insn: 48 39 d7` (-F +insn) or `ilen: 3` (-F +insnlen), whose first word is the field
    /// name and a colon.
    static func isInstructionLine(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        guard line.count - start >= 5, line[start + 4] == 0x3A,
            line.count == start + 5 || PerfScriptHeader.isSpace(line[start + 5])
        else { return false }
        let word = UnsafeBufferPointer(rebasing: line[start..<(start + 4)])
        return word.elementsEqual("insn".utf8) || word.elementsEqual("ilen".utf8)
    }

    private mutating func startSample(_ header: PerfScriptHeader, line: UnsafeBufferPointer<UInt8>) {
        statistics.samples += 1
        if let range = header.event {
            let event = UnsafeBufferPointer(rebasing: line[range])
            // Samples of one event usually follow each other: count them without a String.
            if !bytesEqual(lastEvent, event) {
                flushEventCount()
                lastEvent = Array(event)
            }
            lastEventCount += 1
            if eventFilter == nil {
                let name = String(decoding: event, as: UTF8.self)
                eventFilter = Array(event)
                statistics.keptEvent = name
            } else if !bytesEqual(eventFilter!, event) {
                skipping = true
                return
            }
        } else if !filterIsDefault, eventFilter != nil {
            // An event was named, but this sample names none: it cannot match.
            skipping = true
            return
        }
        statistics.keptSamples += 1
        inSample = true
        sink.beginSample(header, line: line)
        // Without a callchain, perf prints the sample's frame after the event.
        if let rest = header.rest {
            let text = UnsafeBufferPointer(rebasing: line[rest])
            if let frame = PerfScriptFrameLine(text, start: 0), frame.address.allSatisfy(PerfScriptFrame.isHexDigit),
                frame.parse().symbol.count > 0
            {
                statistics.frames += 1
                sink.frame(frame)
            }
        }
    }
}

extension PerfScriptReader: Sendable where Sink: Sendable {}

/// Whether `a` holds the bytes of `b`: a length check and a word-wise comparison (the generic
/// `elementsEqual` goes element by element through iterators).
@inline(__always)
func bytesEqual(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    guard let bBase = b.baseAddress, !a.isEmpty else { return true }
    return a.withUnsafeBufferPointer { memoryEquals($0.baseAddress!, bBase, b.count) }
}
