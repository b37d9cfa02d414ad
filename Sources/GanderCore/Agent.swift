import Foundation

/// The agent loop: ask the model, run the tools it asks for, give it the results, until it answers.
public struct Agent: Sendable {
    public let provider: any ModelProvider
    public let router: ToolRouter
    public let systemPrompt: String
    public let limits: AgentLimits
    public let context: ToolContext

    public init(provider: any ModelProvider, router: ToolRouter, systemPrompt: String, context: ToolContext,
                limits: AgentLimits = AgentLimits()) {
        self.provider = provider
        self.router = router
        self.systemPrompt = systemPrompt
        self.context = context
        self.limits = limits
    }

    /// Starts a run on `input` after `history`. Read its events; cancel it to interrupt.
    public func run(_ input: Message, history: [Message] = []) -> AgentRun {
        let (events, continuation) = AsyncStream.makeStream(of: AgentEvent.self, bufferingPolicy: .unbounded)
        let loop = AgentLoop(agent: self, messages: history, emit: { continuation.yield($0) })
        let task = Task {
            await loop.run(input)
            continuation.finish()
        }
        return AgentRun(events: events, task: task)
    }
}

/// A run under way.
public struct AgentRun: Sendable {
    /// Every event of the run; the last is always `.finished`.
    public let events: AsyncStream<AgentEvent>
    let task: Task<Void, Never>

    /// Interrupts the run: the model call or tools under way are cancelled and the run finishes as `interrupted`.
    public func cancel() {
        task.cancel()
    }
}

/// The state of one run. Only its own task touches it.
private final class AgentLoop: @unchecked Sendable {
    private let agent: Agent
    private var messages: [Message]
    private let emit: @Sendable (AgentEvent) -> Void
    private var repetitionGuard: RepetitionGuard
    private var usage = Usage()
    private var turns = 0

    init(agent: Agent, messages: [Message], emit: @escaping @Sendable (AgentEvent) -> Void) {
        self.agent = agent
        self.messages = messages
        self.emit = emit
        self.repetitionGuard = RepetitionGuard(limit: agent.limits.maxToolRepetitions)
    }

    func run(_ input: Message) async {
        append(input)
        while turns < agent.limits.maxTurns {
            turns += 1
            let catalog = await agent.router.catalog()
            catalog.failures.forEach { emit(.notice($0)) }

            let reply: Message
            do {
                guard let answered = try await askModel(tools: catalog.specs) else { return finish(.interrupted) }
                reply = answered
            } catch {
                if Task.isCancelled { return finish(.interrupted) }
                emit(.error(String(describing: error)))
                return finish(.error)
            }
            append(reply)

            let calls = reply.toolCalls
            if calls.isEmpty { return finish(.answered) }
            let results = await runTools(calls, catalog: catalog)
            append(Message(role: .user, content: results.map(ContentPart.toolResult)))
            if Task.isCancelled { return finish(.interrupted) }
        }
        emit(.error("stopped after \(agent.limits.maxTurns) turns without an answer; raise --max-turns to let it go on"))
        finish(.maxTurns)
    }

    private func append(_ message: Message) {
        messages.append(message)
        emit(.messageFinished(message))
    }

    private func finish(_ reason: AgentStopReason) {
        let finalText = messages.last(where: { $0.role == .assistant })?.text ?? ""
        emit(.finished(AgentOutcome(stopReason: reason, finalText: finalText, usage: usage, turns: turns)))
    }

    /// Streams one reply. Returns nil when the user interrupted; the partial answer is kept in the conversation.
    private func askModel(tools: [ToolSpec]) async throws -> Message? {
        let request = ModelRequest(systemPrompt: agent.systemPrompt, messages: messages, tools: tools)
        var assembler = ReplyAssembler()
        do {
            for try await event in agent.provider.stream(request) {
                if case .usage(let callUsage) = event { usage = usage + callUsage }
                if let forwarded = assembler.absorb(event) { emit(forwarded) }
            }
        } catch where Task.isCancelled {
            // An interruption surfaces as whatever error the transport raised; it is handled below as one.
        }
        if Task.isCancelled {
            if let partial = assembler.partialMessage { append(partial) }
            return nil
        }
        return assembler.message(turn: turns)
    }

    /// Runs one turn's calls and returns their results in the order the calls were made.
    private func runTools(_ calls: [ToolCall], catalog: ToolCatalog) async -> [ToolResult] {
        var results = [ToolResult?](repeating: nil, count: calls.count)
        var lanes: [String: [(Int, PreparedCall)]] = [:]
        var unkeyed: [[(Int, PreparedCall)]] = []

        for (index, call) in calls.enumerated() {
            emit(.toolCallRequested(call))
            switch prepare(call, catalog: catalog) {
            case .refused(let reason):
                let result = ToolResult(callID: call.id, toolName: call.name, content: [.text(reason)], isError: true)
                results[index] = result
                emit(.toolResult(result))
            case .ready(let prepared):
                let key = prepared.entry.owner.serializationKey(
                    tool: prepared.entry.localName, arguments: prepared.arguments, context: agent.context)
                if let key { lanes[key, default: []].append((index, prepared)) } else { unkeyed.append([(index, prepared)]) }
            }
        }

        let context = agent.context
        let emit = self.emit
        await withTaskGroup(of: [(Int, ToolResult)].self) { group in
            for lane in Array(lanes.values) + unkeyed {
                group.addTask {
                    var finished: [(Int, ToolResult)] = []
                    for (index, prepared) in lane {
                        let result = await prepared.execute(context: context)
                        emit(.toolResult(result))
                        finished.append((index, result))
                    }
                    return finished
                }
            }
            for await finished in group {
                for (index, result) in finished { results[index] = result }
            }
        }
        return results.map { $0! }
    }

    private enum Preparation {
        case ready(PreparedCall)
        case refused(String)
    }

    /// Checks a call before it runs: the tool exists, its arguments are a JSON object that fits the schema, and it
    /// is not one more repeat of the same call.
    private func prepare(_ call: ToolCall, catalog: ToolCatalog) -> Preparation {
        guard let entry = catalog.entry(named: call.name) else {
            let known = catalog.specs.map(\.name).joined(separator: ", ")
            return .refused("Unknown tool \"\(call.name)\". The tools you can call are: \(known.isEmpty ? "none" : known).")
        }
        let text = call.arguments.trimmingCharacters(in: .whitespacesAndNewlines)
        let arguments: JSONValue
        do {
            arguments = text.isEmpty ? .object([:]) : try JSONValue(parsing: text)
        } catch {
            return .refused(
                "The arguments for \(call.name) are not valid JSON: \(Self.excerpt(text)). "
                    + "Send one JSON object that fits the tool's input schema.")
        }
        guard case .object(let members) = arguments else {
            return .refused("The arguments for \(call.name) must be a JSON object, not \(Self.excerpt(text)).")
        }
        let problems = JSONSchemaValidator().problems(in: arguments, against: entry.spec.inputSchema)
        if !problems.isEmpty {
            return .refused(
                "The arguments for \(call.name) do not fit its input schema: \(problems.joined(separator: "; ")). "
                    + "Input schema: \(entry.spec.inputSchema.canonicalText)")
        }
        if let streak = repetitionGuard.record(tool: call.name, arguments: arguments) {
            return .refused(
                "Not run: this is the \(streak)th call in a row to \(call.name) with the same arguments (the limit is "
                    + "\(repetitionGuard.limit)). Its result would not change. Try a different approach, or give your answer.")
        }
        return .ready(PreparedCall(call: call, entry: entry, arguments: members))
    }

    private static func excerpt(_ text: String) -> String {
        text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// A call that passed its checks and is ready to run.
private struct PreparedCall: Sendable {
    let call: ToolCall
    let entry: ToolCatalog.Entry
    let arguments: [String: JSONValue]

    func execute(context: ToolContext) async -> ToolResult {
        let output = await entry.owner.call(tool: entry.localName, arguments: arguments, context: context)
        return ToolResult(callID: call.id, toolName: call.name, content: output.content, isError: output.isError)
    }
}
