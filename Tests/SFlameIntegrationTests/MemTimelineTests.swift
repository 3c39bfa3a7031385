// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// `sflame mem` (the /proc timeline) on samples whose memory behaviour is known by construction.
@Suite(.serialized) struct MemTimelineTests {
    static let mebibyte = 1_048_576.0

    @Test func aHeapGrowingAt2MiBPerSecondIsMeasuredWithin15PercentAndCalledGrowing() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("mem-grow"), arguments: ["2", "32"])
        let result = SFlameBinary.run([
            "mem", "--pid", "\(target.pid)", "-d", "5", "-o", dir.file("m.json"), "-o", dir.file("m.csv"),
            "-o", dir.file("m.svg"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try MemJSON(file: dir.file("m.json"))
        let slope = try #require(json.analysisNumber("rss_growth", "bytes_per_second"))
        #expect(abs(slope / (2 * Self.mebibyte) - 1) <= 0.15, "RSS slope \(slope / Self.mebibyte) MiB/s")
        let anonSlope = try #require(json.analysisNumber("anon_growth", "bytes_per_second"))
        #expect(abs(anonSlope / (2 * Self.mebibyte) - 1) <= 0.15, "anon slope \(anonSlope / Self.mebibyte) MiB/s")
        #expect(json.analysisString("verdict") == "growing")
        #expect(json.samples.count >= 40, "readings at 10 Hz for 5 s: \(json.samples.count)")
        // The steady 32 MiB region is there from the start; the heap is what grew.
        let firstRSS = try #require(json.samples.first?["rss"] as? Double)
        #expect(firstRSS >= 32 * Self.mebibyte)
        let growing = json.analysis["growing_mappings"] as? [[String: Any]] ?? []
        #expect(growing.first?["name"] as? String == "[heap]", "\(growing)")
        // Timestamps: monotonic, about 100 ms apart.
        let times = json.samples.compactMap { $0["t"] as? Double }
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 > $0 })
        #expect(result.standardError.contains("verdict: growing"))
        #expect(result.standardError.contains("[heap]"))
        // CSV: one row per reading, byte columns named with their unit.
        let csv = try String(contentsOfFile: dir.file("m.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.first?.hasPrefix("t_seconds,monotonic_ns,rss_bytes,rss_anon_bytes") == true)
        #expect(csv.count == json.samples.count + 1)
        // The chart: axes with units, a legend, the peak.
        let svg = try String(contentsOfFile: dir.file("m.svg"), encoding: .utf8)
        #expect(svg.contains("memory (MiB)") && svg.contains("time (s)") && svg.contains("peak "))
        #expect(target.state != nil && target.state != "T", "the target keeps running")
    }

    @Test func smapsReadingsOfAProcessWithManyMappingsStayWithinTheirCPUBudget() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("many-maps"), arguments: ["1000"])
        func smapsReadings(_ extra: [String]) throws -> Int {
            let result = SFlameBinary.run(
                ["mem", "--pid", "\(target.pid)", "--interval", "100ms", "-d", "3", "--smaps-every", "1"] + extra
                    + ["-o", dir.file("m.json")])
            #expect(result.status == 0, "\(result.standardError)")
            let match = try #require(result.standardError.firstMatch(of: /smaps read (\d+) times/))
            return try #require(Int(match.1))
        }
        // One smaps reading of 1,000 mappings costs milliseconds of kernel time: at 10 readings a
        // second with smaps asked for on each, the 0.25 % default budget spaces them over a second
        // apart (first, last and at most one between in 3 s); without the back-off, each of the ~30.
        let budgeted = try smapsReadings([])
        #expect(budgeted <= 4, "smaps readings within the default budget: \(budgeted)")
        let unbounded = try smapsReadings(["--smaps-cpu-budget", "100"])
        #expect(unbounded >= 10, "smaps readings without the back-off: \(unbounded)")
        let bad = SFlameBinary.run(["mem", "--pid", "\(target.pid)", "--smaps-cpu-budget", "0", "-o", dir.file("x.json")])
        #expect(bad.status != 0 && bad.standardError.contains("--smaps-cpu-budget"), "\(bad.standardError)")
    }

    @Test func aFlatProcessIsCalledSteady() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("mem-grow"), arguments: ["0", "32"])
        let result = SFlameBinary.run(["mem", "--pid", "\(target.pid)", "-d", "3", "-o", dir.file("m.json")])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try MemJSON(file: dir.file("m.json"))
        #expect(json.analysisString("verdict") == "steady", "\(json.analysis)")
        let slope = try #require(json.analysisNumber("rss_growth", "bytes_per_second"))
        #expect(abs(slope) < 0.1 * Self.mebibyte)
    }

    @Test func aLaunchedCommandIsWatchedUntilItExits() throws {
        let dir = try TemporaryDirectory()
        let result = SFlameBinary.run([
            "mem", "--interval", "50ms", "-o", dir.file("m.json"), "--", try Samples.path("mem-grow"), "4", "8", "1.5",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("the target exited"))
        let json = try MemJSON(file: dir.file("m.json"))
        #expect(json.root["end"] as? String == "target_exited")
        #expect(json.root["interval_seconds"] as? Double == 0.05)
        #expect(json.samples.count >= 15, "\(json.samples.count) readings")
        #expect((json.root["command"] as? [String])?.last == "1.5")
    }

    @Test func aTargetExitingMidRunEndsItCleanlyWithTheReadingsSoFar() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("mem-grow"), arguments: ["1", "8", "1.5"])
        let result = SFlameBinary.run(["mem", "--pid", "\(target.pid)", "-d", "30", "-o", dir.file("m.csv")])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("the target exited"))
        let rows = try String(contentsOfFile: dir.file("m.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count >= 5)
    }

    @Test func pageFaultsShowWhereMemoryIsFirstTouched() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("mem-grow"), arguments: ["8", "1"])
        let result = SFlameBinary.run([
            "mem", "--pid", "\(target.pid)", "--page-faults", "-d", "2", "-o", dir.file("f.folded"), "-o",
            dir.file("f.svg"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let folded = try FoldedStacks(file: dir.file("f.folded"))
        // grow_heap touches 8 MiB/s (2,048 pages/s); nothing else in the process faults.
        #expect(folded.total > 1000, "page faults: \(folded.total)")
        #expect(folded.share(containing: ["main", "grow_heap"]) >= 0.8, "grow_heap share")
        #expect(try String(contentsOfFile: dir.file("f.svg"), encoding: .utf8).contains("grow_heap"))
    }
}

/// A `sflame mem` JSON output, parsed.
struct MemJSON {
    var root: [String: Any]

    init(file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        root = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    var samples: [[String: Any]] { root["samples"] as? [[String: Any]] ?? [] }
    var analysis: [String: Any] { root["analysis"] as? [String: Any] ?? [:] }

    func analysisNumber(_ object: String, _ key: String) -> Double? {
        (analysis[object] as? [String: Any])?[key] as? Double
    }

    func analysisString(_ key: String) -> String? { analysis[key] as? String }
}
