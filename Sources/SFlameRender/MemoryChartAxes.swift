// SPDX-License-Identifier: Apache-2.0
//
// Axis scales for memory charts: "nice" tick steps (1, 2, 2.5, 5 × 10^k) and a binary unit for
// byte axes chosen from the largest value.
//
//   ChartScale.nice(maximum: 47.3, targetTicks: 6)   ──► step 10, ticks 0, 10, 20, 30, 40, 50
//   ByteUnit.forMaximum(47_000_000)                  ──► MiB (divisor 1,048,576)

/// A binary byte unit for an axis.
public struct ByteUnit: Hashable, Sendable {
    public var name: String
    public var divisor: Double

    public static let bytes = ByteUnit(name: "B", divisor: 1)
    public static let kibibytes = ByteUnit(name: "KiB", divisor: 1024)
    public static let mebibytes = ByteUnit(name: "MiB", divisor: 1_048_576)
    public static let gibibytes = ByteUnit(name: "GiB", divisor: 1_073_741_824)

    /// The largest unit in which `maximum` bytes is at least 1 (MiB for 47 MB; KiB below 1 MiB).
    public static func forMaximum(_ maximum: Double) -> ByteUnit {
        if maximum >= gibibytes.divisor { return .gibibytes }
        if maximum >= mebibytes.divisor { return .mebibytes }
        if maximum >= kibibytes.divisor { return .kibibytes }
        return .bytes
    }
}

/// Evenly spaced axis ticks from 0.
struct ChartScale: Hashable {
    /// The axis end (a multiple of `step`, at least the data maximum).
    var maximum: Double
    var step: Double

    var ticks: [Double] {
        let count = Int((maximum / step).rounded())
        return (0...max(count, 0)).map { Double($0) * step }
    }

    /// Ticks from 0 to at least `maximum`, about `targetTicks` of them, at 1, 2, 2.5 or 5 × 10^k
    /// (`multipliers`; time axes leave out 2.5).
    static func nice(maximum: Double, targetTicks: Int, multipliers: [Double] = [1, 2, 2.5, 5]) -> ChartScale {
        guard maximum > 0, maximum.isFinite else { return ChartScale(maximum: 1, step: 1) }
        let rough = maximum / Double(max(targetTicks, 1))
        var magnitude = 1.0
        while magnitude * 10 <= rough { magnitude *= 10 }
        while magnitude > rough { magnitude /= 10 }
        let step = (multipliers + [10]).map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
        let top = (maximum / step).rounded(.up) * step
        return ChartScale(maximum: top, step: step)
    }

    /// A tick label without needless decimals: 2.5, 10, 0.25.
    func label(_ value: Double) -> String {
        var decimals = 0
        var s = step
        while decimals < 4 && abs(s - s.rounded()) > 1e-9 {
            s *= 10
            decimals += 1
        }
        var buffer = SVGBuffer()
        buffer.appendFixed(value, decimals: decimals, trimZeros: true)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }
}
