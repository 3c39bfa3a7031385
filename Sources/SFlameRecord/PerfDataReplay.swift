// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameProfile
import SFlameSampling
import SFlameSymbolication

/// Replays a perf.data file (`perf record`, with `--call-graph dwarf` or frame pointers) through
/// sflame's own pipeline: the same record decoder, address spaces, DWARF unwinders and
/// symbolization as a live recording. It turns perf recordings into sflame's outputs, and it is
/// how sflame's unwinding is compared with `perf script` on identical bytes.
///
/// The module files are read from this machine's file system, so replay where the recording
/// was made (as `perf script` also must).
public enum PerfDataReplay {
    /// How to replay.
    public struct Options: Sendable {
        /// Unwind the recorded stack copies (default), or ignore them and use the callchain.
        /// Recordings without stack copies always use the callchain.
        public var unwindsStackCopies: Bool
        /// The CFI unwinder. Default `.libdw`.
        public var unwinder: DwarfUnwinder
        /// Extra roots for separate debug files.
        public var debugInfoPaths: [String]

        public init(unwindsStackCopies: Bool = true, unwinder: DwarfUnwinder = .libdw, debugInfoPaths: [String] = []) {
            self.unwindsStackCopies = unwindsStackCopies
            self.unwinder = unwinder
            self.debugInfoPaths = debugInfoPaths
        }
    }

    /// A replayed recording.
    public struct Result: Sendable {
        public var profile: Profile
        public var stats: SamplingStats
        public var quality: UnwindQuality
        /// True when user stacks were unwound from stack copies.
        public var usedStackCopies: Bool
        /// Seconds spent decoding and unwinding the records (the per-sample work).
        public var unwindSeconds: Double
        /// Seconds spent symbolizing the unique stacks into the profile.
        public var symbolizeSeconds: Double
    }

    /// Replays a whole perf.data file held in memory.
    ///
    /// Throws: `RecordError(.samplingFailed)` naming the offset when the file is not a perf.data
    /// file sflame can read.
    public static func replay(_ file: UnsafeRawBufferPointer, options: Options = Options()) throws(RecordError)
        -> Result
    {
        let data: PerfDataFile
        do { data = try PerfDataFile.parse(file) } catch { throw RecordError(.samplingFailed, error.description) }
        let offsets = try timeOrderedRecords(data, file)

        let start = MonotonicClock.seconds()
        let maxDepth = Sysctl.system.perfEventMaxStack ?? 127
        var state = RecordingState(targets: [], includeKernel: true, maxCallchainDepth: maxDepth)
        let usesStacks = options.unwindsStackCopies && data.userStackBytes > 0 && data.layout.userRegisterMask != 0
        if usesStacks {
            state.dwarf = DwarfUnwinding(
                unwinder: options.unwinder, stackBytes: data.userStackBytes, registerMask: data.layout.userRegisterMask,
                debugInfoPaths: options.debugInfoPaths)
        }
        let decoder = PerfRecordDecoder(layout: data.layout)
        for range in offsets {
            let record = UnsafeRawBufferPointer(rebasing: file[range])
            guard let decoded = try? decoder.decode(record) else {
                state.stats.decodeErrors += 1
                continue
            }
            // Every process in the file is a target: perf chose what to record.
            switch decoded {
            case .sample(let s): state.targets.insert(s.pid)
            case .comm(let c): state.targets.insert(c.pid)
            default: break
            }
            state.apply(decoded)
        }
        let unwound = MonotonicClock.seconds()

        let vdso = VDSOFile.substitute(in: &state)
        defer { withExtendedLifetime(vdso) {} }
        let symbolizer = Symbolizer(options: SymbolizerOptions(debugInfoPaths: options.debugInfoPaths))
        let assembler = ProfileAssembler(
            state: state, event: event(type: data.eventType, config: data.eventConfig),
            frequencyHz: data.frequencyHz ?? 0, debugInfoPaths: options.debugInfoPaths, symbolizer: symbolizer)
        let (profile, quality) = assembler.assemble(wallStartNanos: 0, durationSeconds: 0)
        return Result(
            profile: profile, stats: state.stats, quality: quality, usedStackCopies: usesStacks,
            unwindSeconds: unwound - start, symbolizeSeconds: MonotonicClock.seconds() - unwound)
    }

    /// The byte ranges of the data section's records, stably sorted by timestamp (records without
    /// one keep the time of the record before them), as `perf script` orders them: the ring
    /// buffers of different CPUs are written to the file in rounds, not in time order.
    private static func timeOrderedRecords(_ data: PerfDataFile, _ file: UnsafeRawBufferPointer) throws(RecordError)
        -> [Range<Int>]
    {
        var entries: [(time: UInt64, range: Range<Int>)] = []
        var last: UInt64 = 0
        do {
            try data.forEachRecord(in: file) { offset, record in
                if let time = data.time(ofRecord: record) { last = time }
                entries.append((last, offset..<offset + record.count))
            }
        } catch {
            throw RecordError(.samplingFailed, error.description)
        }
        // Stable: equal times keep file order (an MMAP2 before the samples that need it).
        let order = entries.indices.sorted { (entries[$0].time, $0) < (entries[$1].time, $1) }
        return order.map { entries[$0].range }
    }

    private static func event(type: UInt32, config: UInt64) -> EventSource {
        switch (type, config) {
        case (1, 0): return .cpuClock
        case (1, 1): return .taskClock
        case (1, 2): return .pageFaults
        case (0, let c): return EventSource.HardwareCounter(rawValue: c).map { .hardware($0) } ?? .cpuClock
        default: return .tracepoint(name: "perf event \(type):\(config)", id: config)
        }
    }
}
