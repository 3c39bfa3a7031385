// SPDX-License-Identifier: Apache-2.0
import Dispatch
import SFlameSampling
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SFlameAgent

/// The agent's pure decisions: addresses, tokens, parameters, one recording per process.
struct AgentConfigurationTests {
    @Test func listenAddressesParseAndOnlyLoopbackCountsAsLocal() throws {
        #expect(try ListenAddress(parsing: "127.0.0.1:6060") == ListenAddress(host: "127.0.0.1", port: 6060))
        #expect(try ListenAddress(parsing: "[::1]:0") == ListenAddress(host: "::1", port: 0))
        #expect(try ListenAddress(parsing: "[::1]:6060").description == "[::1]:6060")
        for local in ["127.0.0.1:1", "127.1.2.3:1", "localhost:1", "[::1]:1"] {
            #expect(try ListenAddress(parsing: local).isLoopback, "\(local)")
        }
        for remote in ["0.0.0.0:1", "10.0.0.5:1", "[::]:1", "example.com:1", "128.0.0.1:1", "127.0.0.256:1"] {
            #expect(try !ListenAddress(parsing: remote).isLoopback, "\(remote)")
        }
        for bad in ["6060", "127.0.0.1", ":6060", "127.0.0.1:70000", "127.0.0.1:x", "::1:6060", "[::1]6060"] {
            #expect(throws: AgentError.self, "\(bad)") { try ListenAddress(parsing: bad) }
        }
    }

    @Test func anAddressBeyondLoopbackNeedsAToken() throws {
        var configuration = AgentConfiguration(allowlist: .all)
        configuration.listen = try ListenAddress(parsing: "0.0.0.0:6060")
        let error = #expect(throws: AgentError.self) { try configuration.validate() }
        #expect(error?.kind == .invalidConfiguration && error?.message.contains("--token") == true)
        configuration.token = Array("secret".utf8)
        try configuration.validate()
        configuration.token = []
        #expect(throws: AgentError.self) { try configuration.validate() }
    }

    @Test func bearerTokensMatchExactly() {
        let token = Array("s3cret".utf8)
        #expect(BearerToken.matches(header: "Bearer s3cret", expected: token))
        #expect(BearerToken.matches(header: "bearer s3cret", expected: token))
        #expect(!BearerToken.matches(header: nil, expected: token))
        #expect(!BearerToken.matches(header: "Bearer s3cre", expected: token))
        #expect(!BearerToken.matches(header: "Bearer s3cret2", expected: token))
        #expect(!BearerToken.matches(header: "Bearer S3cret", expected: token))
        #expect(!BearerToken.matches(header: "Basic s3cret", expected: token))
        #expect(!BearerToken.matches(header: "s3cret", expected: token))
        #expect(BearerToken.constantTimeEqual([], []))
        #expect(!BearerToken.constantTimeEqual([1], []))
        #expect(!BearerToken.constantTimeEqual([], [1]))
    }

    @Test func profileParametersFollowGosConventions() throws {
        let defaults = try ProfileParameters(seconds: nil, pid: nil, defaultSeconds: 30, maxSeconds: 300)
        #expect(defaults.seconds == 30 && defaults.pid == nil)
        let given = try ProfileParameters(seconds: "300", pid: "42", defaultSeconds: 30, maxSeconds: 300)
        #expect(given.seconds == 300 && given.pid == 42)
        for (seconds, pid) in [("0", "1"), ("301", "1"), ("1.5", "1"), ("", "1"), ("5", "abc"), ("5", "0"), ("5", "-3")] {
            let error = #expect(throws: AgentError.self) {
                try ProfileParameters(seconds: seconds, pid: pid, defaultSeconds: 30, maxSeconds: 300)
            }
            #expect(error?.statusCode == 400)
        }
    }

    @Test func aThreadIDCountsAsItsProcessAndOthersAreRefused() throws {
        let me = getpid()
        let allowlist = TargetAllowlist.processes([me])
        #expect(try allowlist.resolve(nil) == me, "the only allowed process is the default")
        let tasks = try ProcFS.threads(of: me)
        for tid in tasks { #expect(try allowlist.resolve(tid) == me) }
        let forbidden = #expect(throws: AgentError.self) { try allowlist.resolve(1) }
        #expect(forbidden?.statusCode == 403)
        #expect(try TargetAllowlist.all.resolve(me) == me)
        let gone = #expect(throws: AgentError.self) { try TargetAllowlist.all.resolve(Int32.max) }
        #expect(gone?.statusCode == 404)
        let none = #expect(throws: AgentError.self) { try TargetAllowlist.processes([me, 1]).resolve(nil) }
        #expect(none?.statusCode == 400)
    }

    @Test func oneRecordingPerProcess() throws {
        let slots = RecordingSlots()
        let first = try StopRequest()
        try slots.acquire(pid: 10, seconds: 30, stop: first)
        let busy = #expect(throws: AgentError.self) { try slots.acquire(pid: 10, seconds: 5, stop: try StopRequest()) }
        #expect(busy?.statusCode == 429 && (busy?.retryAfterSeconds ?? 0) >= 29)
        try slots.acquire(pid: 11, seconds: 5, stop: try StopRequest())
        slots.release(pid: 10, stop: try StopRequest())  // not its reservation: still busy
        #expect(throws: AgentError.self) { try slots.acquire(pid: 10, seconds: 5, stop: try StopRequest()) }
        slots.release(pid: 10, stop: first)
        let second = try StopRequest()
        try slots.acquire(pid: 10, seconds: 5, stop: second)
        slots.cancelAll()
        #expect(second.isRequested && !first.isRequested)
        let closed = #expect(throws: AgentError.self) { try slots.acquire(pid: 12, seconds: 5, stop: try StopRequest()) }
        #expect(closed?.statusCode == 503)
    }

    /// A scraper whose interval equals `seconds` arrives as the previous window ends: it waits for
    /// that recording instead of getting 429; one far from its end still refuses at once.
    @Test func aRequestWaitsForARecordingAboutToEnd() async throws {
        let slots = RecordingSlots()
        let ending = try StopRequest()
        try slots.acquire(pid: 20, seconds: 1, stop: ending)
        // Released from a Dispatch thread, as a recording thread would: the test run's cooperative
        // pool may be busy with other tests for seconds.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { slots.release(pid: 20, stop: ending) }
        try await slots.acquireWaitingForTheEnd(pid: 20, seconds: 1, stop: try StopRequest())
        let long = try StopRequest()
        try slots.acquire(pid: 21, seconds: 60, stop: long)
        let busy = await #expect(throws: AgentError.self) {
            try await slots.acquireWaitingForTheEnd(pid: 21, seconds: 5, stop: try StopRequest())
        }
        #expect(busy?.statusCode == 429 && (busy?.retryAfterSeconds ?? 0) >= 59)
        long.requestStop()  // cancelled: Retry-After 1, not the rest of its window
        let cancelled = #expect(throws: AgentError.self) { try slots.acquire(pid: 21, seconds: 5, stop: try StopRequest()) }
        #expect(cancelled?.retryAfterSeconds == 1)
    }

    @Test func aTokenFileHoldsOneToken() throws {
        let path = "/tmp/sflame-token-test-\(getpid())"
        defer { unlink(path) }
        for (content, expected) in [("s3cret\n", "s3cret"), ("  s3cret\r\n", "s3cret")] {
            try write(content, to: path)
            #expect(try AgentConfiguration.readToken(path: path) == Array(expected.utf8))
        }
        for bad in ["a\nb\n", "two words\n", "tab\there"] {
            try write(bad, to: path)
            let error = #expect(throws: AgentError.self, "\(bad)") { try AgentConfiguration.readToken(path: path) }
            #expect(error?.message.contains("one token") == true)
        }
    }

    private func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        var text = text
        let n = text.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) }
        try #require(n == text.utf8.count)
    }
}
