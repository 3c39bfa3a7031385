// SPDX-License-Identifier: Apache-2.0
//
// The profile model: the pprof data model (google/pprof, proto/profile.proto) in Swift value
// types. Everything sflame records, imports or renders passes through it:
//
//   samples ──► locations (one per distinct address) ──► lines ──► functions
//                         └─► mapping (module file, build-id, offsets)
//
// A sample's `locationIDs` are leaf first, as in pprof. A location's `lines` are innermost
// first: with inlining, lines[0] is the inlined callee and the last line the function the
// code was inlined into (profile.proto, Location.line).

/// A sample type or period type: what is counted and in which unit, such as `samples`/`count`,
/// `cpu`/`nanoseconds`, `alloc_space`/`bytes`.
///
/// Source: profile.proto, `ValueType`.
public struct ValueType: Hashable, Sendable, CustomStringConvertible {
    public var type: String
    public var unit: String
    public init(type: String, unit: String) {
        self.type = type
        self.unit = unit
    }
    public var description: String { "\(type)/\(unit)" }

    /// `samples/count`: one per sample.
    public static let samples = ValueType(type: "samples", unit: "count")
    /// `cpu/nanoseconds`: on-CPU time represented by the samples.
    public static let cpuNanoseconds = ValueType(type: "cpu", unit: "nanoseconds")
    /// `cpu/nanoseconds` as the period type of a cpu-clock recording.
    public static let cpuPeriod = ValueType(type: "cpu", unit: "nanoseconds")
}

/// One-based identifiers, as in pprof. `0` is never a valid id.
public struct MappingID: Hashable, Sendable, Comparable {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
}
public struct LocationID: Hashable, Sendable, Comparable {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
}
public struct FunctionID: Hashable, Sendable, Comparable {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
}

/// What a mapping holds, which decides how its frames are annotated in folded output
/// (`_[k]` kernel, `_[j]` JIT, as stackcollapse-perf.pl does).
public enum MappingKind: String, Hashable, Sendable {
    case user
    case kernel
    case jit
}

/// A memory mapping of a module: an address range of one process and the file it came from.
///
/// Shape: `start..<limit` are runtime addresses (AVMA) in the process; `fileOffset` is the
/// offset in `filename` that `start` maps. Source: profile.proto `Mapping`; proc(5)
/// /proc/pid/maps; perf_event_open(2) PERF_RECORD_MMAP2.
public struct Mapping: Hashable, Sendable {
    public var id: MappingID
    public var start: UInt64
    public var limit: UInt64
    public var fileOffset: UInt64
    /// Path of the module as the process saw it, or a pseudo name such as `[kernel.kallsyms]`,
    /// `[vdso]`, `//anon`.
    public var filename: String
    /// The GNU build-id in lowercase hex, or "" when unknown.
    public var buildID: String
    public var kind: MappingKind
    public var hasFunctions: Bool
    public var hasFilenames: Bool
    public var hasLineNumbers: Bool
    public var hasInlineFrames: Bool

    public init(
        id: MappingID, start: UInt64, limit: UInt64, fileOffset: UInt64, filename: String, buildID: String = "",
        kind: MappingKind = .user, hasFunctions: Bool = true, hasFilenames: Bool = false,
        hasLineNumbers: Bool = false, hasInlineFrames: Bool = false
    ) {
        self.id = id
        self.start = start
        self.limit = limit
        self.fileOffset = fileOffset
        self.filename = filename
        self.buildID = buildID
        self.kind = kind
        self.hasFunctions = hasFunctions
        self.hasFilenames = hasFilenames
        self.hasLineNumbers = hasLineNumbers
        self.hasInlineFrames = hasInlineFrames
    }

    /// The kind implied by a mapping's name, following perf's pseudo names.
    public static func kind(forFilename name: String) -> MappingKind {
        if name.hasPrefix("[kernel") || name == "[vmlinux]" || (name.hasPrefix("[") && name.hasSuffix("]")
            && !name.hasPrefix("[vdso") && !name.hasPrefix("[anon") && !name.hasPrefix("[heap")
            && !name.hasPrefix("[stack") && !name.hasPrefix("[vsyscall") && !name.hasPrefix("[uprobes")
            && name != "[unknown]")
        {
            return .kernel
        }
        if name.hasPrefix("//anon") || name.hasPrefix("[anon") || name.hasPrefix("/tmp/perf-")
            || name.hasPrefix("/memfd:")
        {
            return .jit
        }
        return .user
    }
}

/// A function: a name, and where it is defined when known.
///
/// Source: profile.proto `Function`.
public struct Function: Hashable, Sendable {
    public var id: FunctionID
    /// The human-readable name (demangled).
    public var name: String
    /// The name as it appears in the symbol table (mangled), or the same as `name`.
    public var systemName: String
    public var filename: String
    public var startLine: Int64

    public init(id: FunctionID, name: String, systemName: String? = nil, filename: String = "", startLine: Int64 = 0) {
        self.id = id
        self.name = name
        self.systemName = systemName ?? name
        self.filename = filename
        self.startLine = startLine
    }
}

/// One source position inside a location: a function and a line in it.
public struct Line: Hashable, Sendable {
    public var functionID: FunctionID
    /// 1-based source line, or 0 when unknown.
    public var line: Int64
    /// 1-based column, or 0 when unknown.
    public var column: Int64
    public init(functionID: FunctionID, line: Int64 = 0, column: Int64 = 0) {
        self.functionID = functionID
        self.line = line
        self.column = column
    }
}

/// A program counter and what it symbolizes to.
///
/// Shape: `lines` are innermost first; more than one line means inlined calls, the last line
/// being the function the others were inlined into. `address` is a runtime address (AVMA) in
/// the mapping, or 0 when the profile carries no addresses (folded input).
/// Source: profile.proto `Location`.
public struct Location: Hashable, Sendable {
    public var id: LocationID
    public var mappingID: MappingID?
    public var address: UInt64
    public var lines: [Line]
    public var isFolded: Bool

    public init(id: LocationID, mappingID: MappingID? = nil, address: UInt64 = 0, lines: [Line], isFolded: Bool = false) {
        self.id = id
        self.mappingID = mappingID
        self.address = address
        self.lines = lines
        self.isFolded = isFolded
    }
}

/// A key/value label on a sample: `pid`, `tid` (numbers), `thread_name`, `process_name` (strings).
public struct Label: Hashable, Sendable {
    public var key: String
    public var string: String?
    public var number: Int64?
    public var numberUnit: String?

    public init(key: String, string: String) {
        self.key = key
        self.string = string
    }
    public init(key: String, number: Int64, unit: String? = nil) {
        self.key = key
        self.number = number
        self.numberUnit = unit
    }

    /// Label keys sflame writes. `process_name` names the folded root frame.
    public enum Key {
        public static let pid = "pid"
        public static let tid = "tid"
        public static let threadName = "thread_name"
        public static let processName = "process_name"
        /// The thread state of a wall-clock or off-CPU sample (`sleeping`, `disk`, `running`).
        public static let threadState = "thread_state"
    }
}

/// One observation: a stack and its values, one value per sample type.
///
/// Shape: `locationIDs` leaf first. `values.count == profile.sampleTypes.count`.
public struct Sample: Hashable, Sendable {
    public var locationIDs: [LocationID]
    public var values: [Int64]
    public var labels: [Label]
    public init(locationIDs: [LocationID], values: [Int64], labels: [Label] = []) {
        self.locationIDs = locationIDs
        self.values = values
        self.labels = labels
    }

    /// The string value of the first label with `key`.
    public func stringLabel(_ key: String) -> String? {
        labels.first { $0.key == key && $0.string != nil }?.string
    }
    /// The numeric value of the first label with `key`.
    public func numberLabel(_ key: String) -> Int64? {
        labels.first { $0.key == key && $0.number != nil }?.number
    }
}

/// A profile: samples with their stacks, in the pprof data model.
///
/// Invariants (checked by `validate()`): ids are one-based and equal to index + 1 in their
/// arrays; every referenced id exists; every sample has one value per sample type.
public struct Profile: Hashable, Sendable {
    public var sampleTypes: [ValueType]
    /// The type of the sample value shown by default (pprof's `default_sample_type`), or nil
    /// for the last one.
    public var defaultSampleType: String?
    public var samples: [Sample]
    public var mappings: [Mapping]
    public var locations: [Location]
    public var functions: [Function]
    public var periodType: ValueType?
    /// Events between samples, in `periodType`'s unit.
    public var period: Int64
    /// Start of the recording, nanoseconds since the UNIX epoch (CLOCK_REALTIME), or 0.
    public var timeNanos: Int64
    /// Length of the recording in nanoseconds, or 0.
    public var durationNanos: Int64
    /// Free-form notes; sflame keeps its sampling statistics here.
    public var comments: [String]

    public init(
        sampleTypes: [ValueType], defaultSampleType: String? = nil, samples: [Sample] = [], mappings: [Mapping] = [],
        locations: [Location] = [], functions: [Function] = [], periodType: ValueType? = nil, period: Int64 = 0,
        timeNanos: Int64 = 0, durationNanos: Int64 = 0, comments: [String] = []
    ) {
        self.sampleTypes = sampleTypes
        self.defaultSampleType = defaultSampleType
        self.samples = samples
        self.mappings = mappings
        self.locations = locations
        self.functions = functions
        self.periodType = periodType
        self.period = period
        self.timeNanos = timeNanos
        self.durationNanos = durationNanos
        self.comments = comments
    }

    public func mapping(_ id: MappingID) -> Mapping { mappings[Int(id.rawValue) - 1] }
    public func location(_ id: LocationID) -> Location { locations[Int(id.rawValue) - 1] }
    public func function(_ id: FunctionID) -> Function { functions[Int(id.rawValue) - 1] }

    /// The index of the sample type shown by default: `defaultSampleType` if it names one,
    /// else the last (pprof's rule).
    public var defaultSampleTypeIndex: Int {
        if let name = defaultSampleType, let i = sampleTypes.firstIndex(where: { $0.type == name }) { return i }
        return max(0, sampleTypes.count - 1)
    }

    /// The sum of one value over all samples.
    public func totalValue(sampleTypeIndex: Int) -> Int64 {
        samples.reduce(0) { $0 &+ $1.values[sampleTypeIndex] }
    }

    /// Checks the invariants above.
    ///
    /// Throws: `ProfileError` with kind `.invalidProfile` naming the first broken reference.
    public func validate() throws(ProfileError) {
        for (i, m) in mappings.enumerated() where m.id.rawValue != UInt64(i + 1) {
            throw ProfileError(.invalidProfile, "mapping at index \(i) has id \(m.id.rawValue)")
        }
        for (i, f) in functions.enumerated() where f.id.rawValue != UInt64(i + 1) {
            throw ProfileError(.invalidProfile, "function at index \(i) has id \(f.id.rawValue)")
        }
        for (i, l) in locations.enumerated() {
            if l.id.rawValue != UInt64(i + 1) {
                throw ProfileError(.invalidProfile, "location at index \(i) has id \(l.id.rawValue)")
            }
            if let m = l.mappingID, m.rawValue == 0 || m.rawValue > UInt64(mappings.count) {
                throw ProfileError(.invalidProfile, "location \(l.id.rawValue) refers to missing mapping \(m.rawValue)")
            }
            for line in l.lines where line.functionID.rawValue == 0 || line.functionID.rawValue > UInt64(functions.count) {
                throw ProfileError(
                    .invalidProfile, "location \(l.id.rawValue) refers to missing function \(line.functionID.rawValue)")
            }
        }
        for (i, s) in samples.enumerated() {
            if s.values.count != sampleTypes.count {
                throw ProfileError(
                    .invalidProfile, "sample \(i) has \(s.values.count) values for \(sampleTypes.count) sample types")
            }
            for id in s.locationIDs where id.rawValue == 0 || id.rawValue > UInt64(locations.count) {
                throw ProfileError(.invalidProfile, "sample \(i) refers to missing location \(id.rawValue)")
            }
        }
    }
}
