import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("sessions survive anything")
struct SessionRecordTests {
    @Test("a run is kept as a session; --resume goes on with it, by default the latest in this directory")
    func runAndResume() async throws {
        let scenario = try await Scenario(.openai, [.tools(shell("echo one")), .text("first answer"), .text("second answer")])
        defer { Task { await scenario.finish() } }

        let first = try await scenario.run(["-t", "run echo", "--name", "demo", "--output-format", "json"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let sessionID = try #require(try JSONValue(parsing: first.stdout)["session_id"]?.stringValue)
        let sessions = try await scenario.sessions()
        #expect(sessions.count == 1)
        #expect(sessions.first?["name"] == "demo")
        #expect(sessions.first?["message_count"] == 4, "input, tool call, tool result, answer")

        let second = try await scenario.run(["--resume", "-t", "and again"])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(second.stdout == "second answer\n")
        let sent = try #require(scenario.server.chatRequests.last?.body?["messages"]?.arrayValue)
        let texts = sent.compactMap { $0["content"]?.stringValue }
        #expect(texts.contains("run echo") && texts.contains("first answer") && texts.contains("and again"),
                "the resumed conversation went to the model: \(texts)")
        #expect(try await scenario.messages(ofSession: sessionID).count == 6)
        #expect(try await scenario.sessions().count == 1, "resuming adds to the session, it does not start another")
    }

    @Test("--resume NAME, and --no-session keeps no record")
    func resumeByNameAndNoSession() async throws {
        let scenario = try await Scenario(.anthropic, [.text("a"), .text("b"), .text("c"), .text("d")])
        defer { Task { await scenario.finish() } }
        #expect(try await scenario.run(["-t", "one", "--name", "alpha"]).status == 0)
        #expect(try await scenario.run(["-t", "two"]).status == 0)
        #expect(try await scenario.run(["--resume", "alpha", "-t", "three", "--no-session"]).status == 2,
                "--no-session with --resume is a usage error")
        #expect(try await scenario.run(["--resume", "alpha", "-t", "three"]).status == 0)
        let alpha = try #require(try await scenario.sessions().first { $0["name"] == "alpha" })
        #expect(alpha["message_count"] == 4)

        let before = try await scenario.sessions().count
        let unrecorded = try await scenario.run(["-t", "secret", "--no-session"])
        #expect(unrecorded.status == 0, "stderr: \(unrecorded.stderr)")
        #expect(unrecorded.stdout == "d\n")
        #expect(try await scenario.sessions().count == before)
    }

    @Test("killed with SIGKILL mid-stream, every finished message is still there, and the session resumes")
    func killedMidStream() async throws {
        var stalled = ScriptedReply.text("this answer never ends")
        stalled.stallAfterChunks = 2
        let scenario = try await Scenario(.openai, [.tools(shell("echo kept > kept.txt")), stalled, .text("resumed fine")])
        defer { Task { await scenario.finish() } }
        let server = scenario.server

        let killed = try await scenario.run(["-t", "write kept.txt", "--name", "crash"]) { pid in
            while server.chatRequests.count < 2 { try? await Task.sleep(for: .milliseconds(20)) }
            try? await Task.sleep(for: .milliseconds(300))
            kill(pid, SIGKILL)
        }
        #expect(killed.status == SIGKILL)

        let session = try #require(try await scenario.sessions().first)
        let id = try #require(session["id"]?.stringValue)
        let messages = try await scenario.messages(ofSession: id)
        #expect(messages.count == 3, "the input, the tool call and its result had finished: \(messages)")
        #expect(messages.first?.text == "write kept.txt")
        #expect(messages.dropFirst().first?.toolCalls.first?.name == "developer__shell")
        #expect(messages.last?.toolResults.first?.text.contains("exit code: 0") == true)

        let shown = try await scenario.gander(["sessions", "show", "crash"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("write kept.txt") && shown.stdout.contains("echo kept > kept.txt"))

        let resumed = try await scenario.run(["--resume", "crash", "-t", "go on"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(resumed.stdout == "resumed fine\n")
        #expect(try await scenario.messages(ofSession: id).count == 5)
    }

    @Test("several Gander processes write to one database at once and nothing is lost")
    func concurrentProcesses() async throws {
        let scenario = try await Scenario(.openai, Array(repeating: ScriptedReply.text("done"), count: 6))
        defer { Task { await scenario.finish() } }
        let results = try await withThrowingTaskGroup(of: GanderProcess.Result.self) { group in
            for index in 0..<6 {
                group.addTask { try await scenario.run(["-t", "task \(index)"]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        let sessions = try await scenario.sessions()
        #expect(sessions.count == 6)
        #expect(sessions.allSatisfy { $0["message_count"] == 2 })
    }

    @Test("export writes Markdown or JSON to a file; sessions can be forked and removed")
    func exportForkRemove() async throws {
        let scenario = try await Scenario(.ollama, [.text("the answer is **42**")])
        defer { Task { await scenario.finish() } }
        #expect(try await scenario.run(["-t", "what is the answer", "--name", "q"]).status == 0)

        let markdown = try await scenario.gander(["sessions", "export", "q", "--format", "markdown", "-o", "q.md"])
        #expect(markdown.status == 0, "stderr: \(markdown.stderr)")
        let text = try scenario.workspace.read("q.md")
        #expect(text.contains("# q") && text.contains("what is the answer") && text.contains("the answer is **42**"))

        let fork = try await scenario.gander(["sessions", "fork", "q", "--name", "q2"])
        #expect(fork.status == 0)
        #expect(try await scenario.sessions().count == 2)
        let forkID = try #require(try await scenario.sessions().first { $0["name"] == "q2" }?["id"]?.stringValue)
        #expect(try await scenario.messages(ofSession: forkID).map(\.text) == ["what is the answer", "the answer is **42**"])

        let removed = try await scenario.gander(["sessions", "remove", "q"])
        #expect(removed.status == 0)
        #expect(try await scenario.sessions().map { $0["name"] } == ["q2"])
    }

    @Test("a session whose provider is gone can still be listed, shown and exported")
    func providerGone() async throws {
        let scenario = try await Scenario(.anthropic, [.text("hello")])
        defer { Task { await scenario.finish() } }
        #expect(try await scenario.run(["-t", "hi", "--name", "old"]).status == 0)
        let noKeys = ["ANTHROPIC_API_KEY": "", "OPENAI_API_KEY": ""]
        #expect(try await scenario.gander(["sessions", "list"], environment: noKeys).stdout.contains("anthropic/scripted-model"))
        #expect(try await scenario.gander(["sessions", "show", "old"], environment: noKeys).stdout.contains("hello"))
        #expect(try await scenario.gander(["sessions", "export", "old", "--format", "json"], environment: noKeys).status == 0)
    }

    @Test("bad input: an unknown session, nothing to resume, an unwritable export path, a damaged database")
    func badInput() async throws {
        let scenario = try await Scenario(.openai, [.text("fine")])
        defer { Task { await scenario.finish() } }

        let unknown = try await scenario.gander(["sessions", "show", "no-such-session"])
        #expect(unknown.status == 1)
        #expect(unknown.stderrLines.count == 1)
        #expect(unknown.stderr.contains("no session \"no-such-session\""))

        let nothing = try await scenario.run(["--resume", "-t", "go on"])
        #expect(nothing.status != 0)
        #expect(nothing.stderr.contains("no earlier session"))

        #expect(try await scenario.run(["-t", "hi", "--name", "s"]).status == 0)
        let unwritable = try await scenario.gander(["sessions", "export", "s", "-o", "/nonexistent-dir/s.md"])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderrLines.count == 1)
        #expect(unwritable.stderr.contains("cannot write /nonexistent-dir/s.md"))

        let garbage = Data(repeating: 0x5A, count: 8192)
        try garbage.write(to: scenario.sessionDatabase)
        try? FileManager.default.removeItem(at: scenario.sessionDatabase.appendingPathExtension("wal"))
        let damaged = try await scenario.run(["-t", "hi"])
        #expect(damaged.status == 1)
        #expect(damaged.stderrLines.count == 1)
        #expect(damaged.stderr.contains("is damaged"), "stderr: \(damaged.stderr)")
        #expect(try Data(contentsOf: scenario.sessionDatabase) == garbage, "the damaged file is left as it was")
        let listed = try await scenario.gander(["sessions", "list"])
        #expect(listed.status == 1 && listed.stderr.contains("is damaged"))
    }
}
