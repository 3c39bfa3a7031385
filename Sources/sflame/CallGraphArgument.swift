// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import SFlameRecord

#if canImport(Glibc)
    import Glibc
#endif

/// `-g, --call-graph fp|dwarf[,BYTES]|auto[,BYTES]`, parsed by ``CallGraph/init(parsing:)``. A bad
/// value is kept with its message so `validate()` can say exactly what is wrong.
struct CallGraphArgument: ExpressibleByArgument {
    var value: CallGraph
    /// Why the argument did not parse, nil when it did.
    var error: String?

    init?(argument: String) {
        do {
            value = try CallGraph(parsing: argument)
        } catch {
            value = .default
            self.error = error.description
        }
    }

    init(_ value: CallGraph) { self.value = value }

    var defaultValueDescription: String { "auto" }
}

extension DwarfUnwinder: ExpressibleByArgument {}

/// Resolves a command name through PATH the way execvp(3) does, for the `auto` call graph's
/// look at the executable; nil when not found.
enum CommandPath {
    static func resolve(_ name: String) -> String? {
        if name.contains("/") { return name }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
