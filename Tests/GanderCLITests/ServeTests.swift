import Foundation
import GanderCore
import GanderTestSupport
import Testing

/// `gander serve` driven over its WebSocket by the official ACP Python SDK's client (Tests/Fixtures/acp/ws_client.py),
/// against a scripted model server.
@Suite("gander serve, driven by the ACP Python SDK over a WebSocket")
struct ServeTests {
    private let client = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/acp/ws_client.py").path

    /// Starts `gander serve --port 0` and waits for the line that names the port it bound.
    private func serve(_ scenario: Scenario, environment: [String: String]) throws -> (process: Process, port: Int) {
        let process = Process()
        process.executableURL = GanderProcess.executable
        process.arguments = ["serve", "--port", "0"] + scenario.providerArguments
        process.currentDirectoryURL = scenario.workspace.url
        process.environment = scenario.environment.merging(environment) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline {
            let data = errors.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
            if let match = seen.firstMatch(of: /127\.0\.0\.1:(\d+)\/acp/), let port = Int(match.1) { return (process, port) }
        }
        process.stopForGood()
        throw ServeFailure(seen)
    }

    struct ServeFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = "gander serve did not start: \(description)" }
    }

    @Test("secret and origin checked; two sessions at once; a client gone mid-turn stops it, and a new connection lists and loads what was kept")
    func webSocketSessions() async throws {
        var stall = ScriptedReply.text("A long answer that is cut off when the client goes away, chunk by chunk.")
        stall.chunkSize = 8
        stall.stallAfterChunks = 2
        let scenario = try await Scenario(.openai, [.text("Answer A."), .text("Answer B."), stall])
        defer { Task { await scenario.finish() } }
        let (server, port) = try serve(scenario, environment: ["GANDER_SERVER_SECRET": "s3cret-for-tests"])
        defer { server.stopForGood() }

        let result = try await ChildCommand.run([mcpPython, client, "\(port)", "s3cret-for-tests", scenario.workspace.url.path],
                                                in: scenario.workspace.url, environment: scenario.environment, timeout: .seconds(180))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let report = try JSONValue(parsing: result.stdout)
        #expect(report["health"] == 200)
        #expect(report["status_without"] == 401 && report["status_with"] == 200 && report["status_token"] == 200)
        #expect(report["status_other_origin"] == 403, "a page elsewhere is refused even with the token")
        // Hummingbird answers every refused WebSocket upgrade with 400; plain requests get 401.
        #expect(report["wrong_secret"]?.stringValue?.contains("rejected WebSocket connection: HTTP 400") == true, "\(report["wrong_secret"] ?? .null)")

        #expect(report["together"] == ["end_turn", "end_turn"])
        let sessions = report["sessions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(sessions.count == 3 && Set(sessions).count == 3)
        let texts = Set(sessions.prefix(2).compactMap { report["texts"]?[$0]?.stringValue })
        #expect(texts == ["Answer A.", "Answer B."], "each session got its own answer: \(report["texts"] ?? .null)")
        #expect(report["listed"]?.arrayValue?.compactMap(\.stringValue).sorted() == sessions.sorted(), "one database, every session offered again")
        let replayed = report["replayed"]?.arrayValue ?? []
        #expect(replayed.first?["content"]?["text"] == "three", "the cut-off turn's instruction was kept")
        #expect(report["connections_now"] == 1, "the first connection is gone, its turn with it")
        #expect(server.isRunning, "a client going away does not end the server")
    }

    private var crowd: String {
        URL(fileURLWithPath: client).deletingLastPathComponent().appendingPathComponent("crowd_client.py").path
    }

    @Test("twenty clients at once, each a session of its own: each finishes its own task, all in the one database")
    func twentySessions() async throws {
        let scenario = try await Scenario(.openai, Array(repeating: ScriptedReply.echo("done: "), count: 20))
        defer { Task { await scenario.finish() } }
        let (server, port) = try serve(scenario, environment: ["GANDER_SERVER_SECRET": "crowd-secret"])
        defer { server.stopForGood() }

        let result = try await ChildCommand.run([mcpPython, crowd, "crowd", "\(port)", "crowd-secret", scenario.workspace.url.path, "20"],
                                                in: scenario.workspace.url, environment: scenario.environment, timeout: .seconds(240))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let sessions = try JSONValue(parsing: result.stdout).arrayValue ?? []
        #expect(sessions.count == 20)
        for session in sessions {
            let index = session["index"]?.intValue ?? -1
            #expect(session["stop"] == "end_turn" && session["text"]?.stringValue == "done: task \(index)", "\(session)")
        }
        #expect(Set(sessions.compactMap { $0["session"]?.stringValue }).count == 20)
        let stored = try await scenario.sessions()
        #expect(stored.count == 20 && stored.allSatisfy { $0["message_count"] == 2 }, "\(stored)")
    }

    @Test("a server killed mid-turn and started again offers the session with every finished message")
    func killedServer() async throws {
        var stall = ScriptedReply.text("An answer that never finishes, because the server dies.")
        stall.chunkSize = 8
        stall.stallAfterChunks = 2
        let scenario = try await Scenario(.openai, [.text("First answer."), stall])
        defer { Task { await scenario.finish() } }
        let (first, port) = try serve(scenario, environment: ["GANDER_SERVER_SECRET": "kill-secret"])
        let stalled = Process()
        stalled.executableURL = URL(fileURLWithPath: mcpPython)
        stalled.arguments = [crowd, "stall", "\(port)", "kill-secret", scenario.workspace.url.path]
        stalled.environment = scenario.environment
        stalled.standardError = FileHandle.nullDevice
        let session = try #require(try await ChildCommand.firstLine(of: stalled, within: .seconds(120)), "the stalling client never began")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        kill(stalled.processIdentifier, SIGKILL)

        let (second, secondPort) = try serve(scenario, environment: ["GANDER_SERVER_SECRET": "kill-secret"])
        defer { second.stopForGood() }
        let result = try await ChildCommand.run([mcpPython, crowd, "load", "\(secondPort)", "kill-secret", scenario.workspace.url.path, session],
                                                in: scenario.workspace.url, environment: scenario.environment, timeout: .seconds(120))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let report = try JSONValue(parsing: result.stdout)
        #expect(report["listed"]?.arrayValue?.contains(.string(session)) == true)
        let replayed = (report["replayed"]?.arrayValue ?? []).filter { $0["content"] != nil }.map { "\($0["sessionUpdate"]?.stringValue ?? ""): \($0["content"]?["text"]?.stringValue ?? "")" }
        #expect(replayed == ["user_message_chunk: first", "agent_message_chunk: First answer.", "user_message_chunk: second"], "\(replayed)")
    }

    @Test("ACP over plain HTTP: the SDK's streamable-HTTP client, two sessions at once, each answer on its own session's stream")
    func httpTransport() async throws {
        let scenario = try await Scenario(.openai, [ScriptedReply.echo("heard: "), ScriptedReply.echo("heard: ")])
        defer { Task { await scenario.finish() } }
        let (server, port) = try serve(scenario, environment: ["GANDER_SERVER_SECRET": "http-secret"])
        defer { server.stopForGood() }
        let client = URL(fileURLWithPath: self.client).deletingLastPathComponent().appendingPathComponent("http_client.py").path
        let result = try await ChildCommand.run([mcpPython, client, "\(port)", "http-secret", scenario.workspace.url.path],
                                                in: scenario.workspace.url, environment: scenario.environment, timeout: .seconds(120))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let report = try JSONValue(parsing: result.stdout)
        #expect(report["without_secret"] == 401 && report["unknown_connection"] == 404)
        #expect(report["protocol"] == 1 && report["stops"] == ["end_turn", "end_turn"])
        #expect(report["texts"] == ["first": "heard: one", "second": "heard: two"], "\(report["texts"] ?? .null)")
        #expect(report["listed"] == 2)
    }

    @Test("the web app in Chromium: a session in a folder, a streamed answer, an edit approved from the keyboard with its diff, the ledger, 400 px wide")
    func webApp() async throws {
        var answer = ScriptedReply.text("Done: **greeting.txt** now says `goodbye`.\n\n- one change")
        answer.chunkSize = 6
        let scenario = try await Scenario(.openai, [
            .tools(editor(["command": "str_replace", "path": "greeting.txt", "old_str": "hello", "new_str": "goodbye"])),
            answer,
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("greeting.txt", "hello\nworld\n")
        let (server, port) = try serve(scenario, environment: ["GANDER_SERVER_SECRET": "web-secret"])
        defer { server.stopForGood() }

        let page = URL(fileURLWithPath: client).deletingLastPathComponent().appendingPathComponent("web_client.py").path
        let result = try await ChildCommand.run([mcpPython, page, "\(port)", "web-secret", scenario.workspace.url.path],
                                                in: scenario.workspace.url, environment: scenario.environment, timeout: .seconds(240))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let report = try JSONValue(parsing: result.stdout)
        #expect(report["console_errors"] == [], "the page ran without errors")
        #expect(report["url_after_load"]?.stringValue?.contains("web-secret") == false, "the secret leaves the address bar")
        #expect(report["sessions_listed"] == 1)
        #expect(report["question"]?.stringValue?.contains("greeting.txt") == true, "\(report["question"] ?? .null)")
        #expect(report["choices"]?.arrayValue?.count == 4)
        #expect(report["diff_added"] == ["+ goodbye"] && report["diff_removed"] == ["- hello"], "\(report)")
        #expect(try scenario.workspace.read("greeting.txt") == "goodbye\nworld\n", "the approved edit is on disk")
        #expect(report["tool_status"] == "completed")
        let html = report["answer_html"]?.stringValue ?? ""
        #expect(html.contains("<strong>greeting.txt</strong>") && html.contains("<code>goodbye</code>") && html.contains("<li>one change</li>"),
                "the answer is rendered Markdown: \(html)")
        #expect((report["message_chunks"]?.intValue ?? 0) > 3, "the answer arrived in pieces, as it streamed")
        let rows = report["ledger_rows"]?.arrayValue ?? []
        #expect(rows.count == 2, "one row per model request: \(rows)")
        #expect(rows.first?.arrayValue?.dropFirst().first?.stringValue?.contains("127.0.0.1") == true, "\(rows)")
        #expect(report["narrow_overflow"] == 0 && report["narrow_prompt_visible"] == true, "usable 400 px wide")
    }

    @Test("without a secret, gander serve does not start unless told to")
    func refusesWithoutSecret() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        let refused = try await scenario.gander(["serve", "--port", "0"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("gander serve needs a secret: set GANDER_SERVER_SECRET or pass --secret-file FILE"), "\(refused.stderr)")
        let badTLS = try await scenario.gander(["serve", "--tls", "only-one.pem"], environment: ["GANDER_SERVER_SECRET": "x"])
        #expect(badTLS.status == 2 && badTLS.stderr.contains("--tls takes two files"), "\(badTLS.stderr)")
    }
}
