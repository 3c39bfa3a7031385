// SPDX-License-Identifier: Apache-2.0
//
// The first line of a sample in `perf script` text. perf prints the fields it was asked for
// (-F) in a fixed order, each optional except the thread id:
//
//   comm  [pid/]tid  [cpu]  [misc]  time:  [period]  event:  [ip sym (dso) — without a callchain]
//
//   "two-hot 32129  2941.992273:    1001001 cpu-clock:ppp: "
//     ──► comm "two-hot", tid 32129, time 2941.992273, period 1001001, event "cpu-clock:ppp"
//   "iperf 27409/28744 [000] 441995.133575: cpu-clock: "
//     ──► comm "iperf", pid 27409, tid 28744, cpu 0, event "cpu-clock"
//   "V8 WorkerThread 25607 [001] 94564.109216: 100 cycles:"
//     ──► comm "V8 WorkerThread" (spaces are allowed in comm)
//   "redis-server 18643 U     42161.204073:    1001001 cpu-clock:ppp: "
//     ──► -F +misc: "U" (user mode) after the thread id and cpu, padded to 6 columns
//   ":-1 18916/-1 [001] 42175.441232: cpu-clock: "
//     ──► an exited thread in a system-wide recording: comm ":-1", pid 18916, tid -1
//
// Source: tools/perf/builtin-script.c (perf_sample__fprintf_start, process_event); the field
// grammar that stackcollapse-perf.pl's header regex accepts. The misc field (-F +misc) is a few
// letters naming the sample's cpumode and record flags (K U H G g, M E S p on side-band
// records), or only blanks when none applies.

/// The fields of a sample's first line. Byte ranges index the line they were parsed from.
struct PerfScriptHeader {
    var comm: Range<Int>
    /// The process id, when perf printed `pid/tid`.
    var pid: Range<Int>?
    var tid: Range<Int>
    var cpu: Int?
    /// The timestamp token without its colon ("2941.992273").
    var time: Range<Int>?
    var period: Int64?
    /// The event name without its final colon ("cpu-clock:ppp").
    var event: Range<Int>?
    /// What follows the event: the sample's only frame when perf printed no callchain.
    var rest: Range<Int>?

    /// Parses a header line, or returns nil when `line` is not one.
    ///
    /// The thread id is the number before the cpu (`[NNN]`) or time (`NNN.NNN:`) field when
    /// either is present (perhaps with a misc field between: `1234 U 5.6:`), so a comm with
    /// number-only words ("worker 2") keeps them; otherwise it is the first number after the
    /// comm, as stackcollapse-perf.pl takes it.
    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> PerfScriptHeader? {
        var prefix = Prefix()
        var header = PerfScriptHeader(comm: 0..<0, tid: 0..<0)
        return parse(line, previous: &prefix, into: &header) ? header : nil
    }

    /// The comm and thread id of the header parsed last, when its thread id was found by the
    /// cpu/time rule: a header that starts with the same bytes (the next sample of the same
    /// thread, the usual case) skips tokenizing them and looking for the thread id again.
    struct Prefix: Sendable {
        /// The line's bytes up to the end of the thread id.
        var bytes: [UInt8] = []
        /// The tokens up to the thread id's (its index is `tokens.count - 1`); empty: none known.
        var tokens: [Token] = []
    }

    /// A blank-separated token and its shape, found in one pass over its bytes.
    struct Token: Sendable {
        var range: Range<Int>
        var shape: UInt8

        static let digits: UInt8 = 1  // NNN
        static let threadID: UInt8 = 2  // NNN or NNN/NNN
        static let cpu: UInt8 = 4  // [NNN]
        static let time: UInt8 = 8  // NNN.NNN:
        static let colonEnd: UInt8 = 16  // …:
        static let misc: UInt8 = 32  // K, U, H, G, g, M, E, S, p: perf script -F +misc

        @inline(__always)
        func isA(_ s: UInt8) -> Bool { shape & s != 0 }
    }

    /// `parse(_:)`, faster for a line that starts like the previous one; updates `previous`.
    /// Fills `header` (the fields are written in place: the struct is large, and copying it
    /// out of an optional per sample showed in profiles) and returns true for a header line.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, previous: inout Prefix, into header: inout PerfScriptHeader)
        -> Bool
    {
        guard line.count > 2, !isSpace(line[0]) else { return false }
        let n = line.count
        // Tokens: the first 12 are enough to find the fields before the event. Kept on the
        // stack: this runs once per sample.
        return withUnsafeTemporaryAllocation(of: Token.self, capacity: 12) { tokens in
            var count = 0
            // Same comm and thread id as the previous header (and a blank after them): the
            // tokens up to the thread id are the same, and the thread id is the same token when
            // the next one is again a cpu or time field (no earlier token pair can match: it
            // did not in the previous line).
            let known = previous.tokens.count - 1
            let length = previous.bytes.count
            if known >= 1 && n > length && isSpace(line[length])
                && bytesEqual(previous.bytes, UnsafeBufferPointer(start: line.baseAddress, count: length))
            {
                // The usual layout after the thread id, read in one pass without tokens.
                if known <= 7 && fieldsAfterThreadID(line, from: length, into: &header) {
                    threadFields(line, idToken: previous.tokens[known], into: &header)
                    return true
                }
                for (k, token) in previous.tokens.enumerated() { tokens.initializeElement(at: k, to: token) }
                count = tokenize(line, from: length, into: tokens, count: known + 1)
                if count > known + 1
                    && (tokens[known + 1].isA(Token.cpu | Token.time)
                        || (count > known + 2 && tokens[known + 1].isA(Token.misc) && tokens[known + 2].isA(Token.cpu | Token.time)))
                {
                    fields(line, tokens: UnsafeBufferPointer(rebasing: tokens[0..<count]), threadToken: known, into: &header)
                    return true
                }
            }
            count = tokenize(line, from: 0, into: tokens, count: 0)
            let all = UnsafeBufferPointer(rebasing: tokens[0..<count])
            guard all.count >= 2 else { return false }
            var tidToken: Int?
            for t in 2..<max(all.count, 2) where all[t].isA(Token.cpu | Token.time) {
                if all[t - 1].isA(Token.threadID) {
                    tidToken = t - 1
                    break
                }
                // A misc field between the thread id and the time (-F +misc without cpu).
                if t >= 3 && all[t - 1].isA(Token.misc) && all[t - 2].isA(Token.threadID) {
                    tidToken = t - 2
                    break
                }
            }
            if let tt = tidToken {
                previous.bytes = Array(UnsafeBufferPointer(rebasing: line[0..<all[tt].range.upperBound]))
                previous.tokens = Array(all[0...tt])
            } else {
                previous.tokens = []
                for t in 1..<all.count where all[t].isA(Token.threadID) {
                    tidToken = t
                    break
                }
            }
            guard let tt = tidToken else { return false }
            fields(line, tokens: all, threadToken: tt, into: &header)
            return true
        }
    }

    /// Splits `line[from...]` into tokens (and their shapes) after the `count` already in
    /// `tokens`, up to 12 in all; returns the new count.
    @inline(__always)
    private static func tokenize(
        _ line: UnsafeBufferPointer<UInt8>, from: Int, into tokens: UnsafeMutableBufferPointer<Token>, count: Int
    ) -> Int {
        let n = line.count
        var count = count
        var i = from
        while i < n && count < 12 {
            while i < n && isSpace(line[i]) { i += 1 }
            if i == n { break }
            let s = i
            var digits = 0
            var dots = 0
            var slashes = 0
            while i < n {
                let b = line[i]
                if b &- 0x30 < 10 {
                    digits += 1
                } else if isSpace(b) {
                    break
                } else if b == 0x2E {
                    dots += 1
                } else if b == 0x2F {
                    slashes += 1
                }
                i += 1
            }
            tokens.initializeElement(
                at: count, to: Token(range: s..<i, shape: shape(line, s, i, digits: digits, dots: dots, slashes: slashes)))
            count += 1
        }
        return count
    }

    /// The shape bits of the token `line[s..<e]` with the given counts of digits, dots and
    /// slashes.
    @inline(__always)
    private static func shape(_ line: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, digits: Int, dots: Int, slashes: Int)
        -> UInt8
    {
        let count = e - s
        let first = line[s]
        let last = line[e - 1]
        var shape: UInt8 = 0
        if digits == count {
            shape |= Token.digits | Token.threadID
        } else if slashes == 1 && digits == count - 1 && isDigit(first) && isDigit(last) {
            shape |= Token.threadID
        } else if (first == 0x2D || slashes == 1) && digits > 0 && isSignedThreadID(line, s, e) {
            // perf prints -1 for the pid/tid of a task that has exited (system-wide recordings):
            // ":-1    -1 [000] 33286.543715:     250000 cpu-clock:" (default fields), and
            // ":-1 18916/-1 [001] 42175.441232: cpu-clock:" (-F comm,pid,tid,…).
            shape |= Token.threadID
        } else if digits == 0 && count <= 6 && isMisc(line, s, e) {
            shape |= Token.misc
        }
        if count >= 3 && first == 0x5B && last == 0x5D && digits == count - 2 { shape |= Token.cpu }
        if last == 0x3A {
            shape |= Token.colonEnd
            if count >= 4 && dots == 1 && digits == count - 2 && isDigit(first) && isDigit(line[e - 2]) {
                shape |= Token.time
            }
        }
        return shape
    }

    /// The fields, given the tokens (at most 12) and which of them is the thread id.
    @inline(__always)
    private static func fields(
        _ line: UnsafeBufferPointer<UInt8>, tokens: UnsafeBufferPointer<Token>, threadToken tt: Int,
        into header: inout PerfScriptHeader
    ) {
        let n = line.count
        header.cpu = nil
        header.time = nil
        header.period = nil
        header.event = nil
        header.rest = nil
        threadFields(line, idToken: tokens[tt], into: &header)

        var t = tt + 1
        if t < tokens.count && tokens[t].isA(Token.cpu) {
            header.cpu = Int(decimal(line, tokens[t].range.lowerBound + 1..<tokens[t].range.upperBound - 1) ?? 0)
            t += 1
        }
        // -F +misc: letters after the thread id and cpu (no other field there is made of them).
        if t < tokens.count && tokens[t].isA(Token.misc) { t += 1 }
        if t < tokens.count && tokens[t].isA(Token.time) {
            header.time = tokens[t].range.lowerBound..<tokens[t].range.upperBound - 1
            t += 1
        }
        // [period] event:
        if t + 1 < tokens.count && tokens[t].isA(Token.digits) && tokens[t + 1].isA(Token.colonEnd) {
            header.period = decimal(line, tokens[t].range)
            t += 1
        }
        if t < tokens.count && tokens[t].isA(Token.colonEnd) && tokens[t].range.count > 1 {
            header.event = tokens[t].range.lowerBound..<tokens[t].range.upperBound - 1
            var r = tokens[t].range.upperBound
            while r < n && isSpace(line[r]) { r += 1 }
            if r < n { header.rest = r..<n }
        }
    }

    /// The comm (everything before the thread id token, without trailing blanks), and the pid
    /// and tid of the thread id token (`NNN` or `NNN/NNN`).
    @inline(__always)
    private static func threadFields(_ line: UnsafeBufferPointer<UInt8>, idToken token: Token, into header: inout PerfScriptHeader) {
        var commEnd = token.range.lowerBound
        while commEnd > 0 && isSpace(line[commEnd - 1]) { commEnd -= 1 }
        header.comm = 0..<commEnd
        let idToken = token.range
        var slash = idToken.lowerBound
        if !token.isA(Token.digits) {
            while slash < idToken.upperBound && line[slash] != 0x2F { slash += 1 }
        }
        if token.isA(Token.digits) || slash == idToken.upperBound {
            header.pid = nil
            header.tid = idToken
        } else {
            header.pid = idToken.lowerBound..<slash
            header.tid = (slash + 1)..<idToken.upperBound
        }
    }

    /// Whether `line[s..<e]` is the misc field of `perf script -F +misc`: letters among
    /// K U H G g (cpumode) and M E S p (side-band record flags), as perf_sample__fprintf_start
    /// prints them.
    private static func isMisc(_ line: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        for i in s..<e where !isMiscLetter(line[i]) { return false }
        return true
    }

    /// Whether `line[s..<e]` is `-?DIGITS` or `-?DIGITS/-?DIGITS` with at least one minus sign.
    private static func isSignedThreadID(_ line: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var i = s
        for part in 0..<2 {
            if i < e && line[i] == 0x2D { i += 1 }
            let digitsStart = i
            while i < e && isDigit(line[i]) { i += 1 }
            guard i > digitsStart else { return false }
            if i == e { return true }
            guard part == 0, line[i] == 0x2F else { return false }
            i += 1
        }
        return false
    }

    /// The fields after a known thread id when they have perf's usual layout,
    /// `[CPU] [MISC] TIME: [PERIOD] EVENT: [REST]` (`[001] 13748.184003:     333444 cpu-clock:ppp:`),
    /// read in one pass with the same results as tokenizing and `fields`; returns false and
    /// writes nothing the caller relies on for any other layout (the caller then tokenizes).
    @inline(__always)
    private static func fieldsAfterThreadID(_ line: UnsafeBufferPointer<UInt8>, from start: Int, into header: inout PerfScriptHeader)
        -> Bool
    {
        let n = line.count
        var i = start
        while i < n && isSpace(line[i]) { i += 1 }
        var cpu: Int?
        if i < n && line[i] == 0x5B {  // [CPU]
            var j = i + 1
            while j < n && isDigit(line[j]) { j += 1 }
            guard j > i + 1, j < n, line[j] == 0x5D, j + 1 == n || isSpace(line[j + 1]) else { return false }
            cpu = Int(decimal(line, (i + 1)..<j) ?? 0)
            i = j + 1
            while i < n && isSpace(line[i]) { i += 1 }
        }
        // [MISC] (-F +misc): up to 6 of perf's misc letters, then a blank.
        if i < n && isMiscLetter(line[i]) {
            var j = i + 1
            while j < n && isMiscLetter(line[j]) { j += 1 }
            guard j - i <= 6, j < n, isSpace(line[j]) else { return false }
            i = j + 1
            while i < n && isSpace(line[i]) { i += 1 }
        }
        // TIME: digits, one dot, digits, a colon, then a blank or the end.
        var j = i
        while j < n && isDigit(line[j]) { j += 1 }
        guard j > i, j < n, line[j] == 0x2E else { return false }
        var k = j + 1
        while k < n && isDigit(line[k]) { k += 1 }
        guard k > j + 1, k < n, line[k] == 0x3A, k + 1 == n || isSpace(line[k + 1]) else { return false }
        let time = i..<k
        i = k + 1
        while i < n && isSpace(line[i]) { i += 1 }
        // [PERIOD] EVENT: a token of digits is the period only when an event follows it.
        var tokenEnd = i
        var allDigits = true
        while tokenEnd < n && !isSpace(line[tokenEnd]) {
            if !isDigit(line[tokenEnd]) { allDigits = false }
            tokenEnd += 1
        }
        guard tokenEnd > i else { return false }
        var period: Int64?
        if allDigits {
            period = decimal(line, i..<tokenEnd)
            i = tokenEnd
            while i < n && isSpace(line[i]) { i += 1 }
            tokenEnd = i
            while tokenEnd < n && !isSpace(line[tokenEnd]) { tokenEnd += 1 }
        }
        guard tokenEnd - i > 1, line[tokenEnd - 1] == 0x3A else { return false }
        header.cpu = cpu
        header.time = time
        header.period = period
        header.event = i..<(tokenEnd - 1)
        var r = tokenEnd
        while r < n && isSpace(line[r]) { r += 1 }
        header.rest = r < n ? r..<n : nil
        return true
    }

    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    @inline(__always)
    private static func isMiscLetter(_ b: UInt8) -> Bool {
        switch b {
        case 0x4B, 0x55, 0x48, 0x47, 0x67, 0x4D, 0x45, 0x53, 0x70: return true  // K U H G g M E S p
        default: return false
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// The value of a run of decimal digits, nil on overflow.
    static func decimal(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
        var v: Int64 = 0
        for i in r {
            let b = line[i]
            guard isDigit(b) else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b - 0x30))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }

    /// Seconds with a fraction ("2941.992273") as nanoseconds, nil when malformed.
    static func timeNanos(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
        guard let dot = r.firstIndex(where: { line[$0] == 0x2E }),
            let seconds = decimal(line, r.lowerBound..<dot)
        else { return nil }
        var fraction: Int64 = 0
        var digits = 0
        for i in (dot + 1)..<r.upperBound where digits < 9 {
            fraction = fraction * 10 + Int64(line[i] - 0x30)
            digits += 1
        }
        while digits < 9 {
            fraction *= 10
            digits += 1
        }
        let (ns, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = ns.addingReportingOverflow(fraction)
        return o1 || o2 ? nil : sum
    }
}
