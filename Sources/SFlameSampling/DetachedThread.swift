// SPDX-License-Identifier: Apache-2.0
internal import CShims

#if canImport(Glibc)
    import Glibc
#endif

/// A POSIX thread of its own, for work that blocks for a long time (a recording, symbolizing
/// afterwards), never to run on a cooperative thread of the concurrency pool.
public enum DetachedThread {
    /// Starts a detached thread that runs `body` and ends.
    ///
    /// - Parameters:
    ///   - name: the thread's name, as /proc/PID/task/TID/comm and `top -H` show it; Linux keeps
    ///     its first 15 bytes (prctl(2) PR_SET_NAME).
    ///   - stackBytes: the size of the thread's stack, in bytes (pthread_attr_setstacksize(3)).
    /// - Throws: `SamplingError(.systemCall)` with pthread_create(3)'s error; `body` then never runs.
    public static func start(
        name: String, stackBytes: Int, _ body: @escaping @Sendable () -> Void
    ) throws(SamplingError) {
        final class Context {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackBytes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(Context(name: threadName(name), body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(
            &handle, &attributes,
            { raw in
                let context = Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue()
                _ = sflame_set_thread_name(context.name)
                context.body()
                return nil
            }, context)
        guard result == 0 else {
            Unmanaged<Context>.fromOpaque(context).release()
            throw SamplingError(.systemCall, operation: "pthread_create for the \(name) thread", errno: result)
        }
    }

    /// The longest start of `name`, in whole characters, that fits the 15 bytes Linux keeps.
    static func threadName(_ name: String) -> String {
        var out = ""
        for c in name {
            if out.utf8.count + c.utf8.count > 15 { break }
            out.append(c)
        }
        return out
    }
}
