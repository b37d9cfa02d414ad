import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("Databricks Model Serving")
struct DatabricksTests {
    private func run(_ scenario: Scenario, _ arguments: [String], environment: [String: String]) async throws -> GanderProcess.Result {
        try await scenario.gander(["run", "--provider", "databricks", "--base-url", "http://127.0.0.1:\(scenario.server.port)"]
                                  + arguments, environment: environment)
    }

    @Test("a serving endpoint with a personal access token, then with a service principal's OAuth token")
    func tokens() async throws {
        let scenario = try await Scenario(.openai, [.tools(shell("echo hi")), .text("PAT works."), .text("OAuth works.")])
        defer { Task { await scenario.finish() } }

        let pat = try await run(scenario, ["--model", "databricks-claude", "-t", "hi"],
                                environment: ["DATABRICKS_TOKEN": "dapi-test-token"])
        #expect(pat.status == 0 && pat.stdout == "PAT works.\n", "stderr: \(pat.stderr)")
        let first = scenario.server.chatRequests[0]
        #expect(first.path == "/serving-endpoints/databricks-claude/invocations")
        #expect(first.headers["authorization"] == "Bearer dapi-test-token")

        let oauth = try await run(scenario, ["--model", "databricks-claude", "-t", "hi"],
                                  environment: ["DATABRICKS_CLIENT_ID": "sp-id", "DATABRICKS_CLIENT_SECRET": "sp-secret"])
        #expect(oauth.status == 0 && oauth.stdout == "OAuth works.\n", "stderr: \(oauth.stderr)")
        let tokenRequest = try #require(scenario.server.requests.first { $0.path == "/oidc/v1/token" })
        #expect(tokenRequest.headers["authorization"] == "Basic " + Data("sp-id:sp-secret".utf8).base64EncodedString())
        #expect(tokenRequest.rawBody == "grant_type=client_credentials&scope=all-apis")
        #expect(scenario.server.chatRequests.last?.headers["authorization"] == "Bearer scripted-oauth-token")
    }

    @Test("bad input: no endpoint name, no host, no credentials — one line each")
    func badInput() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        let noModel = try await run(scenario, ["-t", "hi"], environment: ["DATABRICKS_TOKEN": "t"])
        #expect(noModel.stderrLines == ["gander: error: databricks needs the name of a serving endpoint: pass it as --model ENDPOINT"])
        let noHost = try await scenario.gander(["run", "--provider", "databricks", "--model", "x", "-t", "hi"],
                                               environment: ["DATABRICKS_TOKEN": "t"])
        #expect(noHost.stderr.contains("DATABRICKS_HOST is not set"))
        let noToken = try await run(scenario, ["--model", "x", "-t", "hi"], environment: [:])
        #expect(noToken.stderr.contains("DATABRICKS_TOKEN is not set"))
    }
}
