// SPDX-License-Identifier: Apache-2.0
//
// One entry point for every input format: feed the bytes in chunks, get stacks or a profile.
// The format is recognised from the first 64 KiB; text formats are then read as they arrive
// (a 1 GB `perf script` file is never held in memory), binary ones at the end:
//
//   var decoder = ProfileDecoder(wanting: .stacks(...), source: "perf.txt")
//   for chunk in file { try decoder.consume(chunk) }
//   let input = try decoder.finish()      // input.format == .perfScript, input.stacks …
//
// What comes out depends on what the caller asks for:
//
//   wanting          folded         perf script                  pprof / speedscope
//   .stacks          StackTrie      StackTrie (collapse options) Profile, folded into a StackTrie
//   .orderedStacks   FoldedProfile  FoldedProfile, sample order  Profile, folded in sample order
//   .profile         Profile        Profile (addresses, modules) Profile

/// Decodes an input of any supported format, fed in chunks.
public struct ProfileDecoder: Sendable {
    /// What the caller will do with the input.
    public enum Wanting: Sendable, Hashable {
        /// Merged folded stacks (flame graphs, collapse). perf script input is folded with
        /// these options; profiles are folded with `fold`.
        case stacks(perfScript: PerfScriptFoldOptions = PerfScriptFoldOptions(), fold: FoldOptions = FoldOptions())
        /// Folded stacks in input order, not merged (flame charts).
        case orderedStacks(perfScript: PerfScriptFoldOptions = PerfScriptFoldOptions(), fold: FoldOptions = FoldOptions())
        /// The profile model (conversion to pprof or speedscope, reports).
        case profile(event: String? = nil)
    }

    private enum State: Sendable {
        /// Collecting the first bytes until the format can be told.
        case detecting([UInt8])
        /// Collecting all bytes (binary formats, gzip).
        case buffering(ProfileFormat, [UInt8])
        case folded(FoldedStackReader)
        case foldedOrdered([UInt8])
        case perfScriptStacks(PerfScriptCollapser, ordered: Bool)
        case perfScriptProfile(PerfScriptProfileBuilder)
    }

    private let wanting: Wanting
    private let source: String?
    private let skipBadLines: Bool
    private var state: State = .detecting([])
    private var totalBytes = 0

    /// - Parameters:
    ///   - wanting: stacks, stacks in order, or the profile model.
    ///   - source: the input's name for error messages (a path or `<stdin>`).
    ///   - skipBadLines: skip malformed folded lines instead of failing.
    public init(wanting: Wanting, source: String? = nil, skipBadLines: Bool = false) {
        self.wanting = wanting
        self.source = source
        self.skipBadLines = skipBadLines
    }

    /// Reads the next chunk.
    ///
    /// - Throws: `ProfileError` for a malformed folded line (with its line number).
    public mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) throws(ProfileError) {
        totalBytes += chunk.count
        switch state {
        case .detecting(var prefix):
            if prefix.isEmpty && chunk.count >= ProfileFormat.detectionPrefix {
                // The usual case, a file read in large chunks: judge the chunk where it is, as
                // copying a whole first chunk costs a page fault per 4 KiB.
                try start(with: chunk)
                return
            }
            state = .detecting([])  // drop the reference so `prefix` is uniquely owned
            prefix.append(contentsOf: chunk)
            if prefix.count >= ProfileFormat.detectionPrefix {
                try prefix.withUnsafeBufferPointer { (buffer) throws(ProfileError) in try start(with: buffer) }
            } else {
                state = .detecting(prefix)
            }
        case .buffering(let format, var bytes):
            state = .detecting([])  // drop the reference so `bytes` is uniquely owned
            bytes.append(contentsOf: chunk)
            state = .buffering(format, bytes)
        case .folded(var reader):
            state = .detecting([])
            defer { state = .folded(reader) }
            try reader.consume(chunk)
        case .foldedOrdered(var bytes):
            state = .detecting([])
            bytes.append(contentsOf: chunk)
            state = .foldedOrdered(bytes)
        case .perfScriptStacks(var collapser, let ordered):
            state = .detecting([])
            collapser.consume(chunk)
            state = .perfScriptStacks(collapser, ordered: ordered)
        case .perfScriptProfile(var builder):
            state = .detecting([])
            builder.consume(chunk)
            state = .perfScriptProfile(builder)
        }
    }

    /// Ends the input and returns what was read.
    ///
    /// - Throws: `ProfileError`: `.emptyInput` for perf script text or a profile without samples,
    ///   `.malformedLine`/`.malformedData` with a line or byte offset, `.invalidProfile`.
    public mutating func finish() throws(ProfileError) -> DecodedProfile {
        if case .detecting(let prefix) = state {
            // An empty input reads as folded text without stacks; callers that need samples
            // say so with their own message.
            try prefix.withUnsafeBufferPointer { (buffer) throws(ProfileError) in try start(with: buffer) }
        }
        var decoded: DecodedProfile
        switch state {
        case .detecting:
            preconditionFailure("start(with:) leaves the detecting state")
        case .buffering(let format, let bytes):
            decoded = try decodeWhole(bytes, format: format, compressed: false)
        case .folded(var reader):
            try reader.finish()
            decoded = DecodedProfile(format: .folded, content: .stacks(reader.stacks))
            decoded.skippedLines = reader.skippedLines
            decoded.weightUnit = "count"
        case .foldedOrdered(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            let (profile, skipped) = try FoldedProfile.parse(text, source: source, skipBadLines: skipBadLines)
            decoded = DecodedProfile(format: .folded, content: .ordered(profile))
            decoded.skippedLines = skipped
            decoded.weightUnit = "count"
        case .perfScriptStacks(var collapser, let ordered):
            collapser.finish()
            let stacks = collapser.stacks
            decoded = DecodedProfile(
                format: .perfScript,
                content: ordered ? .ordered(FoldedProfile(stacks: collapser.sampleOrder.map {
                    FoldedStack(frames: stacks.frames(of: $0.node), weight: $0.weight)
                })) : .stacks(stacks))
            decoded.perfScript = collapser.statistics
            decoded.weightUnit = collapser.statistics.weightUnit(collapser.options.weight)
            decoded.warnings = collapser.statistics.warnings
            decoded.skippedLines = try Self.checkUnrecognizedLines(collapser.statistics, source: source, skip: skipBadLines)
            if collapser.statistics.keptSamples == 0 {
                throw ProfileError(.emptyInput, Self.noSamples(collapser.statistics), source: source)
            }
        case .perfScriptProfile(var builder):
            let profile = builder.finish()
            decoded = DecodedProfile(format: .perfScript, content: .profile(profile))
            decoded.perfScript = builder.statistics
            decoded.warnings = builder.statistics.warnings
            decoded.skippedLines = try Self.checkUnrecognizedLines(builder.statistics, source: source, skip: skipBadLines)
            if builder.statistics.keptSamples == 0 {
                throw ProfileError(.emptyInput, Self.noSamples(builder.statistics), source: source)
            }
        }
        return decoded
    }

    /// The number of unrecognized perf script lines to report as skipped (`skip`), or the error
    /// naming the first of them.
    public static func checkUnrecognizedLines(_ statistics: PerfScriptStatistics, source: String?, skip: Bool)
        throws(ProfileError) -> Int
    {
        if !skip, let error = statistics.unrecognizedLineError(source: source) { throw error }
        return statistics.unrecognizedLines
    }

    /// Why perf script text gave no samples, in words.
    public static func noSamples(_ statistics: PerfScriptStatistics) -> String {
        if let event = statistics.keptEvent, !statistics.events.isEmpty {
            return "no samples of the event '\(event)' in the perf script text (it has \(statistics.events.joined(separator: ", ")))"
        }
        return "no samples in the perf script text (is it the output of `perf script`?)"
    }

    /// Decodes a whole input at once.
    public static func decode(_ bytes: [UInt8], wanting: Wanting, source: String? = nil, skipBadLines: Bool = false)
        throws(ProfileError) -> DecodedProfile
    {
        var decoder = ProfileDecoder(wanting: wanting, source: source, skipBadLines: skipBadLines)
        let result: Result<Void, ProfileError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(ProfileError) {
                try decoder.consume(buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return try decoder.finish()
    }

    private mutating func start(with prefix: UnsafeBufferPointer<UInt8>) throws(ProfileError) {
        let format = ProfileFormat.detect(prefix)
        if Gzip.isGzip(prefix) || format == .pprof || format == .speedscope {
            state = .buffering(format, Array(prefix))
            return
        }
        // Text (not pprof: not gzip, not a protobuf) with a byte text never has in the part that
        // was judged: say where.
        if let bad = ProfileFormat.firstControlByte(UnsafeBufferPointer(rebasing: prefix.prefix(ProfileFormat.detectionPrefix))) {
            let name = bad.byte == 0 ? "a NUL byte" : "the control byte 0x\(String(bad.byte, radix: 16, uppercase: true))"
            throw ProfileError(
                .malformedData,
                "\(name) in what reads as \(format) (it is not pprof either: neither gzip nor a protobuf profile)",
                source: source, line: bad.line, offset: bad.offset)
        }
        switch (format, wanting) {
        case (.folded, .orderedStacks):
            state = .foldedOrdered(Array(prefix))
        case (.folded, _):
            var reader = FoldedStackReader(source: source, skipBadLines: skipBadLines)
            try reader.consume(prefix)
            state = .folded(reader)
        case (.perfScript, .profile(let event)):
            var builder = PerfScriptProfileBuilder(event: event)
            builder.consume(prefix)
            state = .perfScriptProfile(builder)
        case (.perfScript, .stacks(let options, _)), (.perfScript, .orderedStacks(let options, _)):
            var ordered = false
            if case .orderedStacks = wanting { ordered = true }
            var collapser = PerfScriptCollapser(options: options, keepsSampleOrder: ordered)
            collapser.consume(prefix)
            state = .perfScriptStacks(collapser, ordered: ordered)
        case (.pprof, _), (.speedscope, _):
            state = .buffering(format, Array(prefix))
        }
    }

    /// Binary and JSON formats, and anything gzip'd.
    private func decodeWhole(_ bytes: [UInt8], format: ProfileFormat, compressed: Bool) throws(ProfileError)
        -> DecodedProfile
    {
        if Gzip.isGzip(bytes) {
            var inner: [UInt8]
            do {
                inner = try Gzip.decompress(bytes)
            } catch {
                var error = error
                error.source = source
                throw error
            }
            let innerFormat = ProfileFormat.detect(inner)
            if innerFormat == .pprof || innerFormat == .speedscope {
                var decoded = try decodeWhole(inner, format: innerFormat, compressed: true)
                decoded.isCompressed = true
                return decoded
            }
            // gzip'd text: read it as if it had arrived uncompressed.
            var decoder = ProfileDecoder(wanting: wanting, source: source, skipBadLines: skipBadLines)
            var decoded = try decoder.decodeText(&inner)
            decoded.isCompressed = true
            return decoded
        }
        let profile: Profile
        do {
            switch format {
            case .speedscope: profile = try Speedscope.read(bytes)
            default: profile = try Profile(pprof: bytes)
            }
        } catch {
            var error = error
            error.source = source
            throw error
        }
        if profile.samples.isEmpty {
            throw ProfileError(.emptyInput, "the \(format) profile has no samples", source: source)
        }
        return DecodedProfile(format: format, content: .profile(profile), wanting: wanting)
    }

    private mutating func decodeText(_ bytes: inout [UInt8]) throws(ProfileError) -> DecodedProfile {
        let result: Result<Void, ProfileError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(ProfileError) {
                try consume(buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return try finish()
    }
}

/// An input, read.
public struct DecodedProfile: Sendable {
    /// What was read.
    public enum Content: Sendable {
        /// Merged folded stacks.
        case stacks(StackTrie)
        /// Folded stacks in input order.
        case ordered(FoldedProfile)
        /// The profile model.
        case profile(Profile)
    }

    /// The format the content was recognised as.
    public var format: ProfileFormat
    /// Whether the input was gzip'd.
    public var isCompressed = false
    public var content: Content
    /// Malformed folded lines skipped (with skipBadLines).
    public var skippedLines = 0
    /// Things to tell the user (several events, unrecognized lines).
    public var warnings: [String] = []
    /// What the perf script reader saw, for perf script input.
    public var perfScript: PerfScriptStatistics?
    /// What the weights of `stacks` and `folded` count: `count` (folded text, samples), a
    /// pprof or speedscope value's unit (`nanoseconds`, `bytes`), or `period of EVENT` (perf
    /// script weighed by period); nil for the profile model. Inputs merged into one graph
    /// should agree on it.
    public var weightUnit: String?

    public init(format: ProfileFormat, content: Content) {
        self.format = format
        self.content = content
    }

    /// A profile model, folded the way `wanting` asks.
    init(format: ProfileFormat, content: Content, wanting: ProfileDecoder.Wanting) {
        self.format = format
        guard case .profile(let profile) = content else {
            self.content = content
            return
        }
        let index: Int? =
            switch wanting {
            case .stacks(_, let fold), .orderedStacks(_, let fold): fold.sampleTypeIndex ?? profile.defaultSampleTypeIndex
            case .profile: nil
            }
        if let index, profile.sampleTypes.indices.contains(index) { weightUnit = profile.sampleTypes[index].unit }
        switch wanting {
        case .stacks(_, let fold):
            var trie = StackTrie()
            for stack in profile.folded(options: fold).stacks where stack.weight != 0 {
                trie.add(stack.frames, weight: stack.weight)
            }
            self.content = .stacks(trie)
        case .orderedStacks(_, let fold):
            self.content = .ordered(profile.folded(options: fold))
        case .profile:
            self.content = content
        }
    }

    /// The content as merged stacks (folding a profile with default options).
    public var stacks: StackTrie {
        switch content {
        case .stacks(let trie): return trie
        case .ordered(let folded):
            var trie = StackTrie()
            for stack in folded.stacks where stack.weight != 0 { trie.add(stack.frames, weight: stack.weight) }
            return trie
        case .profile(let profile):
            var trie = StackTrie()
            for stack in profile.folded().stacks where stack.weight != 0 { trie.add(stack.frames, weight: stack.weight) }
            return trie
        }
    }

    /// The content as folded stacks: merged and sorted, or in input order for `.ordered`.
    public var folded: FoldedProfile {
        switch content {
        case .stacks(let trie): return trie.foldedProfile()
        case .ordered(let folded): return folded
        case .profile(let profile): return profile.folded()
        }
    }

    /// The content as a profile model: folded stacks become one function per frame name.
    public var profile: Profile {
        switch content {
        case .profile(let profile): return profile
        case .stacks(let trie): return trie.foldedProfile().profile()
        case .ordered(let folded): return folded.profile()
        }
    }
}
