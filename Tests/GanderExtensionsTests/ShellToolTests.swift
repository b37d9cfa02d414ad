import Foundation
import GanderCore
@testable import GanderExtensions
import GanderTestSupport
import Testing

@Suite("developer__shell")
struct ShellToolTests {
    @Test("returns exit code, stdout and stderr, runs in the working directory with stdin closed")
    func basics() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }

        let output = await fixture.call("shell", ["command": "pwd; echo oops >&2; read line || echo no-stdin; exit 3"])

        #expect(output.isError)
        #expect(output.text == "exit code: 3\nstdout:\n\(fixture.directory.path)\nno-stdin\n\nstderr:\noops\n")
    }

    @Test("a script of the folder called by its bare name says how to run it; a real missing command does not")
    func localScript() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        _ = try fixture.directory.write("greet.sh", "#!/bin/sh\necho hi\n")

        let script = await fixture.call("shell", ["command": "greet.sh Gander"])
        #expect(script.isError)
        #expect(script.text.contains("exit code: 127"))
        #expect(script.text.contains("greet.sh is a file in the working directory, not a command on PATH: run it as ./greet.sh"))

        let missing = await fixture.call("shell", ["command": "no-such-tool --version"])
        #expect(missing.text.contains("exit code: 127"))
        #expect(!missing.text.contains("note:"))
    }

    @Test("a command past its timeout is killed together with its children")
    func timeoutKillsGroup() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }

        let output = await fixture.call("shell", [
            "command": "sleep 120 & echo $! > child.pid; echo started; sleep 120", "timeout": 1,
        ])

        #expect(output.isError)
        #expect(output.text.contains("Timed out after 1 s"))
        #expect(output.text.contains("started"))
        let child = try #require(Int32(try fixture.directory.read("child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        try await Task.sleep(for: .milliseconds(100))
        #expect(!isRunning(child), "the background child died with its group")
    }

    @Test("50 MB of output keeps head and tail, says what was cut and where the rest is")
    func hugeOutput() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }

        let output = await fixture.call("shell", ["command": "seq 1 7000000"])  // about 54 MB

        #expect(!output.isError)
        let text = output.text
        #expect(text.utf8.count < 110 * 1024, "the model gets at most the limit")
        #expect(text.contains("stdout:\n1\n2\n3\n"))
        #expect(text.hasSuffix("6999999\n7000000\n"))
        let note = try #require(text.split(separator: "\n").first { $0.hasPrefix("[… ") })
        #expect(note.contains("lines") && note.contains("7000000 lines"))
        let savedPath = try #require(note.split(separator: " ").first { $0.hasPrefix("/") }.map(String.init))
        let saved = try FileManager.default.attributesOfItem(atPath: savedPath.trimmingCharacters(in: CharacterSet(charactersIn: ",")))
        #expect((saved[.size] as? Int ?? 0) > 50_000_000)
    }

    @Test("many short lines past the line limit are cut too")
    func lineLimit() async throws {
        let fixture = try DeveloperFixture(limits: OutputLimits(maxLines: 10, maxBytes: 100_000))
        defer { fixture.remove() }

        let output = await fixture.call("shell", ["command": "seq 1 100"])

        #expect(output.text.contains("1\n2\n3\n4\n5\n[… 90 lines"))
        #expect(output.text.hasSuffix("96\n97\n98\n99\n100\n"))
    }

    @Test("an empty command is refused")
    func emptyCommand() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        let output = await fixture.call("shell", ["command": "   "])
        #expect(output.isError && output.text.contains("empty"))
    }

    @Test("cancelling the call kills the command")
    func cancellation() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        let call = Task { await fixture.call("shell", ["command": "echo $$ > pid; sleep 60"]) }
        let pidFile = fixture.directory.file("pid")
        while !FileManager.default.fileExists(atPath: pidFile.path) { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(50))

        call.cancel()
        let output = await call.value

        #expect(output.isError && output.text.contains("interrupted"))
        let pid = try #require(Int32(try fixture.directory.read("pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!isRunning(pid))
    }
}
