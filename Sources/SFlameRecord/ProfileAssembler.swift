// SPDX-License-Identifier: Apache-2.0
import SFlameProfile
import SFlameSampling
import SFlameSymbolication

/// Symbolizes a recording's stack table into a `Profile`, and measures unwind quality.
///
/// Each unique frame is symbolized once; each module is opened once (the `Symbolizer`
/// caches per module), so the cost grows with unique addresses, not with samples.
struct ProfileAssembler {
    let state: RecordingState
    let event: EventSource
    let frequencyHz: UInt64
    let debugInfoPaths: [String]
    /// The symbolizer to use (one that already loaded the target's modules); a new one when nil.
    var symbolizer: Symbolizer? = nil
    /// What the sample values mean (on-CPU, off-CPU + on-CPU, wall clock). Default on-CPU.
    var mode: ProfileMode = .onCPU

    /// The frames of one recorded address: its location, and facts for the quality report.
    private struct Resolved {
        var location: LocationID
        /// The outermost function name, nil when unresolved.
        var outerName: String?
        /// The module's index, or nil for anonymous and unmapped memory.
        var module: Int32?
        var isUnknown: Bool
    }

    func assemble(wallStartNanos: Int64, durationSeconds: Double) -> (Profile, UnwindQuality) {
        let entries = state.stacks.map { entry in
            (key: entry.key, values: mode.values(count: entry.value.count, weight: entry.value.period,
                                                 threadState: entry.key.threadState))
        }
        var (profile, quality) = assemble(entries: entries, sampleTypes: mode.sampleTypes(cpu: Self.valueType(for: event)))
        profile.defaultSampleType = mode.defaultSampleType
        if mode == .wallClock {
            profile.periodType = ProfileMode.wallNanoseconds
            profile.period = Int64(1_000_000_000 / max(frequencyHz, 1))
        } else if event.isTimer {
            profile.periodType = ValueType.cpuPeriod
            profile.period = Int64(1_000_000_000 / max(frequencyHz, 1))
        } else {
            profile.periodType = Self.valueType(for: event)
            profile.period = 1
        }
        profile.timeNanos = wallStartNanos
        profile.durationNanos = Int64(durationSeconds * 1e9)
        profile.comments = [
            mode == .wallClock ? "sflame: ptrace wall-clock sampler, \(frequencyHz) Hz" : "sflame: event \(event), \(frequencyHz) Hz",
            "sflame: \(state.stats.samples) samples, \(state.stats.lost) lost, "
                + "\(quality.truncatedSamples) truncated, \(quality.unknownFrameSamples) with unknown frames",
        ]
        return (profile, quality)
    }

    /// Symbolizes stacks with any values: one sample per entry, `values` in `sampleTypes` order.
    /// `values[0]` must count the recorded samples of the stack (it weighs the unwind quality).
    /// Entries are ordered by pid, tid and `values[0]` so ids do not depend on hashing.
    func assemble(entries unsorted: [(key: StackKey, values: [Int64])], sampleTypes: [ValueType])
        -> (Profile, UnwindQuality)
    {
        let symbolizer = self.symbolizer ?? Symbolizer(options: SymbolizerOptions(debugInfoPaths: debugInfoPaths))
        let kernelSymbols = state.includeKernel ? Self.loadKernelSymbols() : nil
        var builder = ProfileBuilder(sampleTypes: sampleTypes)
        var mappingIDs: [Int32: MappingID] = [:]
        var kernelMapping: MappingID?
        var kernelModuleMappings: [String: MappingID] = [:]
        var jitMappings: [Int32: MappingID] = [:]
        let perfMaps = PerfMaps(moduleFiles: state.moduleFiles)
        var anonymousMappings: [String: MappingID] = [:]
        var resolved: [FrameRef: Resolved] = [:]
        var quality = UnwindQuality()
        var blame: [BlameKey: Int] = [:]
        var truncatedLocation: LocationID?

        // Runtime addresses: each module's bias (runtime address − file offset) in the first
        // process that mapped it; `MappingRanges` makes start/limit/offset agree with them.
        let biases = MappingRanges.moduleBiases(state)
        var ranges = MappingRanges()

        func mapping(forModule index: Int32) -> MappingID {
            if let id = mappingIDs[index] { return id }
            let module = state.modules[Int(index)]
            let info = symbolizer.moduleInfo(path: module.openPath)
            let id = builder.addMapping(
                start: 0, limit: 0, fileOffset: 0, filename: module.path, buildID: info?.buildID?.description ?? "",
                kind: .user, hasFunctions: info != nil, hasFilenames: info?.hasDebugInfo ?? false,
                hasLineNumbers: info?.hasDebugInfo ?? false, hasInlineFrames: info?.hasDebugInfo ?? false)
            mappingIDs[index] = id
            return id
        }

        func resolve(_ ref: FrameRef) -> Resolved {
            if let r = resolved[ref] { return r }
            let r: Resolved
            switch ref {
            case .kernel(let address):
                if kernelMapping == nil {
                    kernelMapping = builder.addMapping(
                        start: 0, limit: 0, fileOffset: 0, filename: "[kernel.kallsyms]", kind: .kernel)
                }
                if let symbol = kernelSymbols?.lookup(address) {
                    let f = builder.function(name: symbol.name, filename: symbol.module.map { "[\($0)]" } ?? "")
                    // A loadable module's symbols get the module as their mapping (`[nf_tables]`), as
                    // perf names their DSO; the folded name stays `name_[k]` (KernelModules.swift).
                    let mappingID = symbol.module.map { module in
                        KernelModules.mapping(module, in: &kernelModuleMappings, builder: &builder)
                    } ?? kernelMapping
                    if let mappingID { ranges.add(address, to: mappingID, bias: 0) }
                    let loc = builder.location(mappingID: mappingID, address: address, lines: [Line(functionID: f)])
                    r = Resolved(location: loc, outerName: symbol.name, module: nil, isUnknown: false)
                } else {
                    ranges.add(address, to: kernelMapping!, bias: 0)
                    let loc = builder.location(mappingID: kernelMapping, address: address, lines: [])
                    r = Resolved(location: loc, outerName: nil, module: nil, isUnknown: true)
                }
            case .module(let index, let fileOffset):
                let mappingID = mapping(forModule: index)
                let module = state.modules[Int(index)]
                let symbolized = symbolizer.symbolize(modulePath: module.openPath, fileOffset: fileOffset)
                let lines = symbolized.frames.map { frame in
                    Line(
                        functionID: builder.function(
                            name: frame.name, systemName: frame.systemName, filename: frame.file ?? ""),
                        line: Int64(frame.line ?? 0))
                }
                let bias = biases[index] ?? 0
                let address = bias &+ fileOffset
                ranges.add(address, to: mappingID, bias: bias)
                let loc = builder.location(mappingID: mappingID, address: address, lines: lines)
                r = Resolved(
                    location: loc, outerName: symbolized.frames.last?.name, module: index, isUnknown: lines.isEmpty)
            case .anonymous(let name, let address):
                let id: MappingID
                if let existing = anonymousMappings[name] {
                    id = existing
                } else {
                    id = builder.addMapping(start: 0, limit: 0, fileOffset: 0, filename: name, hasFunctions: false)
                    anonymousMappings[name] = id
                }
                ranges.add(address, to: id, bias: 0)
                let loc = builder.location(mappingID: id, address: address, lines: [])
                r = Resolved(location: loc, outerName: nil, module: nil, isUnknown: true)
            case .jit(let pid, let address):
                let map = perfMaps.map(of: pid)
                let id: MappingID
                if let existing = jitMappings[pid] {
                    id = existing
                } else {
                    // Named after the perf map, like perf's DSO for JIT code; kind .jit gives `_[j]`.
                    id = builder.addMapping(
                        start: 0, limit: 0, fileOffset: 0, filename: map?.path ?? "//anon",
                        kind: map == nil ? nil : .jit, hasFunctions: map != nil)
                    jitMappings[pid] = id
                }
                ranges.add(address, to: id, bias: 0)
                let name = map?.table.lookup(address)?.name
                let lines = name.map { [Line(functionID: builder.function(name: $0))] } ?? []
                let loc = builder.location(mappingID: id, address: address, lines: lines)
                r = Resolved(location: loc, outerName: name, module: nil, isUnknown: name == nil)
            case .unmapped(let address):
                let loc = builder.location(mappingID: nil, address: address, lines: [])
                r = Resolved(location: loc, outerName: nil, module: nil, isUnknown: true)
            }
            resolved[ref] = r
            return r
        }

        // Deterministic order: sort the stack table so ids do not depend on hashing.
        let entries = unsorted.sorted { a, b in
            (a.key.pid, a.key.tid, a.values[0]) < (b.key.pid, b.key.tid, b.values[0])
        }
        for (key, values) in entries {
            let sampleCount = Int(values[0])
            var locations: [LocationID] = []
            locations.reserveCapacity(key.frames.count)
            var anyUnknown = false
            var outermost: Resolved?
            var outermostModule: Int32?
            for (i, ref) in key.frames.enumerated() {
                let r = resolve(ref)
                locations.append(r.location)
                anyUnknown = anyUnknown || r.isUnknown
                if i >= key.kernelCount {
                    outermost = r
                    if r.module != nil { outermostModule = r.module }
                }
            }
            if key.frames.count > key.kernelCount {
                quality.userSamples += sampleCount
                if anyUnknown { quality.unknownFrameSamples += sampleCount }
                if key.hitCallchainLimit { quality.callchainLimitSamples += sampleCount }
                let reachedBase = outermost?.outerName.map { UnwindQuality.stackBases.contains($0) } ?? false
                if !reachedBase && key.userStop != .reachedBase {
                    quality.truncatedSamples += sampleCount
                    let (module, reason) =
                        key.userStop == nil
                        ? blameFor(key: key, outermost: outermost, outermostModule: outermostModule, symbolizer: symbolizer)
                        : dwarfBlame(key: key, outermostModule: outermostModule, symbolizer: symbolizer)
                    blame[BlameKey(module: module, reason: reason), default: 0] += sampleCount
                    // The marker: the stack's root end is missing (FrameAnnotation.truncated).
                    let marker =
                        truncatedLocation
                        ?? builder.location(
                            mappingID: nil, address: 0,
                            lines: [Line(functionID: builder.function(name: FrameAnnotation.truncated))])
                    truncatedLocation = marker
                    locations.append(marker)
                }
            }
            if let name = key.threadState?.frameName {
                // The wait state as a synthetic leaf frame (ThreadState): `…;sleep_phase;[sleeping]`.
                locations.insert(builder.location(lines: [Line(functionID: builder.function(name: name))]), at: 0)
            }
            var sampleLabels = labels(pid: key.pid, tid: key.tid)
            if mode.labelsThreadState {
                sampleLabels.append(Label(key: Label.Key.threadState, string: (key.threadState ?? .running).labelValue))
            }
            builder.addSample(locationIDs: locations, values: values, labels: sampleLabels)
        }
        quality.modules = blame.map { UnwindQuality.ModuleReport(module: $0.key.module, truncatedSamples: $0.value, reason: $0.key.reason) }
            .sorted { ($0.truncatedSamples, $1.module) > ($1.truncatedSamples, $0.module) }

        var profile = builder.profile
        ranges.apply(to: &profile, moduleRanges: MappingRanges.moduleRanges(state), mappingIDs: mappingIDs)
        if let main = MappingRanges.mainModule(state), let id = mappingIDs[main] {
            MappingRanges.moveToFront(id, in: &profile)
        }
        return (profile, quality)
    }

    /// A module and why stacks stopped in it.
    struct BlameKey: Hashable {
        var module: String
        var reason: String
    }

    private func labels(pid: Int32, tid: Int32) -> [Label] {
        var labels = [Label(key: Label.Key.pid, number: Int64(pid)), Label(key: Label.Key.tid, number: Int64(tid))]
        if let name = state.threadNames[tid] { labels.append(Label(key: Label.Key.threadName, string: name)) }
        labels.append(Label(key: Label.Key.processName, string: state.processNames[pid] ?? "pid-\(pid)"))
        if let namespacePID = state.moduleFiles?.namespacePID(of: pid) {
            labels.append(Label(key: Label.Key.namespacePID, number: Int64(namespacePID)))
        }
        return labels
    }

    /// The module where a truncated stack stopped, and why it probably did.
    private func blameFor(
        key: StackKey, outermost: Resolved?, outermostModule: Int32?, symbolizer: Symbolizer
    ) -> (String, String) {
        let maxStack = state.maxCallchainDepth
        guard let index = outermostModule else {
            return ("[unknown]", "the stack starts outside any known module (JIT code or unmapped memory)")
        }
        let module = state.modules[Int(index)]
        if key.hitCallchainLimit {
            return (module.path, "callchain limit reached (kernel.perf_event_max_stack = \(maxStack)); raise it with "
                + "`sysctl -w kernel.perf_event_max_stack=1024`")
        }
        let info = symbolizer.moduleInfo(path: module.openPath)
        if outermost?.isUnknown == true && outermost?.module == index && info?.hasSymbolTable == false {
            return (module.path, "missing symbols (stripped); install its debug symbols")
        }
        if let share = info?.framePointerShare, share < 0.5 {
            return (module.path, "no frame pointers in this module (built with -fomit-frame-pointer); "
                + "rebuild it with -fno-omit-frame-pointer or use DWARF unwinding")
        }
        return (module.path, "the frame-pointer chain ends here (a caller without frame pointers)")
    }

    private static func valueType(for event: EventSource) -> ValueType {
        switch event {
        case .cpuClock, .taskClock: return .cpuNanoseconds
        case .pageFaults: return ValueType(type: "page-faults", unit: "count")
        default: return ValueType(type: event.description, unit: "count")
        }
    }

    private static func loadKernelSymbols() -> KernelSymbolTable? {
        guard let text = try? ProcFS.readText("/proc/kallsyms") else { return nil }
        let table = KernelSymbolTable(kallsyms: text)
        return table.isEmpty ? nil : table
    }
}
