import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("the memory and todo extensions")
struct MemoryAndTodoTests {
    static func call(_ name: String, _ arguments: JSONValue) -> ScriptedToolCall {
        ScriptedToolCall(name, arguments.canonicalText)
    }

    @Test("what one session remembers is offered at the start of the next, from plain files the user can edit")
    func memoryAcrossSessions() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(Self.call("memory__remember", ["category": "build", "data": "Run make check before committing.",
                                                  "tags": ["ci", "#testing"]]),
                   Self.call("memory__remember", ["category": "style", "data": "Prefer tabs.", "scope": "global"])),
            .text("Noted."),
            .text("I remember."),
        ])
        defer { Task { await scenario.finish() } }

        let first = try await scenario.run(["-t", "remember how we build"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let file = try String(contentsOf: scenario.workspace.file(".gander/memory/build.md"), encoding: .utf8)
        #expect(file == "# build\n\n- Run make check before committing. #ci #testing\n")
        let global = try String(contentsOf: scenario.home.file(".config/gander/memory/style.md"), encoding: .utf8)
        #expect(global.contains("- Prefer tabs."))

        // The user edits the file by hand; the next session sees the edit.
        try scenario.workspace.write(".gander/memory/build.md", file + "- Releases are tagged vX.Y.Z.\n  Never force-push tags.\n")
        let second = try await scenario.run(["-t", "how do we build?"])
        #expect(second.status == 0)
        let prompt = scenario.systemPrompt(inRequest: 2)
        #expect(prompt.contains("build (project):\n- Run make check before committing.\n- Releases are tagged vX.Y.Z.\nNever force-push tags."),
                "\(prompt)")
        #expect(prompt.contains("style (global):\n- Prefer tabs."))
    }

    @Test("retrieve by tag, forget by text, and bad input gets a clear error")
    func retrieveAndForget() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(Self.call("memory__remember", ["category": "build", "data": "Use make.", "tags": ["ci"]]),
                   Self.call("memory__remember", ["category": "build", "data": "Cache is in .cache.", "tags": ["disk"]])),
            .tools(Self.call("memory__retrieve", ["category": "*", "tags": ["ci"]])),
            .tools(Self.call("memory__forget", ["category": "build", "matching": "make"])),
            .tools(Self.call("memory__remember", ["category": "../etc", "data": "x"]),
                   Self.call("memory__retrieve", ["category": "nothing-here"])),
            .text("done"),
        ])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "go", "--output-format", "stream-json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let texts = result.toolResults.map(\.text)
        #expect(texts[2] == "build (project):\n- Use make. #ci")
        #expect(texts[3] == "Forgot 1 entry from build (project).")
        #expect(result.toolResults[4].isError && texts[4].contains("`category` must be a short name"))
        #expect(texts[5] == "Nothing is remembered in nothing-here.")
        let file = try String(contentsOf: scenario.workspace.file(".gander/memory/build.md"), encoding: .utf8)
        #expect(file == "# build\n\n- Cache is in .cache. #disk\n")
    }

    @Test("the todo list is written whole and read back; builtins: turns extensions off")
    func todoList() async throws {
        let items: JSONValue = ["items": [["text": "read the code", "status": "done"],
                                          ["text": "fix the bug", "status": "in_progress"],
                                          ["text": "run the tests", "status": "pending"]]]
        let scenario = try await Scenario(.openai, [
            .tools(Self.call("todo__write", items)),
            .tools(Self.call("todo__read", [:])),
            .text("on it"),
            .text("no memory here"),
        ])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "fix it", "--mode", "smart", "--output-format", "stream-json"])
        #expect(result.status == 0)
        let list = "Checklist (1 of 3 done):\n[x] read the code\n[~] fix the bug\n[ ] run the tests"
        #expect(result.toolResults.map(\.text) == [list, list], "todo__write runs without asking even in smart mode")

        try scenario.home.write(".config/gander/config.yaml", "builtins:\n  memory: false\n")
        _ = try await scenario.run(["-t", "hi"])
        let offered = scenario.server.chatRequests.last?.offeredTools ?? []
        #expect(offered.contains("todo__write") && !offered.contains { $0.hasPrefix("memory__") })
    }
}
