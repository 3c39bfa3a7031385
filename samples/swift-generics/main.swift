// SPDX-License-Identifier: Apache-2.0
//
// swift-generics: CPU-bound Swift with a generic struct, a generic function taking a closure, and
// closures, built with -Onone so generic code stays unspecialized (as in libraries called across
// modules):
//   main -> runRounds -> drive<A>(_:rounds:body:) -> closure #1 -> Accumulator<UInt64>.mix   (≈ 75 %)
//   main -> runRounds -> drive<A>(_:rounds:body:) -> closure #2 -> Accumulator<UInt32>.fold  (≈ 25 %)
// Usage: swift-generics [SECONDS] (0 or absent: no limit). Prints "ready" once running.
import Foundation

struct Accumulator<T: FixedWidthInteger> {
    var value: T

    // The loops use concrete UInt64 arithmetic (transparent, so it stays in these functions even
    // at -Onone) and convert from and to T once per call.
    @inline(never)
    mutating func mix(_ rounds: Int) {
        var x = UInt64(truncatingIfNeeded: value)
        var i = 0
        while i < rounds {
            x = x &* 6_364_136_223_846_793_005 &+ UInt64(truncatingIfNeeded: i)
            i &+= 1
        }
        value = T(truncatingIfNeeded: x)
    }

    @inline(never)
    mutating func fold(_ rounds: Int) {
        var x = UInt64(truncatingIfNeeded: value)
        var i = 0
        while i < rounds {
            x = (x ^ UInt64(truncatingIfNeeded: i)) &* 1_442_695_040_888_963_407
            i &+= 1
        }
        value = T(truncatingIfNeeded: x)
    }
}

@inline(never)
func drive<T: FixedWidthInteger>(_ start: T, rounds: Int, body: (inout Accumulator<T>, Int) -> Void) -> T {
    var accumulator = Accumulator(value: start)
    body(&accumulator, rounds)
    return accumulator.value
}

@inline(never)
func runRounds(seconds: Double) -> UInt64 {
    let unit = 2_000_000
    let end = seconds > 0 ? Date().addingTimeInterval(seconds) : Date.distantFuture
    var total: UInt64 = 0
    while Date() < end {
        total &+= drive(UInt64(7), rounds: 3 * unit) { accumulator, rounds in accumulator.mix(rounds) }
        total &+= UInt64(drive(UInt32(3), rounds: unit) { accumulator, rounds in accumulator.fold(rounds) })
    }
    return total
}

let seconds = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 0 : 0
print("ready")
fflush(stdout)
print(runRounds(seconds: seconds) == 42 ? "" : "done")
