import Foundation
import GanderCore
import GanderTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Tests/Fixtures/bedrock/server.py, which checks every request's signature with botocore.
private struct BedrockServer {
    let directory: TemporaryDirectory
    let port: Int
    let process: Process
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    init(_ replies: JSONValue) async throws {
        directory = try TemporaryDirectory(prefix: "gander-bedrock")
        try directory.write("script.json", replies.canonicalText)
        process = Process()
        process.executableURL = URL(fileURLWithPath: mcpPython)
        process.arguments = [mcpFixtures.deletingLastPathComponent().appendingPathComponent("bedrock/server.py").path,
                             directory.file("script.json").path, directory.file("log.jsonl").path, Self.secret]
        process.standardError = FileHandle.nullDevice
        port = try await LoopbackPort.announced(by: process)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// The requests it received, each with what botocore said of its signature.
    var requests: [JSONValue] {
        let log = (try? String(contentsOf: directory.file("log.jsonl"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        directory.remove()
    }
}

@Suite("AWS Bedrock, signed with SigV4 and checked by botocore")
struct BedrockTests {
    let keys = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": BedrockServer.secret]

    private func run(_ server: BedrockServer, in scenario: Scenario, _ arguments: [String],
                     environment: [String: String]) async throws -> GanderProcess.Result {
        try await scenario.gander(["run", "--provider", "bedrock", "--base-url", server.url] + arguments, environment: environment)
    }

    @Test("a tool turn with session credentials: botocore agrees with every signature; ids and results go round")
    func toolTurn() async throws {
        let server = try await BedrockServer([
            ["tool": ["id": "tooluse_1", "name": "developer__shell", "input": ["command": "echo signed"]]],
            ["text": "It printed signed."],
        ])
        defer { server.stop() }
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }

        let result = try await run(server, in: scenario, ["-t", "run it"],
                                   environment: keys.merging(["AWS_SESSION_TOKEN": "session-token-example",
                                                              "AWS_REGION": "us-west-2"]) { $1 })

        #expect(result.status == 0 && result.stdout == "It printed signed.\n", "stderr: \(result.stderr)")
        let requests = server.requests
        #expect(requests.count == 2)
        for request in requests { #expect(request["signature_problem"] == .null, "\(request["signature_problem"] ?? .null)") }
        #expect(requests.first?["path"] == "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream")
        #expect(requests.first?["headers"]?["x-amz-security-token"] == "session-token-example")
        #expect(requests.first?["headers"]?["authorization"]?.stringValue?.contains("/us-west-2/bedrock/aws4_request") == true)
        let messages = requests.last?["body"]?["messages"]?.arrayValue ?? []
        let toolResult = messages.last?["content"]?.arrayValue?.first?["toolResult"]
        #expect(toolResult?["toolUseId"] == "tooluse_1" && toolResult?["status"] == "success")
        #expect(toolResult?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("signed") == true)
        #expect(messages[1]["content"]?.arrayValue?.first?["toolUse"]?["input"] == ["command": "echo signed"])
    }

    @Test("credentials and region from an AWS_PROFILE in ~/.aws, as the AWS CLI finds them")
    func profile() async throws {
        let server = try await BedrockServer([["text": "From the profile."]])
        defer { server.stop() }
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        try scenario.home.write(".aws/credentials", "[default]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n\n"
            + "[work]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = \(BedrockServer.secret)\n")
        try scenario.home.write(".aws/config", "[profile work]\nregion = eu-central-1\n")

        let result = try await run(server, in: scenario, ["--model", "anthropic.claude-3-haiku-20240307-v1:0", "-t", "hi"],
                                   environment: ["AWS_PROFILE": "work"])

        #expect(result.status == 0 && result.stdout == "From the profile.\n", "stderr: \(result.stderr)")
        #expect(server.requests.first?["signature_problem"] == .null)
        #expect(server.requests.first?["headers"]?["authorization"]?.stringValue?.contains("/eu-central-1/bedrock/") == true)
    }

    @Test("throttling is retried; an expired token, a guardrail, a broken frame and missing settings are one line each")
    func failures() async throws {
        let server = try await BedrockServer([
            ["status": 429, "message": "Too many requests, please wait before trying again."],
            ["text": "After the wait."],
            ["status": 403, "message": "The security token included in the request is expired"],
            ["text": "Here is", "stop": "guardrail_intervened"],
            ["text": "Broken", "corrupt": true],
        ])
        defer { server.stop() }
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        let environment = keys.merging(["AWS_REGION": "us-east-1"]) { $1 }

        let throttled = try await run(server, in: scenario, ["-t", "hi"], environment: environment)
        #expect(throttled.status == 0 && throttled.stdout == "After the wait.\n", "stderr: \(throttled.stderr)")

        let expired = try await run(server, in: scenario, ["-t", "hi"], environment: environment)
        #expect(expired.status == 1 && expired.stderrLines.count == 1)
        #expect(expired.stderr.contains("The session token has expired; refresh the credentials (for AWS: `aws sso login`"))

        let guarded = try await run(server, in: scenario, ["-t", "hi"], environment: environment)
        #expect(guarded.stderrLines == ["gander: error: bedrock reported an error: the answer was stopped by a Bedrock "
            + "guardrail; rephrase the request, or leave out what may have been flagged"])

        let broken = try await run(server, in: scenario, ["-t", "hi"], environment: environment)
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("an event-stream frame whose message fails its CRC32"), "\(broken.stderr)")

        let noRegion = try await run(server, in: scenario, ["-t", "hi"], environment: keys)
        #expect(noRegion.stderr.contains("no AWS region: export AWS_REGION"))
        let noCredentials = try await run(server, in: scenario, ["-t", "hi"], environment: ["AWS_REGION": "us-east-1"])
        #expect(noCredentials.stderr.contains("no AWS credentials: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
    }
}
