// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A command-line tool failed or is missing.
struct ToolError: Error, CustomStringConvertible {
    var description: String
}

/// Runs the reference tools (gcc, nm, readelf, c++filt, eu-addr2line, swift-demangle) the tests
/// compare against.
enum Tool {
    /// The absolute path of a tool on PATH or in the Swift toolchain, nil when not installed.
    static func path(_ name: String) -> String? {
        let environmentPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = environmentPath.split(separator: ":").map(String.init) + ["/usr/bin", "/opt/swift/usr/bin"]
        for directory in directories {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func isInstalled(_ name: String) -> Bool { path(name) != nil }

    /// Runs a tool and returns its standard output; throws with its standard error when it exits
    /// with a non-zero status.
    @discardableResult
    static func run(_ name: String, _ arguments: [String], input: String? = nil) throws -> String {
        guard let executable = path(name) else { throw ToolError(description: "\(name) is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        // Standard error goes to a file: two pipes read one after the other can deadlock.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sflame-tool-\(UUID().uuidString).err")
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
            throw ToolError(description: "cannot create \(errorFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        process.standardOutput = output
        process.standardError = errorHandle
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try inputPipe.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errorHandle.close()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw ToolError(
                description: "\(name) \(arguments.joined(separator: " ")) exited with "
                    + "\(process.terminationStatus): \(message)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A symbol as `nm --defined-only -S` prints it.
struct NMSymbol: Hashable {
    var address: UInt64
    var size: UInt64?
    var type: Character
    var name: String
}

enum ReferenceTools {
    /// `nm --defined-only -S PATH`, keyed by name.
    static func symbols(of path: String, dynamic: Bool = false) throws -> [String: NMSymbol] {
        let text = try Tool.run("nm", ["--defined-only", "-S"] + (dynamic ? ["-D"] : []) + [path])
        var symbols: [String: NMSymbol] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3 || fields.count == 4, let address = UInt64(fields[0], radix: 16) else { continue }
            let size = fields.count == 4 ? UInt64(fields[1], radix: 16) : nil
            let type = fields[fields.count - 2].first ?? "?"
            let name = String(fields[fields.count - 1])
            symbols[name] = NMSymbol(address: address, size: size, type: type, name: name)
        }
        return symbols
    }

    /// The `PT_LOAD` rows of `readelf -lW PATH`: (offset, virtual address, file size).
    static func loadSegments(of path: String) throws -> [(offset: UInt64, address: UInt64, fileSize: UInt64)] {
        let text = try Tool.run("readelf", ["-lW", path])
        var segments: [(UInt64, UInt64, UInt64)] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.first == "LOAD", fields.count >= 5,
                let offset = UInt64(fields[1].dropFirst(2), radix: 16),
                let address = UInt64(fields[2].dropFirst(2), radix: 16),
                let fileSize = UInt64(fields[4].dropFirst(2), radix: 16)
            else { continue }
            segments.append((offset, address, fileSize))
        }
        return segments
    }

    /// The file offset of an SVMA according to readelf's program headers.
    static func fileOffset(of address: UInt64, in path: String) throws -> UInt64? {
        for segment in try loadSegments(of: path)
        where address >= segment.address && address < segment.address + segment.fileSize {
            return address - segment.address + segment.offset
        }
        return nil
    }

    /// The ELF type from `readelf -h`: "EXEC" or "DYN".
    static func elfType(of path: String) throws -> String? {
        let text = try Tool.run("readelf", ["-h", path])
        for line in text.split(separator: "\n") where line.contains("Type:") {
            return line.split(separator: " ").dropFirst().first.map(String.init)
        }
        return nil
    }

    /// The build-id from `readelf -n` ("Build ID: <hex>").
    static func buildID(of path: String) throws -> String? {
        let text = try Tool.run("readelf", ["-n", path])
        for line in text.split(separator: "\n") where line.contains("Build ID:") {
            return line.split(separator: " ").last.map(String.init)
        }
        return nil
    }

    /// `eu-addr2line -i -e PATH ADDRESS`: one (file, line) per frame, innermost first.
    static func inlineLines(of path: String, address: UInt64) throws -> [(file: String, line: Int)] {
        let text = try Tool.run("eu-addr2line", ["-i", "-e", path, "0x" + String(address, radix: 16)])
        return text.split(separator: "\n").compactMap { line in
            // "/dir/file.cpp:10:24" or "/dir/file.cpp:10"; "??:0" when unknown.
            let parts = line.split(separator: ":")
            guard parts.count >= 2, let number = Int(parts[1]), number > 0 else { return nil }
            return (String(parts[0]), number)
        }
    }
}
