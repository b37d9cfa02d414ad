import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("gander configure", .serialized)
struct ConfigureTests {
    static let key = "sk-configure-0123456789abcdef"

    /// Everything the key must never be found in: config.yaml, the session database, logs, exports.
    private func files(in home: TemporaryDirectory) -> [URL] {
        let enumerator = FileManager.default.enumerator(at: home.url, includingPropertiesForKeys: nil)
        return (enumerator?.allObjects as? [URL] ?? []).filter { !$0.hasDirectoryPath && $0.lastPathComponent != "secrets.yaml" }
    }

    @Test("driven under tmux: provider, hidden key, a model from the server's list, mode; the key lands 0600 only there")
    func interactive() async throws {
        let scenario = try await Scenario(.openai, [.text("OK"), .text("configured and working")])
        defer { Task { await scenario.finish() } }
        var environment = scenario.environment
        environment["OPENAI_API_KEY"] = ""
        environment["OPENAI_BASE_URL"] = scenario.server.baseURL
        environment["TERM"] = "xterm-256color"
        let terminal = try TmuxSession(["\(GanderProcess.executable.path)", "configure"], in: scenario.workspace.url,
                                       environment: environment)
        defer { terminal.close() }

        #expect(await terminal.waitFor("Choose a number or a name"), "\(terminal.screen())")
        try terminal.enter("openai")
        #expect(await terminal.waitFor("OPENAI_API_KEY (typing is hidden"), "\(terminal.screen())")
        try terminal.enter(Self.key)
        #expect(await terminal.waitFor("2. scripted-small"), "the server's models are listed: \(terminal.screen())")
        #expect(!terminal.screen().contains(Self.key), "the key is never shown")
        try terminal.enter("2")
        #expect(await terminal.waitFor("Mode of sessions"))
        try terminal.enter("auto")
        #expect(await terminal.waitFor("Add an MCP server?"))
        try terminal.enter("")
        #expect(await terminal.waitFor("✓ openai answered"), "\(terminal.screen())")
        #expect(await terminal.waitForExit())

        let secrets = scenario.home.file(".config/gander/secrets.yaml")
        let mode = try FileManager.default.attributesOfItem(atPath: secrets.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(try String(contentsOf: secrets, encoding: .utf8).contains("OPENAI_API_KEY: \(Self.key)"))
        let config = try String(contentsOf: scenario.home.file(".config/gander/config.yaml"), encoding: .utf8)
        #expect(config.contains("provider: openai") && config.contains("model: scripted-small") && config.contains("mode: auto"))
        #expect(scenario.server.chatRequests.first?.headers["authorization"] == "Bearer \(Self.key)", "checked before saving")

        // A run with no key in the environment uses the saved one, and the key is found nowhere else.
        let run = try await scenario.gander(["run", "-t", "hi"],
                                            environment: ["OPENAI_API_KEY": "", "OPENAI_BASE_URL": scenario.server.baseURL])
        #expect(run.status == 0 && run.stdout == "configured and working\n", "stderr: \(run.stderr)")
        #expect(scenario.server.chatRequests.last?.headers["authorization"] == "Bearer \(Self.key)")
        _ = try await scenario.gander(["sessions", "export", try #require(try await scenario.sessions().first?["id"]?.stringValue),
                                       "--format", "json", "-o", scenario.home.file("export.json").path])
        for file in files(in: scenario.home) {
            let data = (try? Data(contentsOf: file)) ?? Data()
            #expect(data.range(of: Data(Self.key.utf8)) == nil, "the key leaked into \(file.path)")
        }
    }

    @Test("headless: the key piped on stdin; a provider that does not answer saves nothing; bad input is one line")
    func headless() async throws {
        let scenario = try await Scenario(.openai, [.text("OK"), .text("OK"),
                                                    .status(401, body: #"{"error":{"message":"Incorrect API key provided"}}"#)])
        defer { Task { await scenario.finish() } }
        let environment = ["OPENAI_API_KEY": "", "OPENAI_BASE_URL": scenario.server.baseURL]

        let saved = try await GanderProcess.run(["configure", "--provider", "openai", "--model", "scripted-large"],
                                                in: scenario.workspace.url,
                                                environment: scenario.environment.merging(environment) { $1 },
                                                stdin: Self.key + "\n")
        #expect(saved.status == 0, "stderr: \(saved.stderr)")
        #expect(saved.stdout.contains("✓ openai answered; saved provider openai, model scripted-large"))
        let secrets = scenario.home.file(".config/gander/secrets.yaml")
        #expect(try String(contentsOf: secrets, encoding: .utf8).contains(Self.key))

        let info = try await scenario.gander(["info", "--check"],
                                             environment: environment.merging(["ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": ""]) { $1 })
        #expect(info.status == 0, "stderr: \(info.stderr)")
        #expect(info.stdout.contains("providers:     openai (OPENAI_API_KEY from secrets.yaml)"), "\(info.stdout)")
        #expect(info.stdout.contains("check openai/scripted-large: ✓ answers"), "\(info.stdout)")
        #expect(!info.stdout.contains(Self.key))

        try FileManager.default.removeItem(at: secrets)
        let refused = try await GanderProcess.run(["configure", "--provider", "openai"], in: scenario.workspace.url,
                                                  environment: scenario.environment.merging(environment) { $1 },
                                                  stdin: "sk-wrong\n")
        #expect(refused.status == 1 && refused.stderrLines.count == 1)
        #expect(refused.stderr.contains("openai did not answer, so nothing was saved: openai returned HTTP 401"))
        #expect(!FileManager.default.fileExists(atPath: secrets.path))

        let noProvider = try await GanderProcess.run(["configure"], in: scenario.workspace.url,
                                                     environment: scenario.environment, stdin: "")
        #expect(noProvider.status == 2 && noProvider.stderr.contains("give --provider"))
    }
}
