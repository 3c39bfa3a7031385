// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import SFlameProfile

@Suite struct FoldingTests {
    /// A recorded-style profile: kernel, inlined and unsymbolized frames, labels.
    func recordedProfile() -> Profile {
        var b = ProfileBuilder(sampleTypes: [.samples, .cpuNanoseconds])
        let app = b.addMapping(start: 0, limit: 0, fileOffset: 0, filename: "/usr/bin/app")
        let lib = b.addMapping(start: 0, limit: 0, fileOffset: 0, filename: "/usr/lib/libz.so.1")
        let kernel = b.addMapping(start: 0, limit: 0, fileOffset: 0, filename: "[kernel.kallsyms]")
        let main = b.location(mappingID: app, address: 0x10, lines: [Line(functionID: b.function(name: "main"))])
        // helper inlined into work: lines innermost first.
        let work = b.location(mappingID: app, address: 0x20, lines: [
            Line(functionID: b.function(name: "helper")), Line(functionID: b.function(name: "work")),
        ])
        let unknown = b.location(mappingID: lib, address: 0x30, lines: [])
        let sys = b.location(mappingID: kernel, address: 0xffff_0000, lines: [Line(functionID: b.function(name: "do_syscall_64"))])
        let labels = [Label(key: "pid", number: 4), Label(key: "tid", number: 5), Label(key: "thread_name", string: "worker"),
                      Label(key: "process_name", string: "app")]
        b.addSample(locationIDs: [sys, unknown, work, main], values: [3, 30], labels: labels)
        b.addSample(locationIDs: [work, main], values: [1, 10], labels: labels)
        b.addSample(locationIDs: [work, main], values: [2, 20], labels: labels)
        return b.profile
    }

    /// Names from pprof or speedscope may hold `;` or line breaks: folded, they stay one frame
    /// and the text reads back.
    @Test func separatorsInNamesStayInOneFrame() throws {
        var builder = ProfileBuilder(sampleTypes: [ValueType(type: "samples", unit: "count")])
        let odd = builder.location(lines: [Line(functionID: builder.function(name: "a;b\nc"), line: 0)])
        let main = builder.location(lines: [Line(functionID: builder.function(name: "main"), line: 0)])
        builder.addSample(locationIDs: [odd, main], values: [3])
        let text = builder.profile.folded(options: FoldOptions(processRoot: false, annotate: false)).text()
        #expect(text == "main;a:b c 3\n")
        #expect(try FoldedProfile.parse(text).profile.stacks.first?.frames == ["main", "a:b c"])
    }

    @Test func foldingAnnotatesAndPutsTheProcessAtTheRoot() throws {
        let p = recordedProfile()
        try p.validate()
        #expect(p.samples.count == 2, "equal stacks with equal labels merge")
        #expect(p.folded().totalWeight == 60, "pprof's rule: without default_sample_type the last type is shown")
        #expect(p.folded(options: FoldOptions(sampleTypeIndex: 0)).text() == """
            app;main;work;helper_[i] 3
            app;main;work;helper_[i];[libz.so.1];do_syscall_64_[k] 3

            """)
        #expect(p.folded(options: FoldOptions(sampleTypeIndex: 0, perThread: true)).text()
            .hasPrefix("app;worker-5;main;work;helper_[i] 3\n"))
        var q = p
        q.defaultSampleType = "samples"
        #expect(q.folded().totalWeight == 6)
        let plain = p.folded(options: FoldOptions(sampleTypeIndex: 0, processRoot: false, annotate: false, unknownAddresses: true))
        #expect(plain.text().contains("main;work;helper;[libz.so.1 <30>];do_syscall_64 3"))
    }

    @Test func foldedToProfileAndBackIsTheIdentity() throws {
        let folded = try FoldedProfile.parse("a;b;c 3\na;b 2\nx;a;b 1\n").profile
        let profile = folded.profile()
        try profile.validate()
        #expect(profile.functions.count == 4)
        let back = profile.folded(options: FoldOptions(processRoot: false, annotate: false))
        #expect(back.text() == folded.text())
    }

    @Test func functionTotalsHoldTheirInvariants() throws {
        let folded = try FoldedProfile.parse("r;a;b;a 3\nr;a;c 2\nr;b 5\n").profile
        let totals = folded.functionTotals()
        let byName = Dictionary(uniqueKeysWithValues: totals.map { ($0.name, $0) })
        #expect(byName["a"]?.selfWeight == 3 && byName["a"]?.totalWeight == 5, "recursion counts once")
        #expect(byName["b"]?.selfWeight == 5 && byName["b"]?.totalWeight == 8)
        #expect(byName["r"]?.totalWeight == 10 && byName["r"]?.selfWeight == 0)
        #expect(totals.allSatisfy { $0.selfWeight <= $0.totalWeight })
        #expect(totals.map(\.selfWeight).reduce(0, +) == folded.totalWeight)
        #expect(totals.first?.name == "b", "sorted by self weight")
        #expect(folded.functionTotals(skippingRoots: 1).contains { $0.name == "r" } == false)
    }

    @Test func validateCatchesBrokenReferences() {
        var p = recordedProfile()
        p.samples[0].locationIDs.append(LocationID(99))
        #expect(throws: ProfileError.self) { try p.validate() }
        var q = recordedProfile()
        q.samples[0].values = [1]
        #expect(throws: ProfileError.self) { try q.validate() }
    }

    @Test func mappingKindsFollowPerfNames() {
        #expect(Mapping.kind(forFilename: "[kernel.kallsyms]") == .kernel)
        #expect(Mapping.kind(forFilename: "[nf_tables]") == .kernel)
        #expect(Mapping.kind(forFilename: "[vdso]") == .user)
        #expect(Mapping.kind(forFilename: "/tmp/perf-123.map") == .jit)
        #expect(Mapping.kind(forFilename: "//anon") == .jit)
        #expect(Mapping.kind(forFilename: "/usr/lib/libc.so.6") == .user)
    }

    @Test func buildIDHex() {
        #expect(BuildID(hex: "00ff10")?.bytes == [0, 255, 16])
        #expect(BuildID(hex: "00FF10")?.description == "00ff10")
        #expect(BuildID(hex: "abc") == nil)
        #expect(BuildID(hex: "zz") == nil)
    }
}
