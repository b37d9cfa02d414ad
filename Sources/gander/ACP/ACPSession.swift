import Foundation
import GanderCore
import GanderLocal
import GanderProviders
import GanderRecipes
import GanderStore

/// One ACP session: an agent of its own in its `cwd`, with the editor's MCP servers beside the user's, kept in the
/// session database like any other session. A prompt runs one turn and streams it to the client as
/// `session/update` notifications; approvals go to the client as `session/request_permission`.
final class ACPSession: @unchecked Sendable {
    let id: String
    private let connection: ACPConnection
    private let store: SessionStore
    private let assembly: AgentAssembly
    /// The agent the next turn runs; `session/set_model` puts one with another model in its place between turns.
    private var agent: Agent
    private var choice: ProviderChoice
    /// Puts an agent together for a provider and model, with everything else of the session's.
    private let makeAgent: (ProviderChoice) throws -> Agent
    private let settings: Settings
    private let permissions: Permissions
    private let lock = NSLock()
    private var history: [Message]
    /// What the session's turns have cost so far, where the model's price is known.
    private var cost = 0.0
    /// The turn under way, which `session/cancel` stops.
    private var current: AgentRun?
    /// Recipes the client may run as `/name argument`: config.yaml's `slash_commands:`, then the recipes found by
    /// name from `cwd`, by command name.
    private let commands: [String: RecipeCommand]

    struct RecipeCommand {
        let path: String
        let description: String
        let hint: String?
    }

    /// `recipe`, named in `session/new`'s `_meta`, gives the session its instructions, extensions and settings, as
    /// `gander session --recipe` does; its prompt is the client's to send.
    /// `clientFiles` is what the client offered of `fs/*` in `initialize`: the editor then reads and writes through it.
    init(options: ACPOptions, connection: ACPConnection, cwd: URL, clientServers: [ExtensionConfig], resuming: String? = nil,
         recipe: LoadedRecipe? = nil, clientFiles: ACPClientDocuments.Offer? = nil) throws {
        let settings = try Settings(offline: options.agentOptions.offline)
        var modelOptions = options.modelOptions
        modelOptions.adopt(recipe?.recipe.settings)
        let choice = settings.providerChoice(providerFlag: modelOptions.provider, modelFlag: modelOptions.model)
        let mode = try settings.mode(flag: options.agentOptions.mode, fallback: .smart).mode
        permissions = Permissions(mode: mode, rules: settings.config.permissions, commandRules: settings.config.commands)
        let sandbox = settings.sandbox(flag: options.agentOptions.sandbox, networkFlag: options.agentOptions.sandboxNetwork, mode: mode)
        store = try OpenStores.shared.store(at: settings.directories.sessionDatabase)
        let session: SessionInfo
        if let resuming {
            session = try store.session(matching: resuming)
            history = try store.currentConversation(of: session)
        } else {
            session = try store.create(SessionDraft(name: nil, workingDirectory: cwd.path, provider: choice.provider, model: choice.model ?? ""))
            history = []
        }
        id = session.id
        self.connection = connection
        commands = Self.commands(settings: settings, workingDirectory: cwd)
        var assembly = try AgentAssembly(settings: settings, provider: choice.provider, sandbox: sandbox,
                                         extensionOptions: options.extensionOptions,
                                         recipe: try recipe?.recipe.extensions.map(RecipeExtensions.init),
                                         clientServers: clientServers, workingDirectory: cwd)
        assembly.systemPrompt.recipeInstructions = recipe?.recipe.instructions
        self.assembly = assembly
        let redactor = settings.config.redact ? try store.redactor(for: session.id) : nil
        let limits = options.agentOptions.limits(with: recipe?.recipe.settings)
        let approver = ACPApprover(connection: connection, session: session.id, workingDirectory: cwd)
        makeAgent = { [store, permissions] choice in
            assembly.agent(provider: try modelOptions.makeProvider(choice, settings: settings, workingDirectory: cwd),
                           contextPolicy: try settings.contextPolicy(for: choice), limits: limits, permissions: permissions,
                           approver: approver, log: store.log(for: session.id, price: settings.price(for: choice)),
                           ledger: store.ledger(for: session.id), redactor: redactor, session: session.id,
                           documents: clientFiles.map { ACPClientDocuments(connection: connection, session: session.id, offered: $0) })
        }
        self.settings = settings
        self.choice = choice
        agent = try makeAgent(choice)
    }

    /// Starts the MCP servers; they live as long as the session.
    func start() async {
        await assembly.mcp.start(workingDirectory: assembly.workingDirectory, logName: id, ledger: agent.ledger)
    }

    func stop() async {
        await assembly.stop()
    }

    /// Tells the client which recipes it may run as commands.
    func advertiseCommands() async {
        let available: [JSONValue] = commands.keys.sorted().map { name in
            let command = commands[name]!
            var entry: [String: JSONValue] = ["name": .string(name), "description": .string(command.description)]
            if let hint = command.hint { entry["input"] = ["hint": .string(hint)] }
            return .object(entry)
        }
        await update(["sessionUpdate": "available_commands_update", "availableCommands": .array(available)])
    }

    private static func commands(settings: Settings, workingDirectory: URL) -> [String: RecipeCommand] {
        var found: [String: String] = [:]
        for entry in RecipeLibrary(workingDirectory: workingDirectory, environment: settings.environment).list() { found[entry.name.lowercased()] = entry.url.path }
        for (name, path) in settings.config.slashCommands { found[name] = URL(fileURLWithPath: path, relativeTo: workingDirectory).path }
        var commands: [String: RecipeCommand] = [:]
        for (name, path) in found where !name.contains(where: \.isWhitespace) {
            guard let file = RecipeLibrary.read(URL(fileURLWithPath: path)), let recipe = try? RecipeLoader().check(file).recipe else { continue }
            let parameter = recipe.parameters.first { $0.requirement != .optional } ?? recipe.parameters.first
            commands[name] = RecipeCommand(path: path, description: recipe.title,
                                           hint: parameter.map { $0.description.isEmpty ? $0.key : $0.description })
        }
        return commands
    }

    /// What `session/new`, `session/load` and `session/fork` answer, beside `fields`: the modes and the models, in
    /// the protocol's first shape and as config options.
    func state(with fields: [String: JSONValue] = [:]) async -> JSONValue {
        var answer = fields
        answer["modes"] = await modes()
        answer["models"] = models()
        answer["configOptions"] = await configOptions()
        return .object(answer)
    }

    /// What `session/new` and `session/load` say of the modes.
    func modes() async -> JSONValue {
        let mode = await permissions.mode
        return ["currentModeId": .string(mode.rawValue),
                "availableModes": .array(PermissionMode.allCases.map { ["id": .string($0.rawValue), "name": .string($0.rawValue), "description": .string($0.summary)] })]
    }

    func setMode(_ name: String) async throws {
        guard let mode = PermissionMode(rawValue: name) else {
            throw ACPConnection.Failure.invalidParams("no mode \"\(name)\"; the modes are \(PermissionMode.names)")
        }
        await permissions.setMode(mode)
        await connection.notify("session/update", ["sessionId": .string(id), "update": ["sessionUpdate": "current_mode_update", "currentModeId": .string(name)]])
    }

    /// What `session/new` and `session/load` say of the models: the one in use and the provider's default. Any model
    /// of the session's provider can be asked for by name.
    func models() -> JSONValue {
        let current = lock.withLock { choice }
        var names = [current.model].compactMap { $0 }
        if let fallback = current.provider == "local" ? LocalRuntime.defaultModelName : ProviderFactory.defaultModel(for: current.provider),
           !names.contains(fallback) {
            names.append(fallback)
        }
        return ["currentModelId": .string(current.model ?? ""),
                "availableModels": .array(names.map { ["modelId": .string($0), "name": .string("\(current.provider)/\($0)")] })]
    }

    /// The session's settings as ACP's config options: the mode and the model, each a choice of values.
    func configOptions() async -> JSONValue {
        let mode = await permissions.mode
        let models = models()
        let modelChoices: [JSONValue] = (models["availableModels"]?.arrayValue ?? []).map { ["value": $0["modelId"] ?? .null, "name": $0["name"] ?? .null] }
        return [
            ["type": "select", "id": "mode", "name": "Mode", "category": "mode", "currentValue": .string(mode.rawValue),
             "options": .array(PermissionMode.allCases.map { ["value": .string($0.rawValue), "name": .string($0.rawValue), "description": .string($0.summary)] })],
            ["type": "select", "id": "model", "name": "Model", "category": "model", "currentValue": models["currentModelId"] ?? .null,
             "options": .array(modelChoices)],
        ]
    }

    /// Talks to `model` of the same provider from the next turn on, and records it with the session.
    func setModel(_ model: String) throws {
        let next = lock.withLock { settings.providerChoice(providerFlag: choice.provider, modelFlag: model) }
        let replacement: Agent
        do {
            replacement = try makeAgent(next)
        } catch {
            throw ACPConnection.Failure.invalidParams("model \(model): \(error)")
        }
        try lock.withLock {
            guard current == nil else {
                throw ACPConnection.Failure.invalidParams("a turn is under way in session \(id); change the model once it ends")
            }
            agent = replacement
            choice = next
        }
        try store.setModel(of: id, provider: next.provider, model: model)
    }

    /// The saved conversation, sent again as updates (`session/load`).
    func replay() async {
        var calls = ACPToolCalls(workingDirectory: assembly.workingDirectory, showsDiffs: false)
        for message in history {
            for part in message.content {
                switch part {
                case .text(let text) where !text.isEmpty:
                    await update(["sessionUpdate": message.role == .user ? "user_message_chunk" : "agent_message_chunk",
                                  "content": ["type": "text", "text": .string(text)]])
                case .toolCall(let call):
                    await update(calls.started(call))
                case .toolResult(let result):
                    await update(calls.finished(result))
                default:
                    break
                }
            }
        }
    }

    /// Runs one turn; returns the `session/prompt` result.
    func prompt(_ blocks: [JSONValue]) async throws -> JSONValue {
        var text = try Self.text(of: blocks)
        // "/review main": the recipe's instructions and prompt are the turn.
        if text.hasPrefix("/"), let name = text.dropFirst().split(whereSeparator: \.isWhitespace).first.map({ String($0).lowercased() }),
           let command = commands[name] {
            do {
                text = try RecipeCommandTurn(command: name, recipe: RecipeLibrary.read(URL(fileURLWithPath: command.path)),
                                             argument: String(text.dropFirst(name.count + 1)), workingDirectory: assembly.workingDirectory,
                                             recipePath: command.path).text
            } catch {
                throw ACPConnection.Failure.invalidParams(String(describing: error))
            }
        }
        let started: AgentRun? = lock.withLock {
            // One turn at a time: a second would start from a conversation the first is still changing.
            guard current == nil else { return nil }
            let run = agent.run(.user(text), history: history)
            current = run
            return run
        }
        guard let run = started else {
            throw ACPConnection.Failure.invalidParams("a turn is already under way in session \(id); wait for it, or session/cancel it")
        }
        var calls = ACPToolCalls(workingDirectory: assembly.workingDirectory)
        var usage = Usage()
        // The checklists the model is writing, by call, shown as the plan once written.
        var checklists: [String: JSONValue] = [:]
        var outcome: AgentOutcome?
        var failure: String?
        for await event in run.events {
            switch event {
            case .textDelta(let text):
                await update(["sessionUpdate": "agent_message_chunk", "content": ["type": "text", "text": .string(text)]])
            case .reasoningDelta(let text):
                await update(["sessionUpdate": "agent_thought_chunk", "content": ["type": "text", "text": .string(text)]])
            case .toolCallRequested(let call):
                if call.name == "todo__write" { checklists[call.id] = try? JSONValue(parsing: call.arguments) }
                await update(calls.started(call))
            case .toolResult(let result):
                await update(calls.finished(result))
                if let checklist = checklists.removeValue(forKey: result.callID), !result.isError { await update(Self.plan(checklist)) }
            case .usage(let used):
                usage.inputTokens += used.inputTokens
                usage.outputTokens += used.outputTokens
                usage.cacheReadTokens += used.cacheReadTokens
                usage.cacheWriteTokens += used.cacheWriteTokens
            case .contextFill(let tokens, let limit):
                await update(["sessionUpdate": "usage_update", "used": .integer(Int64(tokens)), "size": .integer(Int64(limit))])
            case .error(let line):
                failure = line
            case .finished(let finished):
                outcome = finished
            default:
                break
            }
        }
        let conversation = await run.conversation
        let price = settings.price(for: lock.withLock { choice })
        let turnCost = price?.cost(of: usage)
        let sessionCost: Double? = lock.withLock {
            history = conversation
            current = nil
            cost += turnCost ?? 0
            return turnCost.map { _ in cost }
        }
        let reason: String
        switch outcome?.stopReason {
        case .answered: reason = "end_turn"
        case .interrupted: reason = "cancelled"
        case .maxTurns: reason = "max_turn_requests"
        case .cutOff: reason = "max_tokens"
        case .refused: reason = "refusal"
        case .error, nil: throw ACPConnection.Failure.internalError(failure ?? "the turn failed")
        }
        return ["stopReason": .string(reason),
                "usage": ["totalTokens": .integer(Int64(usage.inputTokens + usage.outputTokens)), "inputTokens": .integer(Int64(usage.inputTokens)),
                          "outputTokens": .integer(Int64(usage.outputTokens)), "cachedReadTokens": .integer(Int64(usage.cacheReadTokens)),
                          "cachedWriteTokens": .integer(Int64(usage.cacheWriteTokens))],
                "_meta": ["costUsd": turnCost.map { .number($0) } ?? .null, "sessionCostUsd": sessionCost.map { .number($0) } ?? .null]]
    }

    /// The todo extension's checklist as an ACP plan.
    static func plan(_ checklist: JSONValue) -> JSONValue {
        let entries: [JSONValue] = (checklist["items"]?.arrayValue ?? []).map { item in
            let status = item["status"]?.stringValue == "done" ? "completed" : item["status"]?.stringValue == "in_progress" ? "in_progress" : "pending"
            return ["content": .string(item["text"]?.stringValue ?? ""), "priority": "medium", "status": .string(status)]
        }
        return ["sessionUpdate": "plan", "entries": .array(entries)]
    }

    func cancel() {
        lock.withLock { current }?.cancel()
    }

    private func update(_ update: JSONValue) async {
        await connection.notify("session/update", ["sessionId": .string(id), "update": update])
    }

    /// A prompt's content blocks as the user's message: text as it is, a linked file as its link, an embedded
    /// resource as its text inside a block that names it. The embedded model and the providers here take text, so
    /// images and audio are refused (initialize says so).
    static func text(of blocks: [JSONValue]) throws -> String {
        try blocks.map { block -> String in
            switch block["type"]?.stringValue {
            case "text": return block["text"]?.stringValue ?? ""
            case "resource_link":
                return "[\(block["name"]?.stringValue ?? "file")](\(block["uri"]?.stringValue ?? ""))"
            case "resource":
                guard let text = block["resource"]?["text"]?.stringValue else {
                    throw ACPConnection.Failure.invalidParams("an embedded resource must be text; binary resources are not taken")
                }
                return "<context uri=\"\(block["resource"]?["uri"]?.stringValue ?? "")\">\n\(text)\n</context>"
            case let other:
                throw ACPConnection.Failure.invalidParams("a prompt's \(other ?? "untyped") content is not taken; send text, resource links or text resources")
            }
        }.joined(separator: "\n\n")
    }
}

/// Asks the client before a tool runs: allow or reject, once or for the rest of the session.
actor ACPApprover: ToolApprover {
    private let connection: ACPConnection
    private let session: String
    private let calls: ACPToolCalls
    /// Tools the user rejected for the rest of the session.
    private var rejected: Set<String> = []

    init(connection: ACPConnection, session: String, workingDirectory: URL) {
        self.connection = connection
        self.session = session
        calls = ACPToolCalls(workingDirectory: workingDirectory)
    }

    func approve(_ call: ToolCall) async -> ApprovalAnswer {
        if rejected.contains(call.name) { return .deny(reason: "the user rejected \(call.name) for this session") }
        let options: [JSONValue] = [
            ["optionId": "allow_once", "name": "Allow once", "kind": "allow_once"],
            ["optionId": "allow_always", "name": "Allow always", "kind": "allow_always"],
            ["optionId": "reject_once", "name": "Reject", "kind": "reject_once"],
            ["optionId": "reject_always", "name": "Reject always", "kind": "reject_always"],
        ]
        let asked = await connection.request("session/request_permission",
                                              ["sessionId": .string(session), "toolCall": calls.asked(call), "options": .array(options)])
        guard case .success(let answer) = asked, answer["outcome"]?["outcome"]?.stringValue == "selected" else {
            return .deny(reason: "the user cancelled the turn")
        }
        switch answer["outcome"]?["optionId"]?.stringValue {
        case "allow_once": return .once
        case "allow_always": return .always
        case "reject_always":
            rejected.insert(call.name)
            return .deny(reason: nil)
        default: return .deny(reason: nil)
        }
    }
}

/// The client's documents over ACP's `fs/read_text_file` and `fs/write_text_file`, as far as it offered them: reads
/// see the editor's unsaved buffers, and edits land in them. The path checks, the fence and the ledger stay Gander's.
struct ACPClientDocuments: TextDocuments {
    /// What the client said it does in `initialize`'s `clientCapabilities.fs`.
    struct Offer: Sendable {
        let reads: Bool
        let writes: Bool

        init?(_ capabilities: JSONValue?) {
            reads = capabilities?["fs"]?["readTextFile"] == true
            writes = capabilities?["fs"]?["writeTextFile"] == true
            if !reads && !writes { return nil }
        }
    }

    let connection: ACPConnection
    let session: String
    let offered: Offer

    func read(_ url: URL) async throws -> String? {
        guard offered.reads else { return nil }
        let answer = try await connection.request("fs/read_text_file", ["sessionId": .string(session), "path": .string(url.path)]).get()
        guard let content = answer["content"]?.stringValue else {
            throw ACPConnection.Failure.internalError("the client's fs/read_text_file answer has no content")
        }
        return content
    }

    func write(_ text: String, to url: URL) async throws -> Bool {
        guard offered.writes else { return false }
        _ = try await connection.request("fs/write_text_file",
                                          ["sessionId": .string(session), "path": .string(url.path), "content": .string(text)]).get()
        return true
    }
}
