import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("custom providers described in files")
struct CustomProviderTests {
    @Test("a Gander YAML file: its address, key variable, headers, default model and context window")
    func ganderFile() async throws {
        let scenario = try await Scenario(.openai, [.text("from corp")])
        defer { Task { await scenario.finish() } }
        try scenario.home.write(".config/gander/providers/corp.yaml", """
            engine: openai
            base_url: \(scenario.server.baseURL)
            api_key_env: CORP_LLM_KEY
            headers: {X-Team: developer-tools}
            models:
              - name: corp-large
                context_limit: 12000
              - corp-small
            """)

        let result = try await scenario.gander(["run", "--provider", "corp", "-t", "hi", "--output-format", "stream-json"],
                                               environment: ["CORP_LLM_KEY": "corp-secret"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let request = try #require(scenario.server.chatRequests.first)
        #expect(request.path == "/v1/chat/completions")
        #expect(request.headers["authorization"] == "Bearer corp-secret" && request.headers["x-team"] == "developer-tools")
        #expect(request.body?["model"] == "corp-large", "the first model is the default")
        let limits = result.events.compactMap { if case .contextFill(_, let limit) = $0 { limit } else { nil } }
        #expect(limits == [12000], "the file's context_limit is the window")
    }

    @Test("goose's custom_providers JSON, read as it is")
    func gooseFile() async throws {
        let scenario = try await Scenario(.anthropic, [.text("from goose's provider")])
        defer { Task { await scenario.finish() } }
        try scenario.home.write(".config/goose/custom_providers/custom_claude_proxy.json", """
            {
              "name": "custom_claude_proxy",
              "engine": "anthropic",
              "display_name": "Claude proxy",
              "description": "Custom Claude proxy provider",
              "api_key_env": "CUSTOM_CLAUDE_PROXY_API_KEY",
              "base_url": "\(scenario.server.baseURL)",
              "models": [{"name": "claude-sonnet-4-5", "context_limit": 200000}],
              "headers": null,
              "timeout_seconds": null,
              "supports_streaming": true
            }
            """)

        let result = try await scenario.gander(["run", "--provider", "custom_claude_proxy", "-t", "hi"],
                                               environment: ["CUSTOM_CLAUDE_PROXY_API_KEY": "proxy-key"])

        #expect(result.status == 0 && result.stdout == "from goose's provider\n", "stderr: \(result.stderr)")
        let request = try #require(scenario.server.chatRequests.first)
        #expect(request.path == "/v1/messages" && request.headers["x-api-key"] == "proxy-key")
    }

    @Test("bad files and missing keys: one line naming the file or the variable; unknown names list the files")
    func badInput() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        try scenario.home.write(".config/gander/providers/odd.yaml", "engine: cohere\nbase_url: https://example.com\n")
        try scenario.home.write(".config/gander/providers/keyed.json", #"{"engine": "openai", "base_url": "https://example.com", "api_key_env": "KEYED_TOKEN"}"#)

        let odd = try await scenario.gander(["run", "--provider", "odd", "-t", "hi"])
        #expect(odd.status == 1 && odd.stderrLines.count == 1)
        #expect(odd.stderr.contains("providers/odd.yaml needs engine: one of openai, anthropic, ollama"))
        let keyed = try await scenario.gander(["run", "--provider", "keyed", "--model", "m", "-t", "hi"])
        #expect(keyed.stderrLines == ["gander: error: KEYED_TOKEN is not set; export it for the keyed provider "
            + "(\(scenario.home.file(".config/gander/providers/keyed.json").path))"])
        let unknown = try await scenario.gander(["run", "--provider", "nobody", "-t", "hi"])
        #expect(unknown.stderr.contains(", keyed, odd with --provider"), "\(unknown.stderr)")
    }
}
