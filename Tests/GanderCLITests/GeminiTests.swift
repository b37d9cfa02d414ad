import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("Google Gemini, natively")
struct GeminiTests {
    /// What google-genai's own types say of a request body: "ok", or what they refuse.
    static func checkWithGoogleGenAI(_ body: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mcpPython)
        process.arguments = [mcpFixtures.deletingLastPathComponent().appendingPathComponent("gemini/check_request.py").path]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(body.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("requests are what google-genai's types accept; calls, results and thought signatures go round")
    func requestShape() async throws {
        let scenario = try await Scenario(.gemini, [
            .tools(shell("echo hi"), ScriptedToolCall("todo__read", "{}")),
            .text("It printed hi."),
        ])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "say hi"], environment: ["GOOGLE_API_KEY": "google-test-key"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == "It printed hi.\n")
        let first = try #require(scenario.server.chatRequests.first)
        #expect(first.path == "/v1beta/models/scripted-model:streamGenerateContent?alt=sse")
        #expect(first.headers["x-goog-api-key"] == "google-test-key", "GOOGLE_API_KEY wins over GEMINI_API_KEY")
        #expect(!first.path.contains("key="), "the key never travels in the URL")

        for request in scenario.server.chatRequests {
            let verdict = try Self.checkWithGoogleGenAI(request.rawBody)
            #expect(verdict == "ok", "\(verdict)")
        }
        let body = try #require(scenario.server.chatRequests[1].body)
        let declarations = body["tools"]?.arrayValue?.first?["functionDeclarations"]?.arrayValue ?? []
        let shell = try #require(declarations.first { $0["name"] == "developer__shell" })
        #expect(shell["parameters"]?["additionalProperties"] == nil, "keywords Gemini refuses are left out")
        #expect(shell["parameters"]?["required"] == ["command"])
        let read = try #require(declarations.first { $0["name"] == "todo__read" })
        #expect(read["parameters"] == nil, "a tool without arguments declares no parameters")

        let contents = body["contents"]?.arrayValue ?? []
        #expect(contents.map { $0["role"]?.stringValue ?? "" } == ["user", "model", "user"])
        let calls = contents[1]["parts"]?.arrayValue ?? []
        #expect(calls.first?["functionCall"]?["args"] == ["command": "echo hi"])
        let signature = JSONValue.string(Data("sig-1".utf8).base64EncodedString())
        #expect(calls.first?["thoughtSignature"] == signature, "the signature goes back with its call, unchanged")
        #expect(calls.last?["thoughtSignature"] == nil)
        let responses = (contents[2]["parts"]?.arrayValue ?? []).compactMap { $0["functionResponse"] }
        #expect(responses.first?["name"] == "developer__shell")
        #expect(responses.first?["response"]?["output"]?.stringValue?.contains("hi") == true)
    }

    @Test("a safety stop and a refused prompt are one readable line each, exit 1")
    func safety() async throws {
        let blockedPrompt = #"data: {"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH"}]}}"#
            + "\n\n"
        let scenario = try await Scenario(.gemini, [
            ScriptedReply(text: "Here is how", finishReason: "SAFETY"),
            ScriptedReply(rawStream: blockedPrompt),
        ])
        defer { Task { await scenario.finish() } }

        let stopped = try await scenario.run(["-t", "something risky"])
        #expect(stopped.status == 1)
        #expect(stopped.stderrLines == ["gander: error: google reported an error: Gemini stopped its answer for safety "
            + "(SAFETY); rephrase the request, or leave out what may have been flagged"])

        let refused = try await scenario.run(["-t", "something worse"])
        #expect(refused.status == 1)
        #expect(refused.stderrLines == ["gander: error: google reported an error: Gemini refused the request (SAFETY: "
            + "HARM_CATEGORY_DANGEROUS_CONTENT); rephrase it, or leave out what may have been flagged"])
    }

    @Test("a wrong key is one line that names the variable; no key at all says which to set")
    func keys() async throws {
        let scenario = try await Scenario(.gemini, [
            .status(400, body: #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}"#),
        ])
        defer { Task { await scenario.finish() } }

        let wrong = try await scenario.run(["-t", "hi"])
        #expect(wrong.status == 1)
        #expect(wrong.stderrLines == ["gander: error: google returned HTTP 400: API key not valid. Please pass a valid "
            + "API key.. Check GEMINI_API_KEY (export it, or pass the right key); the server refused it."])

        let none = try await scenario.run(["-t", "hi"], environment: ["GEMINI_API_KEY": ""])
        #expect(none.status == 1)
        #expect(none.stderr.contains("neither GOOGLE_API_KEY nor GEMINI_API_KEY is set"))
    }
}
