// SPDX-License-Identifier: Apache-2.0
//
// Example (/tmp/perf-4242.map, written by the JIT of process 4242):
//
//   7f3a1c000040 2c LazyCompile:*fib /srv/app/fib.js:3
//   0x7f3a1c0000a0 0x18 jit_hot_loop
//   7f3a1c000040 30 LazyCompile:*fib /srv/app/fib.js:3     ← recompiled at the same place: this one wins
//
// lookup(0x7f3a1c000050) → "LazyCompile:*fib /srv/app/fib.js:3"
// lookup(0x7f3a1c0000b8) → nil (past jit_hot_loop's 0x18 bytes)

/// The symbols of a process's JIT-compiled code from its perf map file, `/tmp/perf-PID.map`:
/// the convention of perf (tools/perf/Documentation/jit-interface.txt) that Node's
/// `--perf-basic-prof`, the JVM's perf-map-agent, CPython's `-X perf`, .NET and LuaJIT follow.
///
/// Shape: one symbol per line, `START SIZE NAME`, START and SIZE in hex with or without `0x`,
/// NAME the rest of the line (it may hold spaces). Lines without that shape are skipped. JITs
/// append as they compile and reuse memory after freeing code, so where ranges overlap the line
/// written later wins, as perf does.
///
/// Complexity: parsing O(n log n); ``lookup(_:)`` O(log n).
public struct PerfMapTable: Sendable {
    public struct Symbol: Hashable, Sendable {
        public var start: UInt64
        public var size: UInt64
        public var name: String
    }

    /// Non-overlapping, sorted by start.
    public let symbols: [Symbol]

    /// Parses the text of a perf map file.
    public init(text: String) {
        var parsed: [Symbol] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let symbol = Self.parse(line) { parsed.append(symbol) }
        }
        symbols = Self.resolveOverlaps(parsed)
    }

    /// The symbol whose range holds `address`, nil when none does.
    public func lookup(_ address: UInt64) -> Symbol? {
        var low = 0
        var high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].start <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let symbol = symbols[low - 1]
        return address - symbol.start < max(symbol.size, 1) ? symbol : nil
    }

    public var isEmpty: Bool { symbols.isEmpty }

    private static func parse(_ line: Substring) -> Symbol? {
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        let fields = trimmed.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard fields.count == 3, let start = hex(fields[0]), let size = hex(fields[1]) else { return nil }
        var name = fields[2]
        while name.last == "\r" || name.last == " " { name = name.dropLast() }
        guard !name.isEmpty else { return nil }
        return Symbol(start: start, size: size, name: String(name))
    }

    private static func hex(_ field: Substring) -> UInt64? {
        let digits = field.hasPrefix("0x") || field.hasPrefix("0X") ? field.dropFirst(2) : field
        return UInt64(digits, radix: 16)
    }

    /// Later lines win where ranges overlap: a sweep over the range boundaries that keeps, for
    /// each piece, the covering symbol written last (a max-heap of file positions). O(n log n).
    private static func resolveOverlaps(_ symbols: [Symbol]) -> [Symbol] {
        let order = symbols.indices.sorted { (symbols[$0].start, $0) < (symbols[$1].start, $1) }
        // Fast path: most maps have no overlaps at all.
        var overlaps = false
        for (a, b) in zip(order, order.dropFirst()) where symbols[a].start &+ max(symbols[a].size, 1) > symbols[b].start {
            overlaps = true
            break
        }
        if !overlaps { return order.map { symbols[$0] } }

        func end(_ i: Int) -> UInt64 { symbols[i].start &+ max(symbols[i].size, 1) }
        var boundaries = Set<UInt64>()
        for i in symbols.indices {
            boundaries.insert(symbols[i].start)
            boundaries.insert(end(i))
        }
        let points = boundaries.sorted()
        var active = MaxHeap()
        var next = 0
        var result: [Symbol] = []
        for (point, following) in zip(points, points.dropFirst()) {
            while next < order.count && symbols[order[next]].start <= point {
                active.push(order[next])
                next += 1
            }
            while let top = active.top, end(top) <= point { active.pop() }
            guard let winner = active.top else { continue }
            if let last = result.last, last.name == symbols[winner].name, last.start &+ last.size == point {
                result[result.count - 1].size += following - point
            } else {
                result.append(Symbol(start: point, size: following - point, name: symbols[winner].name))
            }
        }
        return result
    }

    /// A binary max-heap of file positions.
    private struct MaxHeap {
        private var items: [Int] = []
        var top: Int? { items.first }

        mutating func push(_ item: Int) {
            items.append(item)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[parent] < items[child] else { break }
                items.swapAt(parent, child)
                child = parent
            }
        }

        mutating func pop() {
            guard !items.isEmpty else { return }
            items.swapAt(0, items.count - 1)
            items.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var largest = parent
                if left < items.count && items[left] > items[largest] { largest = left }
                if right < items.count && items[right] > items[largest] { largest = right }
                if largest == parent { break }
                items.swapAt(parent, largest)
                parent = largest
            }
        }
    }
}
