// SPDX-License-Identifier: Apache-2.0
//
// `Profile` ⇄ google/pprof's profile.proto, the save format (`.pb.gz`):
//
//   Profile                                  profile.proto (strings by index into string_table)
//   sampleTypes [samples/count, cpu/ns]  ──► sample_type [{type: 1, unit: 2}, {type: 3, unit: 4}]
//   samples (locationIDs leaf first)     ──► sample {location_id, value, label {key, str | num}}
//   mappings, locations, functions       ──► mapping, location {line {function_id, line}}, function
//   defaultSampleType "samples"          ──► default_sample_type: 1
//                                            string_table ["", "samples", "count", "cpu", "nanoseconds", …]
//
// Reading accepts what other tools write: ids that are not 1…n (they are renumbered), gzip'd
// or raw bytes, zero ids for "none". Everything that refers outside the profile is an error
// naming what refers to what.
//
// Source: https://github.com/google/pprof/blob/main/proto/profile.proto

internal import SwiftProtobuf

extension Profile {
    /// The profile as gzip'd profile.proto bytes, the form `go tool pprof`, Pyroscope and Parca
    /// read (`.pb.gz`).
    public func pprofGzip() -> [UInt8] { Gzip.compress(pprofBytes()) }

    /// The profile as uncompressed profile.proto bytes.
    public func pprofBytes() -> [UInt8] {
        var strings = StringTable()
        var p = Perftools_Profiles_Profile()
        p.sampleType = sampleTypes.map { strings.valueType($0) }
        p.sample = samples.map { sample in
            var s = Perftools_Profiles_Sample()
            s.locationID = sample.locationIDs.map(\.rawValue)
            s.value = sample.values
            s.label = sample.labels.map { label in
                var l = Perftools_Profiles_Label()
                l.key = strings.index(label.key)
                if let string = label.string { l.str = strings.index(string) }
                if let number = label.number { l.num = number }
                if let unit = label.numberUnit { l.numUnit = strings.index(unit) }
                return l
            }
            return s
        }
        p.mapping = mappings.map { m in
            var out = Perftools_Profiles_Mapping()
            out.id = m.id.rawValue
            out.memoryStart = m.start
            out.memoryLimit = m.limit
            out.fileOffset = m.fileOffset
            out.filename = strings.index(m.filename)
            out.buildID = strings.index(m.buildID)
            out.hasFunctions_p = m.hasFunctions
            out.hasFilenames_p = m.hasFilenames
            out.hasLineNumbers_p = m.hasLineNumbers
            out.hasInlineFrames_p = m.hasInlineFrames
            return out
        }
        p.location = locations.map { l in
            var out = Perftools_Profiles_Location()
            out.id = l.id.rawValue
            out.mappingID = l.mappingID?.rawValue ?? 0
            out.address = l.address
            out.isFolded = l.isFolded
            out.line = l.lines.map { line in
                var pl = Perftools_Profiles_Line()
                pl.functionID = line.functionID.rawValue
                pl.line = line.line
                pl.column = line.column
                return pl
            }
            return out
        }
        p.function = functions.map { f in
            var out = Perftools_Profiles_Function()
            out.id = f.id.rawValue
            out.name = strings.index(f.name)
            out.systemName = strings.index(f.systemName)
            out.filename = strings.index(f.filename)
            out.startLine = f.startLine
            return out
        }
        p.timeNanos = timeNanos
        p.durationNanos = durationNanos
        if let periodType { p.periodType = strings.valueType(periodType) }
        p.period = period
        p.comment = comments.map { strings.index($0) }
        if let defaultSampleType { p.defaultSampleType = strings.index(defaultSampleType) }
        p.stringTable = strings.strings
        // Serializing a message built from valid Swift values cannot fail (only required fields,
        // which proto3 has none of, or invalid UTF-8, which a Swift String never holds, would).
        guard let data: [UInt8] = try? p.serializedBytes() else {
            preconditionFailure("serializing a profile.proto message failed")
        }
        return data
    }

    /// Reads profile.proto bytes, gzip'd or not, as written by sflame, `go tool pprof`, Go's
    /// runtime/pprof, Pyroscope or Parca.
    ///
    /// - Throws: `ProfileError(.malformedData)` with the byte offset of the first malformed
    ///   field (of the decompressed data) or of the corrupt gzip data;
    ///   `ProfileError(.invalidProfile)` when ids or string indices point nowhere.
    public init(pprof bytes: [UInt8]) throws(ProfileError) {
        let raw = Gzip.isGzip(bytes) ? try Gzip.decompress(bytes) : bytes
        // perf.data (tools/perf/util/header.h: the magic "PERFILE2") is binary too, but no pprof.
        if raw.starts(with: "PERFILE2".utf8) {
            throw ProfileError(
                .malformedData,
                "this is a perf.data file, not a profile sflame reads directly: use 'sflame replay FILE' "
                    + "(or 'perf script -i FILE' and give sflame its text)")
        }
        let message: Perftools_Profiles_Profile
        do {
            message = try Perftools_Profiles_Profile(serializedBytes: raw)
        } catch {
            if let problem = ProtobufWireCheck.firstProblem(in: raw) {
                throw ProfileError(.malformedData, "not a valid pprof profile: \(problem.message)", offset: problem.offset)
            }
            throw ProfileError(.malformedData, "not a valid pprof profile: \(error)")
        }
        self = try PprofReader(message).profile()
    }
}

/// The string table being built: index 0 is always "".
private struct StringTable {
    var strings: [String] = [""]
    var index: [String: Int64] = ["": 0]

    mutating func index(_ s: String) -> Int64 {
        if let i = index[s] { return i }
        let i = Int64(strings.count)
        strings.append(s)
        index[s] = i
        return i
    }

    mutating func valueType(_ v: ValueType) -> Perftools_Profiles_ValueType {
        var out = Perftools_Profiles_ValueType()
        out.type = index(v.type)
        out.unit = index(v.unit)
        return out
    }
}

/// profile.proto message → `Profile`, renumbering ids to 1…n.
private struct PprofReader {
    let message: Perftools_Profiles_Profile

    init(_ message: Perftools_Profiles_Profile) { self.message = message }

    func string(_ index: Int64, _ what: @autoclosure () -> String) throws(ProfileError) -> String {
        guard index >= 0 && index < message.stringTable.count else {
            throw ProfileError(
                .invalidProfile,
                "\(what()) refers to string \(index), but the string table has \(message.stringTable.count) entries")
        }
        return message.stringTable[Int(index)]
    }

    func valueType(_ v: Perftools_Profiles_ValueType, _ what: String) throws(ProfileError) -> ValueType {
        ValueType(type: try string(v.type, "\(what) type"), unit: try string(v.unit, "\(what) unit"))
    }

    func profile() throws(ProfileError) -> Profile {
        if !message.stringTable.isEmpty && !message.stringTable[0].isEmpty {
            throw ProfileError(.invalidProfile, "the string table must start with the empty string")
        }
        var sampleTypes: [ValueType] = []
        for (i, v) in message.sampleType.enumerated() { sampleTypes.append(try valueType(v, "sample type \(i)")) }
        var profile = Profile(sampleTypes: sampleTypes)

        var mappingIDs: [UInt64: MappingID] = [:]
        for (i, m) in message.mapping.enumerated() {
            guard m.id != 0, mappingIDs[m.id] == nil else {
                throw ProfileError(.invalidProfile, "mapping \(i) has id \(m.id), which is 0 or used twice")
            }
            let id = MappingID(UInt64(i + 1))
            mappingIDs[m.id] = id
            let filename = try string(m.filename, "mapping \(m.id)'s file name")
            profile.mappings.append(
                Mapping(
                    id: id, start: m.memoryStart, limit: m.memoryLimit, fileOffset: m.fileOffset, filename: filename,
                    buildID: try string(m.buildID, "mapping \(m.id)'s build-id"),
                    kind: Mapping.kind(forFilename: filename), hasFunctions: m.hasFunctions_p,
                    hasFilenames: m.hasFilenames_p, hasLineNumbers: m.hasLineNumbers_p,
                    hasInlineFrames: m.hasInlineFrames_p))
        }

        var functionIDs: [UInt64: FunctionID] = [:]
        for (i, f) in message.function.enumerated() {
            guard f.id != 0, functionIDs[f.id] == nil else {
                throw ProfileError(.invalidProfile, "function \(i) has id \(f.id), which is 0 or used twice")
            }
            let id = FunctionID(UInt64(i + 1))
            functionIDs[f.id] = id
            profile.functions.append(
                Function(
                    id: id, name: try string(f.name, "function \(f.id)'s name"),
                    systemName: try string(f.systemName, "function \(f.id)'s system name"),
                    filename: try string(f.filename, "function \(f.id)'s file name"), startLine: f.startLine))
        }

        var locationIDs: [UInt64: LocationID] = [:]
        for (i, l) in message.location.enumerated() {
            guard l.id != 0, locationIDs[l.id] == nil else {
                throw ProfileError(.invalidProfile, "location \(i) has id \(l.id), which is 0 or used twice")
            }
            let id = LocationID(UInt64(i + 1))
            locationIDs[l.id] = id
            var mappingID: MappingID?
            if l.mappingID != 0 {
                guard let m = mappingIDs[l.mappingID] else {
                    throw ProfileError(.invalidProfile, "location \(l.id) refers to missing mapping \(l.mappingID)")
                }
                mappingID = m
            }
            var lines: [Line] = []
            for line in l.line {
                guard let f = functionIDs[line.functionID] else {
                    if line.functionID == 0 { continue }
                    throw ProfileError(
                        .invalidProfile, "location \(l.id) refers to missing function \(line.functionID)")
                }
                lines.append(Line(functionID: f, line: line.line, column: line.column))
            }
            profile.locations.append(
                Location(id: id, mappingID: mappingID, address: l.address, lines: lines, isFolded: l.isFolded))
        }

        profile.samples.reserveCapacity(message.sample.count)
        for (i, s) in message.sample.enumerated() {
            guard s.value.count == sampleTypes.count else {
                throw ProfileError(
                    .invalidProfile, "sample \(i) has \(s.value.count) values for \(sampleTypes.count) sample types")
            }
            var ids: [LocationID] = []
            ids.reserveCapacity(s.locationID.count)
            for raw in s.locationID {
                guard let id = locationIDs[raw] else {
                    throw ProfileError(.invalidProfile, "sample \(i) refers to missing location \(raw)")
                }
                ids.append(id)
            }
            var labels: [Label] = []
            for l in s.label {
                let key = try string(l.key, "a label of sample \(i)")
                if l.str != 0 {
                    labels.append(Label(key: key, string: try string(l.str, "label '\(key)' of sample \(i)")))
                } else {
                    let unit = l.numUnit == 0 ? nil : try string(l.numUnit, "label '\(key)' of sample \(i)")
                    labels.append(Label(key: key, number: l.num, unit: unit))
                }
            }
            profile.samples.append(Sample(locationIDs: ids, values: s.value, labels: labels))
        }

        profile.timeNanos = message.timeNanos
        profile.durationNanos = message.durationNanos
        if message.hasPeriodType { profile.periodType = try valueType(message.periodType, "the period type") }
        profile.period = message.period
        for c in message.comment { profile.comments.append(try string(c, "a comment")) }
        if message.defaultSampleType != 0 {
            profile.defaultSampleType = try string(message.defaultSampleType, "the default sample type")
        }
        return profile
    }
}
