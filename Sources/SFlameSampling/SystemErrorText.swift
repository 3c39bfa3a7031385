// SPDX-License-Identifier: Apache-2.0
import SystemPackage

/// strerror(3) text through swift-system's `Errno`.
enum SystemErrorText {
    static func text(_ code: Int32) -> String { Errno(rawValue: code).description }
}
