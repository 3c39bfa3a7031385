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
// Speed: each distinct (symbol, module) is named once and cached as interned name ids (keyed
// without the symbol's offset, so the cache stays small), and a sample is added to a
// `StackTrie` with one hash lookup per frame, so no string is built per sample. The input is
// read in chunks and never held whole.

/// Folds `perf script` text into a `StackTrie`, chunk by chunk.
public struct PerfScriptCollapser: Sendable {
    private var reader: PerfScriptReader<CollapseSink>

    /// Frame naming, root frame, event and weight, as given.
    public let options: PerfScriptFoldOptions

    /// - Parameters:
    ///   - options: frame naming, root frame, event and weight.
    ///   - keepsSampleOrder: also record each sample's stack in input order (`sampleOrder`), for
    ///     flame charts. Default false.
    public init(options: PerfScriptFoldOptions = PerfScriptFoldOptions(), keepsSampleOrder: Bool = false) {
        self.options = options
        var sink = CollapseSink(options: options)
        if keepsSampleOrder { sink.order = [] }
        reader = PerfScriptReader(sink: sink, event: options.event)
    }

    /// Each kept sample's stack (its node in `stacks`) and weight, in input order; empty unless
    /// `keepsSampleOrder`.
    public var sampleOrder: [(node: Int32, weight: Int64)] { reader.sink.order ?? [] }

    /// Reads the next chunk of the input. Never fails: lines that fit nowhere are counted in
    /// `statistics` (see `PerfScriptStatistics.unrecognizedLineError`).
    public mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) { reader.consume(chunk) }

    /// Ends the input (the last sample needs no blank line after it).
    public mutating func finish() {
        reader.finish()
        reader.sink.addPendingWeights()
    }

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
    /// Frame names by what decides them: Java flag, symbol without its offset, module (and the
    /// address of a frame without a symbol under `includeAddresses`). Keyed without the offset,
    /// the table holds one entry per function and module (thousands, where the lines differ
    /// by offset in tens of thousands), so it stays in the cache. Per key k: its name ids are
    /// `partsIDs[partsStarts[k]..<partsStarts[k + 1]]`.
    private var partsKeys = ByteInterner()
    private var partsStarts: [Int] = [0]
    private var partsIDs: [Int32] = []
    /// The current sample's frames, leaf first: one `partsKeys` id per frame line.
    private var frameKeys: [Int32] = []
    /// How many of `frameKeys` belong to the current sample (the array is reused, not emptied:
    /// emptying it per sample showed in profiles).
    private var frameCount = 0
    private var root: Int32 = 0
    private var weight: Int64 = 1
    private var isJava = false
    private var rootName: [UInt8] = []
    /// The previous sample's header bytes up to its thread id, and the root they named.
    private var previousHeader: [UInt8] = []
    /// The stack last added through the trie, root first, and its trie nodes: a new stack that
    /// repeats its first frames reuses their nodes.
    private var previousPath: [Int32] = []
    private var previousNodes: [Int32] = []
    /// Whole stacks seen so far, keyed by root name and frame keys (as bytes, leaf first), and
    /// the node each ends at: a repeated stack costs one lookup, not one per frame.
    private var stackKeys = ByteInterner()
    private var stackNodes: [Int32] = []
    /// Per stack id: weight not yet added to its trie node. Repeated stacks add here (a small
    /// dense array that stays in the cache) rather than to the trie's nodes (a cache miss per
    /// sample); `addPendingWeights` moves the sums into the trie when the input ends.
    private var stackWeights: [Int64] = []
    /// Stacks in sample order, when kept.
    var order: [(node: Int32, weight: Int64)]?

    init(options: PerfScriptFoldOptions) { self.options = options }

    mutating func beginSample(_ header: PerfScriptHeader, line: UnsafeBufferPointer<UInt8>) {
        frameCount = 0
        weight = options.weight == .period ? max(header.period ?? 1, 1) : 1
        // The root frame depends on comm, pid and tid only: reuse it while they repeat.
        let idEnd = header.tid.upperBound
        if bytesEqual(previousHeader, UnsafeBufferPointer(rebasing: line[0..<idEnd])) {
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
    mutating func frame(_ line: PerfScriptFrameLine) {
        let frame = line.parse()
        let symbol = PerfScriptFrameNames.strippingOffset(frame.symbol)
        // The key: Java flag (and 2 when perf printed no module), symbol, module [, address],
        // hashed and compared in place.
        let withAddress = options.includeAddresses && symbol.contains(0x5B)
        let flag: UInt8 = (isJava ? 1 : 0) | (frame.module == nil ? 2 : 0)
        let (k, inserted) = partsKeys.intern(
            flag: flag, symbol, frame.module ?? UnsafeBufferPointer(start: nil, count: 0),
            withAddress ? frame.address : UnsafeBufferPointer(start: nil, count: 0))
        if inserted {
            let names = PerfScriptFrameNames.names(
                symbol: symbol, module: frame.module, address: frame.address, isInlined: frame.isInlined,
                isJava: isJava, options: options)
            for name in names {
                partsIDs.append(name.withUnsafeBufferPointer { trie.names.intern($0) })
            }
            partsStarts.append(partsIDs.count)
        }
        if frameCount < frameKeys.count {
            frameKeys[frameCount] = k
        } else {
            frameKeys.append(k)
        }
        frameCount += 1
    }

    mutating func endSample() {
        // A stack seen before: one lookup of the root and the frame keys.
        var rootID = root
        let (known, isNew) = withUnsafeBytes(of: &rootID) { rootBytes in
            frameKeys.withUnsafeBytes { keys in
                stackKeys.intern(
                    flag: 0, rootBytes.assumingMemoryBound(to: UInt8.self),
                    UnsafeBufferPointer(rebasing: keys.assumingMemoryBound(to: UInt8.self)[0..<(frameCount * 4)]),
                    UnsafeBufferPointer(start: nil, count: 0))
            }
        }
        if !isNew {
            let id = Int(known)
            let (sum, overflow) = stackWeights[id].addingReportingOverflow(weight)
            if overflow {
                // Past 2^63: hand the sum so far to the trie (which keeps what fits) and go on.
                trie.addWeight(stackWeights[id], at: stackNodes[id])
                stackWeights[id] = weight
            } else {
                stackWeights[id] = sum
            }
            if order != nil { order!.append((stackNodes[id], weight)) }
            return
        }
        // A new stack: its names root first (the root name, then each frame's names from the
        // last line to the first; a frame line may name several frames, or none), added to the
        // trie from where it leaves the previous new stack.
        var path: [Int32] = [root]
        for k in frameKeys[0..<frameCount].reversed() {
            path.append(contentsOf: partsIDs[partsStarts[Int(k)]..<partsStarts[Int(k) + 1]])
        }
        var common = 0
        let limit = min(path.count, previousPath.count)
        while common < limit && path[common] == previousPath[common] { common += 1 }
        previousNodes.removeLast(previousNodes.count - common)
        var node = common == 0 ? StackTrie.root : previousNodes[common - 1]
        for i in common..<path.count {
            node = trie.child(of: node, name: path[i])
            previousNodes.append(node)
        }
        previousPath = path
        stackNodes.append(node)
        stackWeights.append(weight)
        order?.append((node, weight))
    }

    /// Adds the weights of the stacks seen since the last call to their trie nodes.
    mutating func addPendingWeights() {
        for id in stackWeights.indices where stackWeights[id] != 0 {
            trie.addWeight(stackWeights[id], at: stackNodes[id])
            stackWeights[id] = 0
        }
    }
}
