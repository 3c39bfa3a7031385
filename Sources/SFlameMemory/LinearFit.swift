// SPDX-License-Identifier: Apache-2.0
//
// Ordinary least squares of y on x, and its goodness of fit:
//
//   points (0, 10), (1, 12), (2, 14)  ──►  slope 2, intercept 10, R² 1
//   points (0, 5), (1, 5), (2, 5)     ──►  slope 0, intercept 5,  R² 1 (a flat line fits exactly)

/// A straight line fitted by least squares.
public struct LinearFit: Hashable, Sendable {
    /// dy/dx: bytes per second for memory over time.
    public var slope: Double
    /// y at x = 0.
    public var intercept: Double
    /// The coefficient of determination, 1 − SS_res / SS_tot, in 0…1: the share of y's variance
    /// the line explains. 1 when y does not vary at all (the line fits exactly).
    public var rSquared: Double
    /// Points used.
    public var count: Int

    public init(slope: Double, intercept: Double, rSquared: Double, count: Int) {
        self.slope = slope
        self.intercept = intercept
        self.rSquared = rSquared
        self.count = count
    }

    /// Fits y = intercept + slope·x. Nil for fewer than two points or when every x is equal.
    ///
    /// Complexity: O(n), two passes (means first, for numerical stability with large byte
    /// counts and monotonic timestamps).
    public static func fit(_ points: [(x: Double, y: Double)]) -> LinearFit? {
        let n = Double(points.count)
        guard points.count >= 2 else { return nil }
        let meanX = points.reduce(0) { $0 + $1.x } / n
        let meanY = points.reduce(0) { $0 + $1.y } / n
        var sxx = 0.0
        var sxy = 0.0
        var syy = 0.0
        for p in points {
            let dx = p.x - meanX
            let dy = p.y - meanY
            sxx += dx * dx
            sxy += dx * dy
            syy += dy * dy
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        let intercept = meanY - slope * meanX
        var residual = 0.0
        for p in points {
            let e = p.y - (intercept + slope * p.x)
            residual += e * e
        }
        let r2 = syy > 0 ? max(0, min(1, 1 - residual / syy)) : 1
        return LinearFit(slope: slope, intercept: intercept, rSquared: r2, count: points.count)
    }
}
