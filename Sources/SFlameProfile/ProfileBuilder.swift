// SPDX-License-Identifier: Apache-2.0

/// Builds a `Profile` incrementally, interning functions and locations and (optionally)
/// merging samples with the same stack and labels.
///
/// Complexity: each `add` is O(stack depth) with hashing; interning keeps the profile's
/// tables at one entry per distinct function, location and mapping.
public struct ProfileBuilder: Sendable {
    private struct FunctionKey: Hashable {
        var name: String
        var systemName: String
        var filename: String
        var startLine: Int64
    }
    private struct LocationKey: Hashable {
        var mappingID: MappingID?
        var address: UInt64
        var lines: [Line]
    }
    private struct SampleKey: Hashable {
        var locationIDs: [LocationID]
        var labels: [Label]
    }

    public private(set) var profile: Profile
    private var functionIndex: [FunctionKey: FunctionID] = [:]
    private var locationIndex: [LocationKey: LocationID] = [:]
    private var sampleIndex: [SampleKey: Int] = [:]
    /// Whether samples with equal stacks and labels are merged into one (pprof's usual form).
    public var mergesSamples: Bool

    /// - Parameters:
    ///   - sampleTypes: the profile's sample types; every added sample has one value per type.
    ///   - mergesSamples: merge samples with equal stacks and labels (default true). Keep them
    ///     apart when their order matters (flame charts in time order).
    public init(sampleTypes: [ValueType], mergesSamples: Bool = true) {
        self.profile = Profile(sampleTypes: sampleTypes)
        self.mergesSamples = mergesSamples
    }

    /// Adds a mapping and returns its id. Mappings are not interned: callers add each once.
    public mutating func addMapping(
        start: UInt64, limit: UInt64, fileOffset: UInt64, filename: String, buildID: String = "",
        kind: MappingKind? = nil, hasFunctions: Bool = true, hasFilenames: Bool = false,
        hasLineNumbers: Bool = false, hasInlineFrames: Bool = false
    ) -> MappingID {
        let id = MappingID(UInt64(profile.mappings.count + 1))
        profile.mappings.append(
            Mapping(
                id: id, start: start, limit: limit, fileOffset: fileOffset, filename: filename, buildID: buildID,
                kind: kind ?? Mapping.kind(forFilename: filename), hasFunctions: hasFunctions,
                hasFilenames: hasFilenames, hasLineNumbers: hasLineNumbers, hasInlineFrames: hasInlineFrames))
        return id
    }

    /// Interns a function.
    public mutating func function(name: String, systemName: String? = nil, filename: String = "", startLine: Int64 = 0)
        -> FunctionID
    {
        let key = FunctionKey(name: name, systemName: systemName ?? name, filename: filename, startLine: startLine)
        if let id = functionIndex[key] { return id }
        let id = FunctionID(UInt64(profile.functions.count + 1))
        profile.functions.append(
            Function(id: id, name: name, systemName: key.systemName, filename: filename, startLine: startLine))
        functionIndex[key] = id
        return id
    }

    /// Interns a location. `lines` are innermost first (see `Location`).
    public mutating func location(mappingID: MappingID? = nil, address: UInt64 = 0, lines: [Line]) -> LocationID {
        let key = LocationKey(mappingID: mappingID, address: address, lines: lines)
        if let id = locationIndex[key] { return id }
        let id = LocationID(UInt64(profile.locations.count + 1))
        profile.locations.append(Location(id: id, mappingID: mappingID, address: address, lines: lines))
        locationIndex[key] = id
        return id
    }

    /// Interns a location for a bare function name (no address, no mapping), as folded input has.
    public mutating func location(functionName: String) -> LocationID {
        let f = function(name: functionName)
        return location(lines: [Line(functionID: f)])
    }

    /// Adds a sample. `locationIDs` are leaf first; `values` has one entry per sample type.
    public mutating func addSample(locationIDs: [LocationID], values: [Int64], labels: [Label] = []) {
        precondition(values.count == profile.sampleTypes.count, "one value per sample type")
        if mergesSamples {
            let key = SampleKey(locationIDs: locationIDs, labels: labels)
            if let i = sampleIndex[key] {
                for j in values.indices { profile.samples[i].values[j] &+= values[j] }
                return
            }
            sampleIndex[key] = profile.samples.count
        }
        profile.samples.append(Sample(locationIDs: locationIDs, values: values, labels: labels))
    }
}
