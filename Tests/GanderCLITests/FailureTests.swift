import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("gander run when things go wrong")
struct FailureTests {
    @Test("a 429 with Retry-After is waited out and tried again", arguments: ScriptedWireFormat.allCases)
    func retryAfter429(format: ScriptedWireFormat) async throws {
        let scenario = try await Scenario(format, [
            .status(429, body: #"{"error":{"message":"slow down"}}"#, headers: ["Retry-After": "1"]),
            .text("made it"),
        ])
        defer { Task { await scenario.finish() } }

        let started = ContinuousClock.now
        let result = try await scenario.run(["-t", "hi"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == "made it\n")
        #expect(scenario.server.chatRequests.count == 2)
        #expect(ContinuousClock.now - started >= .seconds(1), "Retry-After: 1 was honoured")
    }

    @Test("a connection dropped before the first byte is tried again")
    func retryAfterDrop() async throws {
        let scenario = try await Scenario(.openai, [.drop, .drop, .text("made it")])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == "made it\n")
        #expect(scenario.server.chatRequests.count == 3)
    }

    @Test("retries stop after --max-retries tries with one clear line")
    func retriesRunOut() async throws {
        let busy = ScriptedReply.status(503, body: #"{"error":{"message":"overloaded"}}"#, headers: ["Retry-After": "0"])
        let scenario = try await Scenario(.openai, [busy, busy, busy, .text("never")])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi", "--max-retries", "3"])

        #expect(result.status == 1)
        #expect(scenario.server.chatRequests.count == 3)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("HTTP 503") && result.stderr.contains("overloaded"))
    }

    @Test("401 is not retried: one line names the provider, the status, its message and the key to check",
          arguments: [ScriptedWireFormat.openai, .anthropic])
    func unauthorized(format: ScriptedWireFormat) async throws {
        let body = format == .anthropic
            ? #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#
            : #"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#
        let scenario = try await Scenario(format, [.status(401, body: body), .text("never")])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi"])

        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(scenario.server.chatRequests.count == 1)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        let line = result.stderr
        let keyVariable = format == .anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"
        #expect(line.contains("\(format.rawValue) returned HTTP 401"))
        #expect(line.contains(format == .anthropic ? "invalid x-api-key" : "Incorrect API key provided"))
        #expect(line.contains(keyVariable))
        #expect(!line.contains("test-key"), "the key itself is never printed")
    }

    @Test("a model that does not exist gets the server's message and exit 1")
    func unknownModel() async throws {
        let scenario = try await Scenario(.ollama, [.status(404, body: #"{"error":"model \"nope\" not found, try pulling it first"}"#)])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi"])

        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("not found, try pulling it first") && result.stderr.contains("--model"))
    }

    @Test("unknown tools, malformed JSON and arguments that break the schema go back to the model as errors")
    func badToolCalls() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("developer__teleport", #"{"to":"mars"}"#)),
            .tools(ScriptedToolCall("developer__shell", #"{"command": "echo hi""#)),
            .tools(ScriptedToolCall("developer__shell", #"{"cmd":"echo hi"}"#)),
            .tools(ScriptedToolCall("developer__text_editor", #"{"command":"explode","path":"x"}"#)),
            .text("gave up politely"),
        ])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == "gave up politely\n")
        let results = scenario.toolResultsSent(inRequest: 4).map(\.text)
        #expect(results.count == 4)
        #expect(results[0].contains("Unknown tool \"developer__teleport\"") && results[0].contains("developer__shell"))
        #expect(results[1].contains("not valid JSON"))
        #expect(results[2].contains("missing the required property \"command\"") && results[2].contains("unknown property \"cmd\""))
        #expect(results[3].contains("must be one of") && results[3].contains("str_replace"))
    }

    @Test("the same call more than --max-tool-repetitions times in a row is not run again")
    func repetitionGuard() async throws {
        let append = shell("echo tick >> ticks.txt")
        let scenario = try await Scenario(.openai, [
            .tools(append), .tools(append), .tools(append), .tools(append), .text("stopped"),
        ])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "tick", "--max-tool-repetitions", "3"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try scenario.workspace.read("ticks.txt") == "tick\ntick\ntick\n")
        let results = scenario.toolResultsSent(inRequest: 4).map(\.text)
        #expect(results[3].contains("Not run") && results[3].contains("same arguments"))
        #expect(result.stdout == "stopped\n")
    }

    @Test("a model that repeats a call after it was refused for repeating ends the run with exit 1, not a loop")
    func repetitionAfterRefusal() async throws {
        let append = shell("echo tick >> ticks.txt")
        let scenario = try await Scenario(.openai, [.tools(append), .tools(append), .tools(append), .text("never asked")])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "tick", "--max-tool-repetitions", "1", "--output-format", "json"])

        #expect(result.status == 1)
        #expect(scenario.server.chatRequests.count == 3)
        #expect(try scenario.workspace.read("ticks.txt") == "tick\n")
        #expect(result.stderr.contains("kept calling developer__shell with the same arguments"), "stderr: \(result.stderr)")
        let summary = try JSONValue(parsing: result.stdout)
        #expect(summary["stop_reason"] == "error")
    }

    @Test("--max-turns stops a model that never answers, with exit 1")
    func maxTurns() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(shell("echo 1")), .tools(shell("echo 2")), .tools(shell("echo 3")), .text("late"),
        ])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "count", "--max-turns", "2", "--output-format", "json"])

        #expect(result.status == 1)
        #expect(scenario.server.chatRequests.count == 2)
        let summary = try JSONValue(parsing: result.stdout)
        #expect(summary["stop_reason"] == "max_turns")
        #expect(result.stderr.contains("--max-turns"))
    }

    @Test("an answer cut off at the token limit ends the run with exit 1 and says so, keeping what came")
    func cutOffAnswer() async throws {
        var reply = ScriptedReply.text("The first half of an answer that")
        reply.finishReason = "length"
        let scenario = try await Scenario(.openai, [reply])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "explain everything", "--output-format", "json"])

        #expect(result.status == 1)
        #expect(result.stderr.contains("was cut off before it finished"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("openai caps how long one reply may be") && !result.stderr.contains("GANDER_CONTEXT_LIMIT"),
                "the window is not what cut it off: \(result.stderr)")
        let summary = try JSONValue(parsing: result.stdout)
        #expect(summary["stop_reason"] == "max_tokens")
        #expect(summary["messages"]?.arrayValue?.last?["content"]?.canonicalText.contains("first half") == true,
                "the partial reply stays in the record")
    }

    @Test("where Gander sets the reply cap (Anthropic), a cut-off names GANDER_MAX_OUTPUT_TOKENS, which sets it")
    func cutOffAtGandersCap() async throws {
        var reply = ScriptedReply.text("The first half")
        reply.finishReason = "max_tokens"
        let scenario = try await Scenario(.anthropic, [reply])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "explain everything"], environment: ["GANDER_MAX_OUTPUT_TOKENS": "1234"])

        #expect(result.status == 1)
        #expect(scenario.server.chatRequests.first?.body?["max_tokens"] == 1234)
        #expect(result.stderr.contains("Gander asks anthropic for at most 1234 tokens per reply; raise GANDER_MAX_OUTPUT_TOKENS"),
                "stderr: \(result.stderr)")
        let bad = try await scenario.run(["-t", "x"], environment: ["GANDER_MAX_OUTPUT_TOKENS": "lots"])
        #expect(bad.status == 1 && bad.stderr.contains("GANDER_MAX_OUTPUT_TOKENS=lots is not a number of tokens"), "\(bad.stderr)")
    }

    @Test("a stream that breaks mid-answer is an error, not a hang", arguments: ScriptedWireFormat.allCases)
    func brokenStream(format: ScriptedWireFormat) async throws {
        var reply = ScriptedReply.text("this answer will be cut off somewhere in the middle")
        reply.breakAfterChunks = 4
        let scenario = try await Scenario(format, [reply])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi"])

        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("broke before the answer was complete"), "stderr: \(result.stderr)")
    }

    @Test("a server that falls silent mid-answer hits the idle-read timeout")
    func stalledStream() async throws {
        var reply = ScriptedReply.text("this answer stops arriving")
        reply.stallAfterChunks = 3
        let scenario = try await Scenario(.anthropic, [reply])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi"], environment: ["GANDER_READ_TIMEOUT": "1"])

        #expect(result.status == 1)
        #expect(!result.hung)
        #expect(result.stderr.contains("anthropic"), "stderr: \(result.stderr)")
    }

    @Test("Ctrl-C interrupts the run and exits with 130")
    func interrupt() async throws {
        var reply = ScriptedReply.text("a long answer that never finishes")
        reply.stallAfterChunks = 3
        let scenario = try await Scenario(.openai, [reply])
        defer { Task { await scenario.finish() } }
        let server = scenario.server

        let result = try await scenario.run(["-t", "hi", "--output-format", "stream-json"]) { pid in
            while server.chatRequests.isEmpty { try? await Task.sleep(for: .milliseconds(20)) }
            try? await Task.sleep(for: .milliseconds(300))
            kill(pid, SIGINT)
        }

        #expect(result.status == 130)
        let events = result.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(AgentEvent.self, from: Data($0.utf8)) }
        guard case .finished(let outcome)? = events.last else {
            Issue.record("the last event is not `finished`: \(result.stdout)")
            return
        }
        #expect(outcome.stopReason == .interrupted)
        #expect(events.contains(.textDelta("a lo")), "the partial answer streamed before the interruption")
    }

    @Test("Ctrl-C during a command kills the command")
    func interruptDuringTool() async throws {
        // A sandboxed command has a PID namespace of its own, so it is found from outside by its command line.
        let marker = "67.\(getpid())"
        let scenario = try await Scenario(.openai, [.tools(shell("echo started > shell.pid; sleep \(marker)")), .text("never")])
        defer { Task { await scenario.finish() } }
        let pidFile = scenario.workspace.file("shell.pid")

        let result = try await scenario.run(["-t", "wait"]) { pid in
            while !FileManager.default.fileExists(atPath: pidFile.path) { try? await Task.sleep(for: .milliseconds(20)) }
            try? await Task.sleep(for: .milliseconds(100))
            kill(pid, SIGINT)
        }

        #expect(result.status == 130)
        #expect(try scenario.workspace.read("shell.pid") == "started\n")
        #expect(!isRunning(commandLineContaining: "sleep\0\(marker)"), "the command's process is gone")
    }
}

@Suite("gander's command line refuses bad input clearly")
struct BadInputTests {
    func gander(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> GanderProcess.Result {
        let home = try TemporaryDirectory(prefix: "gander-home")
        defer { home.remove() }
        return try await GanderProcess.run(arguments, in: home.url,
                                           environment: GanderProcess.isolatedEnvironment(home: home.url, extra: extra))
    }

    @Test("an unknown flag is a usage error: exit 2")
    func unknownFlag() async throws {
        let result = try await gander(["run", "-t", "hi", "--frobnicate"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--frobnicate"))
    }

    @Test("no instruction is a usage error: exit 2")
    func noInstruction() async throws {
        let result = try await gander(["run", "--provider", "openai"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("-t TEXT"))
    }

    @Test("a missing instruction file: one line, exit 2")
    func missingFile() async throws {
        let result = try await gander(["run", "-i", "no-such-task.md", "--provider", "ollama"])
        #expect(result.status == 2)
        #expect(result.stderrLines == ["gander: error: no-such-task.md does not exist; pass an existing file to -i, or - for stdin"])
    }

    @Test("an unreachable server: one line, exit 1")
    func unreachable() async throws {
        let result = try await gander(["run", "-t", "hi", "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1"])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("cannot reach openai at http://127.0.0.1:9/v1"))
    }

    @Test("no provider and no key means the local model; without its runtime, one line says how to install it")
    func noProviderNoRuntime() async throws {
        let result = try await gander(["run", "-t", "hi"])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("gander local install"))
    }

    @Test("a missing key: one line naming the variable")
    func missingKey() async throws {
        let result = try await gander(["run", "-t", "hi", "--provider", "anthropic"])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["gander: error: ANTHROPIC_API_KEY is not set; export it, or choose another --provider"])
    }

    @Test("an unknown provider: one line listing the known ones")
    func unknownProvider() async throws {
        let result = try await gander(["run", "-t", "hi", "--provider", "skynet"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("local, openai, anthropic, google, vertex, azure, bedrock, databricks, ollama, openrouter, groq"))
    }

    @Test("--version and --help work")
    func versionAndHelp() async throws {
        let version = try await gander(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let help = try await gander(["run", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Examples:") && help.stdout.contains("--output-format"))
        // The top-level help names every provider family, not the three it started with.
        let top = try await gander(["--help"])
        let topText = top.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for name in ["OpenAI", "Anthropic", "Gemini", "Vertex AI", "Azure OpenAI", "Bedrock", "Databricks", "Ollama", "OpenRouter"] {
            #expect(topText.contains(name), "gander --help does not name \(name)")
        }
        let unwrapped = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for name in ["openai", "anthropic", "google", "vertex", "azure", "bedrock", "databricks", "ollama", "openrouter", "litellm"] {
            #expect(unwrapped.contains(name), "run --help's --provider does not list \(name)")
        }
    }
}
