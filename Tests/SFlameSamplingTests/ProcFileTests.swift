// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameSampling
import SFlameTestSupport
import Testing

@Suite struct ProcFileTests {
    /// A seq_file far larger than the read buffer (16 KiB), whose text the kernel hands out a page
    /// at a time, comes back whole; reading again starts over from the beginning.
    @Test func aFileLargerThanTheBufferIsReadWholeAndAgainFromTheStart() throws {
        let target = try SampleProcess(try Samples.path("many-maps"), arguments: ["1000"])
        let path = "/proc/\(target.pid)/maps"
        let file = try ProcFile(path)
        let first = try file.read()
        // (Foundation's Data(contentsOf:) stops at the first short read: a page of this file.)
        let handle = try #require(FileHandle(forReadingAtPath: path))
        let expected = [UInt8](try handle.readToEnd() ?? Data())
        #expect(first.count > 32 * 1024)
        #expect(first.count == expected.count)
        let same = first == expected
        #expect(same, "ProcFile's text differs from a plain read of \(path)")
        let again = try file.read()
        let sameAgain = again == first
        #expect(sameAgain)
    }

    /// A short seq_file (status) is one read.
    @Test func aSmallFileIsReadWhole() throws {
        let text = String(decoding: try ProcFile("/proc/self/status").read(), as: UTF8.self)
        #expect(text.hasPrefix("Name:"))
        #expect(text.contains("\nVmRSS:") && text.hasSuffix("\n"))
    }

    @Test func aMissingProcessIsNoSuchProcess() {
        #expect(throws: SamplingError.self) { try ProcFile("/proc/999999999/status") }
        do {
            _ = try ProcFile("/proc/999999999/status")
        } catch {
            #expect(error.kind == .noSuchProcess)
        }
    }
}
