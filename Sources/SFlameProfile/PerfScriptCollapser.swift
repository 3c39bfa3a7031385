// SPDX-License-Identifier: Apache-2.0
//
// `perf script` text → folded stacks, with stackcollapse-perf.pl's output:
//
//   two-hot 32129  2941.992273:    1001001 cpu-clock:ppp:
//   	            1384 hot_a+0x34 (/tmp/two-hot)
//   	            13fe path_a+0xe (/tmp/two-hot)
//   	            10ff main+0x4f (/tmp/two-hot)
//
//   ──►  two-hot;main;path_a;hot_a 1001001
//
// The root frame is the comm (spaces become `_`), `comm-PID` with `includePID`, or
// `comm-PID/TID` with `includeTID`; each sample weighs its period (1 when perf printed none).
//
// Speed: each distinct (symbol, module) is named once and cached as interned name ids, and a
// sample is added to a `StackTrie` with one hash lookup per frame, so no string is built per
// sample. The input is read in chunks and never held whole.

/// Folds `perf script` text into a `StackTrie`, chunk by chunk.
public struct PerfScriptCollapser: Sendable {
    private var reader: PerfScriptReader<CollapseSink>

    /// - Parameters:
    ///   - options: frame naming, root frame, event and weight.
    ///   - keepsSampleOrder: also record each sample's stack in input order (`sampleOrder`), for
    ///     flame charts. Default false.
    public init(options: PerfScriptFoldOptions = PerfScriptFoldOptions(), keepsSampleOrder: Bool = false) {
        var sink = CollapseSink(options: options)
        if keepsSampleOrder { sink.order = [] }
        reader = PerfScriptReader(sink: sink, event: options.event)
    }

    /// Each kept sample's stack (its node in `stacks`) and weight, in input order; empty unless
    /// `keepsSampleOrder`.
    public var sampleOrder: [(node: Int32, weight: Int64)] { reader.sink.order ?? [] }

    /// Reads the next chunk of the input. Never fails: lines that fit nowhere are counted in
    /// `statistics`.
    public mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) { reader.consume(chunk) }

    /// Ends the input (the last sample needs no blank line after it).
    public mutating func finish() { reader.finish() }

    /// The folded stacks so far.
    public var stacks: StackTrie { reader.sink.trie }

    /// Samples and frames seen, events, unrecognized lines.
    public var statistics: PerfScriptStatistics { reader.statistics }

    /// Lines read so far.
    public var lineCount: Int { reader.lineCount }

    /// Folds parts of one input (cut with `PerfScriptSplit.sampleStart`) each with its own
    /// collapser, then merges them: the same stacks and statistics as reading it whole, or nil
    /// when the parts kept different events (no event was named and the first samples of the
    /// parts differ), in which case the input must be read whole.
    ///
    /// - Parameter parts: the collapsers of the parts, in input order, each finished.
    public static func merged(_ parts: [PerfScriptCollapser]) -> PerfScriptCollapser? {
        guard var first = parts.first else { return nil }
        let kept = parts.compactMap { $0.statistics.keptEvent }
        if Set(kept).count > 1 { return nil }
        var lineOffset = first.lineCount
        for part in parts.dropFirst() {
            first.reader.sink.trie.merge(part.reader.sink.trie)
            first.reader.appendStatistics(part.reader.statistics, lineOffset: lineOffset)
            lineOffset += part.lineCount
        }
        return first
    }

    /// Folds a whole input.
    public static func collapse(_ bytes: [UInt8], options: PerfScriptFoldOptions = PerfScriptFoldOptions())
        -> PerfScriptCollapser
    {
        var collapser = PerfScriptCollapser(options: options)
        bytes.withUnsafeBufferPointer { collapser.consume($0) }
        collapser.finish()
        return collapser
    }
}

/// Builds the trie; caches frame names by the text of the frame line.
private struct CollapseSink: PerfScriptSink, Sendable {
    let options: PerfScriptFoldOptions
    var trie = StackTrie()
    /// First-level cache: the frame line's text after the address (with the address under
    /// `includeAddresses`), exactly as read, one table per Java-ness of the comm. Most lines
    /// hit here with one hash and one comparison.
    private var lineKeys = ByteInterner()
    private var javaLineKeys = ByteInterner()
    /// Per first-level key k: its name ids are `lineIDs[lineStarts[k]..<lineStarts[k + 1]]`
    /// (and the same for the Java table).
    private var lineStarts: [Int] = [0]
    private var lineIDs: [Int32] = []
    private var javaLineStarts: [Int] = [0]
    private var javaLineIDs: [Int32] = []
    /// Second-level cache, for lines that differ only in their address or offset: Java flag,
    /// symbol without its offset, module. Index into `partsIDs` like the first level.
    private var partsKeys = ByteInterner()
    private var partsStarts: [Int] = [0]
    private var partsIDs: [Int32] = []
    private var key: [UInt8] = []
    /// The current sample's name ids, one group per frame line, leaf first.
    private var ids: [Int32] = []
    private var groupStarts: [Int] = []
    private var root: Int32 = 0
    private var weight: Int64 = 1
    private var isJava = false
    private var rootName: [UInt8] = []
    /// The previous sample's header bytes up to its thread id, and the root they named.
    private var previousHeader: [UInt8] = []
    /// The previous sample's stack, root first, and its trie nodes: a sample that repeats its
    /// predecessor's first frames reuses their nodes.
    private var previousPath: [Int32] = []
    private var previousNodes: [Int32] = []
    private var path: [Int32] = []
    /// Whole stacks (root-first id sequences, as bytes) seen so far, and the node each ends at.
    private var stackKeys = ByteInterner()
    private var stackNodes: [Int32] = []
    /// Stacks in sample order, when kept.
    var order: [(node: Int32, weight: Int64)]?

    init(options: PerfScriptFoldOptions) { self.options = options }

    mutating func beginSample(_ header: PerfScriptHeader, line: UnsafeBufferPointer<UInt8>) {
        ids.removeAll(keepingCapacity: true)
        groupStarts.removeAll(keepingCapacity: true)
        weight = options.weight == .period ? max(header.period ?? 1, 1) : 1
        // The root frame depends on comm, pid and tid only: reuse it while they repeat.
        let idEnd = header.tid.upperBound
        if previousHeader.count == idEnd && previousHeader.elementsEqual(UnsafeBufferPointer(rebasing: line[0..<idEnd])) {
            return
        }
        previousHeader.removeAll(keepingCapacity: true)
        previousHeader.append(contentsOf: UnsafeBufferPointer(rebasing: line[0..<idEnd]))
        rootName.removeAll(keepingCapacity: true)
        for i in header.comm { rootName.append(line[i] == 0x20 ? 0x5F : line[i]) }
        isJava = rootName.starts(with: "java".utf8)
        if options.includePID || options.includeTID {
            rootName.append(0x2D)
            if let pid = header.pid {
                rootName.append(contentsOf: line[pid])
            } else {
                rootName.append(0x3F)
            }
            if options.includeTID {
                rootName.append(0x2F)
                rootName.append(contentsOf: line[header.tid])
            }
        }
        root = rootName.withUnsafeBufferPointer { trie.names.intern($0) }
    }

    @inline(__always)
    mutating func frame(_ frame: PerfScriptFrameLine) {
        let keyStart = options.includeAddresses ? frame.addressStart : frame.addressEnd
        let text = UnsafeBufferPointer(rebasing: frame.line[keyStart..<frame.end])
        groupStarts.append(ids.count)
        if isJava {
            let (k, inserted) = javaLineKeys.intern(text)
            if inserted {
                javaLineIDs.append(contentsOf: namesOfNewLine(frame))
                javaLineStarts.append(javaLineIDs.count)
            }
            ids.append(contentsOf: javaLineIDs[javaLineStarts[Int(k)]..<javaLineStarts[Int(k) + 1]])
        } else {
            let (k, inserted) = lineKeys.intern(text)
            if inserted {
                lineIDs.append(contentsOf: namesOfNewLine(frame))
                lineStarts.append(lineIDs.count)
            }
            let start = lineStarts[Int(k)]
            let end = lineStarts[Int(k) + 1]
            if end - start == 1 {
                ids.append(lineIDs[start])
            } else {
                ids.append(contentsOf: lineIDs[start..<end])
            }
        }
        // A line with no names (skipped by the rules) leaves an empty group: harmless.
    }

    /// The name ids of a frame line not seen before: from the second-level cache, or named now.
    private mutating func namesOfNewLine(_ line: PerfScriptFrameLine) -> [Int32] {
        guard let frame = line.parse() else { return [] }
        let symbol = PerfScriptFrameNames.strippingOffset(frame.symbol)
        key.removeAll(keepingCapacity: true)
        key.append(isJava ? 1 : 0)
        key.append(contentsOf: symbol)
        key.append(0)
        if let module = frame.module {
            key.append(contentsOf: module)
        } else {
            key.append(1)
        }
        if options.includeAddresses && symbol.contains(0x5B) {
            key.append(0)
            key.append(contentsOf: frame.address)
        }
        let (k, inserted) = key.withUnsafeBufferPointer { partsKeys.intern($0) }
        if inserted {
            let names = PerfScriptFrameNames.names(
                symbol: symbol, module: frame.module, address: frame.address, isInlined: frame.isInlined,
                isJava: isJava, options: options)
            for name in names {
                partsIDs.append(name.withUnsafeBufferPointer { trie.names.intern($0) })
            }
            partsStarts.append(partsIDs.count)
        }
        return Array(partsIDs[partsStarts[Int(k)]..<partsStarts[Int(k) + 1]])
    }

    mutating func endSample() {
        // The stack root first: the root name, then the groups from the last line to the first.
        path.removeAll(keepingCapacity: true)
        path.append(root)
        var end = ids.count
        for start in groupStarts.reversed() {
            for i in start..<end { path.append(ids[i]) }
            end = start
        }
        // A stack seen before: one lookup of the whole id sequence instead of one per frame.
        let (known, isNew) = path.withUnsafeBytes { raw in
            stackKeys.intern(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: raw.count))
        }
        if !isNew {
            let node = stackNodes[Int(known)]
            trie.addWeight(weight, at: node)
            order?.append((node, weight))
            return
        }
        var common = 0
        let limit = min(path.count, previousPath.count)
        while common < limit && path[common] == previousPath[common] { common += 1 }
        previousNodes.removeSubrange(common...)
        var node = common == 0 ? StackTrie.root : previousNodes[common - 1]
        for i in common..<path.count {
            node = trie.child(of: node, name: path[i])
            previousNodes.append(node)
        }
        swap(&path, &previousPath)
        stackNodes.append(node)
        trie.addWeight(weight, at: node)
        order?.append((node, weight))
    }
}
