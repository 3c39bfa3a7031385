// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import SFlameKernelFormats

@Suite struct ProcTextTests {
    @Test func mapsLines() throws {
        let text = """
            55d0c3a00000-55d0c3a02000 r-xp 00001000 08:01 1311                       /usr/bin/two hot (deleted)
            7ffd1000-7ffd3000 rw-p 00000000 00:00 0                                  [stack]
            7f0000000000-7f0000001000 r--s 00000000 00:05 42 /memfd:jit (deleted)
            7f0000002000-7f0000003000 rw-p 00000000 00:00 0

            """
        let maps = try ProcMapping.parse(text)
        #expect(maps.count == 4)
        #expect(maps[0].start == 0x55d0c3a00000 && maps[0].end == 0x55d0c3a02000)
        #expect(maps[0].isExecutable && maps[0].isReadable && !maps[0].isWritable && maps[0].isPrivate)
        #expect(maps[0].fileOffset == 0x1000 && maps[0].deviceMajor == 8 && maps[0].inode == 1311)
        #expect(maps[0].path == "/usr/bin/two hot" && maps[0].isDeleted && maps[0].isFileBacked)
        #expect(maps[1].path == "[stack]" && !maps[1].isFileBacked)
        #expect(!maps[2].isPrivate)
        #expect(maps[3].path == "" && maps[3].size == 0x1000)
    }

    @Test func malformedMapsLineNamesTheLine() {
        let text = "55d0c3a00000-55d0c3a02000 r-xp 00001000 08:01 1311 /a\nnot a maps line\n"
        #expect(throws: KernelFormatsError(.malformedLine, "not a /proc/PID/maps line: 'not a maps line'", line: 2)) {
            try ProcMapping.parse(text)
        }
    }

    @Test func statWithParenthesesInComm() throws {
        let line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 120 0 0 0 15 3 0 0 20 0 3 0 12345 1000 100"
        let stat = try ProcStat.parse(line)
        #expect(stat.pid == 4242 && stat.comm == "my (odd) name" && stat.state == "S")
        #expect(stat.parentPID == 1 && stat.flags == 4194560 && stat.userTicks == 15 && stat.systemTicks == 3)
        #expect(stat.threadCount == 3 && stat.startTicks == 12345)
        #expect(!stat.isKernelThread && !stat.isZombie)
        let kthread = try ProcStat.parse("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0")
        #expect(kthread.isKernelThread)
        let zombie = try ProcStat.parse("9 (z) Z 1 9 9 0 -1 4194316 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0")
        #expect(zombie.isZombie)
        #expect(throws: KernelFormatsError.self) { try ProcStat.parse("garbage") }
        #expect(throws: KernelFormatsError.self) { try ProcStat.parse("1 (x) S 1") }
    }

    @Test func statusKeyValues() {
        let kv = ProcKeyValues.parse("Name:\tredis-server\nVmRSS:\t    8192 kB\nThreads:\t4\n")
        #expect(kv["Name"] == "redis-server")
        #expect(kv.bytes("VmRSS") == 8192 * 1024)
        #expect(kv.integer("Threads") == 4)
        #expect(kv.bytes("VmSwap") == nil)
    }

    @Test func cpuLists() throws {
        #expect(try CPUList.parse("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11])
        #expect(try CPUList.parse("0") == [0])
        #expect(throws: KernelFormatsError.self) { try CPUList.parse("3-1") }
    }
}
