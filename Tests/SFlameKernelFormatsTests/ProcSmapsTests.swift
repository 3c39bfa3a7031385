// SPDX-License-Identifier: Apache-2.0
import Testing

@testable import SFlameKernelFormats

@Suite struct ProcSmapsTests {
    @Test func entriesWithTheirFieldsInBytes() throws {
        let text = """
            561784f8a000-561784f8c000 r--p 00000000 fe:00 254163                     /usr/bin/head
            Size:                  8 kB
            KernelPageSize:        4 kB
            Rss:                   8 kB
            Pss:                   4 kB
            Shared_Clean:          8 kB
            Private_Dirty:         0 kB
            Anonymous:             0 kB
            THPeligible:           0
            VmFlags: rd mr mw me
            7ffd1000-7ffd3000 rw-p 00000000 00:00 0                                  [stack]
            Size:                132 kB
            Rss:                  16 kB
            Swap:                  4 kB

            """
        let entries = try ProcSmaps.parse(text)
        #expect(entries.count == 2)
        #expect(entries[0].mapping.path == "/usr/bin/head" && entries[0].mapping.inode == 254163)
        #expect(entries[0][.size] == 8192 && entries[0][.rss] == 8192 && entries[0][.pss] == 4096)
        #expect(entries[0][.sharedClean] == 8192 && entries[0][.privateDirty] == 0)
        #expect(entries[0][.swap] == nil, "not printed: absent")
        #expect(entries[1].mapping.path == "[stack]" && entries[1][.swap] == 4096 && entries[1][.anonymous] == nil)
    }

    @Test func malformedLinesNameTheLine() {
        #expect(throws: KernelFormatsError.self) {
            try ProcSmaps.parse("00400000-00401000 r-xp 00000000 08:01 12 /a\nRss: lots\n")
        }
        do {
            _ = try ProcSmaps.parse("00400000-00401000 r-xp 00000000 08:01 12 /a\nRss: 4 kB\nnot a header\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
        }
    }

    @Test func anEmptyFileHasNoEntries() throws {
        #expect(try ProcSmaps.parse("").isEmpty)
    }
}

@Suite struct ProcKeyValuesBytesTests {
    @Test func theByteParserAgreesWithTheTextParser() {
        let text = """
            Name:\tredis server
            Umask:\t0022
            State:\tS (sleeping)
            VmRSS:\t    8192 kB
            Threads:\t5
            no colon here
            56515daff000-7ffd84cac000 ---p 00000000 00:00 0                          [rollup]
            Pss_Anon:            116 kB
            Empty:
            """
        let fromBytes = ProcKeyValues.parse(bytes: Array(text.utf8))
        #expect(fromBytes == ProcKeyValues.parse(text))
        #expect(fromBytes["Name"] == "redis server" && fromBytes.bytes("VmRSS") == 8_388_608)
        #expect(fromBytes.integer("Threads") == 5 && fromBytes["Empty"] == "")
        #expect(fromBytes.fields.count == 7)
    }
}

@Suite struct ProcMappingBytesTests {
    @Test func theByteParserAgreesWithTheLineParser() {
        let lines = [
            "55d0c3a00000-55d0c3a02000 r-xp 00001000 08:01 1311                       /usr/bin/two hot (deleted)",
            "7ffd1000-7ffd3000 rw-p 00000000 00:00 0                                  [stack]",
            "7f0000000000-7f0000001000 r--s 00000000 fe:0a 42 /memfd:jit (deleted)",
            "7f0000002000-7f0000003000 rw-p 00000000 00:00 0",
            "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
        ]
        for line in lines {
            let bytes = Array(line.utf8)
            #expect(ProcMapping(bytes: bytes, from: 0, to: bytes.count) == ProcMapping(line: line[...]), "\(line)")
        }
        for bad in ["not a maps line", "7f-7g rw-p 0 00:00 0", "1000-2000 rw-p 00000000 00:00 x /a", "1000-2000"] {
            let bytes = Array(bad.utf8)
            #expect(ProcMapping(bytes: bytes, from: 0, to: bytes.count) == nil, "\(bad)")
        }
    }
}
