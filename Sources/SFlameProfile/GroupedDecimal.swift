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
