import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("Google Gemini, natively")
struct GeminiTests {
    /// What google-genai's own types say of a request body: "ok", or what they refuse.
    static func checkWithGoogleGenAI(_ body: String) async throws -> String {
        try await ChildCommand.run([mcpPython, mcpFixtures.deletingLastPathComponent().appendingPathComponent("gemini/check_request.py").path],
                                   stdin: body).text
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
            let verdict = try await Self.checkWithGoogleGenAI(request.rawBody)
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

    @Test("Vertex AI: a service account's signed JWT is exchanged for a token; the project's model address")
    func vertexServiceAccount() async throws {
        let scenario = try await Scenario(.gemini, [.text("From Vertex.")])
        defer { Task { await scenario.finish() } }
        let keys = scenario.home.file("keys")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        for arguments in [["genrsa", "-out", keys.appendingPathComponent("private.pem").path, "2048"],
                          ["rsa", "-in", keys.appendingPathComponent("private.pem").path, "-pubout",
                           "-out", keys.appendingPathComponent("public.pem").path]] {
            _ = try await ChildCommand.run(["openssl"] + arguments)
        }
        let privateKey = try String(contentsOf: keys.appendingPathComponent("private.pem"), encoding: .utf8)
        let account: JSONValue = [
            "type": "service_account", "project_id": "my-project", "private_key_id": "key-1",
            "private_key": .string(privateKey), "client_email": "gander@my-project.iam.gserviceaccount.com",
            "token_uri": .string("http://127.0.0.1:\(scenario.server.port)/token"),
        ]
        let keyFile = try scenario.home.write("keys/account.json", account.canonicalText)

        let result = try await scenario.gander(
            ["run", "--provider", "vertex", "--model", "gemini-2.5-pro", "--base-url", "http://127.0.0.1:\(scenario.server.port)",
             "-t", "hi"],
            environment: ["GOOGLE_APPLICATION_CREDENTIALS": keyFile.path, "GOOGLE_CLOUD_LOCATION": "europe-west4"])

        #expect(result.status == 0 && result.stdout == "From Vertex.\n", "stderr: \(result.stderr)")
        let request = try #require(scenario.server.chatRequests.first)
        #expect(request.path == "/v1/projects/my-project/locations/europe-west4/publishers/google/models/"
            + "gemini-2.5-pro:streamGenerateContent?alt=sse")
        #expect(request.headers["authorization"] == "Bearer scripted-oauth-token")
        let tokenRequest = try #require(scenario.server.requests.first { $0.path == "/token" })
        let assertion = try #require(tokenRequest.rawBody.components(separatedBy: "assertion=").last)
        #expect(tokenRequest.rawBody.hasPrefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&"))

        // google-auth checks the JWT's RS256 signature with the account's public key.
        let verifier = try await ChildCommand.run([mcpPython, mcpFixtures.deletingLastPathComponent().appendingPathComponent("gemini/verify_jwt.py").path,
                                                   assertion, keys.appendingPathComponent("public.pem").path])
        let claims = try JSONValue(parsing: verifier.stdout)
        #expect(verifier.status == 0, "\(verifier.stderr)")
        #expect(claims["iss"] == "gander@my-project.iam.gserviceaccount.com")
        #expect(claims["scope"] == "https://www.googleapis.com/auth/cloud-platform")
        #expect(claims["aud"] == .string("http://127.0.0.1:\(scenario.server.port)/token"))
    }

    @Test("Vertex AI without a project or credentials: one line that says what to set")
    func vertexBadInput() async throws {
        let scenario = try await Scenario(.gemini, [])
        defer { Task { await scenario.finish() } }
        let noProject = try await scenario.gander(["run", "--provider", "vertex", "-t", "hi"])
        #expect(noProject.stderrLines == ["gander: error: GOOGLE_CLOUD_PROJECT is not set; export the id of the project "
            + "Vertex AI runs in"])
        try scenario.home.write("not-a-key.json", #"{"type": "authorized_user"}"#)
        let wrongFile = try await scenario.gander(["run", "--provider", "vertex", "-t", "hi"],
                                                  environment: ["GOOGLE_APPLICATION_CREDENTIALS": scenario.home.file("not-a-key.json").path])
        #expect(wrongFile.status == 1 && wrongFile.stderr.contains("is not a service account's key file"))
    }
}
