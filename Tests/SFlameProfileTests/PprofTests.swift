// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import SFlameProfile

/// Profile ⇄ profile.proto, gzip, and errors that say where the bytes went wrong.
@Suite struct PprofTests {
    /// A profile that uses every field sflame writes.
    static func fullProfile() -> Profile {
        var b = ProfileBuilder(sampleTypes: [.samples, .cpuNanoseconds])
        let app = b.addMapping(
            start: 0x5555_0000_1000, limit: 0x5555_0000_9000, fileOffset: 0x1000, filename: "/usr/bin/app",
            buildID: "a32847d346cebbd5b8ddb39440c66405dc7ed1e7", hasFilenames: true, hasLineNumbers: true,
            hasInlineFrames: true)
        let kernel = b.addMapping(
            start: 0xffff_ffff_8100_0000, limit: 0xffff_ffff_8200_0000, fileOffset: 0xffff_ffff_8100_0000,
            filename: "[kernel.kallsyms]")
        let main = b.function(name: "main", systemName: "main", filename: "app.c", startLine: 10)
        let work = b.function(name: "work(int)", systemName: "_Z4worki", filename: "app.c", startLine: 20)
        let helper = b.function(name: "helper", filename: "util.h", startLine: 3)
        let sys = b.function(name: "do_syscall_64")
        let l1 = b.location(mappingID: app, address: 0x5555_0000_1100, lines: [Line(functionID: main, line: 12, column: 3)])
        let l2 = b.location(
            mappingID: app, address: 0x5555_0000_1200,
            lines: [Line(functionID: helper, line: 4), Line(functionID: work, line: 22)])
        let l3 = b.location(mappingID: kernel, address: 0xffff_ffff_8100_1234, lines: [Line(functionID: sys)])
        let l4 = b.location(mappingID: app, address: 0x5555_0000_1300, lines: [])
        let labels = [
            Label(key: Label.Key.pid, number: 42), Label(key: Label.Key.tid, number: 43),
            Label(key: Label.Key.threadName, string: "worker"), Label(key: Label.Key.processName, string: "app"),
            Label(key: "bytes", number: 512, unit: "bytes"),
        ]
        b.addSample(locationIDs: [l3, l2, l1], values: [3, 3_000_000], labels: labels)
        b.addSample(locationIDs: [l4, l1], values: [1, 1_000_000], labels: Array(labels.prefix(2)))
        var p = b.profile
        p.defaultSampleType = "samples"
        p.periodType = .cpuPeriod
        p.period = 10_101_010
        p.timeNanos = 1_700_000_000_123_456_789
        p.durationNanos = 5_000_000_000
        p.comments = ["sflame: event cpu-clock, 99 Hz", "sflame: 4 samples, 0 lost"]
        return p
    }

    /// perf.data is named as such, with what to run, not reported as a broken protobuf.
    @Test func perfDataIsNamed() {
        let bytes = Array("PERFILE2".utf8) + [UInt8](repeating: 0, count: 200)
        #expect {
            _ = try Profile(pprof: bytes)
        } throws: { error in
            (error as? ProfileError)?.message.contains("perf.data file") == true
                && (error as? ProfileError)?.message.contains("sflame replay") == true
        }
    }

    @Test func roundTripKeepsEveryField() throws {
        let p = Self.fullProfile()
        try p.validate()
        let raw = p.pprofBytes()
        #expect(try Profile(pprof: raw) == p)
        let gz = p.pprofGzip()
        #expect(Gzip.isGzip(gz) && gz.count < raw.count + 64)
        #expect(try Profile(pprof: gz) == p)
    }

    @Test func theStringTableStartsEmptyAndHoldsEachStringOnce() throws {
        let raw = Self.fullProfile().pprofBytes()
        let message = try Perftools_Profiles_Profile(serializedBytes: raw)
        #expect(message.stringTable.first == "")
        #expect(Set(message.stringTable).count == message.stringTable.count)
        #expect(message.stringTable[Int(message.defaultSampleType)] == "samples")
        #expect(message.sampleType.map { message.stringTable[Int($0.unit)] } == ["count", "nanoseconds"])
    }

    @Test func idsThatAreNotOneToNAreRenumbered() throws {
        var m = Perftools_Profiles_Profile()
        m.stringTable = ["", "samples", "count", "f", "g"]
        var vt = Perftools_Profiles_ValueType()
        vt.type = 1
        vt.unit = 2
        m.sampleType = [vt]
        var f1 = Perftools_Profiles_Function()
        f1.id = 900
        f1.name = 3
        var f2 = Perftools_Profiles_Function()
        f2.id = 7
        f2.name = 4
        m.function = [f1, f2]
        var l1 = Perftools_Profiles_Location()
        l1.id = 0xdead
        var line = Perftools_Profiles_Line()
        line.functionID = 7
        l1.line = [line]
        var l2 = Perftools_Profiles_Location()
        l2.id = 5
        line.functionID = 900
        l2.line = [line]
        m.location = [l1, l2]
        var s = Perftools_Profiles_Sample()
        s.locationID = [0xdead, 5]
        s.value = [4]
        m.sample = [s]
        let p = try Profile(pprof: try m.serializedBytes())
        try p.validate()
        #expect(p.folded(options: FoldOptions(processRoot: false)).text() == "f;g 4\n")
    }

    @Test func brokenReferencesAreNamed() throws {
        var m = Perftools_Profiles_Profile()
        m.stringTable = ["", "samples", "count"]
        var vt = Perftools_Profiles_ValueType()
        vt.type = 1
        vt.unit = 9
        m.sampleType = [vt]
        #expect(throws: ProfileError.self) { try Profile(pprof: try m.serializedBytes()) }
        do {
            _ = try Profile(pprof: try m.serializedBytes())
        } catch let error as ProfileError {
            #expect(error.kind == .invalidProfile && error.message.contains("string 9"), "\(error)")
        }
        vt.unit = 2
        m.sampleType = [vt]
        var s = Perftools_Profiles_Sample()
        s.locationID = [3]
        s.value = [1]
        m.sample = [s]
        #expect(throws: ProfileError(.invalidProfile, "sample 0 refers to missing location 3")) {
            try Profile(pprof: try m.serializedBytes())
        }
    }

    @Test func truncatedAndCorruptBytesNameTheOffset() throws {
        let raw = Self.fullProfile().pprofBytes()
        for cut in [1, 2, 5, raw.count / 2, raw.count - 1] {
            do {
                _ = try Profile(pprof: Array(raw.prefix(cut)))
                Issue.record("a profile cut to \(cut) bytes was accepted")
            } catch {
                #expect(error.kind == .malformedData || error.kind == .invalidProfile, "\(error)")
                if error.kind == .malformedData { #expect(error.offset != nil, "cut \(cut): \(error)") }
            }
        }
        // A length that runs past the end, at offset 0.
        #expect(ProtobufWireCheck.firstProblem(in: [0x0A, 0x7F, 0x08]) == .init(offset: 0, message: "field 1 (length-delimited, 127 bytes) runs past the end of its message"))
        // Invalid UTF-8 in the string table.
        #expect(ProtobufWireCheck.firstProblem(in: [0x32, 0x02, 0xC3, 0x28])?.offset == 2)
        let gz = Self.fullProfile().pprofGzip()
        var corrupt = gz
        corrupt[gz.count / 2] ^= 0xFF
        do {
            _ = try Profile(pprof: corrupt)
            Issue.record("corrupt gzip data was accepted")
        } catch {
            #expect(error.kind == .malformedData && error.offset != nil, "\(error)")
        }
        do {
            _ = try Profile(pprof: Array(gz.prefix(gz.count - 9)))
            Issue.record("cut gzip data was accepted")
        } catch {
            #expect(error.message.contains("cut short") || error.message.contains("corrupt"), "\(error)")
        }
    }

    @Test func gzipRoundTripsAndReadsConcatenatedMembersAndZlib() throws {
        var rng = SeededGenerator(seed: 3)
        for size in [0, 1, 100, 70_000, 300_000] {
            let data = (0..<size).map { _ in UInt8.random(in: 0...15, using: &rng) }
            #expect(try Gzip.decompress(Gzip.compress(data)) == data, "size \(size)")
        }
        let two = Gzip.compress(Array("hello ".utf8)) + Gzip.compress(Array("world".utf8))
        #expect(try Gzip.decompress(two) == Array("hello world".utf8))
        #expect(throws: ProfileError.self) { try Gzip.decompress([0x1F, 0x8B, 0x08, 0, 1, 2, 3]) }
    }
}
