import Foundation
import GanderCore
import GanderHost
#if canImport(Glibc)
import Glibc
#endif

/// Snapshots of a working tree taken before each turn that may change files, kept as git commits in a shadow
/// repository of Gander's own (`checkpoints/` in the data directory), so a user's branches, index and stash are never
/// touched and a folder that is no git repository gets them too. Files `.gitignore` names are kept too when they are
/// loose files of at most `maxIgnoredFileBytes` (an `.env`, a local config), up to `maxIgnoredFiles` of them; ignored
/// directories (`node_modules`, build output) are not, and an undo names what it could not bring back. Git keeps only
/// the executable bit, so every other file mode is kept beside each checkpoint and put back by an undo. Files over
/// `maxFileBytes` are left out and named, and a tree of more than `maxFiles` files gets no checkpoint at all. Git runs
/// through the process launcher, off Swift's cooperative pool.
public struct Checkpoints: Sendable {
    public static let maxFileBytes: Int64 = 10 << 20
    public static let maxFiles = 100_000
    public static let maxIgnoredFileBytes: Int64 = 1 << 20
    public static let maxIgnoredFiles = 1000

    /// The tree being kept.
    public let workTree: URL
    /// The shadow repository for this tree.
    public let repository: URL

    public init(workTree: URL, dataDirectory: URL) {
        let physical = WorkspaceBoundary.physicalPath(of: workTree.path)
        self.workTree = URL(fileURLWithPath: physical)
        let name = (physical as NSString).lastPathComponent.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        repository = dataDirectory.appendingPathComponent("checkpoints")
            .appendingPathComponent("\(name.isEmpty ? "root" : name)-\(Self.fingerprint(physical)).git")
    }

    /// One checkpoint: the tree as it was before a turn.
    public struct Checkpoint: Sendable, Equatable {
        public let commit: String
        public let date: Date
        public let session: String
        /// The first line of the instruction of the turn that came after.
        public let instruction: String
    }

    /// What a restore changed.
    public struct Restoration: Sendable, Equatable {
        public var restored: [String] = []
        public var removed: [String] = []
        /// Files whose mode (not their contents) was put back.
        public var modesRestored: [String] = []
        /// What the checkpoint did not keep and so could not come back: ignored directories, ignored or large files
        /// that are gone or changed since.
        public var notRestored: [String] = []
        public var isEmpty: Bool { restored.isEmpty && removed.isEmpty && modesRestored.isEmpty && notRestored.isEmpty }
    }

    // MARK: Taking

    /// Snapshots the tree now. Returns the checkpoint and, when files were left out, a line saying which.
    @discardableResult
    public func take(session: String, instruction: String) async throws -> (Checkpoint, note: String?) {
        try await exclusively { try await record(try await stageTree(), session: session, instruction: instruction) }
    }

    /// The tree as `stage` wrote it, ready to become a checkpoint.
    public struct Staged: Sendable {
        let tree: String
        let leftOut: [String]
        let manifest: Manifest
    }

    /// Stages the tree into the shadow index and writes it as a tree object, without taking a checkpoint yet: the
    /// first time, every file is read and stored. The agent does it while the model thinks, and `take(_:…)` then
    /// only records it.
    public func stage() async throws -> Staged {
        try await exclusively { try await stageTree() }
    }

    /// Records a staged tree as a checkpoint.
    @discardableResult
    public func take(_ staged: Staged, session: String, instruction: String) async throws -> (Checkpoint, note: String?) {
        try await exclusively { try await record(staged, session: session, instruction: instruction) }
    }

    private func stageTree() async throws -> Staged {
        try await prepareRepository()
        let (tree, leftOut, manifest) = try await snapshotTree()
        return Staged(tree: tree, leftOut: leftOut, manifest: manifest)
    }

    private func record(_ staged: Staged, session: String, instruction: String) async throws -> (Checkpoint, note: String?) {
        let (tree, leftOut, manifest) = (staged.tree, staged.leftOut, staged.manifest)
        let firstLine = instruction.split(separator: "\n").first.map { String($0.prefix(200)) } ?? ""
        var arguments = ["commit-tree", tree, "-m", "gander-session: \(session)\n\n\(firstLine)"]
        if let parent = try? await git(["rev-parse", "--verify", "-q", Self.headRef]) { arguments += ["-p", parent] }
        let commit = try await git(arguments)
        try manifest.write(to: manifestFile(of: commit))
        try await git(["update-ref", Self.headRef, commit])
        try await git(["update-ref", "\(Self.refPrefix)\(Self.sortableNow())", commit])
        let note = leftOut.isEmpty ? nil : "the checkpoint leaves out \(leftOut.count) file(s) over "
            + "\(Self.maxFileBytes >> 20) MB, which undo cannot bring back: \(leftOut.prefix(5).joined(separator: ", "))"
        return (Checkpoint(commit: commit, date: Date(), session: session, instruction: firstLine), note)
    }

    // MARK: Reading

    /// Every checkpoint of this tree, newest first.
    public func list() async throws -> [Checkpoint] {
        guard FileManager.default.fileExists(atPath: repository.path) else { return [] }
        let format = "%(objectname)%00%(creatordate:unix)%00%(contents:subject)%00%(contents:body)%01"
        let output = try await git(["for-each-ref", "--sort=-refname", "--format=\(format)", Self.refPrefix], trimming: false)
        return output.split(separator: "\u{1}").compactMap { record in
            let fields = record.trimmingCharacters(in: .newlines).split(separator: "\0", omittingEmptySubsequences: false)
            guard fields.count >= 4, let seconds = TimeInterval(fields[1]) else { return nil }
            let session = fields[2].hasPrefix("gander-session: ") ? String(fields[2].dropFirst(16)) : ""
            return Checkpoint(commit: String(fields[0]), date: Date(timeIntervalSince1970: seconds), session: session,
                              instruction: fields[3].trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// `git diff --shortstat` from `checkpoint` to `later` (a commit or tree), e.g. "2 files changed, 3 insertions(+)".
    public func changes(from checkpoint: String, to later: String) async throws -> String {
        let stat = try await git(["diff", "--shortstat", checkpoint, later])
        return stat.isEmpty ? "no changes" : stat
    }

    /// The tree as it is now, as a git tree id, for comparing with checkpoints. Nothing is recorded.
    public func currentTree() async throws -> String {
        try await exclusively {
            try await prepareRepository()
            return try await snapshotTree().tree
        }
    }

    // MARK: Restoring

    /// Puts the files back as they were at `checkpoint`: files changed or deleted since come back, files created
    /// since are removed. The state before the restore is taken as a checkpoint first, so an undo can be undone.
    public func restore(_ checkpoint: Checkpoint, session: String) async throws -> Restoration {
        try await exclusively { try await restoreTree(checkpoint, session: session) }
    }

    private func restoreTree(_ checkpoint: Checkpoint, session: String) async throws -> Restoration {
        _ = try await record(try await stageTree(), session: session, instruction: "(the files before undo)")
        let now = try await git(["rev-parse", "\(Self.headRef)^{tree}"])
        let differences = try await git(["diff-tree", "-r", "--no-renames", "--name-status", "-z", now, checkpoint.commit],
                                  trimming: false)
        var restoration = Restoration()
        let fields = differences.split(separator: "\0").map(String.init)
        var index = 0
        while index + 1 < fields.count {
            let (status, path) = (fields[index], fields[index + 1])
            index += 2
            if status == "D" { restoration.removed.append(path) } else { restoration.restored.append(path) }
        }
        try await git(["read-tree", checkpoint.commit])
        if !restoration.restored.isEmpty {
            try await git(["checkout-index", "-f", "--stdin"], input: restoration.restored.joined(separator: "\n") + "\n")
        }
        for path in restoration.removed {
            let url = workTree.appendingPathComponent(path)
            try? FileManager.default.removeItem(at: url)
            removeEmptyParents(of: url)
        }
        // Modes git does not keep, and what the checkpoint never held.
        let then = Manifest(file: manifestFile(of: checkpoint.commit))
        let kept = try await git(["ls-tree", "-r", "-z", checkpoint.commit], trimming: false)
        for entry in kept.split(separator: "\0") {
            // "100644 blob <id>\t<path>"
            guard let tab = entry.firstIndex(of: "\t") else { continue }
            let path = String(entry[entry.index(after: tab)...])
            let wanted = then.modes[path] ?? (entry.hasPrefix("100755") ? 0o755 : 0o644)
            var info = stat()
            let full = workTree.appendingPathComponent(path).path
            guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_mode & 0o7777) != wanted else { continue }
            if chmod(full, mode_t(wanted)) == 0, !restoration.restored.contains(path) { restoration.modesRestored.append(path) }
        }
        restoration.notRestored = then.unkept.filter { path in
            path.hasSuffix("/") || !FileManager.default.fileExists(atPath: workTree.appendingPathComponent(path).path)
        }
        return restoration
    }

    // MARK: The shadow repository

    /// Runs `body` with this tree's shadow repository to itself. Its index is one file: two stagings at once — two
    /// sessions of `gander serve` in one folder, or two Gander processes — would trip over git's index.lock and one
    /// of them lose its checkpoint. The lock is a file lock, so it holds across processes and goes with a process
    /// that dies; waiting for it sleeps rather than blocks a thread.
    private func exclusively<Value>(_ body: () async throws -> Value) async throws -> Value {
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let descriptor = open(repository.appendingPathComponent("gander.lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CheckpointError.unlockable(workTree.path, String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw CheckpointError.unlockable(workTree.path, String(cString: strerror(errno)))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await body()
    }

    static let refPrefix = "refs/gander/checkpoints/"
    static let headRef = "refs/gander/head"

    private func prepareRepository() async throws {
        guard !FileManager.default.fileExists(atPath: repository.appendingPathComponent("HEAD").path) else { return }
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try await git(["init", "-q", "--bare", repository.path], bare: true)
        // Nested repositories are kept as their files, not as links to commits the shadow cannot restore.
        try await git(["config", "core.bare", "false"])
        try await git(["config", "gc.auto", "0"])
    }

    /// Stages the whole tree into the shadow index — the small files `.gitignore` names too — and writes it as a
    /// tree object; returns it with the large files left out and the manifest to keep beside it.
    private func snapshotTree() async throws -> (tree: String, leftOut: [String], manifest: Manifest) {
        let (large, modes) = try walkTree()
        let exclude = repository.appendingPathComponent("info/exclude")
        try FileManager.default.createDirectory(at: exclude.deletingLastPathComponent(), withIntermediateDirectories: true)
        let rules = large.map { "/" + $0.replacingOccurrences(of: "[", with: "\\[").replacingOccurrences(of: "*", with: "\\*") }
        try Data((rules.joined(separator: "\n") + "\n").utf8).write(to: exclude)
        try await git(["add", "-A", "--ignore-errors", "."])
        // What .gitignore leaves out: loose small files are kept all the same; directories and the rest are named.
        let ignored = try await git(["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"],
                                    trimming: false).split(separator: "\0").map(String.init)
        var keep: [String] = []
        var unkept: [String] = []
        for path in ignored {
            var info = stat()
            let small = !path.hasSuffix("/") && lstat(workTree.appendingPathComponent(path).path, &info) == 0
                && (info.st_mode & S_IFMT) == S_IFREG && Int64(info.st_size) <= Self.maxIgnoredFileBytes
            if small, keep.count < Self.maxIgnoredFiles { keep.append(path) } else { unkept.append(path) }
        }
        if !keep.isEmpty {
            try await git(["add", "-f", "--ignore-errors", "--pathspec-from-file=-", "--pathspec-file-nul"],
                          input: keep.map { ":(literal)" + $0 }.joined(separator: "\0"))
        }
        return (try await git(["write-tree"]), large, Manifest(modes: modes, unkept: unkept + large))
    }

    /// What git does not keep of a checkpoint: modes other than 0644 and 0755, and the paths left out.
    struct Manifest: Codable, Sendable {
        var modes: [String: Int] = [:]
        var unkept: [String] = []

        init(modes: [String: Int], unkept: [String]) {
            self.modes = modes
            self.unkept = unkept
        }

        /// The manifest kept at `file`; an empty one for checkpoints older than manifests.
        init(file: URL) {
            self = (try? Data(contentsOf: file)).flatMap { try? JSONDecoder().decode(Manifest.self, from: $0) }
                ?? Manifest(modes: [:], unkept: [])
        }

        func write(to file: URL) throws {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try JSONEncoder().encode(self).write(to: file)
        }
    }

    private func manifestFile(of commit: String) -> URL {
        repository.appendingPathComponent("gander-manifests").appendingPathComponent(commit + ".json")
    }

    /// The files too large to keep and the modes git would not keep, relative to the tree; throws when the tree has
    /// too many files for checkpoints.
    private func walkTree() throws -> (large: [String], modes: [String: Int]) {
        var large: [String] = []
        var modes: [String: Int] = [:]
        var count = 0
        let root = workTree.path
        var stack = [root]
        while let directory = stack.popLast() {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in entries where name != ".git" {
                let path = directory + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                if (info.st_mode & S_IFMT) == S_IFDIR {
                    stack.append(path)
                } else {
                    count += 1
                    let relative = String(path.dropFirst(root.count + 1))
                    if Int64(info.st_size) > Self.maxFileBytes { large.append(relative) }
                    let mode = Int(info.st_mode & 0o7777)
                    if (info.st_mode & S_IFMT) == S_IFREG, mode != 0o644, mode != 0o755 { modes[relative] = mode }
                }
            }
            if count > Self.maxFiles { throw CheckpointError.tooManyFiles(root, Self.maxFiles) }
        }
        return (large.sorted(), modes)
    }

    private func removeEmptyParents(of url: URL) {
        var parent = url.deletingLastPathComponent()
        while parent.path.count > workTree.path.count,
              let entries = try? FileManager.default.contentsOfDirectory(atPath: parent.path), entries.isEmpty {
            try? FileManager.default.removeItem(at: parent)
            parent = parent.deletingLastPathComponent()
        }
    }

    /// Runs git on the shadow repository and the tree, with the user's own git settings and hooks kept out of it.
    @discardableResult
    private func git(_ arguments: [String], input: String? = nil, trimming: Bool = true, bare: Bool = false) async throws -> String {
        let location = bare ? [] : ["--git-dir=\(repository.path)", "--work-tree=\(workTree.path)"]
        var environment = ProcessLauncher.inheritedEnvironment().filter { !$0.key.hasPrefix("GIT_") }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_AUTHOR_NAME"] = "gander"
        environment["GIT_AUTHOR_EMAIL"] = "gander@localhost"
        environment["GIT_COMMITTER_NAME"] = "gander"
        environment["GIT_COMMITTER_EMAIL"] = "gander@localhost"
        let run: ProcessLauncher.Finished
        do {
            run = try await ProcessLauncher.run(
                "git", ["-c", "core.autocrlf=false", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"]
                    + location + arguments,
                environment: environment, directory: workTree, input: input.map { Data($0.utf8) })
        } catch {
            throw CheckpointError.gitMissing
        }
        guard run.status == 0 else {
            let said = String(decoding: run.errors, as: UTF8.self)
            throw CheckpointError.git(arguments.first ?? "", said.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let text = String(decoding: run.output, as: UTF8.self)
        return trimming ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text
    }

    /// A name that sorts in time order, so listing by name lists by age.
    private static func sortableNow() -> String {
        let nanoseconds = UInt64(Date().timeIntervalSince1970 * 1_000_000_000)
        let text = String(nanoseconds)
        return String(repeating: "0", count: max(0, 20 - text.count)) + text
    }

    /// FNV-1a of the path: a short, stable name for the tree's shadow repository.
    private static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

public enum CheckpointError: Error, CustomStringConvertible {
    case gitMissing
    case git(String, String)
    case tooManyFiles(String, Int)
    case unlockable(String, String)

    public var description: String {
        switch self {
        case .gitMissing: "checkpoints need git, which is not installed; install it (apt-get install git)"
        case .git(let command, let said): "git \(command) failed while keeping a checkpoint: \(said)"
        case .tooManyFiles(let root, let limit):
            "\(root) holds more than \(limit) files, too many to checkpoint each turn; no checkpoint was taken"
        case .unlockable(let root, let reason): "the checkpoints of \(root) could not be locked (\(reason)); no checkpoint was taken"
        }
    }
}
