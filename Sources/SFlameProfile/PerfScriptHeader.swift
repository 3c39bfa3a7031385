// SPDX-License-Identifier: Apache-2.0
//
// The first line of a sample in `perf script` text. perf prints the fields it was asked for
// (-F) in a fixed order, each optional except the thread id:
//
//   comm  [pid/]tid  [cpu]  time:  [period]  event:  [ip sym (dso) — without a callchain]
//
//   "two-hot 32129  2941.992273:    1001001 cpu-clock:ppp: "
//     ──► comm "two-hot", tid 32129, time 2941.992273, period 1001001, event "cpu-clock:ppp"
//   "iperf 27409/28744 [000] 441995.133575: cpu-clock: "
//     ──► comm "iperf", pid 27409, tid 28744, cpu 0, event "cpu-clock"
//   "V8 WorkerThread 25607 [001] 94564.109216: 100 cycles:"
//     ──► comm "V8 WorkerThread" (spaces are allowed in comm)
//
// Source: tools/perf/builtin-script.c (perf_sample__fprintf_start, process_event); the field
// grammar that stackcollapse-perf.pl's header regex accepts.

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
    /// either is present, so a comm with number-only words ("worker 2") keeps them; otherwise
    /// it is the first number after the comm, as stackcollapse-perf.pl takes it.
    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> PerfScriptHeader? {
        guard line.count > 2, !isSpace(line[0]) else { return nil }
        // Tokens: the first 12 are enough to find the fields before the event. Kept on the
        // stack: this runs once per sample.
        return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 12) { tokens in
            var count = 0
            var i = 0
            let n = line.count
            while i < n && count < 12 {
                while i < n && isSpace(line[i]) { i += 1 }
                if i == n { break }
                let s = i
                while i < n && !isSpace(line[i]) { i += 1 }
                tokens.initializeElement(at: count, to: s..<i)
                count += 1
            }
            return parse(line, tokens: UnsafeBufferPointer(rebasing: tokens[0..<count]))
        }
    }

    private static func parse(_ line: UnsafeBufferPointer<UInt8>, tokens: UnsafeBufferPointer<Range<Int>>)
        -> PerfScriptHeader?
    {
        guard tokens.count >= 2 else { return nil }
        let n = line.count
        var tidToken: Int?
        for t in 2..<max(tokens.count, 2) {
            if (isCPU(line, tokens[t]) || isTime(line, tokens[t])) && isThreadID(line, tokens[t - 1]) {
                tidToken = t - 1
                break
            }
        }
        if tidToken == nil {
            for t in 1..<tokens.count where isThreadID(line, tokens[t]) {
                tidToken = t
                break
            }
        }
        guard let tt = tidToken else { return nil }

        var header = PerfScriptHeader(comm: 0..<0, tid: 0..<0)
        var commEnd = tokens[tt].lowerBound
        while commEnd > 0 && isSpace(line[commEnd - 1]) { commEnd -= 1 }
        header.comm = 0..<commEnd
        let idToken = tokens[tt]
        if let slash = idToken.firstIndex(where: { line[$0] == 0x2F }) {
            header.pid = idToken.lowerBound..<slash
            header.tid = (slash + 1)..<idToken.upperBound
        } else {
            header.tid = idToken
        }

        var t = tt + 1
        if t < tokens.count && isCPU(line, tokens[t]) {
            header.cpu = Int(decimal(line, tokens[t].lowerBound + 1..<tokens[t].upperBound - 1) ?? 0)
            t += 1
        }
        if t < tokens.count && isTime(line, tokens[t]) {
            header.time = tokens[t].lowerBound..<tokens[t].upperBound - 1
            t += 1
        }
        // [period] event:
        if t < tokens.count && isDigits(line, tokens[t]) && t + 1 < tokens.count && endsWithColon(line, tokens[t + 1]) {
            header.period = decimal(line, tokens[t])
            t += 1
        }
        if t < tokens.count && endsWithColon(line, tokens[t]) && tokens[t].count > 1 {
            header.event = tokens[t].lowerBound..<tokens[t].upperBound - 1
            var r = tokens[t].upperBound
            while r < n && isSpace(line[r]) { r += 1 }
            if r < n { header.rest = r..<n }
        }
        return header
    }

    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func isDigits(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        !r.isEmpty && r.allSatisfy { isDigit(line[$0]) }
    }

    /// `NNN` or `NNN/NNN`.
    private static func isThreadID(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard !r.isEmpty, isDigit(line[r.lowerBound]), isDigit(line[r.upperBound - 1]) else { return false }
        var slashes = 0
        for i in r where !isDigit(line[i]) {
            if line[i] != 0x2F { return false }
            slashes += 1
        }
        return slashes <= 1
    }

    /// `[NNN]`.
    private static func isCPU(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        r.count >= 3 && line[r.lowerBound] == 0x5B && line[r.upperBound - 1] == 0x5D
            && isDigits(line, r.lowerBound + 1..<r.upperBound - 1)
    }

    /// `NNN.NNN:` (seconds with a fraction, as perf prints sample times).
    private static func isTime(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard r.count >= 4, line[r.upperBound - 1] == 0x3A else { return false }
        var dots = 0
        for i in r.lowerBound..<r.upperBound - 1 {
            if line[i] == 0x2E {
                dots += 1
            } else if !isDigit(line[i]) {
                return false
            }
        }
        return dots == 1 && isDigit(line[r.lowerBound]) && isDigit(line[r.upperBound - 2])
    }

    private static func endsWithColon(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        !r.isEmpty && line[r.upperBound - 1] == 0x3A
    }

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
