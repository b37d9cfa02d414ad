import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("OpenAI-compatible services by name")
struct PresetTests {
    @Test("a hosted preset sends its own key variable as a bearer token; a local one sends none")
    func keys() async throws {
        let scenario = try await Scenario(.openai, [.text("from groq"), .text("from lm studio")])
        defer { Task { await scenario.finish() } }

        let groq = try await scenario.gander(["run", "--provider", "groq", "--base-url", scenario.server.baseURL, "-t", "hi"],
                                             environment: ["GROQ_API_KEY": "groq-test-key"])
        #expect(groq.status == 0 && groq.stdout == "from groq\n", "stderr: \(groq.stderr)")
        let first = scenario.server.chatRequests[0]
        #expect(first.headers["authorization"] == "Bearer groq-test-key")
        #expect(first.body?["model"] == "llama-3.3-70b-versatile", "the preset's default model")

        let local = try await scenario.gander(["run", "--provider", "lmstudio", "--model", "qwen2.5-coder-7b",
                                               "--base-url", scenario.server.baseURL, "-t", "hi"])
        #expect(local.status == 0, "stderr: \(local.stderr)")
        #expect(scenario.server.chatRequests[1].headers["authorization"] == nil)
    }

    @Test("bad input: a hosted preset without its key, a local one without a model — one line each")
    func badInput() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        let noKey = try await scenario.gander(["run", "--provider", "mistral", "-t", "hi"])
        #expect(noKey.status == 1)
        #expect(noKey.stderrLines == ["gander: error: MISTRAL_API_KEY is not set; export it, or choose another --provider"])
        let noModel = try await scenario.gander(["run", "--provider", "vllm", "-t", "hi"])
        #expect(noModel.stderrLines == ["gander: error: vllm serves the models loaded into it: pass one as --model NAME "
            + "(its /v1/models lists them)"])
    }

    @Test("models served by the Responses API alone are asked there; GANDER_OPENAI_API chooses for the rest")
    func responsesAPI() async throws {
        let scenario = try await Scenario(.openaiResponses, [.text("from o3-pro"), .text("chosen")])
        defer { Task { await scenario.finish() } }
        let automatic = try await scenario.gander(["run", "--provider", "openai", "--model", "o3-pro",
                                                   "--base-url", scenario.server.baseURL, "-t", "hi"],
                                                  environment: ["GANDER_OPENAI_API": ""])
        #expect(automatic.status == 0 && automatic.stdout == "from o3-pro\n", "stderr: \(automatic.stderr)")
        let request = try #require(scenario.server.chatRequests.first)
        #expect(request.path == "/v1/responses" && request.body?["store"] == false)
        #expect(request.body?["input"]?.arrayValue?.first?["content"]?.arrayValue?.first?["type"] == "input_text")

        let bad = try await scenario.run(["-t", "hi"], environment: ["GANDER_OPENAI_API": "assistants"])
        #expect(bad.stderrLines == ["gander: error: GANDER_OPENAI_API=assistants is not an API; use responses or chat"])
    }
}
