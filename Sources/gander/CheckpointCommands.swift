import ArgumentParser
import Foundation
import Synchronization
import GanderCore
import GanderExtensions

/// Takes a run's checkpoint of the working tree for the agent, and turns a failure into a line for the user rather
/// than a stopped run: work goes on without a way back, and the user is told so.
final class WorkingTreeCheckpointer: TurnCheckpointer {
    let checkpoints: Checkpoints
    let session: String
    /// The tree staged while the model thought: nothing that changes files runs before the checkpoint is taken, so
    /// it is the tree as the run found it.
    private let staged = Mutex<Result<Checkpoints.Staged, any Error>?>(nil)

    init(checkpoints: Checkpoints, session: String) {
        self.checkpoints = checkpoints
        self.session = session
    }

    func prepare() async {
        let result: Result<Checkpoints.Staged, any Error>
        do {
            result = .success(try await checkpoints.stage())
        } catch {
            result = .failure(error)
        }
        staged.withLock { $0 = result }
    }

    func beforeChanges(instruction: String) async -> String? {
        do {
            // Taken once per run: what was staged is used once.
            let ready = staged.withLock { ready in
                defer { ready = nil }
                return ready
            }
            let tree = if let ready { try ready.get() } else { try await checkpoints.stage() }
            return try await checkpoints.take(tree, session: session, instruction: instruction).note
        } catch {
            return "no checkpoint before this turn, so `gander undo` cannot go back over it: \(error)"
        }
    }
}

/// What `gander undo` and `/undo` share: going back N checkpoints and saying what changed.
enum Undo {
    /// The checkpoints of the directory Gander was started in.
    static func checkpointsHere() throws -> Checkpoints {
        Checkpoints(workTree: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                    dataDirectory: try Settings().directories.data)
    }

    static func run(_ turns: Int, checkpoints: Checkpoints, session: String) async throws -> String {
        let all = try await checkpoints.list()
        guard !all.isEmpty else {
            throw UndoError("no checkpoints for \(checkpoints.workTree.path): Gander takes one before each turn that changes files")
        }
        guard turns <= all.count else {
            throw UndoError("there are only \(all.count) checkpoints for \(checkpoints.workTree.path); `gander checkpoints` lists them")
        }
        let target = all[turns - 1]
        let restoration = try await checkpoints.restore(target, session: session)
        let when = target.date.formatted(date: .abbreviated, time: .standard)
        guard !restoration.isEmpty else {
            return "The files were already as they were before \"\(target.instruction)\" (\(when)); nothing changed."
        }
        var lines = ["Put the files back as they were before \"\(target.instruction)\" (\(when)):"]
        lines += restoration.restored.map { "  restored \($0)" }
        lines += restoration.removed.map { "  removed  \($0)" }
        lines += restoration.modesRestored.map { "  mode     \($0)" }
        if !restoration.notRestored.isEmpty {
            lines.append("Not restored — the checkpoint did not keep them (ignored directories, files over "
                + "\(Checkpoints.maxIgnoredFileBytes >> 20) MB that .gitignore names, files over \(Checkpoints.maxFileBytes >> 20) MB):")
            lines += restoration.notRestored.map { "  not kept \($0)" }
        }
        lines.append("`gander undo` again brings back what was there just now.")
        return lines.joined(separator: "\n")
    }
}

struct UndoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct UndoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Put the working directory's files back as they were before the last N turns.",
        discussion: """
            Gander snapshots the working tree before each turn that may change files, in a shadow git repository of \
            its own (your branches, index and stash are never touched; folders outside git get them too). Undo \
            restores changed and deleted files and removes the ones created since, then says which files changed. \
            The files as they were just before the undo are kept as a checkpoint too, so `gander undo` right after \
            an undo brings them back.
            """)

    @Argument(help: "How many turns to go back.")
    var turns = 1

    func validate() throws {
        if turns < 1 { throw ValidationError("the number of turns to undo must be at least 1") }
    }

    func run() async throws {
        let checkpoints = try Undo.checkpointsHere()
        print(try await Undo.run(turns, checkpoints: checkpoints, session: "undo"))
    }
}

struct CheckpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "List the checkpoints of the working directory, newest first, with what changed after each.")

    @Option(help: "Show at most this many.")
    var limit = 20

    func run() async throws {
        let checkpoints = try Undo.checkpointsHere()
        let all = try await checkpoints.list()
        guard !all.isEmpty else {
            print("No checkpoints for \(checkpoints.workTree.path) yet: Gander takes one before each turn that changes files.")
            return
        }
        // Each checkpoint is compared with what came after it: the next checkpoint, or the files as they are now.
        var later = try await checkpoints.currentTree()
        for (number, checkpoint) in all.prefix(limit).enumerated() {
            let when = checkpoint.date.formatted(date: .abbreviated, time: .standard)
            let changes = try await checkpoints.changes(from: checkpoint.commit, to: later)
            print("\(number + 1)  \(when)  \(checkpoint.commit.prefix(10))  \"\(checkpoint.instruction)\"")
            print("   since then: \(changes)\(checkpoint.session.isEmpty ? "" : " · session \(checkpoint.session)")")
            later = checkpoint.commit
        }
        if all.count > limit { print("… and \(all.count - limit) older; --limit shows more") }
        print("`gander undo N` puts the files back as they were at checkpoint N.")
    }
}
