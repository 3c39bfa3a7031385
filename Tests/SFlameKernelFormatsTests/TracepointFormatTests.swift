// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameKernelFormats
import SFlameProfile
import Testing

@Suite struct TracepointFormatTests {
    /// The sched_switch format of Linux 6.18 (tracefs `events/sched/sched_switch/format`).
    func schedSwitch() throws -> TracepointFormat {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/tracefs/sched_switch", withExtension: "format"))
        return try TracepointFormat.parse(try String(contentsOf: url, encoding: .utf8))
    }

    @Test func fieldsOffsetsAndIdAreRead() throws {
        let format = try schedSwitch()
        #expect(format.name == "sched_switch")
        #expect(format.id > 0)
        let state = try #require(format.field("prev_state"))
        #expect(state.offset == 32 && state.size == 8 && state.isSigned && state.type == "long")
        let comm = try #require(format.field("prev_comm"))
        #expect(comm.offset == 8 && comm.size == 16 && comm.type == "char")
        #expect(format.field("next_pid")?.offset == 56)
        #expect(format.field("common_pid")?.offset == 4)
    }

    @Test func thePrintFlagsTableGivesTheStateLetters() throws {
        let flags = try schedSwitch().printFlags
        #expect(flags.map(\.bit) == [0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80])
        #expect(flags.map(\.text) == ["S", "D", "T", "t", "X", "Z", "P", "I"])
    }

    func raw(prevState: Int64, offset: Int = 32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: prevState >> (8 * i)) }
        return bytes
    }

    @Test func prevStateDecodesThroughTheFormat() throws {
        let layout = try SchedSwitchFormat(try schedSwitch())
        #expect(layout.stateOffset == 32 && layout.stateSize == 8)
        #expect(layout.preemptBit == 0x100)
        #expect(layout.state(raw: raw(prevState: 0)) == ThreadStateReading(letter: "R", isPreempted: false))
        #expect(layout.state(raw: raw(prevState: 0x100)) == ThreadStateReading(letter: "R", isPreempted: true))
        #expect(layout.state(raw: raw(prevState: 1))?.letter == "S")
        #expect(layout.state(raw: raw(prevState: 2))?.letter == "D")
        #expect(layout.state(raw: raw(prevState: 0x10))?.letter == "X")
        #expect(layout.state(raw: Array(raw(prevState: 1).prefix(35))) == nil, "too short")
    }

    @Test func anotherKernelsOffsetIsFollowedNotAssumed() throws {
        // The same field 8 bytes later, as a kernel with a longer common header would print it.
        let text = """
            name: sched_switch
            ID: 300
            format:
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
            \tfield:long prev_state;\toffset:40;\tsize:8;\tsigned:1;

            print fmt: "prev_state=%s", __print_flags(REC->prev_state & 0xff, "|", { 0x01, "S" }, { 0x02, "D" })
            """
        let layout = try SchedSwitchFormat(try TracepointFormat.parse(text))
        #expect(layout.stateOffset == 40)
        #expect(layout.preemptBit == 0x4)
        #expect(layout.state(raw: raw(prevState: 2, offset: 40))?.letter == "D")
        #expect(layout.state(raw: raw(prevState: 4, offset: 40))?.isPreempted == true)
    }

    @Test func malformedFormatsNameTheLine() {
        #expect(throws: KernelFormatsError.self) {
            try TracepointFormat.parse("name: x\nID: 1\n\tfield:int a;\tsize:4;\n")
        }
        do {
            _ = try TracepointFormat.parse("name: x\nID: 1\n\tfield:int a;\tsize:4;\n")
        } catch {
            #expect(error.line == 3)
        }
        #expect(throws: KernelFormatsError.self) { try TracepointFormat.parse("ID: 1\n") }
        #expect(throws: KernelFormatsError.self) {
            try SchedSwitchFormat(try TracepointFormat.parse("name: x\nID: 1\n"))
        }
    }

    @Test func waitStatesMapToThreadStates() {
        #expect(ThreadState(stateLetter: "S") == .sleeping)
        #expect(ThreadState(stateLetter: "D")?.frameName == "[disk]")
        #expect(ThreadState(stateLetter: "R")?.frameName == nil)
        #expect(ThreadState.unknown.frameName == "[off-cpu]")
        #expect(ThreadState(stateLetter: "?") == nil)
    }
}
