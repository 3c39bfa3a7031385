// SPDX-License-Identifier: Apache-2.0
//
// Profile → folded stacks. A sample becomes one line, root first:
//
//   sample labels {process_name: "spin", tid: 42, thread_name: "worker"}
//   locations (leaf first): [hot_a], [outer_a], [main], [_start]
//
//   folded:                 spin;_start;main;outer_a;hot_a 1
//   folded, perThread:      spin;worker-42;_start;main;outer_a;hot_a 1
//
// Annotations follow stackcollapse-perf.pl: kernel frames end in `_[k]`, JIT frames in
// `_[j]`, and inlined frames in `_[i]` (a location's lines other than its outermost one).
// A location without symbols is `[module]` (the mapping's file name) or `[unknown]`, with
// `unknownAddresses` `[module <ADDRESS>]` (stackcollapse-perf.pl --addrs).

/// How a profile is folded.
public struct FoldOptions: Sendable, Hashable {
    /// What the process root frame carries besides the process name, as stackcollapse-perf.pl's
    /// `--pid` and `--tid` put it: `name-PID`, `name-PID/TID`.
    public enum RootIDs: Sendable, Hashable {
        case none
        case pid
        case pidAndTID
    }

    /// Which sample value weighs each stack; nil means the profile's default sample type.
    public var sampleTypeIndex: Int?
    /// Put the sample's `process_name` label (else `pid`) as the root frame. Default true.
    public var processRoot: Bool
    /// Add the pid (and tid) to the process root frame. Default `.none`.
    public var rootIDs: RootIDs = .none
    /// Put the thread (`thread_name-tid`) as the frame below the process root. Default false.
    public var perThread: Bool
    /// Suffix kernel frames with `_[k]`. Default true.
    public var annotateKernel = true
    /// Suffix JIT frames with `_[j]`. Default true.
    public var annotateJIT = true
    /// Suffix inlined frames with `_[i]`. Default true.
    public var annotateInlined = true
    /// Suffix kernel, JIT and inlined frames with `_[k]`, `_[j]`, `_[i]`: true when all three
    /// are on; setting it sets all three. Default true.
    public var annotate: Bool {
        get { annotateKernel && annotateJIT && annotateInlined }
        set {
            annotateKernel = newValue
            annotateJIT = newValue
            annotateInlined = newValue
        }
    }
    /// Name frames without a symbol `[module <ADDRESS>]` (hex), as stackcollapse-perf.pl --addrs
    /// does. Default false.
    public var unknownAddresses: Bool

    public init(
        sampleTypeIndex: Int? = nil, processRoot: Bool = true, perThread: Bool = false, annotate: Bool = true,
        unknownAddresses: Bool = false
    ) {
        self.sampleTypeIndex = sampleTypeIndex
        self.processRoot = processRoot
        self.perThread = perThread
        self.unknownAddresses = unknownAddresses
        self.annotate = annotate
    }
}

/// The folded suffixes, in one place so every writer and reader agrees.
public enum FrameAnnotation {
    public static let kernel = "_[k]"
    public static let jit = "_[j]"
    public static let inlined = "_[i]"
    /// The root-end marker of a stack whose unwinding stopped before reaching its base.
    public static let truncated = "[truncated]"
    public static let unknown = "[unknown]"
}

extension Profile {
    /// The frames a location stands for, outermost (caller) first, with annotations applied.
    ///
    /// Shape: one name per line of the location, reversed into root-first order; a location
    /// without lines yields one name (`[module]` or `[unknown]`).
    public func frameNames(of location: Location, options: FoldOptions = FoldOptions()) -> [String] {
        let mapping = location.mappingID.map { self.mapping($0) }
        let suffix: String
        switch mapping?.kind {
        case .kernel? where options.annotateKernel: suffix = FrameAnnotation.kernel
        case .jit? where options.annotateJIT: suffix = FrameAnnotation.jit
        default: suffix = ""
        }
        if location.lines.isEmpty {
            // stackcollapse-perf.pl's names: `[module]`, `[module <ADDRESS>]` with --addrs.
            var base = "unknown"
            if let mapping, !mapping.filename.isEmpty {
                base = mapping.filename.split(separator: "/").last.map(String.init) ?? mapping.filename
                if base.hasPrefix("[") && base.hasSuffix("]") { base = String(base.dropFirst().dropLast()) }
            }
            if options.unknownAddresses && location.address != 0 {
                base += " <\(String(location.address, radix: 16))>"
            }
            return ["[\(base)]" + suffix]
        }
        var names: [String] = []
        names.reserveCapacity(location.lines.count)
        for (i, line) in location.lines.enumerated().reversed() {
            var name = function(line.functionID).name
            if i != location.lines.count - 1 && options.annotateInlined {
                name += FrameAnnotation.inlined
            } else {
                name += suffix
            }
            names.append(name)
        }
        return names
    }

    /// `name` as a frame of a folded line: `;` (the frame separator) becomes `:`, as
    /// stackcollapse-perf.pl does, and line breaks become blanks, so a pprof or speedscope name
    /// such as `a;b` stays one frame and the text reads back.
    static func foldable(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 == 0x3B || $0 == 0x0A || $0 == 0x0D }) else { return name }
        return String(decoding: name.utf8.map { $0 == 0x3B ? 0x3A : ($0 == 0x0A || $0 == 0x0D) ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Folds the profile into stacks, one per sample (not yet merged: call `merged()` or
    /// `text()`).
    ///
    /// Complexity: O(total stack depth); each location's names are computed once.
    public func folded(options: FoldOptions = FoldOptions()) -> FoldedProfile {
        let valueIndex = options.sampleTypeIndex ?? defaultSampleTypeIndex
        var namesByLocation = [[String]?](repeating: nil, count: locations.count)
        var stacks: [FoldedStack] = []
        stacks.reserveCapacity(samples.count)
        for sample in samples {
            guard valueIndex < sample.values.count else { continue }
            var frames: [String] = []
            frames.reserveCapacity(sample.locationIDs.count + 2)
            if options.processRoot {
                let pid = sample.numberLabel(Label.Key.pid)
                if var name = sample.stringLabel(Label.Key.processName) {
                    switch options.rootIDs {
                    case .none: break
                    case .pid: name += "-\(pid.map(String.init) ?? "?")"
                    case .pidAndTID:
                        let tid = sample.numberLabel(Label.Key.tid)
                        name += "-\(pid.map(String.init) ?? "?")/\(tid.map(String.init) ?? "?")"
                    }
                    frames.append(Self.foldable(name))
                } else if let pid {
                    frames.append("pid-\(pid)")
                }
            }
            if options.perThread, let tid = sample.numberLabel(Label.Key.tid) {
                let name = sample.stringLabel(Label.Key.threadName) ?? "thread"
                frames.append(Self.foldable("\(name)-\(tid)"))
            }
            for id in sample.locationIDs.reversed() {
                let index = Int(id.rawValue) - 1
                if let names = namesByLocation[index] {
                    frames.append(contentsOf: names)
                } else {
                    let names = frameNames(of: locations[index], options: options).map(Self.foldable)
                    namesByLocation[index] = names
                    frames.append(contentsOf: names)
                }
            }
            if frames.isEmpty { frames.append(FrameAnnotation.unknown) }
            stacks.append(FoldedStack(frames: frames, weight: sample.values[valueIndex]))
        }
        return FoldedProfile(stacks: stacks)
    }
}

extension FoldedProfile {
    /// A profile with one function per distinct frame name and one location per function,
    /// weighed in `sampleType` (default `samples/count`). Folding it back with
    /// `FoldOptions(processRoot: false, annotate: false)` gives the same stacks.
    public func profile(sampleType: ValueType = .samples) -> Profile {
        var builder = ProfileBuilder(sampleTypes: [sampleType])
        var cache: [String: LocationID] = [:]
        for stack in stacks {
            var ids: [LocationID] = []
            ids.reserveCapacity(stack.frames.count)
            for name in stack.frames.reversed() {
                if let id = cache[name] {
                    ids.append(id)
                } else {
                    let id = builder.location(functionName: name)
                    cache[name] = id
                    ids.append(id)
                }
            }
            builder.addSample(locationIDs: ids, values: [stack.weight])
        }
        return builder.profile
    }
}
