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
    /// Self and total weight per function name, sorted by self (or total) weight descending,
    /// then by name.
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
        out.sort {
            let (a, b) = sortedBySelf ? ($0.selfWeight, $1.selfWeight) : ($0.totalWeight, $1.totalWeight)
            if a != b { return a > b }
            return $0.name < $1.name
        }
        return out
    }
}
