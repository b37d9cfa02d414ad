import Foundation
import GanderCore
@testable import GanderExtensions
import Testing

@Suite("developer__text_editor")
struct TextEditorTests {
    @Test("view numbers lines and honours view_range")
    func viewRange() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try fixture.directory.write("a.txt", "one\ntwo\nthree\nfour\n")

        let whole = await fixture.edit(["command": "view", "path": "a.txt"])
        let part = await fixture.edit(["command": "view", "path": "a.txt", "view_range": [2, 3]])
        let tail = await fixture.edit(["command": "view", "path": .string(fixture.directory.file("a.txt").path), "view_range": [3, -1]])

        #expect(whole.text == "     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour")
        #expect(part.text == "     2\ttwo\n     3\tthree")
        #expect(tail.text == "     3\tthree\n     4\tfour")
    }

    @Test("view refuses ranges outside the file, with the reason")
    func badRanges() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try fixture.directory.write("a.txt", "one\ntwo\n")

        let pastEnd = await fixture.edit(["command": "view", "path": "a.txt", "view_range": [5, 6]])
        let backwards = await fixture.edit(["command": "view", "path": "a.txt", "view_range": [2, 1]])
        let malformed = await fixture.edit(["command": "view", "path": "a.txt", "view_range": [1]])

        #expect(pastEnd.isError && pastEnd.text.contains("outside the file, which has 2 lines"))
        #expect(backwards.isError && backwards.text.contains("before start line"))
        #expect(malformed.isError && malformed.text.contains("two integers"))
    }

    @Test("view lists a directory two levels deep, skipping .git")
    func viewDirectory() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try fixture.directory.write("src/main.swift", "")
        try fixture.directory.write("src/app/deep.swift", "")
        try fixture.directory.write(".git/HEAD", "")
        try fixture.directory.write("README.md", "")

        let listing = await fixture.edit(["command": "view", "path": "."])

        #expect(!listing.isError)
        #expect(listing.text.hasSuffix("README.md\nsrc/\nsrc/app/\nsrc/main.swift"))
        #expect(!listing.text.contains("deep.swift"))
        #expect(!listing.text.contains(".git"))
    }

    @Test("view refuses binary files and pages long ones")
    func binaryAndLong() async throws {
        let fixture = try DeveloperFixture(limits: OutputLimits(maxLines: 100, maxBytes: 100_000))
        defer { fixture.remove() }
        try Data([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]).write(to: fixture.directory.file("tool.bin"))
        try fixture.directory.write("long.txt", (1...1000).map { "line \($0)" }.joined(separator: "\n"))

        let binary = await fixture.edit(["command": "view", "path": "tool.bin"])
        let long = await fixture.edit(["command": "view", "path": "long.txt"])

        #expect(binary.isError && binary.text.contains("binary file (8 bytes)"))
        #expect(long.text.contains("   100\tline 100\n[showing lines 1–100 of 1000; view_range [101, 1000] shows more]"))
        #expect(!long.text.contains("line 101\n"))
    }

    @Test("a missing file or a directory given where a file is needed gets a clear error")
    func missingPaths() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try FileManager.default.createDirectory(at: fixture.directory.file("dir"), withIntermediateDirectories: true)

        let missing = await fixture.edit(["command": "view", "path": "nope.txt"])
        let replaceInDirectory = await fixture.edit(["command": "str_replace", "path": "dir", "old_str": "a", "new_str": "b"])
        let createOverDirectory = await fixture.edit(["command": "create", "path": "dir", "file_text": "x"])

        #expect(missing.isError && missing.text.contains("does not exist"))
        #expect(replaceInDirectory.isError && replaceInDirectory.text.contains("is a directory"))
        #expect(createOverDirectory.isError && createOverDirectory.text.contains("is a directory"))
    }

    @Test("create makes parent directories; missing arguments are named")
    func create() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }

        let created = await fixture.edit(["command": "create", "path": "a/b/c.txt", "file_text": "hi\n"])
        let noText = await fixture.edit(["command": "create", "path": "d.txt"])
        let noPath = await fixture.edit(["command": "create", "path": "", "file_text": "x"])

        #expect(!created.isError)
        #expect(try fixture.directory.read("a/b/c.txt") == "hi\n")
        #expect(noText.isError && noText.text.contains("file_text"))
        #expect(noPath.isError && noPath.text.contains("path"))
    }

    @Test("str_replace needs exactly one match and says where the matches are")
    func replaceMatchCounts() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try fixture.directory.write("a.py", "x = 1\ny = 2\nx = 1\nz = 3\nx = 1\n")

        let none = await fixture.edit(["command": "str_replace", "path": "a.py", "old_str": "w = 9", "new_str": "w = 0"])
        let several = await fixture.edit(["command": "str_replace", "path": "a.py", "old_str": "x = 1", "new_str": "x = 2"])
        let empty = await fixture.edit(["command": "str_replace", "path": "a.py", "old_str": "", "new_str": "x"])
        let one = await fixture.edit(["command": "str_replace", "path": "a.py", "old_str": "z = 3", "new_str": "z = 4"])

        #expect(none.isError && none.text.contains("was not found"))
        #expect(several.isError && several.text.contains("occurs 3 times") && several.text.contains("lines 1, 3, 5"))
        #expect(empty.isError)
        #expect(!one.isError && one.text.contains("     4\tz = 4"))
        #expect(try fixture.directory.read("a.py") == "x = 1\ny = 2\nx = 1\nz = 4\nx = 1\n")
    }

    @Test("writing a file back as it was, or replacing text with itself, is no edit and says so")
    func unchanged() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try fixture.directory.write("readme.txt", "Welcome to the projcet.\n")

        let rewrite = await fixture.edit(["command": "create", "path": "readme.txt", "file_text": "Welcome to the projcet."])
        let same = await fixture.edit(["command": "str_replace", "path": "readme.txt", "old_str": "projcet", "new_str": "projcet"])
        let fixed = await fixture.edit(["command": "create", "path": "readme.txt", "file_text": "Welcome to the project.\n"])

        #expect(rewrite.isError && rewrite.text.hasPrefix("Nothing changed"), "\(rewrite.text)")
        #expect(same.isError && same.text.hasPrefix("Nothing changed"), "\(same.text)")
        let after = try fixture.directory.read("readme.txt")
        #expect(!fixed.isError && after == "Welcome to the project.\n")
    }

    @Test("edits keep CRLF line endings and the file's permissions")
    func keepsLineEndingsAndMode() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        let url = try fixture.directory.write("run.sh", "#!/bin/sh\r\necho one\r\necho two\r\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: url.path)

        let replaced = await fixture.edit(["command": "str_replace", "path": "run.sh", "old_str": "echo one\necho two",
                                           "new_str": "echo 1\necho 2"])
        let inserted = await fixture.edit(["command": "insert", "path": "run.sh", "insert_line": 1, "new_str": "set -e"])

        #expect(!replaced.isError && !inserted.isError, "\(replaced.text) \(inserted.text)")
        #expect(try Data(contentsOf: url) == Data("#!/bin/sh\r\nset -e\r\necho 1\r\necho 2\r\n".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode == 0o750)
    }

    @Test("insert goes after the given line; 0 is the top; past the end is refused")
    func insert() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try fixture.directory.write("a.txt", "b\nc")

        _ = await fixture.edit(["command": "insert", "path": "a.txt", "insert_line": 0, "new_str": "a"])
        _ = await fixture.edit(["command": "insert", "path": "a.txt", "insert_line": 3, "new_str": "d\n"])
        let outside = await fixture.edit(["command": "insert", "path": "a.txt", "insert_line": 9, "new_str": "z"])
        let noLine = await fixture.edit(["command": "insert", "path": "a.txt", "new_str": "z"])

        #expect(try fixture.directory.read("a.txt") == "a\nb\nc\nd\n")
        #expect(outside.isError && outside.text.contains("use 0 to 4"))
        #expect(noLine.isError && noLine.text.contains("insert_line"))
    }

    @Test("undo_edit steps back through several edits, down to removing a created file")
    func undoLevels() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }

        _ = await fixture.edit(["command": "create", "path": "u.txt", "file_text": "v1\n"])
        _ = await fixture.edit(["command": "str_replace", "path": "u.txt", "old_str": "v1", "new_str": "v2"])
        _ = await fixture.edit(["command": "str_replace", "path": "u.txt", "old_str": "v2", "new_str": "v3"])

        _ = await fixture.edit(["command": "undo_edit", "path": "u.txt"])
        #expect(try fixture.directory.read("u.txt") == "v2\n")
        _ = await fixture.edit(["command": "undo_edit", "path": "u.txt"])
        #expect(try fixture.directory.read("u.txt") == "v1\n")
        let removed = await fixture.edit(["command": "undo_edit", "path": "u.txt"])
        #expect(removed.text.contains("removed"))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.file("u.txt").path))
        let nothing = await fixture.edit(["command": "undo_edit", "path": "u.txt"])
        #expect(nothing.isError && nothing.text.contains("no edit"))
    }

    @Test("an unknown command and an unwritable file are explained")
    func unknownCommandAndReadOnlyDirectory() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        let locked = fixture.directory.file("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        try fixture.directory.write("locked/a.txt", "a\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: locked.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: locked.path) }

        let unknown = await fixture.edit(["command": "rewrite", "path": "a.txt"])
        let denied = await fixture.edit(["command": "str_replace", "path": "locked/a.txt", "old_str": "a", "new_str": "b"])

        #expect(unknown.isError && unknown.text.contains("Unknown command"))
        if getuid() != 0 {  // root writes anywhere
            #expect(denied.isError && denied.text.contains("could not be written"))
            #expect(try fixture.directory.read("locked/a.txt") == "a\n")
        }
    }
}
