// SPDX-License-Identifier: Apache-2.0
import Foundation
@testable import SFlameSampling
import Testing

@Suite struct DetachedThreadTests {
    /// The thread runs the body, carries the name (cut to the kernel's 15 bytes) as its comm,
    /// and runs on a stack of the size asked for (the mapping around a local variable).
    @Test func runsTheBodyWithItsNameAndStack() throws {
        let done = DispatchSemaphore(value: 0)
        let seen = Observed()
        try DetachedThread.start(name: "sflame-recording-thread", stackBytes: 12 << 20) {
            let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            var local = 0
            let address = withUnsafeMutablePointer(to: &local) { UInt(bitPattern: $0) }
            seen.set(comm.trimmingCharacters(in: .newlines), mappingSize(containing: address))
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        let (comm, stack) = seen.value
        #expect(comm == "sflame-recordin")
        // The mapping is the stack less its guard page; glibc may hand out a cached larger one.
        #expect(stack >= (12 << 20) - (64 << 10) && stack <= 48 << 20, "stack mapping of \(stack) bytes")
    }

    /// Names are cut to 15 bytes at a character boundary, never inside a UTF-8 sequence.
    @Test func namesAreCutToFifteenBytesAtACharacter() {
        #expect(DetachedThread.threadName("profile-4194304") == "profile-4194304")
        #expect(DetachedThread.threadName("sflame-recording-thread") == "sflame-recordin")
        #expect(DetachedThread.threadName("enregistrément-1") == "enregistrément")
        #expect(DetachedThread.threadName("ééééééééé") == "ééééééé")
    }

    /// The size of the mapping in /proc/self/maps that holds `address`; 0 when none does. Read
    /// with `ProcFile`: Foundation stops at the first short read of a seq_file, a page of it.
    private func mappingSize(containing address: UInt) -> Int {
        let maps = String(decoding: (try? ProcFile("/proc/self/maps").read()) ?? [], as: UTF8.self)
        for line in maps.split(separator: "\n") {
            let range = line.prefix { $0 != " " }.split(separator: "-")
            guard range.count == 2, let low = UInt(range[0], radix: 16), let high = UInt(range[1], radix: 16) else { continue }
            if low <= address && address < high { return Int(high - low) }
        }
        return 0
    }
}

private final class Observed: @unchecked Sendable {
    private let lock = NSLock()
    private var comm = ""
    private var stack = 0
    func set(_ comm: String, _ stack: Int) { lock.withLock { (self.comm, self.stack) = (comm, stack) } }
    var value: (String, Int) { lock.withLock { (comm, stack) } }
}
