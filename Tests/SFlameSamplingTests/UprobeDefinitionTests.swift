// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing

@testable import SFlameSampling

@Suite struct UprobeDefinitionTests {
    @Test func definitionAndDeletionLinesAreUprobeTracerSyntax() {
        #expect(
            UprobeDefinition.definitionText(
                group: "sflame_42", name: "malloc", path: "/usr/lib/x86_64-linux-gnu/libc.so.6", fileOffset: 0x98930,
                isReturn: false) == "p:sflame_42/malloc /usr/lib/x86_64-linux-gnu/libc.so.6:0x98930")
        #expect(
            UprobeDefinition.definitionText(
                group: "sflame_42", name: "malloc_ret", path: "/lib/libc.so.6", fileOffset: 0x10, isReturn: true)
                == "r:sflame_42/malloc_ret /lib/libc.so.6:0x10")
        #expect(UprobeDefinition.deletionText(group: "sflame_42", name: "malloc") == "-:sflame_42/malloc")
        #expect(UprobeDefinition.group(pid: 4242) == "sflame_4242")
    }

    @Test func eventNamesAreValidTracefsNamesAndUniquePerProbe() {
        #expect(UprobeDefinition.eventName(label: "malloc", isReturn: false) == "malloc")
        #expect(UprobeDefinition.eventName(label: "malloc", isReturn: true) == "malloc_ret")
        #expect(UprobeDefinition.eventName(label: "posix_memalign", isReturn: true) == "posix_memalign_ret")
        #expect(UprobeDefinition.eventName(label: "operator new(unsigned long)", isReturn: false)
            == "operator_new_unsigned_long_")
        #expect(UprobeDefinition.eventName(label: "je.malloc@plt", isReturn: false) == "je_malloc_plt")
        #expect(UprobeDefinition.eventName(label: "1x", isReturn: false) == "p_1x")
        let all = ["malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc", "free"].flatMap {
            [UprobeDefinition.eventName(label: $0, isReturn: false), UprobeDefinition.eventName(label: $0, isReturn: true)]
        }
        #expect(Set(all).count == all.count)
        for name in all {
            #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }, "\(name)")
        }
        #expect(!UprobeDefinition.canDefine(path: "/opt/my app/libc.so.6"))
        #expect(UprobeDefinition.canDefine(path: "/usr/lib/x86_64-linux-gnu/libc.so.6"))
    }

    @Test func staleDefinitionsAreThoseOfSFlamesThatNoLongerRun() {
        let text = """
            p:sflame_100/malloc /lib/libc.so.6:0x0000000000098930
            r:sflame_100/malloc_ret /lib/libc.so.6:0x0000000000098930
            p:sflame_200/malloc /lib/libc.so.6:0x0000000000098930
            p:probe_libc/malloc /lib/libc.so.6:0x0000000000098930
            p:sflame_x/free /lib/libc.so.6:0x1
            p:sflame_300/calloc /lib/libc.so.6 :0x1

            """
        let stale = UprobeDefinition.staleDefinitions(inUprobeEvents: text) { $0 == 200 }
        #expect(stale.map { "\($0.group)/\($0.name)" } == ["sflame_100/malloc", "sflame_100/malloc_ret", "sflame_300/calloc"])
    }

    @Test func theKernelsErrorLogLineIsFoundForTheRejectedCommand() {
        let log = """
            [  100.000001] trace_uprobe: error: Invalid offset
              Command: p:sflame_1/x /bin/true:0xffffff
                                                ^
            [16226.690072] trace_uprobe: error: Failed to find the given file
              Command: r:sflame_1/bad /nonexistent:0x10
                                       ^

            """
        #expect(
            UprobeDefinition.lastErrorLogEntry(log: log, command: "r:sflame_1/bad /nonexistent:0x10")
                == "trace_uprobe: error: Failed to find the given file")
        #expect(
            UprobeDefinition.lastErrorLogEntry(log: log, command: "p:sflame_1/x /bin/true:0xffffff")
                == "trace_uprobe: error: Invalid offset")
        #expect(UprobeDefinition.lastErrorLogEntry(log: log, command: "p:sflame_1/other /bin/true:0x1") == nil)
    }

    /// A real definition: one line in uprobe_events while its owner lives, a tracepoint id for
    /// perf events, none after; a rejected one explains itself with the kernel's error_log.
    @Test(.enabled(if: getuid() == 0, "defining probes in tracefs needs root"))
    func definingInTracefsAndDeletingOnRelease() throws {
        let tracefs = try UprobeDefinition.locateWritableTraceFS()
        let group = "sflame_\(getpid())"
        func lines() throws -> [String] {
            try String(contentsOfFile: UprobeDefinition.uprobeEventsPath(in: tracefs), encoding: .utf8)
                .split(separator: "\n").map(String.init).filter { $0.contains(":\(group)/") }
        }
        let probe = UprobeEvent(path: "/bin/true", fileOffset: 0, isReturn: true, label: "true", placement: .tracefs(id: 0))
        do {
            let definition = try UprobeDefinition.define(probe, group: group, name: "unit_true", in: tracefs)
            #expect(try lines() == ["r:\(group)/unit_true /bin/true:0x0000000000000000"])
            guard case .tracefs(let id) = definition.event.placement else {
                Issue.record("placement \(definition.event.placement)")
                return
            }
            #expect(id > 0)
            #expect(definition.event.typeAndConfig == (2, id))
            #expect(!definition.event.passesPathToKernel)
            withExtendedLifetime(definition) {}
        }
        #expect(try lines().isEmpty, "deinit deletes the definition")

        let missing = UprobeEvent(
            path: "/nonexistent/libc.so.6", fileOffset: 0x10, isReturn: false, label: "malloc", placement: .tracefs(id: 0))
        #expect {
            _ = try UprobeDefinition.define(missing, group: group, name: "unit_missing", in: tracefs)
        } throws: { error in
            let e = error as! SamplingError
            return e.kind == .unsupportedEvent && e.errno == 2 && e.description.contains("/nonexistent/libc.so.6")
                && e.description.contains("The kernel says: trace_uprobe: error:")
        }
        #expect(try lines().isEmpty)
    }
}
