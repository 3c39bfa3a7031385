// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameKernelFormats
import Testing

@testable import SFlameMemory

@Suite struct MemorySampleTests {
    @Test func smapsReadingsBackOffToStayWithinTheirCPUBudget() {
        let options = MemoryTimelineOptions(
            target: .processes([1]), intervalSeconds: 0.1, smapsEvery: 10, smapsCPUBudget: 0.0025)
        // Cheap readings (a small process): every 10 intervals, as asked.
        #expect(options.smapsSpacing(afterReadingCostingCPUSeconds: 0.0001) == 10)
        // 4 ms per reading at a 0.25 % budget: one reading per 1.6 s, i.e. every 16 intervals.
        #expect(options.smapsSpacing(afterReadingCostingCPUSeconds: 0.004) == 16)
        // A huge process (60 ms per reading): every 24 s.
        #expect(options.smapsSpacing(afterReadingCostingCPUSeconds: 0.06) == 240)
        // A budget of 100 % never backs off below the asked spacing.
        let unbounded = MemoryTimelineOptions(target: .processes([1]), intervalSeconds: 0.01, smapsEvery: 1, smapsCPUBudget: 1)
        #expect(unbounded.smapsSpacing(afterReadingCostingCPUSeconds: 0.004) == 1)
    }

    @Test func statusFieldsInBytesAndAbsentFieldsStayAbsent() {
        // A kernel before 4.5 prints no RssAnon/RssFile/RssShmem.
        let status = ProcKeyValues.parse(
            "Name:\tapi\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nVmSwap:\t 0 kB\nThreads:\t7\n")
        var s = MemorySample(time: 0)
        s.add(status: status)
        #expect(s[.rss] == 1_048_576 && s[.vmHWM] == 2_097_152 && s[.vmSwap] == 0 && s[.threads] == 7)
        #expect(s[.rssAnon] == nil && s[.rssFile] == nil, "absent, not zero")
    }

    @Test func rollupFields() {
        let rollup = ProcKeyValues.parse(
            "56515daff000-7ffd84cac000 ---p 00000000 00:00 0 [rollup]\nRss: 1616 kB\nPss: 284 kB\nPss_Anon: 116 kB\n"
                + "Pss_File: 168 kB\nPss_Shmem: 0 kB\nPrivate_Dirty: 116 kB\nSwap: 0 kB\nSwapPss: 0 kB\n")
        var s = MemorySample(time: 0)
        s.add(smapsRollup: rollup)
        #expect(s[.pss] == 284 * 1024 && s[.pssAnon] == 116 * 1024 && s[.pssFile] == 168 * 1024)
        #expect(s[.privateDirty] == 116 * 1024 && s[.swapPss] == 0)
        #expect(s[.rss] == nil, "RSS comes from status")
    }

    @Test func summingSmapsStandsInForAMissingRollup() throws {
        let entries = try ProcSmaps.parse(
            """
            00400000-00401000 r-xp 00000000 08:01 12 /bin/a
            Rss: 4 kB
            Pss: 2 kB
            Private_Dirty: 0 kB
            01000000-01021000 rw-p 00000000 00:00 0 [heap]
            Rss: 100 kB
            Pss: 100 kB
            Private_Dirty: 100 kB
            Swap: 8 kB
            """)
        var s = MemorySample(time: 0)
        s.add(summing: entries)
        #expect(s[.pss] == 102 * 1024 && s[.privateDirty] == 100 * 1024 && s[.swap] == 8 * 1024)
        #expect(s[.swapPss] == nil && s[.pssAnon] == nil, "no mapping printed them")
    }
}

@Suite struct MappingUsageTests {
    @Test func mappingsAreGroupedByFileAndKind() throws {
        let entries = try ProcSmaps.parse(
            """
            55d0c3a00000-55d0c3a02000 r--p 00000000 08:01 1311 /usr/lib/libx.so
            Size: 8 kB
            Rss: 8 kB
            Anonymous: 0 kB
            55d0c3a02000-55d0c3a04000 rw-p 00002000 08:01 1311 /usr/lib/libx.so
            Size: 8 kB
            Rss: 4 kB
            Anonymous: 4 kB
            55d0c4000000-55d0c4100000 rw-p 00000000 00:00 0 [heap]
            Rss: 512 kB
            7f0000000000-7f0000100000 rw-p 00000000 00:00 0
            Rss: 64 kB
            7f0000100000-7f0000200000 rw-p 00000000 00:00 0
            Rss: 32 kB
            7f0000200000-7f0000300000 rw-p 00000000 00:00 0 [anon:arena]
            Rss: 16 kB
            7ffd1000-7ffd3000 rw-p 00000000 00:00 0 [stack]
            Rss: 8 kB
            7ffd5000-7ffd6000 rw-p 00000000 00:00 0 [stack:4243]
            Rss: 4 kB
            7ffd9000-7ffda000 r-xp 00000000 00:00 0 [vdso]
            Rss: 4 kB
            """)
        let groups = MappingUsage.groups(entries)
        #expect(groups["/usr/lib/libx.so"]?.mappings == 2)
        #expect(groups["/usr/lib/libx.so"]?.rss == 12 * 1024 && groups["/usr/lib/libx.so"]?.anonymous == 4 * 1024)
        #expect(groups["/usr/lib/libx.so"]?.size == 16 * 1024)
        #expect(groups["[heap]"]?.kind == .heap && groups["[heap]"]?.rss == 512 * 1024)
        #expect(groups["[heap]"]?.size == nil, "Size not printed: absent")
        #expect(groups["[anon]"]?.rss == 96 * 1024 && groups["[anon]"]?.mappings == 2)
        #expect(groups["[anon:arena]"]?.kind == .anonymous)
        #expect(groups["[stack]"]?.rss == 12 * 1024 && groups["[stack]"]?.mappings == 2)
        #expect(groups["[vdso]"]?.kind == .other)
    }
}

@Suite struct TimelineExportTests {
    func timeline() -> MemoryTimeline {
        var t = MemoryTimeline(pid: 42, processName: "api \"v2\"", intervalSeconds: 0.1, smapsEvery: 10)
        t.samples = [
            MemorySample(time: 0, monotonicNanoseconds: 1_000, values: [.rss: 4096, .threads: 3]),
            MemorySample(time: 0.1, monotonicNanoseconds: 100_001_000, values: [.rss: 8192, .pss: 100, .threads: 3]),
        ]
        return t
    }

    @Test func csvHasAColumnPerPresentFieldAndEmptyCellsForAbsentValues() {
        let csv = timeline().csv()
        #expect(csv == "t_seconds,monotonic_ns,rss_bytes,threads,pss_bytes\n0,1000,4096,3,\n0.1,100001000,8192,3,100\n")
    }

    @Test func jsonParsesAndKeepsTheAnalysis() throws {
        let t = timeline()
        let text = t.json(analysis: MemoryAnalysis(t))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["format"] as? String == "sflame-memory-timeline/1")
        #expect(object["process_name"] as? String == "api \"v2\"")
        let samples = try #require(object["samples"] as? [[String: Any]])
        #expect(samples.count == 2 && samples[0]["pss"] == nil && samples[1]["pss"] as? Int == 100)
        let fields = try #require(object["fields"] as? [String: [String: String]])
        #expect(fields["rss"]?["key"] == "VmRSS" && fields["rss"]?["unit"] == "bytes")
        #expect(fields["threads"]?["unit"] == "count")
        let analysis = try #require(object["analysis"] as? [String: Any])
        #expect(analysis["verdict"] as? String == "inconclusive")
        #expect((analysis["series"] as? [String: Any])?["rss"] != nil)
    }

    @Test func jsonStringsAreEscaped() {
        #expect(JSONText.quoted("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\u0001\"")
        var j = JSONText()
        j.object { j in
            j.key("a")
            j.array { j in
                j.number(1)
                j.number(2.5)
                j.null()
            }
            j.key("b")
            j.bool(true)
        }
        #expect(j.text == "{\"a\":[1,2.5,null],\"b\":true}")
    }
}
