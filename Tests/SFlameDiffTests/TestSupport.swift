// SPDX-License-Identifier: Apache-2.0
import SFlameProfile

/// A profile from `("a;b;c", weight)` pairs.
func profile(_ lines: [(String, Int64)]) -> FoldedProfile {
    FoldedProfile(
        stacks: lines.map {
            FoldedStack(
                frames: $0.0.split(separator: ";", omittingEmptySubsequences: false).map(String.init), weight: $0.1)
        })
}

/// A seeded generator (SplitMix64), so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// A random profile: stacks of depth 1…8 over a small alphabet (so names repeat, recursion
/// included), some repeated, some with weight 0, all under one of two roots.
func randomProfile(_ rng: inout SeededGenerator, stacks: Int = 60) -> FoldedProfile {
    let alphabet = [
        "main", "parse", "lex", "render", "poll", "alloc", "free", "a;b".replacingOccurrences(of: ";", with: "_"), "λ",
        "x y",
    ]
    var out: [FoldedStack] = []
    for _ in 0..<stacks {
        var frames = [Bool.random(using: &rng) ? "svc" : "worker"]
        for _ in 0..<Int.random(in: 0...7, using: &rng) { frames.append(alphabet.randomElement(using: &rng)!) }
        out.append(FoldedStack(frames: frames, weight: Int64.random(in: 0...20, using: &rng)))
    }
    if out.allSatisfy({ $0.weight == 0 }) { out[0].weight = 1 }
    return FoldedProfile(stacks: out)
}
