// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameProfile
import SFlameRecord
import SFlameSampling
import SFlameSymbolication

#if canImport(Glibc)
import Glibc
#endif

/// What an allocation profile records.
public struct AllocationProfileOptions: Sendable {
    public enum Kind: Sendable, Equatable {
        /// Every allocation while recording: bytes and calls per stack (entry probes only).
        case allocations
        /// Also return probes and frees: what is still allocated at the end, per stack.
        case leaks
    }

    /// What the flame graph weighs by default.
    public enum Weight: String, Sendable, CaseIterable {
        case bytes
        case count
    }

    /// The process (one PID) or the command to launch.
    public var target: RecordOptions.Target
    public var kind: Kind
    /// The default sample type: bytes (`alloc_space`, or `inuse_space` for leaks) or calls
    /// (`alloc_objects`, `inuse_objects`). Default bytes.
    public var weight: Weight
    /// Stop after this many seconds; nil records until the target exits or a stop signal.
    public var durationSeconds: Double?
    /// Extra roots for separate debug info (`--debuginfo-path`).
    public var debugInfoPaths: [String]
    /// Data pages per CPU ring buffer; nil picks 512 (2 MiB) for allocations and 1024 (4 MiB) for
    /// leaks: every allocator call is a sample, and a lost free makes memory look leaked.
    public var bufferPages: Int?

    public init(
        target: RecordOptions.Target, kind: Kind, weight: Weight = .bytes, durationSeconds: Double? = nil,
        debugInfoPaths: [String] = [], bufferPages: Int? = nil
    ) {
        self.target = target
        self.kind = kind
        self.weight = weight
        self.durationSeconds = durationSeconds
        self.debugInfoPaths = debugInfoPaths
        self.bufferPages = bufferPages
    }
}

/// The sample types of allocation profiles, as Go's heap profiles name them (pprof).
public enum AllocationSampleType {
    public static let allocObjects = ValueType(type: "alloc_objects", unit: "count")
    public static let allocSpace = ValueType(type: "alloc_space", unit: "bytes")
    public static let inuseObjects = ValueType(type: "inuse_objects", unit: "count")
    public static let inuseSpace = ValueType(type: "inuse_space", unit: "bytes")
}

/// A finished allocation profile.
public struct AllocationProfile: Sendable {
    /// Sample types `alloc_objects/count`, `alloc_space/bytes` (and for leaks `inuse_objects/count`,
    /// `inuse_space/bytes`); the default is the one `weight` picked.
    public var profile: Profile
    /// How far the allocation stacks unwound, per module (the `record` quality report).
    public var quality: UnwindQuality
    /// The probe events' recording: samples, lost records, duration, how it ended.
    public var recording: EventRecording
    /// Allocator calls per function, nested and failed calls, and what could not be paired
    /// (frees of blocks allocated before the recording, returns without an entry).
    public var stats: AllocationStats
    /// The library whose allocator functions were probed (the libc the target maps).
    public var module: AllocatorModule
    public var kind: AllocationProfileOptions.Kind
    /// Totals over the recording.
    public var allocatedBytes: Int64
    public var allocations: Int64
    /// Still allocated at the end (leaks only).
    public var liveBytes: UInt64
    public var liveAllocations: Int
    /// One-line notices for the user.
    public var notices: [String] = []
}

/// Profiles the allocations of a live process with uprobes on its allocator's functions: no
/// restart, no preloaded library. Every call traps into the kernel, which samples the thread's
/// registers (the size arguments, the returned pointer), the top of its stack (the caller's
/// return address) and its callchain.
///
/// Each probe is defined once in tracefs and shared by the perf events of every thread (see
/// `place`); without a writable tracefs, each perf event gets its own probe from the uprobe PMU.
/// The breakpoints are removed when the recording ends, however it ends (the event descriptors
/// close; if sflame dies, the kernel closes them; a tracefs definition without events places
/// none, and is deleted at the end or by the next sflame), and they only ever trap and resume:
/// the target's memory and code are as before afterwards.
@available(*, noasync, message: "blocks the calling thread for the whole recording")
public final class AllocationProfiler {
    public let options: AllocationProfileOptions
    private let symbolizer: Symbolizer
    private var recorder: EventRecorder?
    /// Ends the recording from another thread instead of SIGINT/SIGTERM/SIGHUP (service mode;
    /// see `EventRecorder.stopRequest`). Default nil.
    public var stopRequest: StopRequest?

    public init(options: AllocationProfileOptions) {
        self.options = options
        self.symbolizer = Symbolizer(options: SymbolizerOptions(debugInfoPaths: options.debugInfoPaths))
    }

    /// Finds the allocator module and its functions (before `run`, to report what is probed).
    ///
    /// Throws: `.noSuchProcess`, `.noAllocator`.
    public func locateAllocator() throws(MemoryError) -> AllocatorModule {
        switch options.target {
        case .processes(let pids):
            guard let pid = pids.first, pids.count == 1 else {
                throw MemoryError(.unsupportedTarget, "sflame mem profiles one process at a time; give one PID.")
            }
            do { try Recorder.validate(pid: pid) } catch { throw MemoryError(error) }
            return try AllocatorLocator.locate(pid: pid, symbolizer: symbolizer)
        case .command(let args):
            return try AllocatorLocator.locate(command: args, symbolizer: symbolizer)
        case .systemWide:
            throw MemoryError(.unsupportedTarget, "sflame mem profiles one process at a time; give one PID or a command.")
        }
    }

    /// Set by `run` before the recording starts when the probes could not be defined in tracefs
    /// and go through the uprobe PMU instead (not root): stopping then takes about 0.1 s per probe
    /// and thread. One line, for the user.
    public private(set) var placementNotice: String?

    /// The pid of the launched command, if any.
    public var commandPID: Int32? { recorder?.commandPID }

    /// Records until the duration passes, a stop signal arrives or the target exits.
    ///
    /// Throws: `MemoryError` when the probes cannot be placed (`.permissionDenied` without root
    /// or CAP_PERFMON, `.probeFailed` when the kernel rejects a definition or has neither
    /// tracefs uprobe events nor the uprobe PMU).
    public func run(
        module: AllocatorModule, onStart: () -> Void = {}, progress: (RecordingProgress) -> Void = { _ in }
    ) throws(MemoryError) -> AllocationProfile {
        let probes = Self.probes(module: module, kind: options.kind)
        let placed = try Self.place(probes, module: module)
        placementNotice = placed.notice
        let events = zip(probes, placed.events).map { Self.configuration($0, event: $1) }
        let recorder = EventRecorder(
            options: EventRecorderOptions(
                target: options.target, events: events, durationSeconds: options.durationSeconds,
                bufferPages: options.bufferPages ?? (options.kind == .leaks ? 1024 : 512),
                debugInfoPaths: options.debugInfoPaths))
        recorder.stopRequest = stopRequest
        self.recorder = recorder
        // The definitions are deleted after the recorder closed every perf event on them.
        defer { withExtendedLifetime(placed.definitions) {} }
        var tracker = AllocationTracker(mode: options.kind == .leaks ? .liveAllocations : .allocations)
        let recording: EventRecording
        do {
            recording = try recorder.run(onStart: onStart, progress: progress) { event in
                Self.handle(
                    event, probe: probes[event.eventIndex], module: module, recorder: recorder, tracker: &tracker)
            }
        } catch {
            throw MemoryError(error)
        }
        var result = assemble(recording: recording, tracker: tracker, module: module, recorder: recorder)
        if case .command = options.target, let pid = recording.targets.first {
            // The probes were placed before exec, on the C library; the command may have brought
            // its own allocator.
            let mapped = recorder.mappedModules(pid: pid)
            if let used = AllocatorLocator.allocatorPath(among: mapped, symbolizer: symbolizer), used != module.path {
                result.notices.append(
                    "the command uses the allocator in \(used), not \(module.path): its allocations were not seen. "
                        + "Start it, then attach with `sflame mem --pid PID \(options.kind == .leaks ? "--leaks" : "--alloc")`."
                )
            }
        }
        return result
    }

    /// The functions `run` places probes on for this profile's kind: the allocation functions,
    /// and for leaks the frees too.
    public func probedFunctions(_ module: AllocatorModule) -> [AllocatorFunction] {
        module.functions.map(\.function).filter { $0.isAllocation || options.kind == .leaks }
    }

    /// Waits for the launched command after the recording; never signals it.
    public func waitForCommand() -> ChildExitStatus? { recorder?.waitForCommand() }

    // MARK: Internals

    struct Probe {
        var function: AllocatorFunction
        var fileOffset: UInt64
        var isReturn: Bool
    }

    /// What each probe samples, no more (every byte is copied on every allocator call):
    /// - allocation entries: registers (the sizes, the stack pointer), the callchain, and the 8
    ///   stack bytes at the stack pointer (the caller's return address, which a frame-pointer
    ///   callchain misses at a function's first instruction);
    /// - frees and returns: the registers only (the pointer freed or returned);
    /// - posix_memalign's return: also 512 stack bytes, where `*memptr` usually is (a local of the
    ///   caller).
    static func configuration(_ probe: Probe, event: UprobeEvent) -> PerfEventConfiguration {
        var sampleType: PerfSampleType = [.ip, .tid, .time, .regsUser]
        var stackBytes: UInt32 = 0
        if !probe.isReturn && probe.function.isAllocation {
            sampleType.formUnion([.callchain, .stackUser])
            stackBytes = 8
        } else if probe.isReturn && probe.function == .posixMemalign {
            sampleType.insert(.stackUser)
            stackBytes = 512
        }
        return PerfEventConfiguration(
            event: .uprobe(event),
            frequencyHz: nil, period: 1, sampleType: sampleType, excludeKernel: true,
            userRegisterMask: ProbeRegisters.mask, userStackBytes: stackBytes,
            // Not inherited: the kernel would set up the child event of a uprobe-PMU event in the
            // target's clone(), reading `config1` (a pointer into sflame's memory) in the target's
            // address space, and fail the clone with EFAULT: pthread_create would fail in the
            // target. The recorder attaches threads started later by itself instead, for both
            // placements, so that they record the same.
            inherit: false)
    }

    /// The probes as perf events open them, with the definitions that must outlive those events.
    struct Placement {
        var events: [UprobeEvent]
        var definitions: [UprobeDefinition]
        var notice: String?
    }

    /// Defines each probe once in tracefs (group `sflame_PID`, names such as `malloc` and
    /// `malloc_ret`), after deleting definitions that a killed sflame left behind; per-thread
    /// perf events are then tracepoint events on them and close quickly. Without a writable
    /// tracefs (not root) the probes go through the uprobe PMU, with a notice of what stopping
    /// costs then.
    ///
    /// Throws: `.probeFailed` or `.permissionDenied` when the kernel rejects a definition (with
    /// its `error_log` explanation), or when neither tracefs nor the uprobe PMU is available.
    static func place(_ probes: [Probe], module: AllocatorModule) throws(MemoryError) -> Placement {
        func event(_ probe: Probe, _ placement: UprobeEvent.Placement) -> UprobeEvent {
            UprobeEvent(
                path: module.probePath, fileOffset: probe.fileOffset, isReturn: probe.isReturn,
                label: probe.function.symbolName, placement: placement)
        }
        var tracefs: String?
        var reason = ""
        if UprobeDefinition.canDefine(path: module.probePath) {
            do {
                tracefs = try UprobeDefinition.locateWritableTraceFS()
            } catch {
                let errnoName = error.errno.map { " (\(ErrnoName.name($0)))" } ?? ""
                reason = "\(error.operation) failed\(errnoName)"
            }
        } else {
            reason = "tracefs cannot take the path \(module.probePath) (white space)"
        }
        if let tracefs {
            UprobeDefinition.removeStale(in: tracefs)
            let group = UprobeDefinition.group(pid: getpid())
            var definitions: [UprobeDefinition] = []
            for probe in probes {
                let name = UprobeDefinition.eventName(label: probe.function.symbolName, isReturn: probe.isReturn)
                do {
                    let unplaced = event(probe, .tracefs(id: 0))
                    definitions.append(try UprobeDefinition.define(unplaced, group: group, name: name, in: tracefs))
                } catch {
                    throw MemoryError(error)
                }
            }
            return Placement(events: definitions.map(\.event), definitions: definitions, notice: nil)
        }
        let pmu: UprobePMU
        do { pmu = try UprobePMU.load() } catch { throw MemoryError(error) }
        return Placement(
            events: probes.map { event($0, .pmu(pmu)) }, definitions: [],
            notice: "\(reason): the probes go through the uprobe PMU, and stopping will take about 0.1 s per probe "
                + "per thread (\(probes.count) probes); run as root to avoid it.")
    }

    /// Entry probes on every allocation function (and, for leaks, on the frees and return probes
    /// on the allocation functions).
    static func probes(module: AllocatorModule, kind: AllocationProfileOptions.Kind) -> [Probe] {
        var probes: [Probe] = []
        for f in module.functions where f.function.isAllocation || kind == .leaks {
            probes.append(Probe(function: f.function, fileOffset: f.range.fileOffset, isReturn: false))
        }
        if kind == .leaks {
            for f in module.functions where f.function.isAllocation {
                probes.append(Probe(function: f.function, fileOffset: f.range.fileOffset, isReturn: true))
            }
        }
        return probes
    }

    private static func handle(
        _ event: EventRecorderSample, probe: Probe, module: AllocatorModule, recorder: EventRecorder,
        tracker: inout AllocationTracker
    ) {
        let s = event.sample
        guard let registers = ProbeRegisters(sampled: s.userRegisters) else {
            tracker.noteMissingRegisters()
            return
        }
        if probe.isReturn {
            tracker.exit(
                AllocatorExit(
                    function: probe.function, pid: s.pid, tid: s.tid, returnValue: registers.ax,
                    stackPointer: registers.sp, stackCopy: s.userStack))
            return
        }
        // At a function's first instruction the return address is at the stack pointer.
        let returnAddress = AllocationTracker.pointer(at: registers.sp, stackPointer: registers.sp, copy: s.userStack)
        var fromAllocator = false
        if let returnAddress, returnAddress > 0,
            let caller = recorder.moduleLocation(pid: s.pid, runtimeAddress: returnAddress - 1),
            caller.path == module.path
        {
            fromAllocator = module.containsAllocatorCode(fileOffset: caller.fileOffset)
        }
        let entry = AllocatorEntry(
            function: probe.function, pid: s.pid, tid: s.tid, arguments: registers.arguments,
            stackPointer: registers.sp, returnAddress: returnAddress ?? 0, isCalledFromAllocator: fromAllocator)
        tracker.entry(entry) { recorder.stack(for: Self.addingCaller(returnAddress, to: s)) }
    }

    /// The sample with the caller's return address put after the probed function's address in the
    /// callchain. At a function's first instruction the caller has no frame of its own yet: a
    /// frame-pointer walk starts at the caller's caller and would drop the function that called
    /// the allocator. Kernels that add it themselves (for functions starting with `push %rbp` or
    /// `endbr64`, Linux 6.11+) already have it in place, and nothing is added then.
    static func addingCaller(_ returnAddress: UInt64?, to sample: PerfSample) -> PerfSample {
        guard let returnAddress, returnAddress > 0 else { return sample }
        var s = sample
        var chain = s.callchain
        guard let userMarker = chain.firstIndex(of: PerfCallchainContext.user) else {
            // No marker: the whole chain is user addresses.
            if chain.count < 2 || chain[1] != returnAddress {
                chain.insert(returnAddress, at: min(1, chain.count))
            }
            s.callchain = chain
            return s
        }
        let ipIndex = userMarker + 1
        guard ipIndex < chain.count else { return s }
        if ipIndex + 1 >= chain.count || chain[ipIndex + 1] != returnAddress {
            chain.insert(returnAddress, at: ipIndex + 1)
        }
        s.callchain = chain
        return s
    }

    /// Names the leaf frames, the probed functions' first instructions, by the function probed:
    /// `malloc` rather than whichever alias the symbol table lists first at that address
    /// (`__libc_malloc`, or `__libc_memalign` for glibc's aligned_alloc).
    static func nameProbedFunctions(in profile: inout Profile, module: AllocatorModule) {
        // Locations hold runtime addresses; the mapping turns them into file offsets
        // (address − start + file offset).
        var mappings: [MappingID: Mapping] = [:]
        for mapping in profile.mappings where mapping.filename == module.path { mappings[mapping.id] = mapping }
        guard !mappings.isEmpty else { return }
        let probed = Dictionary(
            module.functions.map { ($0.range.fileOffset, $0.function) }, uniquingKeysWith: { a, _ in a })
        var ids: [AllocatorFunction: FunctionID] = [:]
        for i in profile.locations.indices {
            guard let mappingID = profile.locations[i].mappingID, let mapping = mappings[mappingID] else { continue }
            let address = profile.locations[i].address
            let fileOffset = mapping.limit > mapping.start ? address &- mapping.start &+ mapping.fileOffset : address
            guard let function = probed[fileOffset] else { continue }
            let id: FunctionID
            if let existing = ids[function] {
                id = existing
            } else {
                id = FunctionID(UInt64(profile.functions.count + 1))
                profile.functions.append(Function(id: id, name: function.symbolName))
                ids[function] = id
            }
            profile.locations[i].lines = [Line(functionID: id)]
        }
    }

    private func assemble(
        recording: EventRecording, tracker: AllocationTracker, module: AllocatorModule, recorder: EventRecorder
    ) -> AllocationProfile {
        let sampleTypes: [ValueType]
        let defaultType: ValueType
        var values: [StackID: [Int64]] = [:]
        switch options.kind {
        case .allocations:
            sampleTypes = [AllocationSampleType.allocObjects, AllocationSampleType.allocSpace]
            defaultType = options.weight == .bytes ? AllocationSampleType.allocSpace : AllocationSampleType.allocObjects
            for (stack, totals) in tracker.allocated { values[stack] = [totals.count, totals.bytes] }
        case .leaks:
            sampleTypes = [
                AllocationSampleType.allocObjects, AllocationSampleType.allocSpace, AllocationSampleType.inuseObjects,
                AllocationSampleType.inuseSpace,
            ]
            defaultType = options.weight == .bytes ? AllocationSampleType.inuseSpace : AllocationSampleType.inuseObjects
            let outstanding = tracker.outstanding()
            for (stack, totals) in tracker.allocated {
                let live = outstanding[stack] ?? AllocationTotals()
                values[stack] = [totals.count, totals.bytes, live.count, live.bytes]
            }
        }
        var (profile, quality) = recorder.profile(
            values: values, sampleTypes: sampleTypes, defaultSampleType: defaultType.type, recording: recording)
        Self.nameProbedFunctions(in: &profile, module: module)
        profile.periodType = AllocationSampleType.allocObjects
        profile.period = 1
        profile.comments.append(
            "sflame: allocator \(module.path) (\(module.functions.map(\.function.symbolName).joined(separator: ", ")))")
        let allocatedBytes = tracker.allocated.values.reduce(Int64(0)) { $0 &+ $1.bytes }
        let allocations = tracker.allocated.values.reduce(Int64(0)) { $0 &+ $1.count }
        return AllocationProfile(
            profile: profile, quality: quality, recording: recording, stats: tracker.stats, module: module,
            kind: options.kind, allocatedBytes: allocatedBytes, allocations: allocations, liveBytes: tracker.liveBytes,
            liveAllocations: tracker.liveCount)
    }
}
