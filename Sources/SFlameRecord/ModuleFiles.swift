// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameProfile
import SFlameSampling
import SFlameSymbolication

/// A file-backed executable mapping as a process's maps or an MMAP2 record first show it.
struct MappedFile: Hashable {
    /// The path as the kernel printed it: relative to sflame's root for /proc/PID/maps when the
    /// file is reachable from there, else (MMAP2 records, containers with their own mounts)
    /// relative to the process's root.
    var path: String
    var identity: FileIdentity
    var start: UInt64
    var end: UInt64
    var fileOffset: UInt64
    /// /proc/PID/maps said ` (deleted)`: the name no longer leads to this file.
    var isDeleted: Bool
}

/// Decides which file sflame reads for each module a process maps, so that symbols and CFI come
/// from the bytes the process runs:
///
/// - **Containers** (another mount namespace, or a chroot): paths are looked up under the
///   process's root, held open (`/proc/PID/root`, `O_PATH`) so the files stay readable after
///   the container's processes exit; modules are told apart per root.
/// - **Deleted or replaced files** (` (deleted)` in the maps, or a file at the path whose device
///   and inode are not the mapping's, as after a package upgrade): the mapped file itself is
///   opened through /proc/PID/map_files (root) or /proc/PID/exe (the executable) and held open.
///   A file at the path is used instead only when its build-id equals the mapped file's (the
///   same build in another place, as overlayfs reports inodes); when the mapped file cannot be
///   opened, the path is used only if its build-id equals the one in the process's memory.
///   **A file whose build-id does not match is never used**: its frames stay `[module]`.
///
/// Every decision is made once per module and process view, when the module is first seen (while
/// the process lives), and counted for the report.
final class ModuleFiles {
    /// How a process sees the file system.
    private struct View {
        /// 0 for sflame's own view; else an id shared by processes with the same root.
        var scope: UInt64
        /// The process's root directory, held open; nil in sflame's own view.
        var root: HeldFile?
        /// The process's PID in its own PID namespace, when that is not sflame's (NSpid).
        var namespacePID: Int32?
        /// Where /proc/PID/root points, as its mount namespace names it.
        var rootLink: String?
    }

    /// What was decided for one module, for the report.
    enum Source: Hashable {
        /// The path itself.
        case path
        /// The path under the process's root (a container).
        case processRoot
        /// The mapped file through /proc/PID/map_files or /proc/PID/exe (deleted or replaced).
        case mappedFile
        /// Nothing matching could be read.
        case unavailable
    }

    private var views: [Int32: View] = [:]
    private var scopes: [String: UInt64] = [:]
    private var roots: [UInt64: HeldFile] = [:]
    private var held: [HeldFile] = []
    private let ownMountNamespace = ProcFS.namespace("mnt", of: nil)
    /// Modules per decision.
    private(set) var sources: [Source: Int] = [:]
    /// Processes some of whose modules were read under their root.
    private(set) var readThroughRoot: Set<Int32> = []
    /// One sentence per module that was deleted, replaced or unreadable.
    private(set) var notes: [String] = []

    /// 0 when `pid` sees the file system as sflame does, else an id of its root (for keys).
    func scope(of pid: Int32) -> UInt64 { view(of: pid).scope }

    /// A path to the process's root directory that stays valid after it exits, or nil when the
    /// process shares sflame's root.
    func rootPath(of pid: Int32) -> String? { view(of: pid).root?.path }

    /// The process's PID in its own PID namespace (a container's), nil when it is in sflame's.
    /// Read when the process is first seen.
    func namespacePID(of pid: Int32) -> Int32? { views[pid]?.namespacePID }

    /// Notes the process's view while it lives (its root and PID namespace), for processes
    /// whose modules were all seen before (forked children).
    func observe(pid: Int32) { _ = view(of: pid) }

    /// Where the process's perf map may be, most likely first: `/tmp/perf-NSPID.map` under its
    /// root (a JIT in a container writes its own /tmp, with the PID it knows), then sflame's
    /// `/tmp/perf-PID.map`.
    func perfMapPaths(of pid: Int32) -> [String] {
        var paths: [String] = []
        let view = views[pid]
        if let root = view?.root {
            paths.append("\(root.path)/tmp/perf-\(view?.namespacePID ?? pid).map")
        }
        paths.append("/tmp/perf-\(pid).map")
        return paths
    }

    /// The path to open for a module mapped by `pid`; "" when no file with the mapped content
    /// can be read (see the notes).
    func openPath(pid: Int32, file: MappedFile) -> String {
        let key = DecisionKey(scope: scope(of: pid), path: file.path, identity: file.identity, isDeleted: file.isDeleted)
        if let known = decisions[key] {
            if known.source == .processRoot { readThroughRoot.insert(pid) }
            return known.path
        }
        let (path, source) = decide(pid: pid, file: file)
        decisions[key] = (path, source)
        sources[source, default: 0] += 1
        if source == .processRoot { readThroughRoot.insert(pid) }
        return path
    }

    private struct DecisionKey: Hashable {
        var scope: UInt64
        var path: String
        var identity: FileIdentity
        var isDeleted: Bool
    }
    private var decisions: [DecisionKey: (path: String, source: Source)] = [:]

    private func decide(pid: Int32, file: MappedFile) -> (String, Source) {
        let view = view(of: pid)
        // Where the name may lead. /proc/PID/maps prints a path relative to the reader's root when
        // the file is reachable from there (a chroot in sflame's mounts), else relative to the root
        // of the file's mount namespace (`/tmp/ctr/app/x` for a process chrooted into a tmpfs at
        // /tmp/ctr that only its namespace has, with /proc/PID/root → /tmp/ctr); MMAP2 records
        // print it relative to the process's own root (`/app/x`).
        var candidates: [(String, Source)] = [(file.path, .path)]
        if let root = view.root {
            if let link = view.rootLink, link != "/", file.path.hasPrefix(link + "/") {
                candidates.append((root.path + file.path.dropFirst(link.count), .processRoot))
            }
            candidates.append((root.path + file.path, .processRoot))
        }
        if !file.isDeleted {
            for (path, source) in candidates where ProcFS.identity(ofFile: path) == file.identity {
                return (path, source)
            }
        }
        // Deleted, replaced, or an identity the path does not show (overlayfs): find the mapped file.
        let named = candidates.first { ProcFS.identity(ofFile: $0.0) != nil }
        if let mapped = mappedFile(pid: pid, file: file) {
            if !file.isDeleted, let (path, source) = named,
                let expected = ElfBuildID.read(path: mapped.path), ElfBuildID.read(path: path) == expected
            {
                return (path, source)
            }
            held.append(mapped)
            notes.append(
                "\(file.path) was \(file.isDeleted ? "deleted" : "replaced on disk") while PID \(pid) runs it; "
                    + "read the mapped file through \(mapped.origin).")
            return (mapped.path, .mappedFile)
        }
        if !file.isDeleted, let (path, source) = named, let expected = memoryBuildID(pid: pid, file: file),
            ElfBuildID.read(path: path) == expected
        {
            return (path, source)
        }
        notes.append(
            "\(file.path) was \(file.isDeleted ? "deleted" : "replaced by a different build") while PID \(pid) runs it, "
                + "and the mapped file cannot be opened (/proc/\(pid)/map_files needs CAP_SYS_ADMIN): its frames "
                + "are left unsymbolized rather than named from another file. Run sflame as root.")
        return ("", .unavailable)
    }

    /// The mapped file itself: /proc/PID/map_files (needs CAP_SYS_ADMIN), else /proc/PID/exe when
    /// the mapping is the executable's. Nil when neither opens or holds another file.
    private func mappedFile(pid: Int32, file: MappedFile) -> HeldFile? {
        if let opened = try? ProcFS.openMappedFile(of: pid, start: file.start, end: file.end),
            opened.identity == file.identity
        {
            return opened
        }
        let exeLink = "\(ProcFS.root)/\(pid)/exe"
        guard let target = ProcFS.linkTarget(exeLink), target == file.path || target.hasSuffix(file.path),
            let opened = try? ProcFS.openExecutable(of: pid), opened.identity == file.identity
        else { return nil }
        return opened
    }

    /// The build-id of the module in the process's memory: its mapping at file offset 0 holds the
    /// ELF header, the program headers and (where linkers put them) the notes.
    private func memoryBuildID(pid: Int32, file: MappedFile) -> BuildID? {
        guard let maps = try? ProcFS.maps(pid: pid),
            let header = maps.first(where: {
                $0.fileOffset == 0 && $0.inode == file.identity.inode && $0.deviceMajor == file.identity.deviceMajor
                    && $0.deviceMinor == file.identity.deviceMinor
            }),
            let bytes = ProcFS.readMemory(of: pid, address: header.start, count: Int(min(header.size, 64 * 1024)))
        else { return nil }
        return ElfBuildID.read(image: bytes)
    }

    private func view(of pid: Int32) -> View {
        if let known = views[pid] { return known }
        var view = View(scope: 0, root: nil, namespacePID: nil, rootLink: nil)
        let rootLink = ProcFS.linkTarget("\(ProcFS.root)/\(pid)/root")
        let mountNamespace = ProcFS.namespace("mnt", of: pid)
        let foreign =
            (rootLink != nil && rootLink != "/")
            || (mountNamespace != nil && ownMountNamespace != nil && mountNamespace != ownMountNamespace)
        if foreign {
            // One scope (and one held root) per mount namespace and root directory.
            let key = "\(mountNamespace ?? 0):\(rootLink ?? "")"
            if let scope = scopes[key], let root = roots[scope] {
                view = View(scope: scope, root: root, namespacePID: nil, rootLink: rootLink)
            } else if let root = try? ProcFS.openRoot(of: pid) {
                let scope = UInt64(scopes.count + 1)
                scopes[key] = scope
                roots[scope] = root
                view = View(scope: scope, root: root, namespacePID: nil, rootLink: rootLink)
            }
        }
        let namespacePIDs = ProcFS.namespacePIDs(of: pid)
        if namespacePIDs.count > 1, let own = namespacePIDs.last, own != pid { view.namespacePID = own }
        views[pid] = view
        return view
    }
}

extension MappedFile {
    init(_ m: ProcMapping) {
        self.init(
            path: m.path, identity: FileIdentity(deviceMajor: m.deviceMajor, deviceMinor: m.deviceMinor, inode: m.inode),
            start: m.start, end: m.end, fileOffset: m.fileOffset, isDeleted: m.isDeleted)
    }

    /// From an MMAP2 record (whose name may end in ` (deleted)` when the file was unlinked first).
    init(_ m: PerfMmap) {
        var path = m.filename
        let deleted = path.hasSuffix(" (deleted)")
        if deleted { path.removeLast(" (deleted)".count) }
        self.init(
            path: path, identity: FileIdentity(deviceMajor: m.major, deviceMinor: m.minor, inode: m.inode),
            start: m.start, end: m.start &+ m.length, fileOffset: m.fileOffset, isDeleted: deleted)
    }
}
