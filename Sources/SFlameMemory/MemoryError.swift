// SPDX-License-Identifier: Apache-2.0
import SFlameRecord
import SFlameSampling

/// The error type of SFlameMemory. Messages say what failed, why, and what to do.
public struct MemoryError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The process does not exist.
        case noSuchProcess
        /// The target is a kernel thread or a zombie.
        case unsupportedTarget
        /// The kernel refused for lack of privilege.
        case permissionDenied
        /// The command could not be launched.
        case launchFailed
        /// No module of the target defines the allocator functions (a static, stripped binary).
        case noAllocator
        /// Probes or events could not be set up.
        case probeFailed
        /// Reading /proc failed for another reason.
        case readFailed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    init(_ error: RecordError) {
        let kind: Kind
        switch error.kind {
        case .noSuchProcess: kind = .noSuchProcess
        case .unsupportedTarget: kind = .unsupportedTarget
        case .permissionDenied: kind = .permissionDenied
        case .launchFailed: kind = .launchFailed
        case .samplingFailed: kind = .probeFailed
        }
        self.init(kind, error.message)
    }

    init(_ error: SamplingError) {
        let kind: Kind
        switch error.kind {
        case .noSuchProcess: kind = .noSuchProcess
        case .unsupportedTarget: kind = .unsupportedTarget
        case .permissionDenied: kind = .permissionDenied
        case .launchFailed: kind = .launchFailed
        case .unsupportedEvent, .tooManyOpenFiles: kind = .probeFailed
        case .systemCall: kind = .readFailed
        }
        self.init(kind, error.description)
    }

    public var description: String { message }
}
