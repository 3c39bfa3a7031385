// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport

/// This target's goldens: `Tests/SFlameDiffTests/Fixtures`, recorded in the source tree and read from the
/// copy in the test bundle.
let goldenFiles = GoldenFiles(
    sourceFixtures: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures"),
    bundleFixtures: Bundle.module.resourceURL!.appendingPathComponent("Fixtures"))
