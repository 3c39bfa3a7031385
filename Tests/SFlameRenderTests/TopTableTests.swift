// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import SFlameRender

/// The percentages of `sflame report`'s table.
@Suite struct TopTableTests {
    @Test func percentagesKeepTheirSign() {
        #expect(TopTable.percent(1234, 10_000) == " 12.34%")
        #expect(TopTable.percent(5, 10_000) == "  0.05%")
        // A diff profile (pprof -diff_base) has negative values: "-4.-64%" before.
        #expect(TopTable.percent(-464, 10_000) == " -4.64%")
        #expect(TopTable.percent(-5, 10_000) == " -0.05%")
        #expect(TopTable.percent(3, 0) == "      -")
    }

    @Test func aCountOfOneIsSingular() {
        #expect(TopTable.unit("samples", count: 1) == "sample" && TopTable.unit("samples", count: 2) == "samples")
        #expect(TopTable.unit("bytes", count: 1) == "byte" && TopTable.unit("ns", count: 1) == "ns")
    }
}
