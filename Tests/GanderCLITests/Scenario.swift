import Foundation
import GanderCore
import GanderTestSupport

/// A scripted model server, an empty project directory and a private HOME: one headless run's whole world.
struct Scenario {
    let server: ScriptedModelServer
    let workspace: TemporaryDirectory
    let home: TemporaryDirectory

    /// `contextLimit` makes the server play a model with that window (`ScriptedModelServer`).
    init(_ format: ScriptedWireFormat = .openai, _ replies: [ScriptedReply], contextLimit: Int? = nil) async throws {
        server = try await ScriptedModelServer(format: format, replies: replies, contextLimit: contextLimit)
        workspace = try TemporaryDirectory(prefix: "gander-workspace")
        home = try TemporaryDirectory(prefix: "gander-home")
    }

    /// The flags that point Gander at the scripted server.
    var providerArguments: [String] {
        ["--provider", server.format.provider, "--model", "scripted-model", "--base-url", server.baseURL]
    }

    /// Two cores running many tests at once can slow an MCP server's start past the default startup wait, so the
    /// tests wait longer; a test of the bound itself sets `startup_wait:` in the server's entry.
    var environment: [String: String] {
        GanderProcess.isolatedEnvironment(home: home.url, extra: [
            "ANTHROPIC_API_KEY": "test-key", "OPENAI_API_KEY": "test-key", "GEMINI_API_KEY": "test-key",
            "GANDER_STARTUP_WAIT": "120", "GANDER_OPENAI_API": server.format == .openaiResponses ? "responses" : "",
        ])
    }

    /// Runs `gander run` with the provider flags and `arguments`.
    func run(_ arguments: [String], environment extra: [String: String] = [:], stdin: String? = nil,
             afterLaunch: (@Sendable (Int32) async -> Void)? = nil) async throws -> GanderProcess.Result {
        try await GanderProcess.run(["run"] + providerArguments + arguments, in: workspace.url,
                                    environment: environment.merging(extra) { $1 }, stdin: stdin,
                                    afterLaunch: afterLaunch)
    }

    /// Runs any other `gander` command in the same world, e.g. `sessions list`.
    func gander(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> GanderProcess.Result {
        try await GanderProcess.run(arguments, in: workspace.url, environment: environment.merging(extra) { $1 })
    }

    /// The sessions `gander sessions list --format json` reports.
    func sessions() async throws -> [JSONValue] {
        let result = try await gander(["sessions", "list", "--format", "json"])
        return try JSONValue(parsing: result.stdout).arrayValue ?? []
    }

    /// A session's messages, through `gander sessions export --format json`.
    func messages(ofSession id: String) async throws -> [Message] {
        let result = try await gander(["sessions", "export", id, "--format", "json"])
        let export = try JSONValue(parsing: result.stdout)
        return try (export["messages"]?.arrayValue ?? []).map { stored in
            try JSONDecoder().decode(Message.self, from: Data((stored["message"] ?? .null).canonicalText.utf8))
        }
    }

    /// The session database of this world.
    var sessionDatabase: URL { home.file(".local/share/gander/gander.sqlite") }

    func finish() async {
        await server.shutdown()
        workspace.remove()
        home.remove()
    }

    /// The tool results Gander sent back in chat request `index`, as (call id or tool name, content text) pairs in
    /// wire order.
    func toolResultsSent(inRequest index: Int) -> [(id: String, text: String)] {
        guard let body = server.chatRequests[index].body else { return [] }
        switch server.format {
        case .openai:
            return (body["messages"]?.arrayValue ?? []).filter { $0["role"] == "tool" }.map {
                ($0["tool_call_id"]?.stringValue ?? "", $0["content"]?.stringValue ?? "")
            }
        case .anthropic:
            let blocks: [JSONValue] = (body["messages"]?.arrayValue ?? []).flatMap { $0["content"]?.arrayValue ?? [] }
            return blocks.filter { $0["type"] == "tool_result" }.map { block in
                let parts: [JSONValue] = block["content"]?.arrayValue ?? []
                let text: String = parts.compactMap { $0["text"]?.stringValue }.joined()
                return (block["tool_use_id"]?.stringValue ?? "", text)
            }
        case .ollama:
            return (body["messages"]?.arrayValue ?? []).filter { $0["role"] == "tool" }.map {
                ($0["tool_name"]?.stringValue ?? "", $0["content"]?.stringValue ?? "")
            }
        case .openaiResponses:
            return (body["input"]?.arrayValue ?? []).filter { $0["type"] == "function_call_output" }.map {
                ($0["call_id"]?.stringValue ?? "", $0["output"]?.stringValue ?? "")
            }
        case .gemini:
            let parts: [JSONValue] = (body["contents"]?.arrayValue ?? []).flatMap { $0["parts"]?.arrayValue ?? [] }
            return parts.compactMap { $0["functionResponse"] }.map { response in
                let answer = response["response"]
                return (response["name"]?.stringValue ?? "",
                        answer?["output"]?.stringValue ?? answer?["error"]?.stringValue ?? "")
            }
        }
    }

    /// The system prompt of chat request `index`.
    func systemPrompt(inRequest index: Int) -> String {
        guard let body = server.chatRequests[index].body else { return "" }
        if server.format == .anthropic { return body["system"]?.stringValue ?? "" }
        if server.format == .openaiResponses { return body["instructions"]?.stringValue ?? "" }
        if server.format == .gemini { return body["systemInstruction"]?["parts"]?.arrayValue?.first?["text"]?.stringValue ?? "" }
        return body["messages"]?.arrayValue?.first?["content"]?.stringValue ?? ""
    }
}

/// The id a scripted server gives the `position`th call of its `turn`th reply, as the model would.
func scriptedCallID(_ format: ScriptedWireFormat, turn: Int, position: Int) -> String {
    switch format {
    case .openai, .openaiResponses: "call_\(turn)_\(position)"
    case .anthropic: "toolu_\(turn)_\(position)"
    case .ollama, .gemini: "developer__shell"  // matched by tool name
    }
}

func shell(_ command: String, timeout: Int? = nil) -> ScriptedToolCall {
    var arguments: [String: JSONValue] = ["command": .string(command)]
    if let timeout { arguments["timeout"] = .number(Double(timeout)) }
    return ScriptedToolCall("developer__shell", JSONValue.object(arguments).canonicalText)
}

func editor(_ arguments: JSONValue) -> ScriptedToolCall {
    ScriptedToolCall("developer__text_editor", arguments.canonicalText)
}
