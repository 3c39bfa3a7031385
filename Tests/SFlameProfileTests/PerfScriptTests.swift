// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import SFlameProfile

/// `perf script` text → folded stacks, with stackcollapse-perf.pl's semantics and the field
/// variations perf prints with -F.
@Suite struct PerfScriptTests {
    func collapse(_ text: String, _ options: PerfScriptFoldOptions = PerfScriptFoldOptions()) -> String {
        String(decoding: PerfScriptCollapser.collapse(Array(text.utf8), options: options).stacks.foldedText(), as: UTF8.self)
    }

    static let defaultFields = """
        # ========
        # cmdline : /usr/bin/perf record -g -p 4242
        # ========
        #
        two-hot 32129  2941.992273:    1001001 cpu-clock:ppp: 
        \t            1384 hot_a+0x34 (/tmp/two-hot)
        \t            13fe path_a+0xe (/tmp/two-hot)
        \t           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)

        two-hot 32129  2941.993264:    1001001 cpu-clock:ppp: 
        \t            138b hot_a+0x3b (/tmp/two-hot)
        \t            13fe path_a+0xe (/tmp/two-hot)
        \t           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)

        two-hot 32129  2941.994269:    1001001 cpu-clock:ppp: 
        \tffffffff81000e06 asm_sysvec_apic_timer_interrupt+0x6 ([kernel.kallsyms])
        \t            13d0 hot_b+0x10 (/tmp/two-hot)
        \t            140e path_b+0xe (/tmp/two-hot)
        \t           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)

        """

    @Test func defaultFieldsFoldAsStackcollapsePerfDoes() {
        #expect(collapse(Self.defaultFields) == """
            two-hot;__libc_start_call_main;path_a;hot_a 2002002
            two-hot;__libc_start_call_main;path_b;hot_b;asm_sysvec_apic_timer_interrupt 1001001

            """)
        #expect(collapse(Self.defaultFields, PerfScriptFoldOptions(annotateKernel: true, weight: .samples)) == """
            two-hot;__libc_start_call_main;path_a;hot_a 2
            two-hot;__libc_start_call_main;path_b;hot_b;asm_sysvec_apic_timer_interrupt_[k] 1

            """)
    }

    @Test func headerFieldVariations() throws {
        let cases: [(String, comm: String, pid: String?, tid: String, period: Int64?, event: String?)] = [
            ("two-hot 32129  2941.992273:    1001001 cpu-clock:ppp: ", "two-hot", nil, "32129", 1_001_001, "cpu-clock:ppp"),
            ("iperf 27409/28744 [000] 441995.133575: cpu-clock: ", "iperf", "27409", "28744", nil, "cpu-clock"),
            ("func_ab 15294 cpu-clock: ", "func_ab", nil, "15294", nil, "cpu-clock"),
            ("java 19983 cycles:", "java", nil, "19983", nil, "cycles"),
            ("swapper     0 [001]  1333.768770: cpu-clock: ", "swapper", nil, "0", nil, "cpu-clock"),
            ("V8 WorkerThread 24636/25607 [000] 94564.109216: 100 cycles:", "V8 WorkerThread", "24636", "25607", 100, "cycles"),
            ("emulator  4152 75695.008865:          1 cycles:u: ", "emulator", nil, "4152", 1, "cycles:u"),
            ("Web Content 2 4152 [003] 75695.008865: 7 cycles: ", "Web Content 2", nil, "4152", 7, "cycles"),
            ("comm 123 1000 cycles:", "comm", nil, "123", 1000, "cycles"),
            ("comm 123", "comm", nil, "123", nil, nil),
            ("perf 47118 [011] 51499.088689:          1 page-faults: ", "perf", nil, "47118", 1, "page-faults"),
            ("sh 1/2 sched:sched_switch: prev_comm=sh", "sh", "1", "2", nil, "sched:sched_switch"),
            // An exited task in a system-wide recording.
            (":-1    -1 [000] 33286.543715:     250000 cpu-clock: ", ":-1", nil, "-1", 250_000, "cpu-clock"),
            (":-1 -1/-1 [000] 33286.543715:     250000 cpu-clock: ", ":-1", "-1", "-1", 250_000, "cpu-clock"),
            // -F comm,pid,tid,cpu,time,event,…: the process is known, its exiting thread is not.
            (":-1 18916/-1    [001] 42175.441232:   cpu-clock: ", ":-1", "18916", "-1", nil, "cpu-clock"),
            (":-1 18916/-1 42175.441232: 7 cpu-clock: ", ":-1", "18916", "-1", 7, "cpu-clock"),
            // -F +misc: the cpumode letters after the thread id (and cpu), padded to 6 columns.
            ("redis-server 18643 U     42161.204073:    1001001 cpu-clock:ppp: ", "redis-server", nil, "18643", 1_001_001,
             "cpu-clock:ppp"),
            ("ls  8100 [000] K     43924.358199:    1001001 cpu-clock: ", "ls", nil, "8100", 1_001_001, "cpu-clock"),
            ("ls 7/8 [000] KU    43924.358199:    3 cpu-clock: ", "ls", "7", "8", 3, "cpu-clock"),
            ("worker 2 8100       43924.358199:    5 cpu-clock: ", "worker 2", nil, "8100", 5, "cpu-clock"),
            ("ls 8100 U cpu-clock: ", "ls", nil, "8100", nil, "cpu-clock"),
        ]
        for c in cases {
            let bytes = Array(c.0.utf8)
            let h = try #require(bytes.withUnsafeBufferPointer { PerfScriptHeader.parse($0) }, "\(c.0)")
            func text(_ r: Range<Int>?) -> String? { r.map { String(decoding: bytes[$0], as: UTF8.self) } }
            #expect(text(h.comm) == c.comm, "\(c.0)")
            #expect(text(h.pid) == c.pid, "\(c.0)")
            #expect(text(h.tid) == c.tid, "\(c.0)")
            #expect(h.period == c.period, "\(c.0)")
            #expect(text(h.event) == c.event, "\(c.0)")
        }
        for notAHeader in ["\t 4005d0 main (/bin/x)", "ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])", "x"] {
            #expect(Array(notAHeader.utf8).withUnsafeBufferPointer { PerfScriptHeader.parse($0) } == nil, "\(notAHeader)")
        }
    }

    /// The fields of `header` as text, for comparing two parses.
    static func describe(_ header: PerfScriptHeader?, _ bytes: [UInt8]) -> String {
        guard let h = header else { return "not a header" }
        func text(_ r: Range<Int>?) -> String { r.map { "'" + String(decoding: bytes[$0], as: UTF8.self) + "'" } ?? "nil" }
        return "comm \(text(h.comm)) pid \(text(h.pid)) tid \(text(h.tid)) cpu \(h.cpu.map(String.init) ?? "nil") "
            + "time \(text(h.time)) period \(h.period.map(String.init) ?? "nil") event \(text(h.event)) rest \(text(h.rest))"
    }

    /// A header that follows one of the same thread is read by a one-pass shortcut; whatever
    /// the rest of the line holds, it must give what parsing the line on its own gives.
    @Test func aHeaderAfterOneOfTheSameThreadReadsAsOnItsOwn() {
        let firsts = [
            "cc1 4242 13748.184003:     333444 cpu-clock:ppp: ", "iperf 27409/28744 [000] 441995.133575: cpu-clock: ",
            "redis-server 18643 U     42161.204073:    1001001 cpu-clock:ppp: ", ":-1 18916/-1 [001] 42175.441232: cpu-clock: ",
        ]
        let rests = [
            " 13748.184341:     333444 cpu-clock:ppp: ", " [001] 13748.184341: 7 cycles:u: ", " 1.2: cycles:",
            "\t13748.184341:\t333444\tcpu-clock:ppp:\t", " 13748.184341: 99999999999999999999 cpu-clock: ",
            " 13748.184341: 333444 cpu-clock", " 13748.184341: 333444 :", " 13748.184341: 333444", " 13748.184341:",
            " 13748.184341: cpu-clock: 4005d0 main (/bin/x)", " 13748.184341 cpu-clock: ", " [001] cpu-clock: ",
            " [] 1.5: cycles:", " [1x] 1.5: cycles:", " 1.5:x cycles:", " 1..5: cycles:", " .5: cycles:", " 1.: cycles:",
            " 13748.184341: 12 34 cycles:", " 13748.184341: sched:sched_switch: prev_comm=sh prev_pid=1",
            " [002] 13748.184341:          1 page-faults:  ", " 7 cycles:", " x 1.5: cycles:", "  ",
            " U     42161.204073:    1001001 cpu-clock:ppp: ", " [000] K     43924.358199: 1 cpu-clock: ", " KU 1.5: cycles:",
            " Sp 1.5: cycles:", " UUUUUUU 1.5: cycles:", " U [001] 1.5: cycles:", " U cycles:", " U 7 cycles:",
            " [001] U cycles:", " u 1.5: cycles:", " U", " U  ", " U1.5: cycles:",
        ]
        // Random lines from the same pieces, for shapes the list above misses.
        let pieces = [
            "[001]", "[]", "13748.184341:", "1.5", "333444", "cpu-clock:ppp:", ":", "x:", "12", " ", "\t", "a.b:", "U", "KU",
            "-1", "7/-1",
        ]
        var rng = SeededGenerator(seed: 11)
        var generated: [String] = []
        for _ in 0..<3000 {
            var line = ""
            for _ in 0..<Int(rng.next() % 6) {
                line += (rng.next() % 3 == 0 ? "\t" : " ") + pieces[Int(rng.next() % UInt64(pieces.count))]
            }
            generated.append(line)
        }
        for first in firsts {
            let prefix = String(first.prefix { $0 != "[" && $0 != "." }).split(separator: " ").prefix(2).joined(separator: " ")
            for rest in rests + generated {
                let bytes = Array((prefix + rest).utf8)
                var state = PerfScriptHeader.Prefix()
                var scratch = PerfScriptHeader(comm: 0..<0, tid: 0..<0)
                let firstBytes = Array(first.utf8)
                let firstIsHeader = firstBytes.withUnsafeBufferPointer {
                    PerfScriptHeader.parse($0, previous: &state, into: &scratch)
                }
                #expect(firstIsHeader)
                var header = PerfScriptHeader(comm: 0..<0, tid: 0..<0)
                let isHeader = bytes.withUnsafeBufferPointer { PerfScriptHeader.parse($0, previous: &state, into: &header) }
                let alone = bytes.withUnsafeBufferPointer { PerfScriptHeader.parse($0) }
                #expect(Self.describe(isHeader ? header : nil, bytes) == Self.describe(alone, bytes), "\(prefix + rest)")
            }
        }
    }

    /// Periods whose sum passes 2^63 keep what fits; they never wrap to a negative count.
    @Test func weightsPastTheLargestCountDoNotWrap() {
        let sample = "cc1 7 1.000001: 5000000000000000000 cpu-clock: \n\t 4005d0 main (/bin/cc1)\n\n"
        let folded = collapse(String(repeating: sample, count: 3) + sample.replacingOccurrences(of: "main", with: "parse"))
        #expect(folded == "cc1;main 5000000000000000000\ncc1;parse 5000000000000000000\n")
    }

    /// `--show-task-events` / `--show-mmap-events` records and `-F +srcline` source lines are
    /// not samples or frames: the stacks are those of the plain output.
    @Test func sideBandRecordsAndSourceLinesAreSkipped() {
        let plain = collapse(Self.defaultFields)
        let withSideBand = """
            swapper     0     0.000000: PERF_RECORD_MMAP -1/0: [0xffffffff81000000(0x1209988) @ 0xffffffff81000000]: x [kernel.kallsyms]_text
            perf-exec     0     0.000000: PERF_RECORD_COMM: perf-exec:32129/32129
            two-hot 32129  2941.990000: PERF_RECORD_COMM exec: two-hot:32129/32129
            two-hot 32129  2941.990001: PERF_RECORD_MMAP2 32129/32129: [0x55d1ed708000(0x1000) @ 0x1000 fe:00 16572681 1617859015]: r-xp /tmp/two-hot

            """ + Self.defaultFields + """
            two-hot 32129  2941.995000: PERF_RECORD_EXIT(32129:32129):(32128:32128)

            """
        #expect(collapse(withSideBand) == plain)
        var withSource = ""
        for line in Self.defaultFields.split(separator: "\n", omittingEmptySubsequences: false) {
            withSource += line + "\n"
            if line.hasPrefix("\t") {
                withSource += line.contains("kernel") ? "  [kernel.kallsyms][ffffffff81000e06]\n" : "  two_hot.c:24\n"
            }
        }
        #expect(collapse(withSource) == plain)
        // A one-word line that is no source line is still refused, not dropped.
        let stray = PerfScriptCollapser.collapse(Array((Self.defaultFields + "two-hot 32129  2941.996: 1 cpu-clock:ppp: \n  hello\n").utf8))
        #expect(stray.statistics.unrecognizedLines == 1)
    }

    /// Every kind of line `perf script -F +srcline` prints under a frame (as perf 6.1 printed
    /// them here): `FILE:LINE`, `??:0`, `:0`, `MODULE[ADDRESS]` for an address without line
    /// information, and ` (inlined)` after an inlined frame's line. None is a frame, and none
    /// is an error; a frame without a module or address still is one.
    @Test func everyKindOfSourceLineIsSkipped() {
        #expect(collapse("a 1 1.0:  250000 cpu-clock: \n\t 1 foo (/x.so)\n  :0\n\n", PerfScriptFoldOptions(weight: .samples))
            == "a;foo 1\n")
        #expect(collapse("a 1 1.0:  250000 cpu-clock: \n\t 1 foo (/x.so)\n  libx.so[1234]\n\t 2 main (/x.so)\n\n",
                         PerfScriptFoldOptions(weight: .samples)) == "a;main;foo 1\n")
        let text = """
            inline-cpp  9116 43973.537593:    1001001 cpu-clock:u: 
            \t           44b43 __GI_____strtod_l_internal+0xc63 (/usr/lib/x86_64-linux-gnu/libc.so.6)
              strtod_l.c:881
            \t            1097 main+0x17 (/tmp/inline-cpp)
              ls[d42f]
            \t           27304 __libc_start_main_impl+0x84
              libc-start.c:360 (inlined)
            \t            10f0 _start+0x20 (/tmp/inline-cpp)
              ??:0
            \tffffffff81000e06 asm_sysvec_apic_timer_interrupt+0x6 ([kernel.kallsyms])
              [kernel.kallsyms][ffffffff81000e06]
            \t               0 [unknown] ([unknown])
              :0

            """
        let c = PerfScriptCollapser.collapse(Array(text.utf8))
        #expect(c.statistics.unrecognizedLines == 0, "\(String(describing: c.statistics.firstUnrecognizedLine))")
        #expect(String(decoding: c.stacks.foldedText(), as: UTF8.self) == "inline-cpp;[unknown];asm_sysvec_apic_timer_interrupt;"
            + "_start;__libc_start_main_impl;main;__GI_____strtod_l_internal 1001001\n")
        for line in ["  two_hot.c:24", "  ??:0", "  :0", "  ls[d42f]", "  [kernel.kallsyms][ffffffff81000e06]",
                     "  libc-start.c:360 (inlined)", "  a.c:1 (inlined)  "] {
            #expect(Array(line.utf8).withUnsafeBufferPointer { PerfScriptReader<IgnoringSink>.isSourceLine($0, from: 2) }, "\(line)")
        }
        for line in ["  main", "  4005d0 main (/x)", "  main (inlined)", "  [unknown]", "  x[zz]", "  [12]", "  a.c:", "  :",
                     "  hello", "  (inlined)", "  a.c:1 b"] {
            #expect(!Array(line.utf8).withUnsafeBufferPointer { PerfScriptReader<IgnoringSink>.isSourceLine($0, from: 2) },
                    "\(line)")
        }
        // A frame indented with blanks, without a module, is still a frame.
        #expect(collapse("a 1 1.0: cycles:\n  4005d0 main\n  x.c:3\n\n") == "a;main 1\n")
    }

    /// `perf script -F +insn` (and +insnlen) print the sampled instruction on a line of its own
    /// after the callchain (" insn: 48 39 d7", as perf 6.1 prints it; "\tinsn: …" too), or at
    /// the end of the header line without a callchain: never a frame.
    @Test func instructionLinesAreSkipped() {
        let text = """
            two-hot  8753 43947.688047:    1001001 cpu-clock:u: 
            \t            138b hot_a+0x3b (/tmp/two-hot)
            \t            13fe path_a+0xe (/tmp/two-hot)
             insn: 48 39 d7
            two-hot  8753 43947.689058:    1001001 cpu-clock:u: 
            \tinsn: 0f 82 b5 00 00 00
            \t            13d4 hot_b+0x34 (/tmp/two-hot)
            \t            140e path_b+0xe (/tmp/two-hot)
             ilen: 3 insn: 48 39 d7
            \tilen: 3

                     two-hot  8886 43956.189413:    1001001 cpu-clock:u:      55d7eb02b38b hot_a+0x3b (/tmp/two-hot) insn: 48 39 d7

            """
        let c = PerfScriptCollapser.collapse(Array(text.utf8))
        #expect(c.statistics.unrecognizedLines == 0)
        #expect(String(decoding: c.stacks.foldedText(), as: UTF8.self)
            == "two-hot;hot_a 1001001\ntwo-hot;path_a;hot_a 1001001\ntwo-hot;path_b;hot_b 1001001\n")
        for line in ["\tinsn: 0f 82", " insn: 48", " ilen: 3", "\tinsn:"] {
            #expect(Array(line.utf8).withUnsafeBufferPointer { PerfScriptReader<IgnoringSink>.isInstructionLine($0, from: 1) },
                    "\(line)")
        }
        for line in ["\tinsn::decode", " insnx: 1", " insn:x", " insn", " main: 1"] {
            #expect(!Array(line.utf8).withUnsafeBufferPointer { PerfScriptReader<IgnoringSink>.isInstructionLine($0, from: 1) },
                    "\(line)")
        }
    }

    /// `perf script -F +misc` prints the sample's cpumode letters after the thread id: the
    /// period after them is the sample's weight, as without the field.
    @Test func theMiscFieldKeepsThePeriod() {
        let text = """
            redis-server 18643 U     42161.204073:    1001001 cpu-clock:ppp: 
            \t 1 main (/x)

            redis-server 18643 K     42161.205073:    2002002 cpu-clock:ppp: 
            \t 2 sys (/x)
            \t 1 main (/x)

            redis-server 18643 [001] U     42161.206073:    3 cpu-clock:ppp: 
            \t 1 main (/x)

            """
        #expect(collapse(text) == "redis-server;main 1001004\nredis-server;main;sys 2002002\n")
    }

    /// An exiting thread of a system-wide recording printed with -F comm,pid,tid,…: the
    /// sample is read (before, the whole file failed).
    @Test func exitingThreadsWithAPIDAreSamples() {
        let text = ":-1 18916/-1    [001] 42175.441232:   cpu-clock: \n\t 1 do_exit ([kernel.kallsyms])\n\n"
        let c = PerfScriptCollapser.collapse(Array(text.utf8))
        #expect(c.statistics.unrecognizedLines == 0)
        #expect(String(decoding: c.stacks.foldedText(), as: UTF8.self) == ":-1;do_exit 1\n")
        #expect(collapse(text, PerfScriptFoldOptions(includeTID: true)) == ":-1-18916/-1;do_exit 1\n")
    }

    /// `perf record` without -g: one line per sample, the comm right-aligned (leading blanks),
    /// the sampled frame after the event.
    @Test func samplesWithoutCallChainsKeepTheirFrame() {
        let text = """
                     two-hot 31200 36028.856293:    1001001 cpu-clock:ppp:      563be70b438b hot_a+0x3b (/tmp/two-hot)
                     two-hot 31200 36028.857288:    1001001 cpu-clock:ppp:      563be70b4384 hot_a+0x34 (/tmp/two-hot)
             V8 WorkerThread 31201 36028.858279:    1001001 cpu-clock:ppp:      563be70b43c1 hot_b+0x11 (/tmp/two-hot)

            """
        #expect(collapse(text) == "V8_WorkerThread;hot_b 1001001\ntwo-hot;hot_a 2002002\n")
    }

    @Test func rootFrameWithPIDAndTID() {
        let text = "java 24636/25607 [000] 94564.109216: cycles:\n\t 4005d0 main (/bin/x)\n\n"
            + "dd 29776 666709.771979: cycles:\n\t 4005d0 main (/bin/dd)\n\n"
        #expect(collapse(text, PerfScriptFoldOptions(includePID: true)) == "dd-?;main 1\njava-24636;main 1\n")
        #expect(collapse(text, PerfScriptFoldOptions(includeTID: true)) == "dd-?/29776;main 1\njava-24636/25607;main 1\n")
        #expect(collapse("V8 Worker 12 1.0: cycles:\n\t1 a (m)\n") == "V8_Worker;a 1\n", "spaces in comm become _")
    }

    @Test func frameNamesFollowTheReference() {
        func name(_ line: String, comm: String = "app", _ options: PerfScriptFoldOptions = PerfScriptFoldOptions()) -> String {
            let folded = collapse("\(comm) 1 1.0: cycles:\n\(line)\n", options)
            return String(folded.dropFirst(comm.count + 1).dropLast(3))
        }
        #expect(name("\t 4005d0 foo(int, char const*) (/bin/x)") == "foo")
        #expect(name("\t 4005d0 foo(int)+0x1f (/bin/x)") == "foo")
        #expect(name("\t 4005d0 net/http.(*Client).Do (/bin/x)") == "net/http.(*Client).Do")
        #expect(name("\t 4005d0 (anonymous namespace)::run(int) (/bin/x)") == "(anonymous namespace)::run")
        #expect(name("\t 4005d0 std::function<void (int)>::operator()(int) const (/bin/x)")
            == "std::function<void (int)>::operator()", "cut outside template arguments (deliberate difference)")
        #expect(name("\t 4005d0 operator<<(std::ostream&, int) (/bin/x)") == "operator<<")
        #expect(name("\t 4005d0 [unknown] (/usr/lib/libfoo.so)") == "[libfoo.so]")
        #expect(name("\t 4005d0 [unknown] ([unknown])") == "[unknown]")
        #expect(name("\t 4005d0 [unknown] (/usr/lib/libfoo.so)", PerfScriptFoldOptions(includeAddresses: true))
            == "[libfoo.so <4005d0>]")
        #expect(name("\t 4005d0 [unknown] ([unknown])", PerfScriptFoldOptions(includeAddresses: true)) == "[unknown <4005d0>]")
        #expect(name("\t 13a80b608e0a RegExp:[&<>\\\"\\'] (/tmp/perf-7539.map)") == "RegExp:[&<>\\\\]")
        #expect(name("\t 13a80b608e0a RegExp;a (/tmp/perf-7539.map)", PerfScriptFoldOptions(annotateJIT: true)) == "RegExp:a_[j]")
        #expect(name("\t 1 a (/lib/modules/4.1.0/build/vmlinux)", PerfScriptFoldOptions(annotateKernel: true)) == "a_[k]")
        #expect(name("\t 1 a ([kernel.kallsyms])", PerfScriptFoldOptions(annotateKernel: true)) == "a_[k]")
        #expect(name("\t 1 a ([unknown])", PerfScriptFoldOptions(annotateKernel: true)) == "a")
        #expect(name("\t 1 a->b (/bin/x)") == "a;b_[i]", "an inline chain: b inlined into a")
        #expect(name("\t 7f Lorg/mozilla/Context;.call(Lorg/X;)V (/tmp/perf-1.map)", comm: "java") == "org/mozilla/Context:.call")
        #expect(name("\t 7f Lorg/mozilla/Context;.call (/tmp/perf-1.map)", comm: "ab") == "Lorg/mozilla/Context:.call")
        #expect(name("\t 7f1e2215d0c0  (/lib/libc.so.6)") == " ", "an empty symbol, as the Perl regex reads it")
        #expect(name("\t 4005d0 main") == "main", "no module (perf script -F ip,sym)")
    }

    @Test func inlinedFramesAreKeptAndMarkedOnRequest() {
        let text = """
            app 1 1.0: cycles:
            \t 4005d0 helper (inlined)
            \t 4005d0 work (/bin/app)
            \t 400100 main (/bin/app)

            """
        #expect(collapse(text) == "app;main;work;helper 1\n")
        #expect(collapse(text, PerfScriptFoldOptions(annotateInlined: true)) == "app;main;work;helper_[i] 1\n")
        let (profile, _) = PerfScriptProfileBuilder.profile(Array(text.utf8))
        #expect(profile.locations.count == 2, "the inlined frame is a line of its caller's location")
        #expect(profile.locations[0].lines.count == 2)
        #expect(profile.folded(options: FoldOptions(annotate: true)).text() == "app;main;work;helper_[i] 1\n")
    }

    @Test func theFirstEventIsKeptUnlessOneIsNamed() {
        let text = """
            noploop 21796 [001] 1410597.984841: instructions:
            \t 993 main (/root/noploop)

            noploop 21796 [001] 1410598.006210:       cycles:
            \t 6a7 loop (/root/noploop)

            noploop 21797 [002] 1410597.984850: instructions:
            \t 69b main (/root/noploop)

            """
        var c = PerfScriptCollapser.collapse(Array(text.utf8))
        #expect(String(decoding: c.stacks.foldedText(), as: UTF8.self) == "noploop;main 2\n")
        #expect(c.statistics.events == ["instructions", "cycles"] && c.statistics.keptSamples == 2)
        #expect(c.statistics.warnings.first?.contains("kept only 'instructions'") == true)
        c = PerfScriptCollapser.collapse(Array(text.utf8), options: PerfScriptFoldOptions(event: "cycles"))
        #expect(String(decoding: c.stacks.foldedText(), as: UTF8.self) == "noploop;loop 1\n")
        // The event was chosen: no warning telling to choose one.
        #expect(c.statistics.warnings.isEmpty, "\(c.statistics.warnings)")
    }

    @Test func samplesEndAtTheNextHeaderAndAtTheEnd() {
        // No blank lines at all, and no callchain: perf record without -g prints the frame on
        // the header line.
        let text = """
            a 1 1.0: 10 cycles:  4005d0 main+0x1 (/bin/a)
            a 1 1.1: 10 cycles:  4005d8 work+0x2 (/bin/a)
            b 2 1.2: 5 cycles:
            \t 1 leaf (/bin/b)
            \t 2 root (/bin/b)
            """
        #expect(collapse(text) == "a;main 10\na;work 10\nb;root;leaf 5\n")
    }

    @Test func unrecognizedLinesAreCountedNotFatal() {
        let c = PerfScriptCollapser.collapse(Array("a 1 1.0: cycles:\n\t 1 f (m)\n   \n\t!!\n\n??? ###\n".utf8))
        #expect(c.statistics.unrecognizedLines == 2)
        #expect(c.statistics.firstUnrecognizedLine?.number == 4)
        #expect(c.stacks.totalWeight == 1)
    }

    /// A line that is neither a header, an indented frame, a comment nor blank is not taken as
    /// a frame or a sample (before, "hello world" became the frame "world" and "Warning: 3 lost
    /// samples" a sample of the comm "Warning:"): the decoder fails naming its line, or skips
    /// it when asked; the stacks are those of the text without it.
    @Test func garbageLinesAreErrorsNamingTheLineOrSkipped() throws {
        let clean = Self.defaultFields
        var lines = clean.components(separatedBy: "\n")
        lines.insert("hello world", at: 6)  // inside the first sample, at column 0 (line 7)
        lines.insert("Warning: 3 lost samples", at: 12)  // a comm and a number, no event (line 13)
        let dirty = lines.joined(separator: "\n")
        let c = PerfScriptCollapser.collapse(Array(dirty.utf8))
        #expect(c.statistics.unrecognizedLines == 2)
        #expect(c.statistics.firstUnrecognizedLine?.number == 7)
        #expect(c.stacks.foldedText() == PerfScriptCollapser.collapse(Array(clean.utf8)).stacks.foldedText())

        #expect {
            _ = try ProfileDecoder.decode(Array(dirty.utf8), wanting: .stacks(), source: "perf.txt")
        } throws: { error in
            guard let error = error as? ProfileError else { return false }
            return error.kind == .malformedLine && error.line == 7 && error.source == "perf.txt"
                && error.message.contains("'hello world'") && error.message.contains("1 more")
        }
        let skipped = try ProfileDecoder.decode(Array(dirty.utf8), wanting: .stacks(), skipBadLines: true)
        #expect(skipped.skippedLines == 2)
        #expect(skipped.stacks.foldedText() == PerfScriptCollapser.collapse(Array(clean.utf8)).stacks.foldedText())
        // The profile reader (convert, report) applies the same rule.
        #expect(throws: ProfileError.self) {
            _ = try ProfileDecoder.decode(Array(dirty.utf8), wanting: .profile())
        }
    }

    /// perf script -F comm,tid,ip,sym prints headers with no time and no event: still headers
    /// when no sample names an event.
    @Test func headersWithoutEventsAreHeadersWhenNoSampleHasOne() {
        let text = "a 1 \n\t 1 leaf (/bin/a)\n\t 2 root (/bin/a)\n\nb 2 \n\t 1 f (/bin/b)\n"
        let c = PerfScriptCollapser.collapse(Array(text.utf8))
        #expect(c.statistics.unrecognizedLines == 0)
        #expect(String(decoding: c.stacks.foldedText(), as: UTF8.self) == "a;root;leaf 1\nb;f 1\n")
    }

    @Test func everyChunkingGivesTheSameStacks() {
        let text = Array(Self.defaultFields.utf8)
        let whole = PerfScriptCollapser.collapse(text).stacks.foldedText()
        for split in 0...text.count {
            var c = PerfScriptCollapser()
            text.withUnsafeBufferPointer { buffer in
                c.consume(UnsafeBufferPointer(rebasing: buffer[0..<split]))
                c.consume(UnsafeBufferPointer(rebasing: buffer[split...]))
            }
            c.finish()
            #expect(c.stacks.foldedText() == whole, "split at \(split)")
        }
    }

    @Test func theProfileBuilderKeepsAddressesModulesAndLabels() throws {
        let (profile, stats) = PerfScriptProfileBuilder.profile(Array(Self.defaultFields.utf8))
        try profile.validate()
        #expect(stats.keptSamples == 3)
        #expect(profile.sampleTypes == [.samples, .cpuNanoseconds])
        #expect(profile.totalValue(sampleTypeIndex: 0) == 3 && profile.totalValue(sampleTypeIndex: 1) == 3_003_003)
        #expect(Set(profile.mappings.map(\.filename)) == ["/tmp/two-hot", "/usr/lib/x86_64-linux-gnu/libc.so.6", "[kernel.kallsyms]"])
        #expect(profile.mappings.first { $0.filename == "[kernel.kallsyms]" }?.kind == .kernel)
        #expect(profile.locations.contains { $0.address == 0x1384 })
        #expect(profile.samples[0].numberLabel(Label.Key.tid) == 32129)
        #expect(profile.durationNanos == 1_996_000)
        // Folding the profile without annotations gives what the collapser gives.
        var fold = FoldOptions(annotate: false)
        fold.sampleTypeIndex = 1
        #expect(profile.folded(options: fold).text() == collapse(Self.defaultFields))
    }
}

/// A sink that keeps nothing, to name the reader's static line tests.
struct IgnoringSink: PerfScriptSink {
    mutating func beginSample(_ header: PerfScriptHeader, line: UnsafeBufferPointer<UInt8>) {}
    mutating func frame(_ frame: PerfScriptFrameLine) {}
    mutating func endSample() {}
}
