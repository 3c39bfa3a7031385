// SPDX-License-Identifier: Apache-2.0

extension Label.Key {
    /// The process's PID inside its own PID namespace (a container's), from `NSpid` in
    /// /proc/PID/status; present only when it differs from `pid`, which is the PID sflame sees.
    public static let namespacePID = "ns_pid"
}
