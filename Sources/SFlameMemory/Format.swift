// SPDX-License-Identifier: Apache-2.0
import SFlameProfile
//
// Numbers for people, in binary units as the kernel counts them:
//
//   Format.bytes(1536)             ──► "1.5 KiB"
//   Format.bytes(10_485_760)       ──► "10.0 MiB"
//   Format.signedBytes(-2_097_152) ──► "-2.0 MiB"
//   Format.seconds(4.96)           ──► "5.0 s"

/// Human-readable sizes, rates and durations for reports.
public enum Format {
    /// A byte count with one decimal in B, KiB, MiB, GiB or TiB.
    public static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = abs(value)
        var unit = 0
        while v >= 1024 && unit < units.count - 1 {
            v /= 1024
            unit += 1
        }
        let sign = value < 0 ? "-" : ""
        return unit == 0 ? "\(sign)\(Int(v.rounded())) B" : "\(sign)\(decimal(v, places: 1)) \(units[unit])"
    }

    public static func bytes<T: BinaryInteger>(_ value: T) -> String { bytes(Double(value)) }

    /// Like `bytes`, with a `+` for positive values.
    public static func signedBytes(_ value: Double) -> String { (value > 0 ? "+" : "") + bytes(value) }

    /// Seconds with one decimal: "5.0 s".
    public static func seconds(_ value: Double) -> String { "\(decimal(value, places: 1)) s" }

    /// A fixed-point decimal without locale: decimal(3.14159, places: 2) == "3.14".
    public static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard scaled < 9e18 else { return "\(sign)\(abs(value))" }
        let integer = UInt64(scaled)
        let divisor = UInt64(scale)
        if places == 0 { return "\(sign)\(integer)" }
        let fraction = String(integer % divisor)
        return "\(sign)\(integer / divisor).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
    }

    /// A count with thousands separators: 12,004.
    public static func grouped<T: BinaryInteger>(_ n: T) -> String {
        groupedDecimal(n)
    }

    /// A share as a percentage with one decimal: 0.753 → "75.3%".
    public static func percent(_ share: Double) -> String { "\(decimal(share * 100, places: 1))%" }
}
