import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("Azure OpenAI")
struct AzureTests {
    /// Runs `gander run --provider azure` against the scripted server, which plays the resource's endpoint.
    private func run(_ scenario: Scenario, endpointPath: String = "", _ arguments: [String],
                     environment: [String: String] = ["AZURE_OPENAI_API_KEY": "azure-test-key"]) async throws -> GanderProcess.Result {
        let endpoint = "http://127.0.0.1:\(scenario.server.port)" + endpointPath
        return try await scenario.gander(["run", "--provider", "azure", "--base-url", endpoint] + arguments,
                                         environment: environment)
    }

    @Test("deployment URLs with api-version and the api-key header; the v1 endpoint; an Entra ID token")
    func addressesAndKeys() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(shell("echo hi")), .text("It printed hi."), .text("v1 works."), .text("token works."),
        ])
        defer { Task { await scenario.finish() } }

        let deployments = try await run(scenario, ["--model", "my-gpt", "-t", "say hi"])
        #expect(deployments.status == 0, "stderr: \(deployments.stderr)")
        #expect(deployments.stdout == "It printed hi.\n")
        let first = scenario.server.chatRequests[0]
        #expect(first.path == "/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21")
        #expect(first.headers["api-key"] == "azure-test-key" && first.headers["authorization"] == nil)

        let v1 = try await run(scenario, endpointPath: "/openai/v1", ["--model", "my-gpt", "-t", "hi"])
        #expect(v1.status == 0, "stderr: \(v1.stderr)")
        let third = scenario.server.chatRequests[2]
        #expect(third.path == "/openai/v1/chat/completions")
        #expect(third.body?["model"] == "my-gpt", "the deployment goes in the body")

        let token = try await run(scenario, ["--model", "my-gpt", "-t", "hi"],
                                  environment: ["AZURE_OPENAI_AD_TOKEN": "entra-token", "OPENAI_API_VERSION": "2025-04-01-preview"])
        #expect(token.status == 0, "stderr: \(token.stderr)")
        let fourth = scenario.server.chatRequests[3]
        #expect(fourth.path.hasSuffix("?api-version=2025-04-01-preview"))
        #expect(fourth.headers["authorization"] == "Bearer entra-token" && fourth.headers["api-key"] == nil)
    }

    @Test("the content filter, refusing the prompt or stopping the answer, is one readable line")
    func contentFilter() async throws {
        let refusal = #"{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}"#
        let stoppedStream = #"data: {"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Here"},"finish_reason":null}]}"#
            + "\n\n" + #"data: {"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"content_filter","content_filter_results":{"self_harm":{"filtered":true,"severity":"high"}}}]}"#
            + "\n\ndata: [DONE]\n\n"
        let scenario = try await Scenario(.openai, [.status(400, body: refusal), ScriptedReply(rawStream: stoppedStream)])
        defer { Task { await scenario.finish() } }

        let refused = try await run(scenario, ["--model", "my-gpt", "-t", "something"])
        #expect(refused.status == 1)
        #expect(refused.stderrLines == ["gander: error: azure returned HTTP 400: The response was filtered due to the "
            + "prompt triggering Azure OpenAI's content management policy. (violence: medium). The provider's content "
            + "filter refused the prompt; rephrase it, or leave out what may have been flagged."])

        let stopped = try await run(scenario, ["--model", "my-gpt", "-t", "something else"])
        #expect(stopped.status == 1)
        #expect(stopped.stderrLines == ["gander: error: azure reported an error: the content filter stopped the answer "
            + "(self_harm: high); rephrase the request, or leave out what may have been flagged"])
    }

    @Test("bad input: no deployment, no endpoint, no key, a wrong deployment — one line each")
    func badInput() async throws {
        let scenario = try await Scenario(.openai, [
            .status(404, body: #"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#),
        ])
        defer { Task { await scenario.finish() } }

        let noDeployment = try await run(scenario, ["-t", "hi"])
        #expect(noDeployment.stderrLines == ["gander: error: azure needs the name of your deployment: pass it as --model DEPLOYMENT"])
        let noEndpoint = try await scenario.gander(["run", "--provider", "azure", "--model", "x", "-t", "hi"],
                                                   environment: ["AZURE_OPENAI_API_KEY": "k"])
        #expect(noEndpoint.stderr.contains("AZURE_OPENAI_ENDPOINT is not set"))
        let noKey = try await run(scenario, ["--model", "x", "-t", "hi"], environment: [:])
        #expect(noKey.stderr.contains("AZURE_OPENAI_API_KEY is not set"))
        let wrong = try await run(scenario, ["--model", "nope", "-t", "hi"])
        #expect(wrong.status == 1 && wrong.stderrLines.count == 1)
        #expect(wrong.stderr.contains("azure returned HTTP 404: The API deployment for this resource does not exist."))
    }
}
