import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("gander run carries out a task")
struct RunTaskTests {
    @Test("creates a file, runs a command, edits the file and finishes", arguments: ScriptedWireFormat.allCases)
    func multiTurnTask(format: ScriptedWireFormat) async throws {
        let scenario = try await Scenario(format, [
            .tools(editor(["command": "create", "path": "greet.sh", "file_text": "echo 'hello'\n"])),
            .tools(shell("sh greet.sh")),
            .tools(editor(["command": "str_replace", "path": "greet.sh", "old_str": "hello", "new_str": "hello, world"])),
            .tools(shell("sh greet.sh")),
            .text("greet.sh now prints hello, world."),
        ])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "write greet.sh"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == "greet.sh now prints hello, world.\n")
        #expect(try scenario.workspace.read("greet.sh") == "echo 'hello, world'\n")
        #expect(scenario.server.chatRequests.count == 5)
        for turn in 1...4 {
            let sent = scenario.toolResultsSent(inRequest: turn)
            #expect(sent.count == turn, "each request carries every result so far")
            // Ollama and Gemini match results to calls by tool name, not by id.
            let expectedID = format == .ollama || format == .gemini
                ? (turn % 2 == 1 ? "developer__text_editor" : "developer__shell")
                : scriptedCallID(format, turn: turn, position: 0)
            #expect(sent.last?.id == expectedID)
        }
        #expect(scenario.toolResultsSent(inRequest: 2).last?.text.contains("exit code: 0\nstdout:\nhello\n") == true)
        #expect(scenario.toolResultsSent(inRequest: 4).last?.text.contains("hello, world") == true)
    }

    @Test("independent calls of one turn run at the same time; results go back in call order",
          arguments: [ScriptedWireFormat.openai, .anthropic])
    func parallelToolCalls(format: ScriptedWireFormat) async throws {
        // Each command waits for the other's file, so they can only both finish if they run concurrently.
        let first = "touch a.ready; for i in $(seq 100); do [ -e b.ready ] && echo first-done && exit 0; sleep 0.1; done; exit 1"
        let second = "touch b.ready; for i in $(seq 100); do [ -e a.ready ] && echo second-done && exit 0; sleep 0.1; done; exit 1"
        let scenario = try await Scenario(format, [.tools(shell(first), shell(second)), .text("both done")])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "run both"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let sent = scenario.toolResultsSent(inRequest: 1)
        #expect(sent.map(\.id) == [scriptedCallID(format, turn: 1, position: 0), scriptedCallID(format, turn: 1, position: 1)])
        #expect(sent.first?.text.contains("first-done") == true)
        #expect(sent.last?.text.contains("second-done") == true)
    }

    @Test("arguments that arrive one character at a time are put back together", arguments: ScriptedWireFormat.allCases)
    func argumentsInManyChunks(format: ScriptedWireFormat) async throws {
        let content = String(repeating: "line of text with \"quotes\" and ünïcödé\n", count: 20)
        var reply = ScriptedReply.tools(editor(["command": "create", "path": "notes.txt", "file_text": .string(content)]))
        reply.chunkSize = 1
        let scenario = try await Scenario(format, [reply, .text("done")])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "write notes"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try scenario.workspace.read("notes.txt") == content)
    }

    @Test("hints from AGENTS.md, .ganderhints and .goosehints reach the system prompt, the nearest last, named from the working directory")
    func hintsInSystemPrompt() async throws {
        let scenario = try await Scenario(.openai, [.text("ok")])
        defer { Task { await scenario.finish() } }
        try FileManager.default.createDirectory(at: scenario.workspace.file(".git"), withIntermediateDirectories: true)
        try scenario.workspace.write("AGENTS.md", "ROOT-HINT: use tabs")
        try scenario.workspace.write("pkg/.goosehints", "PKG-HINT: run make check")
        try scenario.home.write(".config/gander/AGENTS.md", "GLOBAL-HINT: be brief")
        let package = scenario.workspace.file("pkg")

        let result = try await GanderProcess.run(
            ["run"] + scenario.providerArguments + ["-t", "hi"], in: package, environment: scenario.environment)

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let prompt = scenario.systemPrompt(inRequest: 0)
        let global = try #require(prompt.range(of: "GLOBAL-HINT"))
        let root = try #require(prompt.range(of: "ROOT-HINT"))
        let nearest = try #require(prompt.range(of: "PKG-HINT"))
        #expect(global.lowerBound < root.lowerBound && root.lowerBound < nearest.lowerBound)
        #expect(prompt.contains("## .goosehints\n") && prompt.contains("## ../AGENTS.md\n")
                && prompt.contains("## ~/.config/gander/AGENTS.md\n"), "each named from the working directory")
        #expect(prompt.hasPrefix("You are Gander"))
    }

    @Test("Anthropic thinking blocks go back unchanged with their signature")
    func thinkingRoundTrip() async throws {
        var reply = ScriptedReply.tools(shell("echo hi"))
        reply.thinking = "I should say hi."
        let scenario = try await Scenario(.anthropic, [reply, .text("said hi")])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "say hi"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let messages = try #require(scenario.server.chatRequests[1].body?["messages"]?.arrayValue)
        let assistant = try #require(messages.first { $0["role"] == "assistant" })
        let firstBlock = assistant["content"]?.arrayValue?.first
        #expect(firstBlock == ["type": "thinking", "thinking": "I should say hi.", "signature": "sig-1"])
    }

    @Test("Ollama is asked for the model's whole context window")
    func ollamaContextWindow() async throws {
        let scenario = try await Scenario(.ollama, [.text("ok")])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(scenario.server.chatRequests.first?.body?["options"]?["num_ctx"] == 32768)
        #expect(scenario.server.chatRequests.first?.path == "/api/chat")
    }

    @Test("the instruction can come from a file or stdin")
    func instructionSources() async throws {
        let scenario = try await Scenario(.openai, [.text("one"), .text("two")])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("task.md", "TASK FROM FILE")

        let fromFile = try await scenario.run(["-i", "task.md"])
        let fromStdin = try await scenario.run(["-i", "-"], stdin: "TASK FROM STDIN")

        #expect(fromFile.status == 0 && fromStdin.status == 0)
        let firstUser = scenario.server.chatRequests[0].body?["messages"]?.arrayValue?.last?["content"]
        let secondUser = scenario.server.chatRequests[1].body?["messages"]?.arrayValue?.last?["content"]
        #expect(firstUser == "TASK FROM FILE")
        #expect(secondUser == "TASK FROM STDIN")
    }
}
