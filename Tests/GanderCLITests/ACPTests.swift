import Foundation
import GanderCore
import GanderTestSupport
import Testing

/// `gander acp` driven by the official Agent Client Protocol Python SDK's client (Tests/Fixtures/acp/client.py),
/// against a scripted model server.
@Suite("gander acp, driven by the ACP Python SDK")
struct ACPTests {
    private let client = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/acp/client.py").path

    @Test("a session: an edit asked for and shown as a diff, a command rejected for good, a mode change, a recipe as a command with its plan, a cancel, a session from a recipe, the list, and the conversation replayed on load")
    func editorSession() async throws {
        var stall = ScriptedReply.text("Here is a long answer that goes on and on and on about many things, in many chunks.")
        stall.chunkSize = 8
        stall.stallAfterChunks = 2
        let scenario = try await Scenario(.openai, [
            .tools(editor(["command": "create", "path": "hello.txt", "file_text": "hi\n"])), .text("Wrote hello.txt."),
            .tools(shell("echo ran > ran.txt")), .text("Not run, as you said."),
            .tools(ScriptedToolCall("todo__write", #"{"items":[{"text":"read the diff","status":"done"},{"text":"write the review","status":"in_progress"}]}"#)),
            .text("Reviewed."),
            stall, .text("Brief."),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("hello.txt", "old\n")
        try scenario.workspace.write(".gander/recipes/review.yaml", """
            title: Review a branch
            description: reviews a branch
            instructions: Be brief.
            prompt: "Review the branch {{ branch }}."
            parameters: [{key: branch, input_type: string, requirement: required, description: the branch to review}]
            """)

        let result = try await ChildCommand.run(
            [mcpPython, client, scenario.workspace.url.path, "allow_once,reject_always", "--", GanderProcess.executable.path, "acp"]
                + scenario.providerArguments,
            in: scenario.workspace.url, environment: scenario.environment, timeout: .seconds(180))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let report = try JSONValue(parsing: result.stdout)

        #expect(report["initialize"]?["protocolVersion"] == 1)
        #expect(report["initialize"]?["agentCapabilities"]?["loadSession"] == true)
        #expect(report["modes"]?["currentModeId"] == "smart")
        #expect(report["modes"]?["availableModes"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["auto", "approve", "smart", "chat"])

        #expect(report["edit"]?["stopReason"] == "end_turn")
        #expect(try scenario.workspace.read("hello.txt") == "hi\n")
        let updates = report["updates"]?.arrayValue ?? []
        let started = updates.filter { $0["sessionUpdate"] == "tool_call" }
        #expect(started.first?["title"] == "Write hello.txt" && started.first?["kind"] == "edit", "\(started)")
        let finished = updates.filter { $0["sessionUpdate"] == "tool_call_update" }
        let diff = finished.first?["content"]?.arrayValue?.first
        #expect(diff?["type"] == "diff" && diff?["oldText"] == "old\n" && diff?["newText"] == "hi\n", "\(finished)")
        #expect(finished.first?["status"] == "completed")
        let text = updates.filter { $0["sessionUpdate"] == "agent_message_chunk" }.compactMap { $0["content"]?["text"]?.stringValue }.joined()
        #expect(text.hasPrefix("Wrote hello.txt.Not run, as you said."), "\(text)")

        let permissions = report["permissions"]?.arrayValue ?? []
        #expect(permissions.count == 2)
        #expect(permissions.first?["options"]?.arrayValue == ["allow_once", "allow_always", "reject_once", "reject_always"])
        #expect(permissions.last?["kind"] == "execute" && permissions.last?["title"] == "Run `echo ran > ran.txt`")
        #expect(!FileManager.default.fileExists(atPath: scenario.workspace.file("ran.txt").path), "a rejected command does not run")
        #expect(finished.contains { $0["status"] == "failed" }, "the rejected call is reported failed")
        #expect(updates.contains { $0["sessionUpdate"] == "current_mode_update" && $0["currentModeId"] == "auto" })
        #expect(report["bad_mode"]?.stringValue?.contains("no mode \"reckless\"") == true, "\(report["bad_mode"] ?? .null)")

        let commands = updates.first { $0["sessionUpdate"] == "available_commands_update" }?["availableCommands"]?.arrayValue ?? []
        #expect(commands.contains { $0["name"] == "review" && $0["description"] == "Review a branch" && $0["input"]?["hint"] == "the branch to review" },
                "\(commands)")
        #expect(report["recipe"]?["stopReason"] == "end_turn")
        let recipeTurn = scenario.server.chatRequests.first { request in
            request.body?["messages"]?.arrayValue?.contains { $0["content"] == "Be brief.\n\nReview the branch main." } == true
        }
        #expect(recipeTurn != nil, "/review main ran the recipe's prompt with its argument")
        let plan = updates.last { $0["sessionUpdate"] == "plan" }?["entries"]?.arrayValue ?? []
        #expect(plan.compactMap { $0["status"]?.stringValue } == ["completed", "in_progress"], "\(plan)")
        #expect(plan.first?["content"] == "read the diff")

        #expect(report["cancelled"]?["stopReason"] == "cancelled")
        #expect(report["with_recipe"] == "end_turn")
        let lastSystem = scenario.server.chatRequests.last?.body?["messages"]?.arrayValue?.first?["content"]?.stringValue ?? ""
        #expect(lastSystem.contains("# Recipe\n\nBe brief."), "a session started from a recipe has its instructions")
        #expect(report["bad_recipe"]?.stringValue?.contains("recipe nowhere: no recipe named \"nowhere\"") == true, "\(report["bad_recipe"] ?? .null)")
        let session = try #require(report["session"]?.stringValue)
        #expect(report["listed"]?.arrayValue?.contains(.string(session)) == true)

        let replayed = report["replayed"]?.arrayValue ?? []
        #expect(replayed.first?["sessionUpdate"] == "user_message_chunk" && replayed.first?["content"]?["text"] == "write hello.txt")
        #expect(replayed.contains { $0["sessionUpdate"] == "agent_message_chunk" && $0["content"]?["text"] == "Wrote hello.txt." })
        #expect(replayed.contains { $0["sessionUpdate"] == "tool_call" && $0["title"] == "Write hello.txt" })
        #expect(!replayed.contains { $0["content"]?.arrayValue?.contains { $0["type"] == "diff" } == true },
                "a replayed edit has no diff: the file's old text is gone")
        #expect(report["unknown_session"]?.stringValue?.contains("no session no-such-session is open") == true, "\(report["unknown_session"] ?? .null)")
    }

    @Test("an editor that holds files: views and edits go through its buffers, not the disk; the model and mode switched as config options; a cut-off answer is max_tokens; a session forked and loaded; the editor's MCP server in session/new; a refusal")
    func editorBuffers() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(editor(["command": "view", "path": "notes.txt"])),
            .tools(editor(["command": "str_replace", "path": "notes.txt", "old_str": "unsaved", "new_str": "edited"])),
            .text("Fixed."),
            .text("Still fixed."),
            ScriptedReply(text: "The first half of", finishReason: "length"),
            .tools(ScriptedToolCall("time__get_current_time", #"{"timezone":"Europe/Paris"}"#)),
            .text("Evening in Paris."),
            ScriptedReply(text: "I", finishReason: "content_filter"),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("notes.txt", "what is on disk\n")
        let client = URL(fileURLWithPath: self.client).deletingLastPathComponent().appendingPathComponent("editor_client.py").path

        let result = try await ChildCommand.run(
            [mcpPython, client, scenario.workspace.url.path, "--", GanderProcess.executable.path, "acp"] + scenario.providerArguments,
            in: scenario.workspace.url, environment: scenario.environment, timeout: .seconds(180))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let report = try JSONValue(parsing: result.stdout)
        let notes = scenario.workspace.file("notes.txt").path

        let viewed = report["updates"]?.arrayValue?.first { $0["sessionUpdate"] == "tool_call_update" && $0["status"] == "completed" }
        #expect(viewed?.canonicalText.contains("unsaved line from the editor") == true, "the view showed the buffer: \(viewed ?? .null)")
        #expect(report["writes"] == [["path": .string(notes), "content": "edited line from the editor\n"]], "\(report["writes"] ?? .null)")
        #expect(report["reads"]?.arrayValue?.allSatisfy { $0.stringValue == notes } == true)
        #expect(try scenario.workspace.read("notes.txt") == "what is on disk\n", "the disk is the editor's to save")
        #expect(report["edit"] == "end_turn" && report["second"] == "end_turn")
        #expect(report["cut_off"] == "max_tokens", "a reply cut off at the token limit is ACP's max_tokens, not an error")

        let options = report["config_options"]?.arrayValue ?? []
        #expect(options.compactMap { $0["id"]?.stringValue } == ["mode", "model"])
        #expect(report["set_mode"]?.arrayValue?.first?["currentValue"] == "auto")
        #expect(report["set_model"]?.arrayValue?.last?["currentValue"] == "gpt-switched")
        #expect(report["bad_option"]?.stringValue?.contains("the options are mode and model") == true, "\(report["bad_option"] ?? .null)")
        let models = scenario.server.chatRequests.compactMap { $0.body?["model"]?.stringValue }
        #expect(models == Array(repeating: "scripted-model", count: 3) + ["gpt-switched", "gpt-switched"] + Array(repeating: "scripted-model", count: 3),
                "the switched session's later turns, and only they, went to the new model: \(models)")

        #expect(report["fork"]?.stringValue.map { !$0.isEmpty } == true)
        let replayed = (report["fork_replayed"]?.arrayValue ?? []).filter { $0["sessionUpdate"] == "user_message_chunk" }
        #expect(replayed.compactMap { $0["content"]?["text"]?.stringValue } == ["fix notes.txt", "and now?", "explain everything"],
                "the fork carries the conversation: \(replayed)")
        #expect(report["bad_fork"]?.stringValue?.contains("no-such-session") == true, "\(report["bad_fork"] ?? .null)")

        #expect(report["mcp_stop"] == "end_turn")
        #expect(scenario.server.chatRequests.last?.offeredTools.contains("time__get_current_time") == true, "the editor's server's tools are offered")
        let timed = report["mcp_updates"]?.arrayValue?.first { $0["sessionUpdate"] == "tool_call_update" && $0["status"] == "completed" }
        #expect(timed?.canonicalText.contains("Europe/Paris") == true, "the tool ran in the editor's server: \(timed ?? .null)")
        #expect(report["refusal"] == "refusal", "the content filter's stop is ACP's refusal")
    }

    @Test("bad input on stdio: not JSON is -32700, a message over 16 MiB is refused unread, an unknown method -32601, an unknown session named; the connection lives on")
    func badInput() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        let client = URL(fileURLWithPath: self.client).deletingLastPathComponent().appendingPathComponent("raw_client.py").path
        let result = try await ChildCommand.run([mcpPython, client, GanderProcess.executable.path, "acp"] + scenario.providerArguments,
                                                in: scenario.workspace.url, environment: scenario.environment, timeout: .seconds(120))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let report = try JSONValue(parsing: result.stdout)
        let answers = report["answers"]?.arrayValue ?? []
        try #require(answers.count == 6, "\(answers)")
        #expect(answers[0]["error"]?["code"] == -32700 && answers[0]["id"] == .null)
        #expect(answers[1]["result"]?["protocolVersion"] == 1, "still answering after the bad line")
        #expect(answers[2]["error"]?["code"] == -32600 && answers[2]["error"]?["message"]?.stringValue?.contains("16 MiB") == true, "\(answers[2])")
        #expect(answers[3]["id"] == 3 && answers[3]["error"]?["code"] == -32601)
        #expect(answers[4]["id"] == 4 && answers[4]["error"]?["message"]?.stringValue?.contains("no-such-session") == true, "\(answers[4])")
        #expect(answers[5]["error"]?["message"]?.stringValue?.contains("cwd must be an absolute path") == true, "\(answers[5])")
        #expect(report["exit"] == 0, "stdin closed: the agent ends cleanly")
    }
}
