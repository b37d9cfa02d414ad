import Foundation
import GanderCore
import GanderTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The virtual environment `make test` fills with the pinned MCP servers, found by the rule
/// scripts/install-mcp-test-servers.sh installs by: `GANDER_MCP_TEST_VENV`, else `$XDG_CACHE_HOME`, else `$HOME/.cache`.
/// `HOME` is the variable, not the account's home directory, so `HOME=/elsewhere make test` finds what it installed.
let mcpVenv: URL = {
    let environment = ProcessInfo.processInfo.environment
    func nonEmpty(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
    if let explicit = nonEmpty("GANDER_MCP_TEST_VENV") { return URL(fileURLWithPath: explicit) }
    let cache = nonEmpty("XDG_CACHE_HOME") ?? (nonEmpty("HOME") ?? NSHomeDirectory()) + "/.cache"
    return URL(fileURLWithPath: cache).appendingPathComponent("gander-dev/mcp-venv")
}()
let mcpPython = mcpVenv.appendingPathComponent("bin/python").path
let mcpFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/mcp")

extension GanderProcess.Result {
    /// The events of a `--output-format stream-json` run.
    var events: [AgentEvent] {
        stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(AgentEvent.self, from: Data($0.utf8)) }
    }

    var toolResults: [ToolResult] {
        events.compactMap { if case .toolResult(let result) = $0 { result } else { nil } }
    }

    var notices: [String] {
        events.compactMap { if case .notice(let text) = $0 { text } else { nil } }
    }
}

extension ScriptedModelServer.RecordedRequest {
    /// The tool names an OpenAI-format request offered.
    var offeredTools: [String] {
        (body?["tools"]?.arrayValue ?? []).compactMap { $0["function"]?["name"]?.stringValue }
    }
}

@Suite("MCP servers as extensions, and Gander as an MCP server")
struct MCPTests {
    @Test("a new extension in config.yaml is offered in the first request; the next run offers it at once")
    func timeServer() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("time__get_current_time", #"{"timezone":"Europe/Paris"}"#)),
            .text("It is evening in Paris."),
            .tools(ScriptedToolCall("time__convert_time",
                                    #"{"source_timezone":"UTC","time":"12:00","target_timezone":"Asia/Tokyo"}"#)),
            .text("Noon in UTC is nine in the evening in Tokyo."),
        ])
        defer { Task { await scenario.finish() } }
        try writeConfig(in: scenario, """
            extensions:
              time:
                type: stdio
                cmd: \(mcpVenv.path)/bin/mcp-server-time
                args: [--local-timezone, UTC]
            """)

        let first = try await scenario.run(["-t", "What time is it in Paris?", "--output-format", "stream-json"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(scenario.server.chatRequests[0].offeredTools.contains("time__get_current_time"))
        let answer = try #require(first.toolResults.last)
        #expect(!answer.isError && answer.text.contains("Europe/Paris") && answer.text.contains("datetime"), "\(answer.text)")
        #expect(first.notices.isEmpty, "\(first.notices)")

        let second = try await scenario.run(["-t", "Noon UTC in Tokyo?", "--output-format", "stream-json"])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(scenario.server.chatRequests[2].offeredTools.contains("time__convert_time"),
                "the remembered tools are on offer in the first request")
        #expect(second.toolResults.first?.text.contains("21:00") == true, "\(second.toolResults.first?.text ?? "")")
    }

    @Test("a server that misses its startup wait: one notice, its tools once it is up, and at once in the next run")
    func slowServer() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("developer__shell", #"{"command":"sleep 4"}"#)),
            .tools(ScriptedToolCall("slow__probe", "{}")),
            .text("It answered."),
            .tools(ScriptedToolCall("slow__probe", "{}")),
            .text("It answered again."),
        ])
        defer { Task { await scenario.finish() } }
        try writeConfig(in: scenario, """
            extensions:
              slow:
                type: stdio
                cmd: \(mcpPython)
                args: [\(mcpFixtures.appendingPathComponent("misbehaving_server.py").path), slow-start, "3"]
                startup_wait: 1
            """)

        let first = try await scenario.run(["-t", "probe it", "--output-format", "stream-json"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.notices == ["extension slow did not list its tools within 1 s; they are offered once it is up "
            + "(to wait longer, set startup_wait: in its config.yaml entry, or GANDER_STARTUP_WAIT)"])
        #expect(!scenario.server.chatRequests[0].offeredTools.contains("slow__probe"))
        #expect(scenario.server.chatRequests[1].offeredTools.contains("slow__probe"), "offered once it is up")
        #expect(first.toolResults.last?.text == "pong")

        let second = try await scenario.run(["-t", "probe it again", "--output-format", "stream-json"])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(second.notices.isEmpty, "a remembered server holds up no request: \(second.notices)")
        #expect(scenario.server.chatRequests[3].offeredTools.contains("slow__probe"))
        #expect(second.toolResults.first?.text == "pong", "the call waited for the server to come up")
    }

    @Test("a one-off --with-extension mcp-server-git is called in the first turn and reports a real repository's status")
    func gitServer() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        let repository = scenario.workspace.url.path
        try scenario.workspace.write("README.md", "hello\n")
        for command in [["init", "-q"], ["add", "README.md"],
                        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first"]] {
            _ = try await ChildCommand.run(["git", "-C", repository] + command)
        }
        try scenario.workspace.write("new.txt", "untracked\n")
        scenario.server.append([
            .tools(ScriptedToolCall("mcp-server-git__git_status", #"{"repo_path":"\#(repository)"}"#)),
            .text("One untracked file."),
        ])

        let result = try await scenario.run(["-t", "What is the git status?", "--output-format", "stream-json",
                                             "--with-extension", "\(mcpVenv.path)/bin/mcp-server-git --repository \(repository)"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.toolResults.count == 1)
        let status = try #require(result.toolResults.last)
        #expect(!status.isError && status.text.contains("new.txt"), "\(status.text)")
    }

    @Test("a streamable-HTTP server written with the mcp SDK: remembered tools wait for it, and annotations drive smart mode")
    func httpServer() async throws {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: mcpPython)
        server.arguments = [mcpFixtures.appendingPathComponent("http_server.py").path]
        server.standardInput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        let port = try await LoopbackPort.announced(by: server)
        defer {
            // Foundation starts children with the test runner's signal mask, where SIGTERM may be blocked.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let url = "http://127.0.0.1:\(port)/mcp"
        let scenario = try await Scenario(.openai, [
            .text("ready"),
            .tools(ScriptedToolCall("127_0_0_1__word_count", #"{"text":"one two three"}"#),
                   ScriptedToolCall("127_0_0_1__shout", #"{"text":"quiet"}"#),
                   ScriptedToolCall("127_0_0_1__echo_integer", #"{"value":9007199254740993}"#)),
            .text("Three words."),
            .tools(editor(["command": "view", "path": "config.txt"])),
            .tools(ScriptedToolCall("127_0_0_1__word_count", #"{"text":"the token is «secret:1»"}"#)),
            .text("not sent"),
        ])
        defer { Task { await scenario.finish() } }

        let warm = try await scenario.run(["-t", "get ready", "--with-remote-extension", url])
        #expect(warm.status == 0, "stderr: \(warm.stderr)")

        let smart = try await scenario.run(["-t", "count the words", "--mode", "smart", "--output-format", "stream-json",
                                            "--with-remote-extension", url])
        #expect(smart.status == 0, "stderr: \(smart.stderr)")
        let results = Dictionary(smart.toolResults.map { ($0.toolName, $0) }, uniquingKeysWith: { $1 })
        let counted = try #require(results["127_0_0_1__word_count"], "\(smart.stdout)")
        #expect(counted.text == "3 words" && !counted.isError, "read-only: ran without asking")
        let shouted = try #require(results["127_0_0_1__shout"])
        #expect(shouted.isError && shouted.text.contains("needs the user's approval"),
                "not read-only: refused headless in smart mode; got \(shouted.text)")
        let echoed = try #require(results["127_0_0_1__echo_integer"])
        #expect(echoed.text == "9007199254740993 9007199254740994", "an integer above 2^53 reaches the server and comes back exact")

        // Every message to the remote server is in the ledger beside the model calls.
        let audit = try await scenario.gander(["audit", "--format", "json"])
        let rows = try JSONValue(parsing: audit.stdout).arrayValue ?? []
        let mcp = rows.filter { $0["kind"]?.stringValue == "mcp" }
        #expect(!mcp.isEmpty && mcp.allSatisfy { $0["destination"]?.stringValue == "127.0.0.1:\(port)" }, "\(audit.stdout)")
        #expect(mcp.allSatisfy { ($0["bytes_sent"]?.intValue ?? 0) > 0 && $0["path"]?.stringValue == "/mcp" })

        // A placeholder never goes to a remote server as the secret it stands for.
        try scenario.workspace.write("config.txt", "token: ghp_16C7e42F292c6912E7710c838347Ae178B4a\n")
        let leak = try await scenario.run(["-t", "count the token", "--output-format", "stream-json", "--with-remote-extension", url])
        #expect(leak.status == 0, "stderr: \(leak.stderr)")
        let refused = try #require(leak.toolResults.last)
        #expect(refused.isError && refused.text.contains("Not run: 127_0_0_1__word_count would send «secret:1»"), "\(refused.text)")

        // Offline, a server never met before is not even asked for its tools; the run says so, then refuses the model.
        let fresh = try await Scenario(.openai, [.text("never")])
        defer { Task { await fresh.finish() } }
        let offline = try await fresh.run(["-t", "count", "-v", "--offline", "--with-remote-extension", url])
        #expect(offline.status == 1)
        #expect(offline.stderr.contains("not connecting: refused to send a request to \(url): Gander runs offline"),
                "\(offline.stderr)")
        #expect(fresh.server.requests.isEmpty)
    }

    @Test("a server that fails is a tool error and one notice; it restarts on its next use and the run goes on",
          arguments: [
            ("exit-mid-call", "its server exited with status 3"),
            ("garbage", "wrote something that is not JSON-RPC to stdout: \"Traceback (most recent call last): oops\""),
            ("hang", "did not answer within 2 s"),
          ])
    func misbehavingServer(mode: String, expected: String) async throws {
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("flaky__probe", "{}")),
            .tools(ScriptedToolCall("flaky__probe", "{}")),
            .text("The probe is broken."),
        ])
        defer { Task { await scenario.finish() } }
        try writeConfig(in: scenario, """
            extensions:
              flaky:
                type: stdio
                cmd: \(mcpPython)
                args: [\(mcpFixtures.appendingPathComponent("misbehaving_server.py").path), \(mode)]
                timeout: 2
            """)

        let result = try await scenario.run(["-t", "probe it", "--output-format", "stream-json"])

        #expect(result.status == 0, "the run goes on; stderr: \(result.stderr)")
        let failures = result.toolResults
        #expect(failures.count == 2)
        for failure in failures {
            #expect(failure.isError && failure.text.contains(expected) && failure.text.contains("starts again on its next use"),
                    "\(failure.text)")
        }
        let sessionID = try #require(try await scenario.sessions().first?["id"]?.stringValue)
        let log = try String(contentsOf: scenario.home.file(".local/share/gander/logs/\(sessionID)/flaky.log"), encoding: .utf8)
        #expect(log.components(separatedBy: "tools/call in mode \(mode)").count - 1 == 2,
                "the second call ran on a restarted server; log: \(log)")
        #expect(!result.stderr.contains("fixture:"), "a server's stderr never reaches the terminal")
    }

    @Test("results map to content parts; tools are listed page by page and again on list_changed; no key leaks to a server")
    func richServer() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("rich__probe", "{}")),
            .tools(ScriptedToolCall("developer__shell", #"{"command":"sleep 1"}"#)),
            .text("done"),
        ])
        defer { Task { await scenario.finish() } }
        try writeConfig(in: scenario, """
            extensions:
              rich:
                type: stdio
                cmd: \(mcpPython)
                args: [\(mcpFixtures.appendingPathComponent("misbehaving_server.py").path), rich]
            """)

        let result = try await scenario.run(["-t", "probe it", "--output-format", "stream-json"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(scenario.server.chatRequests[0].offeredTools.filter { $0.hasPrefix("rich__") } == ["rich__probe", "rich__second"],
                "both pages")
        #expect(scenario.server.chatRequests[2].offeredTools.contains("rich__third"), "listed again after list_changed")
        let probe = try #require(result.toolResults.first { $0.toolName == "rich__probe" })
        #expect(probe.content.count == 4)
        #expect(probe.content.first == .text("pong; keys seen: none"), "OPENAI_API_KEY and ANTHROPIC_API_KEY stay with Gander")
        #expect(probe.content.contains(.image(mimeType: "image/png", base64Data:
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")))
        #expect(probe.content.contains(.text("Resource file:///notes.txt:\nremember")))
        #expect(probe.content.contains(.text("Resource link: big.log <file:///big.log> (text/plain)")))
    }

    @Test("Ctrl-C during a call sends notifications/cancelled to the server and ends the run at once")
    func interruptCancelsTheCall() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("stuck__probe", "{}")),
            .text("never"),
        ])
        defer { Task { await scenario.finish() } }
        try writeConfig(in: scenario, """
            extensions:
              stuck:
                type: stdio
                cmd: \(mcpPython)
                args: [\(mcpFixtures.appendingPathComponent("misbehaving_server.py").path), hang]
            """)
        let home = scenario.home

        let result = try await scenario.run(["-t", "probe it", "--output-format", "stream-json"], afterLaunch: { pid in
            // Interrupts once the call is under way: the server logs each call it receives.
            for _ in 0..<600 {
                let logs = (try? FileManager.default.subpathsOfDirectory(atPath: home.file(".local/share/gander/logs").path)) ?? []
                let text = logs.filter { $0.hasSuffix("stuck.log") }.compactMap {
                    try? String(contentsOf: home.file(".local/share/gander/logs/\($0)"), encoding: .utf8)
                }.joined()
                if text.contains("tools/call") { break }
                try? await Task.sleep(for: .milliseconds(50))
            }
            kill(pid, SIGINT)
        })

        #expect(result.status == 130, "stderr: \(result.stderr)")
        let sessionID = try #require(try await scenario.sessions().first?["id"]?.stringValue)
        let log = try String(contentsOf: scenario.home.file(".local/share/gander/logs/\(sessionID)/stuck.log"), encoding: .utf8)
        #expect(log.contains("fixture: cancelled request"), "log: \(log)")
    }

    @Test("a server that exits at start: one notice that names its log, which holds its stderr")
    func exitsAtStart() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("developer__shell", #"{"command":"sleep 2"}"#)),
            .text("Carried on without it."),
        ])
        defer { Task { await scenario.finish() } }
        let script = mcpFixtures.appendingPathComponent("misbehaving_server.py").path

        let result = try await scenario.run(["-t", "hi", "--output-format", "stream-json",
                                             "--with-extension", "\(mcpPython) \(script) exit-at-start"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let notice = try #require(result.notices.first, "stdout: \(result.stdout)")
        #expect(result.notices.count == 1)
        #expect(notice.hasPrefix("extension misbehaving_server did not start: its server exited with status 7; its stderr is in "), "\(notice)")
        let logPath = String(notice.split(separator: " ").last ?? "")
        #expect(try String(contentsOfFile: logPath, encoding: .utf8).contains("fixture: giving up at once"))
        #expect(!result.stderr.contains("fixture:"))
    }

    @Test("bad extension input: a protected variable, a missing command, an unknown name, a bad flag")
    func badInput() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("developer__shell", #"{"command":"sleep 1"}"#)),
            .text("done"),
        ])
        defer { Task { await scenario.finish() } }

        let protected = try await scenario.run(["-t", "hi", "--output-format", "stream-json",
                                                "--with-extension", "LD_PRELOAD=/tmp/evil.so PATH=/tmp no-such-server-xyz"])
        #expect(protected.status == 0)
        #expect(protected.notices == ["extension no-such-server-xyz did not start: its env may not set LD_PRELOAD, which decides what code runs; remove it from the extension's config"])

        scenario.server.append([.tools(ScriptedToolCall("developer__shell", #"{"command":"sleep 1"}"#)), .text("done")])
        let missing = try await scenario.run(["-t", "hi", "--output-format", "stream-json", "--with-extension", "no-such-server-xyz --flag"])
        #expect(missing.notices == ["extension no-such-server-xyz did not start: the command no-such-server-xyz was not found on PATH; install it or give its full path"])

        let unknown = try await scenario.gander(["extensions", "disable", "nothing"])
        #expect(unknown.status == 1 && unknown.stderrLines.count == 1)
        #expect(unknown.stderr.contains("no extension named nothing; none are configured"))

        let wait = try await scenario.run(["-t", "hi"], environment: ["GANDER_STARTUP_WAIT": "soon"])
        #expect(wait.status == 2 && wait.stderrLines == ["gander: error: GANDER_STARTUP_WAIT=soon is not a number of seconds; use e.g. GANDER_STARTUP_WAIT=30"],
                "\(wait.stderr)")

        let remote = try await scenario.run(["-t", "hi", "--with-remote-extension", "ftp://example.com"])
        #expect(remote.status == 2 && remote.stderr.contains("--with-remote-extension needs an http:// or https:// address"))

        let quote = try await scenario.run(["-t", "hi", "--with-extension", "uvx 'unclosed"])
        #expect(quote.status == 2 && quote.stderr.contains("unclosed quote"))
    }

    @Test("gander extensions add, list, disable, enable and remove keep config.yaml usable")
    func manageExtensions() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }

        let add = try await scenario.gander(["extensions", "add", "time", "--env", "TZ=UTC", "--timeout", "30",
                                             "--startup-wait", "10", "--",
                                             "uvx", "mcp-server-time", "--local-timezone", "UTC"])
        #expect(add.status == 0, "stderr: \(add.stderr)")
        let http = try await scenario.gander(["extensions", "add", "docs", "--uri", "http://127.0.0.1:9/mcp",
                                              "--header", "Authorization: Bearer secret-token"])
        #expect(http.status == 0, "stderr: \(http.stderr)")
        let twice = try await scenario.gander(["extensions", "add", "time", "--", "true"])
        #expect(twice.status != 0 && twice.stderr.contains("an extension named time exists already"))

        _ = try await scenario.gander(["extensions", "disable", "time"])
        let list = try await scenario.gander(["extensions", "list"])
        #expect(list.stdout.contains("time  disabled  stdio  uvx mcp-server-time --local-timezone UTC  timeout 30 s  not started yet"))
        #expect(list.stdout.contains("docs  enabled  streamable_http  http://127.0.0.1:9/mcp"))
        #expect(!list.stdout.contains("secret-token"), "header values may be secrets and are never shown")

        _ = try await scenario.gander(["extensions", "enable", "time"])
        _ = try await scenario.gander(["extensions", "remove", "docs"])
        let after = try await scenario.gander(["extensions", "list"])
        #expect(after.stdout.contains("time  enabled") && !after.stdout.contains("docs"))
        let config = try String(contentsOf: scenario.home.file(".config/gander/config.yaml"), encoding: .utf8)
        #expect(config.contains("TZ: UTC") && config.contains("timeout: 30") && config.contains("startup_wait: 10"))
    }

    @Test("gander mcp serve, driven by the mcp Python SDK's client: tools, annotations, results, errors, no secrets")
    func serveBuiltInTools() async throws {
        let workspace = try TemporaryDirectory(prefix: "gander-serve")
        defer { workspace.remove() }
        let driver = try await ChildCommand.run([mcpPython, mcpFixtures.appendingPathComponent("drive_gander_serve.py").path,
                                                 GanderProcess.executable.path, workspace.url.path])
        #expect(driver.status == 0, "\(driver.stdout)\n\(driver.stderr)")
        let report = try JSONValue(parsing: driver.stdout)

        #expect(report["server"]?.stringValue == "gander")
        #expect(report["tools"]?["search"]?["read_only"]?.boolValue == true)
        #expect(report["tools"]?["shell"]?["read_only"]?.boolValue == false)
        #expect(report["shell"]?["text"]?.stringValue?.contains("served-by-gander") == true)
        #expect(report["shell"]?["is_error"]?.boolValue == true, "exit 3 is an error result")
        #expect(report["create"]?["is_error"]?.boolValue == false)
        #expect(try String(contentsOf: workspace.file("made.txt"), encoding: .utf8) == "hello\n")
        #expect(report["bad"]?["text"]?.stringValue?.contains("missing the required property \"path\"") == true)
        #expect(report["unknown"]?["is_error"]?.boolValue == true)
        let environment = report["env"]?["text"]?.stringValue ?? ""
        #expect(environment.contains("BUILD_FLAVOUR=plain-value"), "\(environment)")
        #expect(!environment.contains("sk-serve-never-shared") && !environment.contains("deploy-token-value"),
                "the served shell leaves secrets out as Gander's own does")
    }

    private func writeConfig(in scenario: Scenario, _ text: String) throws {
        let directory = scenario.home.file(".config/gander")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: directory.appendingPathComponent("config.yaml"))
    }
}
