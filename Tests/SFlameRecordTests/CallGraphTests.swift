// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameProfile
import Testing

@testable import SFlameRecord

@Suite struct CallGraphTests {
    @Test func perfSyntaxParses() throws {
        #expect(try CallGraph(parsing: "fp") == .framePointers)
        #expect(try CallGraph(parsing: "dwarf") == .dwarf(stackBytes: 8192))
        #expect(try CallGraph(parsing: "dwarf,16384") == .dwarf(stackBytes: 16384))
        #expect(try CallGraph(parsing: "dwarf,100") == .dwarf(stackBytes: 104), "rounded up to a multiple of 8")
        #expect(try CallGraph(parsing: "dwarf,65528") == .dwarf(stackBytes: 65528))
        #expect(try CallGraph(parsing: "auto") == .auto(stackBytes: 8192))
        #expect(try CallGraph(parsing: "auto,32768") == .auto(stackBytes: 32768))
        #expect(CallGraph.default == .auto(stackBytes: 8192))
    }

    @Test func badValuesSayWhatIsAccepted() {
        for bad in ["dwarf,65536", "dwarf,0", "dwarf,", "dwarf,8k", "lbr", "fp,8192", ""] {
            #expect(throws: CallGraphError.self, "\(bad)") { try CallGraph(parsing: bad) }
        }
        #expect((try? CallGraph(parsing: "dwarf,70000")) == nil)
        do {
            _ = try CallGraph(parsing: "dwarf,70000")
        } catch {
            #expect(error.description.contains("between 8 and 65528"))
        }
    }

    @Test func dwarfBuffersHoldHalfASecondOfSamples() {
        #expect(CallGraphSetup.dwarfBufferPages(stackBytes: 8192, frequencyHz: 99, minimum: 128) == 128)
        // 999 Hz × ~8.4 KiB / 2 ≈ 4.1 MiB → 1024 pages… rounded up to the next power of two.
        #expect(CallGraphSetup.dwarfBufferPages(stackBytes: 8192, frequencyHz: 999, minimum: 128) == 2048)
        #expect(CallGraphSetup.dwarfBufferPages(stackBytes: 65528, frequencyHz: 999, minimum: 128) == 8192)
    }
}

/// The `[truncated]` marker and the stop reasons of DWARF stacks, on a hand-made stack table.
@Suite struct DwarfQualityTests {
    func assemble(stop: UserStackStop, shortfall: DwarfUnwinding.StackCopyShortfall?) -> (Profile, UnwindQuality) {
        var state = RecordingState(targets: [7], includeKernel: false, maxCallchainDepth: 127)
        let module = state.module(path: "/nonexistent/deep-app", inode: 1)
        let dwarf = DwarfUnwinding(unwinder: .libdw, stackBytes: 8192, registerMask: 0, debugInfoPaths: [])
        if let shortfall { dwarf.shortfalls[module] = shortfall }
        state.dwarf = dwarf
        state.processNames[7] = "deep-app"
        let key = StackKey(
            pid: 7, tid: 7, frames: [.module(module, fileOffset: 0x1000), .module(module, fileOffset: 0x1100)],
            kernelCount: 0, hitCallchainLimit: false, userStop: stop)
        state.stacks[key] = (10, 100)
        let assembler = ProfileAssembler(state: state, event: .cpuClock, frequencyHz: 99, debugInfoPaths: [])
        return assembler.assemble(wallStartNanos: 0, durationSeconds: 1)
    }

    @Test func aStackCutShortGetsTheMarkerAndTheSizeThatWouldHaveSufficed() {
        let (profile, quality) = assemble(
            stop: .stackCopyExhausted, shortfall: .init(samples: 10, neededBytes: 23_000, isLowerBound: false))
        #expect(profile.folded().text() == "deep-app;[truncated];[deep-app];[deep-app] 10\n")
        #expect(quality.truncatedSamples == 10)
        let report = quality.modules.first
        #expect(report?.module == "/nonexistent/deep-app")
        #expect(report?.reason.contains("a copy of 23552 bytes would have sufficed: use -g dwarf,23552") == true)
    }

    @Test func aStackDeeperThanTheLargestCopySaysSo() {
        let (_, quality) = assemble(
            stop: .stackCopyExhausted, shortfall: .init(samples: 1, neededBytes: 200_000, isLowerBound: false))
        #expect(quality.modules.first?.reason.contains("more than the largest copy (65528)") == true)
    }

    @Test func aStackThatReachedItsBaseIsCompleteWhateverItsOutermostName() {
        let (profile, quality) = assemble(stop: .reachedBase, shortfall: nil)
        #expect(quality.truncatedSamples == 0)
        #expect(!profile.folded().text().contains("[truncated]"))
    }

    @Test func noCFINamesTheModule() {
        let (_, quality) = assemble(stop: .noUnwindInfo, shortfall: nil)
        #expect(quality.modules.first?.module == "/nonexistent/deep-app")
        #expect(quality.modules.first?.reason.hasPrefix("no CFI") == true)
    }
}
