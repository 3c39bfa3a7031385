// SPDX-License-Identifier: Apache-2.0
//
// Self and total weight per function of a profile, as `pprof -top` and `perf report
// --no-children`/`--children` count them:
//
//   samples (leaf first)          self   total
//   [hot_a, path_a, main]  ×3     hot_a 3  hot_a 3, path_a 3, main 4
//   [main]                 ×1     main  1
//
// A sample's self weight goes to its innermost frame (the first line of its first location);
// its total weight goes once to every distinct function on its stack, inlined ones included,
// so recursion does not count twice.

extension Profile {
    /// Whether the sizes of the values of sample type `sampleTypeIndex` add up to no more than
    /// `Int64.max`. Then no sum of them overflows: not the total, nor a function's self or
    /// total weight, nor a running sum of self weights (`sflame report` checks it first).
    public func valuesFitInt64(sampleTypeIndex: Int) -> Bool {
        var sum: UInt64 = 0
        for sample in samples where sampleTypeIndex < sample.values.count {
            let (next, overflow) = sum.addingReportingOverflow(sample.values[sampleTypeIndex].magnitude)
            if overflow || next > UInt64(Int64.max) { return false }
            sum = next
        }
        return true
    }

    /// The 100 % of `sflame report`'s percentages, as `pprof -top` computes it: the sum of the
    /// sizes of the values, over the samples of the base profile (those with the label
    /// `pprof::base`, which `pprof -diff_base` adds) when there are any. Without negative
    /// values or base samples, the plain total. Check `valuesFitInt64` first: the sum wraps
    /// past `Int64.max`.
    public func percentageBase(sampleTypeIndex: Int) -> Int64 {
        var all: Int64 = 0
        var base: Int64 = 0
        for sample in samples where sampleTypeIndex < sample.values.count {
            let size = Int64(truncatingIfNeeded: sample.values[sampleTypeIndex].magnitude)
            if sample.labels.contains(where: { $0.key == "pprof::base" }) {
                base &+= size
            } else {
                all &+= size
            }
        }
        return base > 0 ? base : all
    }

    /// Self and total weight per function name, sorted by the size of the self (or total)
    /// weight descending, then by name: as `pprof -top` sorts, so that in a difference of two
    /// profiles (negative values) the largest changes either way come first.
    ///
    /// - Parameters:
    ///   - sampleTypeIndex: the value to add up; nil for the default sample type.
    ///   - sortedBySelf: sort by self weight (true) or by total weight.
    /// - Complexity: O(total stack depth), with each location's names computed once.
    public func functionTotals(sampleTypeIndex: Int? = nil, sortedBySelf: Bool = true) -> [FunctionTotals] {
        let valueIndex = sampleTypeIndex ?? defaultSampleTypeIndex
        // Names by location, innermost first, and the name ids they intern to.
        var names = NameTable()
        var locationNames = [[Int32]?](repeating: nil, count: locations.count)
        let plain = FoldOptions(processRoot: false, annotate: false)
        var selfWeights: [Int64] = []
        var totalWeights: [Int64] = []
        var lastSeen: [Int] = []
        for (s, sample) in samples.enumerated() where valueIndex < sample.values.count {
            let value = sample.values[valueIndex]
            var isLeaf = true
            for id in sample.locationIDs {
                let index = Int(id.rawValue) - 1
                let ids: [Int32]
                if let cached = locationNames[index] {
                    ids = cached
                } else {
                    // frameNames is root first; reverse to innermost first.
                    ids = frameNames(of: locations[index], options: plain).reversed().map { names.intern($0) }
                    locationNames[index] = ids
                }
                while selfWeights.count < names.count {
                    selfWeights.append(0)
                    totalWeights.append(0)
                    lastSeen.append(-1)
                }
                for name in ids {
                    let n = Int(name)
                    if isLeaf {
                        selfWeights[n] &+= value
                        isLeaf = false
                    }
                    if lastSeen[n] != s {
                        lastSeen[n] = s
                        totalWeights[n] &+= value
                    }
                }
            }
        }
        var out: [FunctionTotals] = []
        for n in 0..<totalWeights.count where totalWeights[n] != 0 || selfWeights[n] != 0 {
            out.append(FunctionTotals(name: names[Int32(n)], selfWeight: selfWeights[n], totalWeight: totalWeights[n]))
        }
        out.sort { FunctionTotals.ranksBefore($0, $1, bySelf: sortedBySelf) }
        return out
    }
}
