import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("what the commands the model runs see of Gander's environment")
struct CommandEnvironmentTests {
    /// Secrets a user's shell commonly holds, next to one harmless variable.
    let environment = [
        "OPENAI_API_KEY": "sk-openai-never-shared",
        "ANTHROPIC_API_KEY": "sk-ant-never-shared",
        "GITHUB_TOKEN": "ghp-github-token-value",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
        "PGPASSWORD": "postgres-password-value",
        "GOOGLE_APPLICATION_CREDENTIALS": "/home/me/gcp.json",
        "BUILD_FLAVOUR": "plain-value",
    ]

    /// Runs a model that runs `env`, with `config` in config.yaml; returns what the tool result sent to the model said
    /// and everything the session database holds.
    private func envAsTheModelSeesIt(config: String?) async throws -> (sent: String, stored: String) {
        let scenario = try await Scenario(.openai, [.tools(shell("env")), .text("done")])
        defer { Task { await scenario.finish() } }
        if let config { try scenario.home.write(".config/gander/config.yaml", config) }
        let result = try await scenario.run(["-t", "show the environment"], environment: environment)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let sent = scenario.toolResultsSent(inRequest: 1).first?.text ?? ""
        let stored = String(decoding: try Data(contentsOf: scenario.sessionDatabase), as: UTF8.self)
        return (sent, stored)
    }

    @Test("by default provider keys and secret-looking variables stay out; the rest passes")
    func defaultPolicy() async throws {
        let (sent, stored) = try await envAsTheModelSeesIt(config: nil)
        #expect(sent.contains("BUILD_FLAVOUR=plain-value"), "sent: \(sent)")
        for name in environment.keys where name != "BUILD_FLAVOUR" {
            #expect(!sent.contains(name), "\(name) reached the model")
        }
        for value in environment.values where value != "plain-value" {
            #expect(!stored.contains(value), "\(value) was stored in the session database")
        }
    }

    @Test("command_env keep lets a named variable through, and only that one")
    func keepNamed() async throws {
        let (sent, _) = try await envAsTheModelSeesIt(config: "command_env:\n  keep: [GITHUB_TOKEN]\n")
        // The command saw the kept token; the redactor kept its value from the provider all the same.
        #expect(sent.contains("GITHUB_TOKEN=«secret:"), "sent: \(sent)")
        #expect(!sent.contains("ghp-github-token-value"))
        #expect(!sent.contains("aws-secret-value") && !sent.contains("sk-openai-never-shared"))
    }

    @Test("keep: all passes every variable but the provider keys Gander itself uses")
    func keepAll() async throws {
        let (sent, _) = try await envAsTheModelSeesIt(config: "command_env:\n  keep: all\n")
        #expect(sent.contains("AWS_SECRET_ACCESS_KEY=«secret:") && sent.contains("PGPASSWORD=«secret:"), "sent: \(sent)")
        #expect(!sent.contains("sk-openai-never-shared") && !sent.contains("sk-ant-never-shared"), "sent: \(sent)")
    }

    @Test("a malformed command_env is one clear line and exit 1")
    func badConfig() async throws {
        let scenario = try await Scenario(.openai, [.text("never")])
        defer { Task { await scenario.finish() } }
        try scenario.home.write(".config/gander/config.yaml", "command_env:\n  keep: everything\n")
        let result = try await scenario.run(["-t", "hi"])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("command_env must be a mapping with keep: a list of variable names, or keep: all"))
    }
}
