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

/// Builds the trie; caches frame names by (symbol, module).
private struct CollapseSink: PerfScriptSink, Sendable {
    let options: PerfScriptFoldOptions
    var trie = StackTrie()
    /// Cache keys: flags, symbol (offset stripped), module and, for unknown symbols with
    /// addresses, the address.
    private var cacheKeys = NameTable()
    /// Per cache key: its name ids are `cachedIDs[cacheStarts[k]..<cacheStarts[k + 1]]`.
    private var cachedIDs: [Int32] = []
    private var cacheStarts: [Int] = [0]
    private var key: [UInt8] = []
    /// The current sample's name ids, one group per frame line, leaf first.
    private var ids: [Int32] = []
    private var groupStarts: [Int] = []
    private var root: Int32 = 0
    private var weight: Int64 = 1
    private var isJava = false
    private var rootName: [UInt8] = []
    /// Stacks in sample order, when kept.
    var order: [(node: Int32, weight: Int64)]?

    init(options: PerfScriptFoldOptions) { self.options = options }

    mutating func beginSample(_ header: PerfScriptHeader, line: UnsafeBufferPointer<UInt8>) {
        ids.removeAll(keepingCapacity: true)
        groupStarts.removeAll(keepingCapacity: true)
        weight = options.weight == .period ? max(header.period ?? 1, 1) : 1
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

    mutating func frame(_ frame: PerfScriptFrame) {
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
        let k = Int(key.withUnsafeBufferPointer { cacheKeys.intern($0) })
        if k == cacheStarts.count - 1 {
            let names = PerfScriptFrameNames.names(
                symbol: symbol, module: frame.module, address: frame.address, isInlined: frame.isInlined,
                isJava: isJava, options: options)
            for name in names {
                cachedIDs.append(name.withUnsafeBufferPointer { trie.names.intern($0) })
            }
            cacheStarts.append(cachedIDs.count)
        }
        let range = cacheStarts[k]..<cacheStarts[k + 1]
        if range.isEmpty { return }
        groupStarts.append(ids.count)
        ids.append(contentsOf: cachedIDs[range])
    }

    mutating func endSample() {
        var node = trie.child(of: StackTrie.root, name: root)
        var end = ids.count
        for start in groupStarts.reversed() {
            for i in start..<end { node = trie.child(of: node, name: ids[i]) }
            end = start
        }
        trie.addWeight(weight, at: node)
        order?.append((node, weight))
    }
}
