import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("permission modes and per-tool rules, headless")
struct PermissionTests {
    /// Runs one tool call under `arguments` and returns what the tool result sent back to the model said.
    private func toolResult(of call: ScriptedToolCall, _ arguments: [String], config: String? = nil,
                            environment: [String: String] = [:]) async throws -> (text: String, status: Int32, scenario: Scenario) {
        let scenario = try await Scenario(.openai, [.tools(call), .text("ok")])
        try scenario.workspace.write("notes.txt", "hello\n")
        if let config { try scenario.home.write(".config/gander/config.yaml", config) }
        let result = try await scenario.run(["-t", "go"] + arguments, environment: environment)
        let sent = scenario.server.chatRequests.count > 1 ? scenario.toolResultsSent(inRequest: 1) : []
        return (sent.first?.text ?? "", result.status, scenario)
    }

    @Test("auto, the default for run, runs every tool")
    func autoRuns() async throws {
        let (text, status, scenario) = try await toolResult(of: shell("echo ran > ran.txt"), [])
        defer { Task { await scenario.finish() } }
        #expect(status == 0)
        #expect(text.contains("exit code: 0"))
        #expect(FileManager.default.fileExists(atPath: scenario.workspace.file("ran.txt").path))
    }

    @Test("smart refuses a shell command headless and tells the model why; nothing runs")
    func smartRefusesWrites() async throws {
        let (text, status, scenario) = try await toolResult(of: shell("echo ran > ran.txt"), ["--mode", "smart"])
        defer { Task { await scenario.finish() } }
        #expect(status == 0, "the run goes on after a refusal")
        #expect(text.contains("needs the user's approval in the `smart` permission mode"), "sent: \(text)")
        #expect(!FileManager.default.fileExists(atPath: scenario.workspace.file("ran.txt").path))
    }

    @Test("smart runs read-only calls: the editor's view and search")
    func smartRunsReads() async throws {
        let (view, _, first) = try await toolResult(of: editor(["command": "view", "path": "notes.txt"]), ["--mode", "smart"])
        defer { Task { await first.finish() } }
        #expect(view.contains("hello"), "sent: \(view)")
        let (found, _, second) = try await toolResult(
            of: ScriptedToolCall("developer__search", #"{"pattern":"hello"}"#), ["--mode", "smart"])
        defer { Task { await second.finish() } }
        #expect(found.contains("notes.txt"), "sent: \(found)")
        let (create, _, third) = try await toolResult(
            of: editor(["command": "create", "path": "new.txt", "file_text": "x"]), ["--mode", "smart"])
        defer { Task { await third.finish() } }
        #expect(create.contains("needs the user's approval"), "the editor's create writes, so it asks")
    }

    @Test("smart asks before reading outside the working directory: a path out, a symlink out, a search out")
    func smartAsksBeforeReadingOutside() async throws {
        let outside = try TemporaryDirectory(prefix: "gander-outside")
        defer { outside.remove() }
        try outside.write("deploy-notes.txt", "PRIVATE KEY MATERIAL\n")
        let secret = outside.file("deploy-notes.txt").path
        let calls: [(ScriptedToolCall, String)] = [
            (editor(["command": "view", "path": .string(secret)]), secret),
            (editor(["command": "view", "path": "keys/deploy-notes.txt"]), secret),
            (editor(["command": "view", "path": "keys"]), outside.url.path),
            (ScriptedToolCall("developer__search", JSONValue.object(["pattern": "KEY", "path": .string(outside.url.path)]).canonicalText),
             outside.url.path),
        ]
        for (call, reported) in calls {
            let scenario = try await Scenario(.openai, [.tools(call), .text("ok")])
            defer { Task { await scenario.finish() } }
            try FileManager.default.createSymbolicLink(at: scenario.workspace.file("keys"), withDestinationURL: outside.url)
            let result = try await scenario.run(["-t", "go", "--mode", "smart"])
            let sent = scenario.toolResultsSent(inRequest: 1).first?.text ?? ""
            #expect(result.status == 0)
            #expect(sent.hasPrefix("Not run: \(call.name) reads \(reported), outside the working directory, which needs "
                + "the user's approval in the `smart` permission mode"), "sent: \(sent)")
            #expect(!sent.contains("PRIVATE KEY MATERIAL"))
        }

        let (auto, _, scenario) = try await toolResult(of: editor(["command": "view", "path": .string(secret)]), [])
        defer { Task { await scenario.finish() } }
        #expect(auto.contains("PRIVATE KEY MATERIAL"), "auto mode reads anywhere, as before: \(auto)")
    }

    @Test("a fetch of this machine or a private network asks in smart mode; auto runs it; public addresses need no approval")
    func localNetworkAsks() async throws {
        let local = ScriptedToolCall("web__fetch", #"{"url":"http://127.0.0.1:1/admin"}"#)
        let (refused, status, first) = try await toolResult(of: local, ["--mode", "smart"])
        defer { Task { await first.finish() } }
        #expect(status == 0)
        #expect(refused == "Not run: web__fetch reaches 127.0.0.1, an address on this machine or its private network, which "
            + "needs the user's approval in the `smart` permission mode, and nobody is here to give it in this headless run. "
            + "Carry on without it, or say what you need and why.",
                "sent: \(refused)")
        let (ran, _, second) = try await toolResult(of: local, [])
        defer { Task { await second.finish() } }
        #expect(ran.contains("the connection to 127.0.0.1:1 was refused"), "auto mode fetches it: \(ran)")
        let (public_, _, third) = try await toolResult(
            of: ScriptedToolCall("web__fetch", #"{"url":"https://no-such-host.invalid/"}"#), ["--mode", "smart"])
        defer { Task { await third.finish() } }
        #expect(public_.contains("could not be resolved"), "a public name runs in smart mode: \(public_)")
    }

    @Test("approve asks even for read-only tools, so headless they are refused")
    func approveRefusesEverything() async throws {
        let (text, _, scenario) = try await toolResult(
            of: ScriptedToolCall("developer__search", #"{"pattern":"hello"}"#), [], environment: ["GANDER_MODE": "approve"])
        defer { Task { await scenario.finish() } }
        #expect(text.contains("needs the user's approval in the `approve` permission mode"), "sent: \(text)")
    }

    @Test("chat offers the model no tools at all")
    func chatOffersNoTools() async throws {
        let scenario = try await Scenario(.openai, [.text("just words")])
        defer { Task { await scenario.finish() } }
        let result = try await scenario.run(["-t", "hi", "--mode", "chat"])
        #expect(result.stdout == "just words\n")
        let body = try #require(scenario.server.chatRequests.first?.body)
        let tools: [JSONValue] = body["tools"]?.arrayValue ?? []
        #expect(tools.isEmpty, "no tools in the request")
    }

    @Test("config.yaml rules outrank the mode: never, always, and a rule for a whole extension")
    func configRules() async throws {
        let (never, _, first) = try await toolResult(
            of: shell("echo ran > ran.txt"), [], config: "permissions:\n  developer__shell: never\n")
        defer { Task { await first.finish() } }
        #expect(never.contains("never allows developer__shell"), "sent: \(never)")
        #expect(!FileManager.default.fileExists(atPath: first.workspace.file("ran.txt").path))

        let (always, _, second) = try await toolResult(
            of: shell("echo ran"), ["--mode", "approve"], config: "mode: smart\npermissions:\n  developer__shell: always\n")
        defer { Task { await second.finish() } }
        #expect(always.contains("exit code: 0"), "sent: \(always)")

        let (ask, _, third) = try await toolResult(
            of: editor(["command": "view", "path": "notes.txt"]), [], config: "permissions:\n  developer: ask\n")
        defer { Task { await third.finish() } }
        #expect(ask.contains("needs the user's approval"), "sent: \(ask)")
    }

    @Test("the mode comes from --mode, then GANDER_MODE, then config.yaml; gander info shows it")
    func modeSources() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        try scenario.home.write(".config/gander/config.yaml", "mode: approve\n")
        let fromConfig = try await scenario.gander(["info"])
        #expect(fromConfig.stdout.contains("mode:          approve in a session, approve for run  (config.yaml)"), "\(fromConfig.stdout)")
        let fromEnvironment = try await scenario.gander(["info"], environment: ["GANDER_MODE": "chat"])
        #expect(fromEnvironment.stdout.contains("chat in a session, chat for run  (GANDER_MODE)"))
        let fromFlag = try await scenario.gander(["info", "--mode", "auto"])
        #expect(fromFlag.stdout.contains("auto in a session, auto for run  (--mode)"))
        try FileManager.default.removeItem(at: scenario.home.file(".config/gander/config.yaml"))
        let defaults = try await scenario.gander(["info"])
        #expect(defaults.stdout.contains("smart in a session, auto for run  (default)"))
    }

    @Test("a bad mode or a bad config.yaml: one clear line and a non-zero exit")
    func badModeAndConfig() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        let badFlag = try await scenario.run(["-t", "hi", "--mode", "yolo"])
        #expect(badFlag.status == 2)
        let badEnvironment = try await scenario.run(["-t", "hi"], environment: ["GANDER_MODE": "yolo"])
        #expect(badEnvironment.status == 2)
        #expect(badEnvironment.stderr.contains("GANDER_MODE=yolo is not a mode"))

        for (config, complaint) in [
            ("mode: yolo\n", "mode \"yolo\" is not one of"),
            ("permissions:\n  developer__shell: sometimes\n", "permissions.developer__shell must be always, ask or never"),
            ("mdoe: auto\n", "unknown key \"mdoe\""),
            ("mode: [unclosed\n", "is not valid YAML"),
        ] {
            try scenario.home.write(".config/gander/config.yaml", config)
            let result = try await scenario.run(["-t", "hi"])
            #expect(result.status == 1)
            #expect(result.stderrLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains(complaint), "\(result.stderr)")
        }
    }
}
