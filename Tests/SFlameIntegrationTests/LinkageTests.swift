// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// sflame needs only FoundationEssentials. All of Foundation (FoundationInternationalization,
/// ICU's data, CoreFoundation) made the static binary 48 MB larger and cost every run about
/// 2.7 MiB of resident memory and a millisecond of start-up (README, "Speed and memory beside
/// FlameGraph's scripts"); an `import Foundation` anywhere in Sources, or a dependency trait
/// that needs it (swift-protobuf's BinaryDelimitedStreams, Hummingbird's FullFoundation and
/// ConfigurationSupport), links it again.
@Suite struct LinkageTests {
    @Test func theBinaryLinksFoundationEssentialsOnly() throws {
        let result = ProcessRunner.run("/usr/bin/readelf", ["-d", "-W", SFlameBinary.path])
        try #require(result.status == 0, "\(result.standardError)")
        let needed = result.standardOutput.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so", "libCoreFoundation.so"] {
            #expect(!needed.contains { $0.contains("[\(library)]") }, "\(library) is linked")
        }
        // A build with the Swift libraries linked dynamically (the debug build the tests use)
        // names FoundationEssentials; a static one names no Swift library at all.
        if needed.contains(where: { $0.contains("libswiftCore.so") }) {
            #expect(needed.contains { $0.contains("libFoundationEssentials.so") })
        }
    }
}
