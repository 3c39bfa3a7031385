// SPDX-License-Identifier: Apache-2.0
//
// The call tree of both profiles merged, with each node's weight in BEFORE and AFTER rolled up
// from the stacks that pass through it:
//
//   stacks (BEFORE AFTER)     nodes, preorder              before after  delta (scale 1)
//   m;parse 20 40             all                            100   100     0
//   m;poll 50 30              m                              100   100     0
//   m;render 30 30              parse                         20    40   +20
//                               poll                          50    30   −20
//                               render                        30    30     0
//
// A node's delta is its own (self) delta plus the sum of its children's, so the callers of a
// changed leaf show the change too.

/// The merged call tree of a `ProfileDiff`.
///
/// Shape: parallel arrays indexed by node, in preorder (a parent before its children, siblings
/// sorted by name bytewise). Node 0 is the root ("all"), spanning both totals. A node exists
/// when either profile has a stack through it.
public struct DiffTree: Sendable {
    /// Distinct frame names, sorted bytewise.
    public let names: [String]
    /// Per node: its index in `names`, or -1 for the root.
    public private(set) var nameIndex: [Int32]
    /// Per node: 0 for the root, 1 for the stacks' first frames, and so on.
    public private(set) var depth: [Int32]
    /// Per node: its parent's index; -1 for the root.
    public private(set) var parent: [Int32]
    /// Per node: BEFORE's weight of the stacks that pass through it.
    public private(set) var baselineWeight: [Int64]
    /// Per node: AFTER's weight of the stacks that pass through it.
    public private(set) var comparisonWeight: [Int64]
    /// Per node: BEFORE's weight of the stacks that end in it.
    public private(set) var baselineSelfWeight: [Int64]
    /// Per node: AFTER's weight of the stacks that end in it.
    public private(set) var comparisonSelfWeight: [Int64]
    /// The factor applied to baseline weights in `delta` (`NormalizationDecision.baselineScale`).
    public let baselineScale: Double

    /// The number of nodes, the root included.
    public var count: Int { nameIndex.count }

    /// The change through node `i`, in AFTER's units: AFTER − BEFORE × `baselineScale`.
    public func delta(_ i: Int) -> Double {
        Double(comparisonWeight[i]) - Double(baselineWeight[i]) * baselineScale
    }

    /// The change of the stacks that end in node `i`.
    public func selfDelta(_ i: Int) -> Double {
        Double(comparisonSelfWeight[i]) - Double(baselineSelfWeight[i]) * baselineScale
    }

    /// Node `i`'s name; "all" for the root.
    public func name(_ i: Int) -> String { nameIndex[i] < 0 ? "all" : names[Int(nameIndex[i])] }

    /// Builds the tree by one pass over sorted stacks, extending the previous stack's path along
    /// the common prefix (equal stacks follow one another and end in the same node), then rolls
    /// the weights up with one backward pass: in preorder a child comes after its parent.
    ///
    /// - Complexity: O(F + N) for F frames and N nodes.
    init(_ table: StackTable, baselineScale: Double) {
        names = table.names
        self.baselineScale = baselineScale
        var nameIndex: [Int32] = [-1]
        var depth: [Int32] = [0]
        var parent: [Int32] = [-1]
        var baselineSelf: [Int64] = [0]
        var comparisonSelf: [Int64] = [0]
        // At most one node per frame; reserving avoids regrowing large arrays.
        let capacity = table.ids.count + 1
        nameIndex.reserveCapacity(capacity)
        depth.reserveCapacity(capacity)
        parent.reserveCapacity(capacity)
        baselineSelf.reserveCapacity(capacity)
        comparisonSelf.reserveCapacity(capacity)
        var path: [Int32] = []  // node index at depth k + 1 of the previous stack
        // Unsafe buffers: this loop visits every frame of both profiles; the ranges come from
        // the table's offsets.
        table.ids.withUnsafeBufferPointer { ids in
            table.offsets.withUnsafeBufferPointer { offsets in
                var previous = 0..<0
                for s in table.order {
                    let current = offsets[s]..<offsets[s + 1]
                    var common = 0
                    let limit = min(current.count, previous.count, path.count)
                    while common < limit && ids[current.lowerBound + common] == ids[previous.lowerBound + common] {
                        common += 1
                    }
                    path.removeLast(path.count - common)
                    for k in common..<current.count {
                        parent.append(path.last ?? 0)
                        path.append(Int32(nameIndex.count))
                        nameIndex.append(ids[current.lowerBound + k])
                        depth.append(Int32(k + 1))
                        baselineSelf.append(0)
                        comparisonSelf.append(0)
                    }
                    let leaf = Int(path.last!)
                    baselineSelf[leaf] += table.baseline[s]
                    comparisonSelf[leaf] += table.comparison[s]
                    previous = current
                }
            }
        }
        var baselineTotal = baselineSelf
        var comparisonTotal = comparisonSelf
        for node in stride(from: parent.count - 1, through: 1, by: -1) {
            let p = Int(parent[node])
            baselineTotal[p] += baselineTotal[node]
            comparisonTotal[p] += comparisonTotal[node]
        }
        self.nameIndex = nameIndex
        self.depth = depth
        self.parent = parent
        baselineSelfWeight = baselineSelf
        comparisonSelfWeight = comparisonSelf
        baselineWeight = baselineTotal
        comparisonWeight = comparisonTotal
    }

    /// Visits the nodes in preorder with the path of node indices from the root's child down to
    /// the node (the node last).
    func forEachPath(_ body: (_ node: Int, _ path: [Int]) -> Void) {
        var path: [Int] = []
        for node in 1..<count {
            path.removeLast(path.count - Int(depth[node]) + 1)
            path.append(node)
            body(node, path)
        }
    }
}
