// SPDX-License-Identifier: Apache-2.0

/// An integer as decimal text with a comma between groups of three digits, the way sflame's
/// reports print counts: 12004 → "12,004", -1500 → "-1,500".
public func groupedDecimal<T: BinaryInteger>(_ n: T) -> String {
    let digits = String(n.magnitude)
    var out = ""
    out.reserveCapacity(digits.count + digits.count / 3 + 1)
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return n < 0 ? "-" + out : out
}

/// `value` rounded to `decimals` places as locale-independent text: (20.0456, 2) → "20.05";
/// "-0.00" is printed as "0.00", non-finite values as "nan", "inf" and "-inf". `printf`'s
/// `%.Nf` without Foundation.
public func fixedDecimal(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value.magnitude * scale).rounded()
    guard scaled < 9e15 else { return String(value) }
    let units = Int64(scaled)
    let sign = value < 0 && units != 0 ? "-" : ""
    let whole = units / Int64(scale)
    guard decimals > 0 else { return sign + String(whole) }
    var fraction = String(units % Int64(scale))
    fraction = String(repeating: "0", count: decimals - fraction.count) + fraction
    return "\(sign)\(whole).\(fraction)"
}
