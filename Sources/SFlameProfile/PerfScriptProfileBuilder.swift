// SPDX-License-Identifier: Apache-2.0
//
// `perf script` text → `Profile`, keeping what folded stacks drop: addresses, modules (as
// mappings), inline frames (as extra lines of one location), pid/tid/comm labels, periods:
//
//   two-hot 32129  2941.992273:    1001001 cpu-clock:ppp:
//   	            1384 hot_a+0x34 (/tmp/two-hot)
//   	            10ff main+0x4f (/tmp/two-hot)
//
//   ──► sample types [samples/count, cpu/nanoseconds], period type cpu/nanoseconds
//       sample {locations [1, 2], values [1, 1001001], labels {tid: 32129, process_name: two-hot, thread_name: two-hot}}
//       location 1 {mapping /tmp/two-hot, address 0x1384, line hot_a}; location 2 {… 0x10ff, main}
//
// Function names follow the collapse rules without annotations (`PerfScriptFrameNames`), so
// folding the profile gives the same frames as `PerfScriptCollapser` with its defaults. perf
// prints user addresses relative to their module, so mappings start at 0 and span the
// addresses seen; kernel addresses are absolute.

/// Builds a `Profile` from `perf script` text, chunk by chunk.
public struct PerfScriptProfileBuilder: Sendable {
    private var reader: PerfScriptReader<ProfileSink>

    /// - Parameter event: keep only this event's samples; nil keeps the first event.
    public init(event: String? = nil) {
        reader = PerfScriptReader(sink: ProfileSink(), event: event)
    }

    /// Reads the next chunk of the input.
    public mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) { reader.consume(chunk) }

    /// Ends the input and returns the profile.
    public mutating func finish() -> Profile {
        reader.finish()
        return reader.sink.makeProfile(event: reader.statistics.keptEvent)
    }

    /// Samples and frames seen, events, unrecognized lines.
    public var statistics: PerfScriptStatistics { reader.statistics }

    /// Builds the profile of a whole input.
    public static func profile(_ bytes: [UInt8], event: String? = nil) -> (Profile, PerfScriptStatistics) {
        var builder = PerfScriptProfileBuilder(event: event)
        bytes.withUnsafeBufferPointer { builder.consume($0) }
        let profile = builder.finish()
        return (profile, builder.statistics)
    }
}

private struct ProfileSink: PerfScriptSink, Sendable {
    private struct PendingFrame {
        var address: UInt64
        var name: String
        var module: String?
        var isInlined: Bool
    }

    private var builder = ProfileBuilder(sampleTypes: [.samples, .samples])
    private var mappingIndex: [String: Int] = [:]
    private var mappingRanges: [(low: UInt64, high: UInt64)] = []
    private var frames: [PendingFrame] = []
    private var labels: [Label] = []
    private var period: Int64 = 1
    private var isJava = false
    private var firstTime: Int64?
    private var lastTime: Int64?
    private var sawPeriod = false
    private let options = PerfScriptFoldOptions()

    mutating func beginSample(_ header: PerfScriptHeader, line: UnsafeBufferPointer<UInt8>) {
        frames.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
        let comm = String(decoding: UnsafeBufferPointer(rebasing: line[header.comm]), as: UTF8.self)
        isJava = comm.hasPrefix("java")
        if let pid = header.pid, let value = PerfScriptHeader.decimal(line, pid) {
            labels.append(Label(key: Label.Key.pid, number: value))
        }
        if let tid = PerfScriptHeader.decimal(line, header.tid) {
            labels.append(Label(key: Label.Key.tid, number: tid))
        }
        labels.append(Label(key: Label.Key.threadName, string: comm))
        labels.append(Label(key: Label.Key.processName, string: comm))
        period = max(header.period ?? 1, 1)
        if header.period != nil { sawPeriod = true }
        if let time = header.time, let ns = PerfScriptHeader.timeNanos(line, time) {
            if firstTime == nil { firstTime = ns }
            lastTime = ns
        }
    }

    mutating func frame(_ line: PerfScriptFrameLine) {
        let frame = line.parse()
        let symbol = PerfScriptFrameNames.strippingOffset(frame.symbol)
        let names = PerfScriptFrameNames.names(
            symbol: symbol, module: frame.module, address: frame.address, isInlined: false, isJava: isJava,
            options: options, annotate: false)
        let address = Self.hex(frame.address) ?? 0
        let module = frame.isInlined ? nil : frame.module.map { String(decoding: $0, as: UTF8.self) }
        // "a->b" (b inlined into a) lists the outer function first; lines go innermost first.
        for (k, name) in names.enumerated().reversed() {
            frames.append(
                PendingFrame(
                    address: address, name: String(decoding: name, as: UTF8.self), module: module,
                    isInlined: frame.isInlined || k > 0))
        }
    }

    mutating func endSample() {
        var locations: [LocationID] = []
        var pendingLines: [Line] = []
        for f in frames {
            let function = builder.function(name: f.name)
            pendingLines.append(Line(functionID: function))
            if f.isInlined { continue }
            let mapping = f.module.map { mappingID(for: $0, address: f.address) }
            locations.append(builder.location(mappingID: mapping, address: f.address, lines: pendingLines))
            pendingLines.removeAll(keepingCapacity: true)
        }
        if !pendingLines.isEmpty {
            locations.append(builder.location(address: frames.last?.address ?? 0, lines: pendingLines))
        }
        builder.addSample(locationIDs: locations, values: [1, period], labels: labels)
    }

    private mutating func mappingID(for module: String, address: UInt64) -> MappingID {
        if let i = mappingIndex[module] {
            mappingRanges[i].low = min(mappingRanges[i].low, address)
            mappingRanges[i].high = max(mappingRanges[i].high, address)
            return MappingID(UInt64(i + 1))
        }
        let id = builder.addMapping(start: 0, limit: 0, fileOffset: 0, filename: module)
        mappingIndex[module] = Int(id.rawValue) - 1
        mappingRanges.append((address, address))
        return id
    }

    func makeProfile(event: String?) -> Profile {
        var profile = builder.profile
        let eventType = Self.valueType(event: event, hasPeriod: sawPeriod)
        profile.sampleTypes = [.samples, eventType]
        // Weighed by period by default, as `perf report`, `sflame collapse` and `sflame
        // flamegraph` weigh perf script samples (without periods both count 1 per sample).
        profile.defaultSampleType = sawPeriod ? eventType.type : ValueType.samples.type
        profile.periodType = eventType
        for (i, range) in mappingRanges.enumerated() {
            let kernel = profile.mappings[i].kind == .kernel
            // User addresses are module-relative (perf prints them so); kernel ones absolute.
            profile.mappings[i].start = kernel ? range.low : 0
            profile.mappings[i].limit = range.high &+ 1
            profile.mappings[i].fileOffset = kernel ? range.low : 0
        }
        if let firstTime, let lastTime { profile.durationNanos = lastTime - firstTime }
        profile.comments = ["sflame: imported from perf script text" + (event.map { ", event \($0)" } ?? "")]
        return profile
    }

    /// cpu-clock and task-clock periods are nanoseconds; other events count occurrences.
    private static func valueType(event: String?, hasPeriod: Bool) -> ValueType {
        guard let event else { return ValueType(type: "events", unit: "count") }
        let base = event.split(separator: ":").first.map(String.init) ?? event
        if base == "cpu-clock" || base == "task-clock" { return .cpuNanoseconds }
        return ValueType(type: base, unit: "count")
    }

    private static func hex(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var v: UInt64 = 0
        guard bytes.count <= 16, !bytes.isEmpty else { return nil }
        for b in bytes {
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x61...0x66: d = b - 0x61 + 10
            case 0x41...0x46: d = b - 0x41 + 10
            default: return nil
            }
            v = v << 4 | UInt64(d)
        }
        return v
    }
}
