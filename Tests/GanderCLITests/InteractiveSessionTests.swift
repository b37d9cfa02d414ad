import Foundation
import GanderCore
import GanderTestSupport
import Testing

/// `gander session` in a real terminal (tmux), against a scripted model server.
@Suite("the interactive session, driven through tmux", .serialized)
struct InteractiveSessionTests {
    /// Starts a session and waits for its first prompt, as a user would before typing.
    private func start(_ scenario: Scenario, _ arguments: [String] = [], environment: [String: String] = [:]) async throws -> TmuxSession {
        var env = scenario.environment.merging(environment) { $1 }
        env["TERM"] = "xterm-256color"
        let terminal = try TmuxSession(["\(GanderProcess.executable.path)", "session"] + scenario.providerArguments + arguments,
                                       in: scenario.workspace.url, environment: env)
        let ready = await terminal.waitFor("Ctrl-D leaves")
        #expect(ready, "the session did not start: \(terminal.screen())")
        return terminal
    }

    @Test("a turn streams rendered Markdown, shows each tool call and its result, and asks before a command runs")
    func turnWithApproval() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(shell("echo hi > out.txt")),
            .text("# Done\n\nI wrote **out.txt** with `echo`:\n\n```bash\necho hi > out.txt\n```\n- first item\n"),
        ])
        defer { Task { await scenario.finish() } }
        let terminal = try await start(scenario)
        defer { terminal.close() }

        #expect(await terminal.waitFor("mode smart"))
        try terminal.enter("make a file")
        #expect(await terminal.waitFor("Allow developer__shell with"), "\(terminal.screen())")
        #expect(terminal.screen().contains("▸ shell command=echo hi > out.txt"))
        #expect(terminal.screen().contains(#""command" : "echo hi > out.txt""#), "the full arguments are shown")
        #expect(terminal.screen().contains("runs outside the sandbox"), "smart mode runs commands unfenced, and says so")
        #expect(!FileManager.default.fileExists(atPath: scenario.workspace.file("out.txt").path), "nothing runs before the yes")
        try terminal.enter("y")
        #expect(await terminal.waitFor("• first item"), "\(terminal.screen())")
        let screen = terminal.screen()
        #expect(screen.contains("✓ exit code: 0"))
        #expect(screen.contains("┌─ bash"), "the code block names its language")
        #expect(screen.contains("│ echo hi > out.txt"))
        #expect(screen.contains("Done") && !screen.contains("# Done"), "the heading is rendered, not shown raw")
        #expect(screen.contains("I wrote out.txt with echo:"), "emphasis and inline code lose their markers")
        #expect(try scenario.workspace.read("out.txt") == "hi\n")

        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())
        #expect(terminal.screen().contains("saved"))
    }

    @Test("a session started with a recipe: its instructions in the system prompt, its prompt as the first turn, then the user goes on")
    func recipeSession() async throws {
        let scenario = try await Scenario(.openai, [.text("Hi Ada!"), .text("Bye for now.")])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("greet.yaml", """
            title: Greeter
            description: greets someone by name
            instructions: Always greet warmly.
            prompt: "Say hi to {{ who }}."
            parameters:
              - key: who
                input_type: string
                requirement: required
                description: whom to greet
            """)
        let terminal = try await start(scenario, ["--recipe", "greet.yaml", "--params", "who=Ada"])
        defer { terminal.close() }

        #expect(await terminal.waitFor("Hi Ada!"), "\(terminal.screen())")
        #expect(terminal.screen().contains("recipe: Greeter"))
        #expect(scenario.systemPrompt(inRequest: 0).contains("# Recipe\n\nAlways greet warmly."))
        #expect(scenario.server.chatRequests[0].body?["messages"]?.arrayValue?[1]["content"]?.stringValue == "Say hi to Ada.")
        try terminal.enter("thanks")
        #expect(await terminal.waitFor("Bye for now."), "\(terminal.screen())")
        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())
    }

    @Test("a slash_commands recipe runs as a turn with its argument; /recipe saves what was asked and it runs again")
    func recipeCommands() async throws {
        let scenario = try await Scenario(.openai, [.text("Reviewed main."), .text("All fine."), .text("Reviewed again.")])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("recipes/review.yaml", """
            title: Review
            description: reviews a branch
            instructions: Be brief.
            prompt: "Review the branch {{ branch }}."
            parameters:
              - key: branch
                input_type: string
                requirement: required
                description: the branch
            """)
        try scenario.home.write(".config/gander/config.yaml", """
            slash_commands:
              - command: Review
                recipe_path: \(scenario.workspace.file("recipes/review.yaml").path)
              - command: gone
                recipe_path: /nowhere/gone.yaml
            """)
        let terminal = try await start(scenario)
        defer { terminal.close() }

        try terminal.enter("/help")
        #expect(await terminal.waitFor("/review [ARGUMENT]"), "\(terminal.screen())")
        try terminal.enter("/review \"main\"")
        #expect(await terminal.waitFor("Reviewed main."), "\(terminal.screen())")
        #expect(scenario.server.chatRequests[0].body?["messages"]?.arrayValue?[1]["content"]?.stringValue
            == "Be brief.\n\nReview the branch main.")
        try terminal.enter("/gone")
        #expect(await terminal.waitFor("/gone: no recipe file at /nowhere/gone.yaml"), "\(terminal.screen())")
        try terminal.enter("and the tests?")
        #expect(await terminal.waitFor("All fine."), "\(terminal.screen())")

        try terminal.enter("/recipe")
        #expect(await terminal.waitFor("/recipe needs a file name"), "\(terminal.screen())")
        try terminal.enter("/recipe saved/again")
        #expect(await terminal.waitFor("saved 2 requests as"), "\(terminal.screen())")
        try terminal.enter("/recipe saved/again.yaml")
        #expect(await terminal.waitFor("exists; give /recipe another file name"), "\(terminal.screen())")
        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())

        let saved = try scenario.workspace.read("saved/again.yaml")
        #expect(saved.contains("Be brief.") && saved.contains("and the tests?"), "\(saved)")
        let rerun = try await scenario.run(["--recipe", "saved/again.yaml"])
        #expect(rerun.status == 0, "stderr: \(rerun.stderr)")
        #expect(rerun.stdout == "Reviewed again.\n")
        let prompt = scenario.server.chatRequests.last?.body?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
        #expect(prompt.hasPrefix("Do these in order:") && prompt.contains("2. and the tests?"), "\(prompt)")
    }

    @Test("run --recipe --interactive runs the recipe's prompt, then goes on as a session; without a terminal it says so")
    func runInteractive() async throws {
        let scenario = try await Scenario(.openai, [.text("Hi Ada!"), .text("Bye for now.")])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("greet.yaml", """
            title: Greeter
            description: greets someone by name
            prompt: "Say hi to {{ who }}."
            parameters:
              - key: who
                input_type: string
                requirement: required
                description: whom to greet
            """)
        var environment = scenario.environment
        environment["TERM"] = "xterm-256color"
        let terminal = try TmuxSession(["\(GanderProcess.executable.path)", "run"] + scenario.providerArguments
                                       + ["--recipe", "greet.yaml", "--params", "who=Ada", "--interactive"],
                                       in: scenario.workspace.url, environment: environment)
        defer { terminal.close() }
        #expect(await terminal.waitFor("Hi Ada!"), "\(terminal.screen())")
        #expect(terminal.screen().contains("mode smart"), "a session's mode, not run's auto")
        try terminal.enter("thanks")
        #expect(await terminal.waitFor("Bye for now."), "\(terminal.screen())")
        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())
        #expect(scenario.server.chatRequests[1].body?["messages"]?.arrayValue?.count == 4, "the second turn goes on from the first")

        let headless = try await scenario.run(["--recipe", "greet.yaml", "--params", "who=Ada", "--interactive"])
        #expect(headless.status == 2)
        #expect(headless.stderr.contains("--interactive needs a terminal"), "stderr: \(headless.stderr)")
    }

    @Test("/undo puts back the files of the last turn, and /audit lists what this session sent")
    func undoAndAudit() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(editor(["command": "create", "path": "made.txt", "file_text": "new\n"]),
                   editor(["command": "str_replace", "path": "kept.txt", "old_str": "old", "new_str": "changed"])),
            .text("Made and changed."),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("kept.txt", "old\n")
        let terminal = try await start(scenario, ["--mode", "auto"])
        defer { terminal.close() }

        try terminal.enter("make and change a file")
        #expect(await terminal.waitFor("Made and changed."), "\(terminal.screen())")
        #expect(try scenario.workspace.read("kept.txt") == "changed\n")
        try terminal.enter("/undo")
        #expect(await terminal.waitFor("removed  made.txt"), "\(terminal.screen())")
        #expect(terminal.screen().contains("restored kept.txt"))
        #expect(try scenario.workspace.read("kept.txt") == "old\n")
        #expect(!FileManager.default.fileExists(atPath: scenario.workspace.file("made.txt").path))

        try terminal.enter("/audit")
        #expect(await terminal.waitFor("127.0.0.1:\(scenario.server.port)/v1/chat/completions"), "\(terminal.screen())")
        #expect(terminal.screen().contains("tool outputs: developer__text_editor ×2"), "\(terminal.screen())")
        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())
    }

    @Test("/compact summarizes the conversation on demand; the status line shows how full the window is")
    func compactCommand() async throws {
        let work: [ScriptedReply] = (0..<6).map { .tools(shell("seq \($0) \($0 + 300)")) }
        let scenario = try await Scenario(.openai, work + [.text("First part done."), .text("Going on from the summary.")],
                                          contextLimit: 8192)
        defer { Task { await scenario.finish() } }
        let terminal = try await start(scenario, ["--mode", "auto"], environment: ["GANDER_CONTEXT_LIMIT": "8192"])
        defer { terminal.close() }

        try terminal.enter("count for me")
        #expect(await terminal.waitFor("First part done."), "\(terminal.screen())")
        #expect(await terminal.waitFor(" of 8,192 tokens"), "the status line: \(terminal.screen())")
        #expect(terminal.screen().contains("context "))

        try terminal.enter("/compact")
        #expect(await terminal.waitFor("older turns summarized"), "\(terminal.screen())")
        #expect(scenario.server.contextStatistics.summaries == 1)

        try terminal.enter("go on")
        #expect(await terminal.waitFor("Going on from the summary."), "\(terminal.screen())")
        let last = try #require(scenario.server.chatRequests.last).rawBody
        let startsFromSummary = last.contains("Scripted summary number 1.") && !last.contains("seq 0 300")
        #expect(startsFromSummary, "the next turn starts from the summary, not the turns it replaced")
        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())
    }

    @Test("the model's checklist is shown whole each time it changes")
    func checklist() async throws {
        let items: JSONValue = ["items": [["text": "read the code", "status": "done"],
                                          ["text": "fix the bug", "status": "in_progress"]]]
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("todo__write", items.canonicalText)), .text("Working on it."),
        ])
        defer { Task { await scenario.finish() } }
        let terminal = try await start(scenario)
        defer { terminal.close() }

        try terminal.enter("fix the bug")
        #expect(await terminal.waitFor("Working on it."), "\(terminal.screen())")
        let screen = terminal.screen()
        #expect(screen.contains("✓ Checklist (1 of 2 done):"))
        #expect(screen.contains("☑ read the code") && screen.contains("◐ fix the bug"), "\(screen)")
        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())
    }

    @Test("/extensions lists each MCP server, its state and its tool count")
    func extensionsCommand() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        let terminal = try await start(scenario, [
            "--with-extension", "\(mcpVenv.path)/bin/mcp-server-time",
            "--with-extension", "\(mcpPython) \(mcpFixtures.appendingPathComponent("misbehaving_server.py").path) exit-at-start",
        ])
        defer { terminal.close() }

        var listed = ""
        for _ in 0..<100 {
            try terminal.enter("/extensions")
            try await Task.sleep(for: .milliseconds(200))
            listed = terminal.screen()
            if listed.contains("mcp-server-time  ready  2 tools") { break }
        }
        #expect(listed.contains("mcp-server-time  ready  2 tools"), "\(listed)")
        #expect(listed.contains("misbehaving_server  failed  0 tools  its server exited with status 7"), "\(listed)")
        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())
    }

    @Test("n with a reason tells the model why; a makes the tool run without asking for the rest of the session")
    func denyAndAlways() async throws {
        let scenario = try await Scenario(.anthropic, [
            .tools(shell("echo no > no.txt")), .text("understood"),
            .tools(shell("echo a")), .tools(shell("echo b")), .text("both ran"),
        ])
        defer { Task { await scenario.finish() } }
        let terminal = try await start(scenario)
        defer { terminal.close() }

        try terminal.enter("first")
        #expect(await terminal.waitFor("allow? [y/a/n]"))
        try terminal.enter("n not on a Friday")
        #expect(await terminal.waitFor("understood"), "\(terminal.screen())")
        #expect(scenario.toolResultsSent(inRequest: 1).first?.text.contains("Their reason: not on a Friday") == true)
        #expect(!FileManager.default.fileExists(atPath: scenario.workspace.file("no.txt").path))

        try terminal.enter("second")
        #expect(await terminal.waitFor("allow? [y/a/n]", count: 2))
        try terminal.enter("a")
        #expect(await terminal.waitFor("both ran"), "\(terminal.screen())")
        #expect(terminal.screen().components(separatedBy: "Allow developer__shell").count - 1 == 2,
                "the third call ran without a question")
        try terminal.press("C-d")
        #expect(await terminal.waitForExit())
    }

    @Test("Ctrl-C mid-answer stops the turn, keeps the partial answer marked interrupted; Ctrl-C twice on an empty line leaves")
    func interruptMidAnswer() async throws {
        var stalled = ScriptedReply.text("The first words arrive, then nothing more")
        stalled.stallAfterChunks = 4
        let scenario = try await Scenario(.openai, [stalled, .text("after the interruption")])
        defer { Task { await scenario.finish() } }
        let terminal = try await start(scenario, ["--name", "cut"])
        defer { terminal.close() }

        try terminal.enter("tell me")
        #expect(await terminal.waitFor("The first wo"), "\(terminal.screen())")
        try terminal.press("C-c")
        #expect(await terminal.waitFor("⏹ interrupted"), "\(terminal.screen())")
        try terminal.enter("again")
        #expect(await terminal.waitFor("after the interruption"), "the session goes on after an interruption")

        try terminal.press("C-c")
        #expect(await terminal.waitFor("press Ctrl-C again"))
        try terminal.press("C-c")
        #expect(await terminal.waitForExit(), "\(terminal.screen())")

        let id = try #require(try await scenario.sessions().first?["id"]?.stringValue)
        let messages = try await scenario.messages(ofSession: id)
        #expect(messages.map(\.text) == ["tell me", "The first wo", "again", "after the interruption"])
        #expect(messages[1].isInterrupted)
        #expect(!messages[3].isInterrupted)
    }

    @Test("multi-line input, slash commands, chat mode, history across sessions, resume, and NO_COLOR")
    func inputCommandsAndHistory() async throws {
        let scenario = try await Scenario(.openai, [.text("answer-one"), .text("answer-two"), .text("answer-three"), .text("answer-four")])
        defer { Task { await scenario.finish() } }
        let terminal = try await start(scenario, ["--name", "multi"], environment: ["NO_COLOR": "1"])
        defer { terminal.close() }

        try terminal.type("line one")
        try terminal.press("C-j")
        try terminal.enter("line two")
        #expect(await terminal.waitFor("answer-one"))
        try terminal.enter("first part \\")
        try terminal.enter("second part")
        #expect(await terminal.waitFor("answer-two"))
        let sent = scenario.server.chatRequests.map { $0.body?["messages"]?.arrayValue?.last?["content"]?.stringValue }
        #expect(sent == ["line one\nline two", "first part \nsecond part"])

        try terminal.enter("/help")
        #expect(await terminal.waitFor("/usage"))
        for command in SlashCommandNames.all { #expect(terminal.screen().contains(command), "/help lists \(command)") }
        try terminal.enter("/nonsense")
        #expect(await terminal.waitFor("unknown command /nonsense"))
        try terminal.enter("/mode chat")
        #expect(await terminal.waitFor("mode: chat"))
        try terminal.enter("/tools")
        #expect(await terminal.waitFor("no tools in chat mode"))
        try terminal.enter("/clear")
        #expect(await terminal.waitFor("new conversation"))
        try terminal.enter("just talk")
        #expect(await terminal.waitFor("answer-three"))
        let last = try #require(scenario.server.chatRequests.last?.body)
        let tools: [JSONValue] = last["tools"]?.arrayValue ?? []
        #expect(tools.isEmpty, "chat mode offers no tools")
        #expect(last["messages"]?.arrayValue?.count == 2, "after /clear only the system prompt and the new input")
        try terminal.enter("/usage")
        #expect(await terminal.waitFor("tokens in"))
        #expect(!terminal.screen(attributes: true).contains("\u{1B}["), "NO_COLOR: no colours or styles")
        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())

        let again = try await start(scenario, ["--resume", "multi"])
        defer { again.close() }
        #expect(await again.waitFor("resumed: 2 messages"), "\(again.screen())")
        #expect(again.screen().contains("you: just talk"))
        try again.press("Up")
        #expect(await again.waitFor("› /exit"), "history from the earlier session: \(again.screen())")
        try again.press("Up")
        #expect(await again.waitFor("› /usage"))
        try again.press("C-u")
        try again.enter("continue")
        #expect(await again.waitFor("answer-four"))
        let resumedRequest = try #require(scenario.server.chatRequests.last?.body?["messages"]?.arrayValue)
        #expect(resumedRequest.compactMap { $0["content"]?.stringValue } == [resumedRequest.first?["content"]?.stringValue ?? "", "just talk", "answer-three", "continue"],
                "the resumed conversation goes to the model")
        try again.enter("exit")
        #expect(await again.waitForExit())
    }
}

extension InteractiveSessionTests {
    @Test("/r shows tool output in full, /model and /provider switch who answers, /sessions lists this one")
    func switchesAndViews() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(shell("printf 'l1\\nl2\\nl3\\n'")), .text("listed"), .text("from the other model"),
        ])
        defer { Task { await scenario.finish() } }
        let terminal = try await start(scenario, ["--mode", "auto", "--name", "switchy"])
        defer { terminal.close() }

        try terminal.enter("/r")
        #expect(await terminal.waitFor("tool output: in full"))
        try terminal.enter("print lines")
        #expect(await terminal.waitFor("listed"), "\(terminal.screen())")
        #expect(terminal.screen().contains("│ l2"), "the whole output is shown: \(terminal.screen())")

        try terminal.enter("/model other-model")
        #expect(await terminal.waitFor("now talking to openai/other-model"))
        try terminal.enter("/provider nonexistent")
        #expect(await terminal.waitFor("unknown provider"), "\(terminal.screen())")
        try terminal.enter("again")
        #expect(await terminal.waitFor("from the other model"))
        #expect(scenario.server.chatRequests.last?.body?["model"] == "other-model")

        try terminal.enter("/sessions")
        #expect(await terminal.waitFor("switchy"))
        try terminal.enter("/exit")
        #expect(await terminal.waitForExit())
        #expect(try await scenario.sessions().first?["model"] == "other-model", "the session records the switch")
    }
}

/// The commands `/help` must list.
private enum SlashCommandNames {
    static let all = ["/help", "/exit", "/mode", "/model", "/provider", "/clear", "/tools", "/sessions", "/r", "/usage"]
}
