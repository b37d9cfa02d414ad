import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("checkpoints before each turn, and undo")
struct CheckpointTests {
    /// Every file under `root` (but `.git`) with its bytes.
    static func tree(_ root: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let path = enumerator?.nextObject() as? String {
            if path == ".git" || path.hasPrefix(".git/") { continue }
            var isDirectory: ObjCBool = false
            let url = root.appendingPathComponent(path)
            _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            if !isDirectory.boolValue { files[path] = try Data(contentsOf: url) }
        }
        return files
    }

    static func git(_ arguments: [String], in directory: URL) async throws -> String {
        try await ChildCommand.run(["git", "-c", "user.name=t", "-c", "user.email=t@t"] + arguments, in: directory).stdout
    }

    /// Three turns that edit, create and delete files, then `undo 2`: the tree is byte for byte what it was after the
    /// first turn, and the user's own git state has not moved.
    @Test("undo 2 restores the tree after turn one exactly", arguments: [false, true])
    func undoTwo(inGitRepository: Bool) async throws {
        let scenario = try await Scenario(.openai, [
            // Turn one: edit a file and create another.
            .tools(editor(["command": "str_replace", "path": "app.py", "old_str": "v1", "new_str": "v2"]),
                   editor(["command": "create", "path": "src/new.py", "file_text": "print('new')\n"])),
            .text("turn one done"),
            // Turn two: delete a file and add binary-ish content.
            .tools(shell("rm notes.md && printf 'a\\0b' > data.bin && chmod +x run.sh")),
            .text("turn two done"),
            // Turn three: edit again and create a nested file.
            .tools(editor(["command": "create", "path": "app.py", "file_text": "rewritten\n"]),
                   editor(["command": "create", "path": "deep/er/file.txt", "file_text": "deep\n"])),
            .text("turn three done"),
        ])
        defer { Task { await scenario.finish() } }
        let root = scenario.workspace.url
        try scenario.workspace.write("app.py", "version = 'v1'\r\nkeep this line\r\n")
        try scenario.workspace.write("notes.md", "# notes\n")
        try scenario.workspace.write("run.sh", "#!/bin/sh\necho run\n")
        var gitStatusBefore = ""
        if inGitRepository {
            _ = try await Self.git(["init", "-q"], in: root)
            _ = try await Self.git(["add", "-A"], in: root)
            _ = try await Self.git(["commit", "-q", "-m", "base"], in: root)
            gitStatusBefore = try await Self.git(["log", "--format=%H", "--all"], in: root) + (try await Self.git(["stash", "list"], in: root))
        }

        let first = try await scenario.run(["-t", "turn one"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let afterTurnOne = try Self.tree(root)
        let indexAfterOne = inGitRepository ? try await Self.git(["diff", "--cached", "--stat"], in: root) : ""
        for turn in ["turn two", "turn three"] {
            let result = try await scenario.run(["--resume", "-t", turn])
            #expect(result.status == 0, "stderr: \(result.stderr)")
        }
        #expect(try Self.tree(root) != afterTurnOne)

        let listing = try await scenario.gander(["checkpoints"])
        #expect(listing.status == 0, "stderr: \(listing.stderr)")
        #expect(listing.stdout.contains("\"turn three\"") && listing.stdout.contains("\"turn one\""), "\(listing.stdout)")
        #expect(listing.stdout.contains("file"), "diff stats are shown: \(listing.stdout)")

        let undo = try await scenario.gander(["undo", "2"])
        #expect(undo.status == 0, "stderr: \(undo.stderr)")
        #expect(undo.stdout.contains("before \"turn two\""), "\(undo.stdout)")
        #expect(undo.stdout.contains("restored notes.md") && undo.stdout.contains("removed  data.bin"), "\(undo.stdout)")
        #expect(try Self.tree(root) == afterTurnOne)
        let mode = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("run.sh").path)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o111 == 0 } == true, "the executable bit set in turn two is gone")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("deep").path), "emptied directories go too")
        if inGitRepository {
            let gitStatusAfter = try await Self.git(["log", "--format=%H", "--all"], in: root) + (try await Self.git(["stash", "list"], in: root))
            #expect(gitStatusAfter == gitStatusBefore, "the user's commits, branches and stash are untouched")
            #expect(try await Self.git(["diff", "--cached", "--stat"], in: root) == indexAfterOne, "the user's index is untouched")
        }

        // The undo kept the tree it replaced, so undoing again brings turn three's files back.
        let redo = try await scenario.gander(["undo"])
        #expect(redo.status == 0, "stderr: \(redo.stderr)")
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("deep/er/file.txt").path))
    }

    @Test("undo brings back a gitignored file the model deleted and a mode git does not keep, and names what it could not")
    func undoIgnoredAndModes() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(shell("rm .e* local.log && chmod 600 config.toml && rm -r build")),
            .text("done"),
        ])
        defer { Task { await scenario.finish() } }
        let root = scenario.workspace.url
        _ = try await Self.git(["init", "-q"], in: root)
        try scenario.workspace.write(".gitignore", ".env\n*.log\nbuild/\n")
        try scenario.workspace.write(".env", "PLAIN=value\n")
        try scenario.workspace.write("local.log", "log line\n")
        try scenario.workspace.write("build/out.o", "object\n")
        try scenario.workspace.write("config.toml", "x = 1\n")
        chmod(root.appendingPathComponent("config.toml").path, 0o640)
        let result = try await scenario.run(["--sandbox", "off", "-t", "clean up"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(".env").path))

        let undo = try await scenario.gander(["undo"])
        #expect(undo.status == 0, "stderr: \(undo.stderr)")
        #expect(try String(contentsOf: root.appendingPathComponent(".env"), encoding: .utf8) == "PLAIN=value\n")
        #expect(try String(contentsOf: root.appendingPathComponent("local.log"), encoding: .utf8) == "log line\n")
        let mode = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("config.toml").path)[.posixPermissions] as? Int
        #expect(mode == 0o640, "mode: \(String(mode ?? 0, radix: 8))")
        #expect(undo.stdout.contains("mode     config.toml"), "\(undo.stdout)")
        #expect(undo.stdout.contains("Not restored") && undo.stdout.contains("not kept build/"), "\(undo.stdout)")
    }

    @Test("undo with nothing to go back to, or further than there are checkpoints, is one clear line and exit 1")
    func undoTooFar() async throws {
        let scenario = try await Scenario(.openai, [.tools(shell("echo x > made.txt")), .text("done")])
        defer { Task { await scenario.finish() } }
        let none = try await scenario.gander(["undo"])
        #expect(none.status == 1 && none.stderr.contains("no checkpoints for"), "\(none.stderr)")
        _ = try await scenario.run(["-t", "make a file"])
        let tooFar = try await scenario.gander(["undo", "5"])
        #expect(tooFar.status == 1 && tooFar.stderr.contains("there are only 1 checkpoints"), "\(tooFar.stderr)")
        let bad = try await scenario.gander(["undo", "0"])
        #expect(bad.status == 2)
    }
}
