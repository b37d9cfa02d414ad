import Foundation

/// The agent loop: ask the model, run the tools it asks for, give it the results, until it answers.
public struct Agent: Sendable {
    public var provider: any ModelProvider
    public let router: ToolRouter
    public let systemPrompt: SystemPrompt
    public let limits: AgentLimits
    public let context: ToolContext
    /// Which calls run, which wait for the user and which are refused.
    public let permissions: Permissions
    /// Who answers when a call needs approval; nil in headless runs, where such calls are refused.
    public let approver: (any ToolApprover)?
    /// Where each finished message is kept as it finishes.
    public var log: (any ConversationLog)?
    /// The user's say over the context window.
    public var contextPolicy: ContextPolicy
    /// Snapshots the working tree before the first call of a run that may change something, for undo.
    public var checkpointer: (any TurnCheckpointer)?
    /// Where every request that leaves the machine is recorded.
    public var ledger: (any OutboundLedger)?
    /// Replaces secrets in requests that leave the machine, and restores them in the replies; nil when the user
    /// turned redaction off. Shared by every run of a session, so a secret keeps its placeholder.
    public var redactor: SecretRedactor? = SecretRedactor()

    public init(provider: any ModelProvider, router: ToolRouter, systemPrompt: SystemPrompt, context: ToolContext,
                limits: AgentLimits = AgentLimits(), permissions: Permissions = Permissions(mode: .auto),
                approver: (any ToolApprover)? = nil, log: (any ConversationLog)? = nil,
                contextPolicy: ContextPolicy = ContextPolicy()) {
        self.provider = provider
        self.router = router
        self.systemPrompt = systemPrompt
        self.context = context
        self.limits = limits
        self.permissions = permissions
        self.approver = approver
        self.log = log
        self.contextPolicy = contextPolicy
    }

    /// Starts a run on `input` after `history`. Read its events; cancel it to interrupt.
    public func run(_ input: Message, history: [Message] = []) -> AgentRun {
        start(history) { await $0.run(input) }
    }

    /// Compacts `history` now, as `/compact` asks: old tool outputs cut, older turns summarized by the model.
    /// The run's conversation is the compacted one.
    public func compact(_ history: [Message]) -> AgentRun {
        start(history) { await $0.compactNow() }
    }

    private func start(_ history: [Message], _ body: @escaping @Sendable (AgentLoop) async -> Void) -> AgentRun {
        let (events, continuation) = AsyncStream.makeStream(of: AgentEvent.self, bufferingPolicy: .unbounded)
        let task = Task {
            // A question to the server about the window (Ollama's /api/show) leaves the machine too.
            let recorder = provider.sendsOffMachine
                ? ledger.map { LedgerRecorder(ledger: $0, provider: provider.name, model: provider.model) } : nil
            let limit = await contextPolicy.limit(for: provider, recorder: recorder)
            let window = ContextKeeper(limit: limit, policy: contextPolicy)
            let loop = AgentLoop(agent: self, messages: history, window: window, emit: { continuation.yield($0) })
            await body(loop)
            continuation.finish()
            return loop.conversation
        }
        return AgentRun(events: events, task: task)
    }
}

/// A run under way.
public struct AgentRun: Sendable {
    /// Every event of the run; the last is always `.finished`.
    public let events: AsyncStream<AgentEvent>
    let task: Task<[Message], Never>

    /// Interrupts the run: the model call or tools under way are cancelled and the run finishes as `interrupted`.
    public func cancel() {
        task.cancel()
    }

    /// The conversation as the run left it — compacted where it had to be — for the next run to go on from.
    public var conversation: [Message] {
        get async { await task.value }
    }
}

/// The state of one run. Only its own task touches it.
private final class AgentLoop: @unchecked Sendable {
    private let agent: Agent
    private var messages: [Message]
    private let emit: @Sendable (AgentEvent) -> Void
    private var repetitionGuard: RepetitionGuard
    private var usage = Usage()
    /// Usage not yet recorded with a message.
    private var unrecordedUsage = Usage()
    private var turns = 0
    /// Keeps each request within the model's context window.
    private var window: ContextKeeper
    /// The instruction this run works on, for naming its checkpoint.
    private var instruction = ""
    /// Whether this run took its checkpoint already.
    private var checkpointed = false
    /// The checkpoint's preparation, running beside the first model call.
    private var checkpointPreparation: Task<Void, Never>?
    /// Redacts what leaves, restores what comes back, and knows which tool results the ledger has seen.
    private var egress: Egress

    init(agent: Agent, messages: [Message], window: ContextKeeper, emit: @escaping @Sendable (AgentEvent) -> Void) {
        self.agent = agent
        self.messages = messages
        self.window = window
        self.emit = emit
        self.repetitionGuard = RepetitionGuard(limit: agent.limits.maxToolRepetitions)
        egress = Egress(redactor: agent.redactor, leavesMachine: agent.provider.sendsOffMachine)
    }

    var conversation: [Message] { messages }

    func run(_ input: Message) async {
        do {
            finish(try await loop(input))
        } catch let cutOff as ReplyCutOff {
            emit(.error(cutOff.description))
            finish(.cutOff)
        } catch let failure as any ModelCallFailure where failure.isRefusal {
            emit(.error(String(describing: failure)))
            finish(.refused)
        } catch {
            emit(.error(String(describing: error)))
            finish(.error)
        }
    }

    func compactNow() async {
        do {
            let tools = await offeredTools().specs
            let prompt = agent.systemPrompt.text(extensions: agent.router.extensions)
            try await compact(.request, systemPrompt: prompt, tools: tools)
            finish(.answered)
        } catch {
            emit(.error(Task.isCancelled ? "the compaction was interrupted; nothing changed" : String(describing: error)))
            finish(Task.isCancelled ? .interrupted : .error)
        }
    }

    private func loop(_ input: Message) async throws -> AgentStopReason {
        instruction = input.text
        if let checkpointer = agent.checkpointer, await agent.permissions.mode != .chat {
            checkpointPreparation = Task { await checkpointer.prepare() }
        }
        try append(input)
        while turns < agent.limits.maxTurns {
            turns += 1
            let catalog = await offeredTools()
            catalog.failures.forEach { emit(.notice($0)) }

            let reply: Message
            do {
                let systemPrompt = agent.systemPrompt.text(extensions: agent.router.extensions)
                guard let answered = try await askWithinWindow(systemPrompt: systemPrompt, tools: catalog.specs) else {
                    return .interrupted
                }
                reply = answered
            } catch let error as LogFailure {
                throw error
            } catch {
                if Task.isCancelled { return .interrupted }
                throw error
            }
            try append(reply)

            let calls = reply.toolCalls
            if calls.isEmpty { return .answered }
            let results = await runTools(calls, catalog: catalog)
            try append(Message(role: .user, content: results.map(ContentPart.toolResult)))
            if Task.isCancelled { return .interrupted }
            if repetitionGuard.ignoredRefusal {
                emit(.error("stopped: the model kept calling \(repetitionGuard.repeatedTool ?? "a tool") with the same "
                    + "arguments after it was told the result would not change; rephrase the instruction or use a larger model"))
                return .error
            }
        }
        emit(.error("stopped after \(agent.limits.maxTurns) turns without an answer; raise --max-turns to let it go on"))
        return .maxTurns
    }

    /// In chat mode the model sees no tools at all.
    private func offeredTools() async -> ToolCatalog {
        if await agent.permissions.mode == .chat { return ToolCatalog(entries: [], failures: []) }
        return await agent.router.catalog()
    }

    /// Adds a finished message to the conversation, keeps it in the log first, then tells the front ends.
    private func append(_ message: Message) throws {
        if let log = agent.log {
            do {
                try log.record(message, usage: message.role == .assistant ? unrecordedUsage : Usage())
            } catch {
                throw LogFailure(underlying: error)
            }
            if message.role == .assistant { unrecordedUsage = Usage() }
        }
        messages.append(message)
        emit(.messageFinished(message))
    }

    private func finish(_ reason: AgentStopReason) {
        let finalText = messages.last(where: { $0.role == .assistant })?.text ?? ""
        emit(.finished(AgentOutcome(stopReason: reason, finalText: finalText, usage: usage, turns: turns)))
    }

    // MARK: The context window

    /// Asks the model for its next reply with a request that fits the context window: compacted first when it would
    /// pass the threshold, and compacted and sent once more when the provider says it overflowed. The same oversized
    /// request is never sent twice.
    private func askWithinWindow(systemPrompt: String, tools: [ToolSpec]) async throws -> Message? {
        let estimate = window.estimate(systemPrompt: systemPrompt, tools: tools, messages: messages)
        if window.shouldCompact(estimate) {
            try await compact(.threshold, systemPrompt: systemPrompt, tools: tools, estimate: estimate)
        }
        let sent = window.estimate(systemPrompt: systemPrompt, tools: tools, messages: messages)
        emit(.contextFill(tokens: sent, limit: window.limit.tokens))
        do {
            return try await askModel(systemPrompt: systemPrompt, tools: tools)
        } catch let error as any ModelCallFailure where error.isContextOverflow && !Task.isCancelled {
            // The provider counts more than the estimate did: believe it from now on, and compact below it.
            window.overflowed(at: sent)
            let report = try await compact(.overflow, systemPrompt: systemPrompt, tools: tools, estimate: sent)
            guard report.tokensAfter < sent else { throw ContextWindowError.overflowAgain(window.limit) }
            do {
                return try await askModel(systemPrompt: systemPrompt, tools: tools)
            } catch let again as any ModelCallFailure where again.isContextOverflow {
                throw ContextWindowError.overflowAgain(window.limit)
            }
        }
    }

    /// Makes the conversation smaller, cheapest way first: old tool outputs cut to their head and tail; then, if the
    /// request is still past the threshold (or the user asked), the older turns replaced by a summary the model
    /// writes; then, if it still does not fit, the latest outputs cut as well. Throws when nothing makes it fit.
    @discardableResult
    private func compact(_ trigger: CompactionReport.Trigger, systemPrompt: String, tools: [ToolSpec],
                         estimate: Int? = nil) async throws -> CompactionReport {
        let started = ContinuousClock.now
        var modelTime = Duration.zero
        let compactor = Compactor()
        let limit = window.limit
        let fixed = TokenEstimate.of(systemPrompt) + TokenEstimate.of(tools)
        let before = estimate ?? fixed + TokenEstimate.of(messages)

        var (compacted, trimmed) = compactor.trimToolOutputs(messages, sparingLatest: true)
        var summary: (message: Message, keptMessages: Int)?
        // Asked for by the user, it keeps only the latest turn; otherwise the latest turns up to half the room left.
        let tailBudget = trigger == .request ? 0 : max(0, window.threshold - fixed) / 2
        if fixed + TokenEstimate.of(compacted) >= window.threshold || trigger == .request,
           let split = compactor.split(compacted, tailBudget: tailBudget) {
            let older = compacted[..<split]
            let request = compactor.summaryRequest(for: older, budget: limit.tokens * 6 / 10)
            let asked = ContinuousClock.now
            let text = try await summarize(request)
            modelTime = ContinuousClock.now - asked
            let message = compactor.summaryMessage(summary: text, older: older)
            summary = (message, compacted.count - split)
            compacted = [message] + compacted[split...]
        }
        if fixed + TokenEstimate.of(compacted) >= limit.tokens {
            let (all, more) = compactor.trimToolOutputs(compacted, sparingLatest: false)
            (compacted, trimmed) = (all, trimmed + more)
        }
        let after = fixed + TokenEstimate.of(compacted)
        let harness = ContinuousClock.now - started - modelTime
        let report = CompactionReport(trigger: trigger, tokensBefore: before, tokensAfter: after,
                                      trimmedOutputs: trimmed, summarized: summary != nil,
                                      harnessMilliseconds: harness / .milliseconds(1))
        if let summary {
            do {
                try agent.log?.recordCompaction(summary: summary.message, keptMessages: summary.keptMessages, report: report)
            } catch {
                throw LogFailure(underlying: error)
            }
        }
        messages = compacted
        window.compacted(to: after)
        emit(.compacted(report))
        if after >= limit.tokens { throw ContextWindowError.doesNotFit(needed: after, limit: limit) }
        return report
    }

    /// The model's summary of older turns, asked for without tools.
    private func summarize(_ request: ModelRequest) async throws -> String {
        var text = ""
        let outgoing = egress.prepare(agent.provider.acceptsImages ? request : request.withoutImages())
        var entry: Int64?
        var callUsage = Usage()
        for try await event in agent.provider.stream(outgoing.request) {
            switch event {
            case .requestSent(let sent): entry = try recordSent(sent, outgoing)
            case .responseReceived(let bytes): try complete(entry, bytes: bytes, usage: callUsage)
            case .textDelta(let piece): text += piece
            case .usage(let reported):
                callUsage = callUsage + reported
                usage = usage + reported
                unrecordedUsage = unrecordedUsage + reported
            case .retrying(let attempt, let delay, let reason):
                emit(.retrying(attempt: attempt, delaySeconds: delay, reason: reason))
            default: break
            }
        }
        try Task.checkCancellation()
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ContextWindowError.emptySummary
        }
        return egress.restore(text)
    }

    // MARK: What leaves the machine

    /// Puts a request that is leaving into the ledger.
    private func recordSent(_ sent: OutboundRequest, _ outgoing: Egress.Outgoing) throws -> Int64? {
        guard let ledger = agent.ledger, agent.provider.sendsOffMachine else { return nil }
        guard sent.kind == .model else {
            // An OAuth token exchange made for the call carries credentials, not the conversation.
            do {
                return try ledger.recordSent(LedgerEntry(request: sent, provider: agent.provider.name, model: agent.provider.model))
            } catch {
                throw LogFailure(underlying: error)
            }
        }
        // Every try of a retried request carried the same contents, so each one lists them.
        let entry = LedgerEntry(request: sent, provider: agent.provider.name, model: agent.provider.model,
                                files: outgoing.files, toolOutputs: outgoing.toolOutputs, redactions: outgoing.redactions)
        do {
            let id = try ledger.recordSent(entry)
            egress.recorded(outgoing)
            return id
        } catch {
            throw LogFailure(underlying: error)
        }
    }

    private func complete(_ entry: Int64?, bytes: Int, usage: Usage) throws {
        guard let entry, let ledger = agent.ledger else { return }
        do {
            try ledger.complete(entry, bytesReceived: bytes, usage: usage)
        } catch {
            throw LogFailure(underlying: error)
        }
    }

    /// Streams one reply. Returns nil when the user interrupted; the partial answer is kept in the conversation,
    /// marked interrupted.
    private func askModel(systemPrompt: String, tools: [ToolSpec]) async throws -> Message? {
        let request = ModelRequest(systemPrompt: systemPrompt, messages: messages, tools: tools)
        let outgoing = egress.prepare(agent.provider.acceptsImages ? request : request.withoutImages())
        var assembler = ReplyAssembler()
        var callUsage = Usage()
        var entry: Int64?
        do {
            for try await event in agent.provider.stream(outgoing.request) {
                switch event {
                case .usage(let reported):
                    callUsage = callUsage + reported
                    usage = usage + reported
                    unrecordedUsage = unrecordedUsage + reported
                case .requestSent(let sent):
                    entry = try recordSent(sent, outgoing)
                case .responseReceived(let bytes):
                    try complete(entry, bytes: bytes, usage: callUsage)
                default:
                    break
                }
                if let forwarded = assembler.absorb(event) { emit(forwarded) }
            }
        } catch where Task.isCancelled {
            // An interruption surfaces as whatever error the transport raised; it is handled below as one.
        }
        if Task.isCancelled {
            if let partial = assembler.partialMessage { try append(egress.restore(partial)) }
            return nil
        }
        let reply = egress.restore(assembler.message(turn: turns))
        // What the provider counted covers everything up to this reply, which joins the conversation next.
        window.measured(callUsage, covering: messages.count + 1)
        if assembler.stopReason == .maxTokens, reply.toolCalls.isEmpty {
            // A reply cut off by the token limit is not an answer: keep what came, and end the run saying so.
            try append(reply)
            throw ReplyCutOff(model: agent.provider.model, advice: agent.provider.cutOffAdvice)
        }
        return reply
    }

    /// Runs one turn's calls and returns their results in the order the calls were made.
    private func runTools(_ calls: [ToolCall], catalog: ToolCatalog) async -> [ToolResult] {
        var results = [ToolResult?](repeating: nil, count: calls.count)
        var lanes: [String: [(Int, PreparedCall)]] = [:]
        var unkeyed: [[(Int, PreparedCall)]] = []

        for (index, call) in calls.enumerated() {
            emit(.toolCallRequested(call))
            switch await prepare(call, catalog: catalog) {
            case .refused(let reason):
                let result = ToolResult(callID: call.id, toolName: call.name, content: [.text(reason)], isError: true)
                results[index] = result
                emit(.toolResult(result))
            case .ready(let prepared):
                if let key = prepared.footprint.serializationKey { lanes[key, default: []].append((index, prepared)) } else { unkeyed.append([(index, prepared)]) }
            }
        }

        let ready = (Array(lanes.values) + unkeyed).joined()
        if !checkpointed, let checkpointer = agent.checkpointer, ready.contains(where: { $0.1.mayChange }) {
            checkpointed = true
            await checkpointPreparation?.value
            if let note = await checkpointer.beforeChanges(instruction: instruction) { emit(.notice(note)) }
        }

        var toolContext = agent.context
        toolContext.redactor = egress.leavesMachine ? egress.redactor : nil
        let emit = self.emit
        toolContext.events = emit
        let context = toolContext
        var spent = Usage()
        await withTaskGroup(of: [(Int, ToolResult, Usage)].self) { group in
            for lane in Array(lanes.values) + unkeyed {
                group.addTask {
                    var finished: [(Int, ToolResult, Usage)] = []
                    for (index, prepared) in lane {
                        let (result, usage) = await prepared.execute(context: context)
                        emit(.toolResult(result))
                        finished.append((index, result, usage))
                    }
                    return finished
                }
            }
            for await finished in group {
                for (index, result, usage) in finished {
                    results[index] = result
                    spent = spent + usage
                }
            }
        }
        // What tools spent on models of their own (sub-agents) is the run's too, and is kept with its next reply.
        usage = usage + spent
        unrecordedUsage = unrecordedUsage + spent
        return results.map { $0! }
    }

    private enum Preparation {
        case ready(PreparedCall)
        case refused(String)
    }

    /// Checks a call before it runs: the tool exists, its arguments are a JSON object that fits the schema, it is
    /// not one more repeat of the same call, and the permissions let it run — asking the user where they say so.
    /// Calls are prepared one by one, so the user is asked about them in the order the model made them.
    private func prepare(_ call: ToolCall, catalog: ToolCatalog) async -> Preparation {
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
        let footprint = entry.handler.footprint(of: members, context: agent.context)
        // Secrets first: a call that would carry one away is refused (or asked about) for that, whatever else it does.
        var restored = members
        let secrets = egress.secretsIn(members)
        if !secrets.isEmpty {
            if case .offMachine(let place) = footprint.reach, let refusal = await secretLeaving(call, secrets: secrets, to: place) {
                return .refused(refusal)
            }
            restored = egress.restore(members)
        }
        let effect = effect(of: entry.spec, footprint)
        if let refusal = await permission(for: call, effect: effect, commandLine: footprint.commandLine, note: footprint.approvalNote) {
            return .refused(refusal)
        }
        return .ready(PreparedCall(call: call, entry: entry, arguments: restored, footprint: footprint))
    }

    /// Nil when the user lets a call carry the secrets behind `secrets` off the machine; otherwise what the model is
    /// told. Headless and in `auto` mode nobody is asked, so such a call never runs; "always" counts as once, so
    /// each secret that leaves was let go by the user that time.
    private func secretLeaving(_ call: ToolCall, secrets: [Int], to place: String) async -> String? {
        let names = secrets.map(SecretRedactor.placeholder).joined(separator: ", ")
        let what = "\(call.name) would send \(names) — \(secrets.count == 1 ? "a secret" : "secrets") Gander kept from the "
            + "model — to \(place), off this machine"
        let mode = await agent.permissions.mode
        guard let approver = agent.approver, mode != .auto, mode != .chat, !Task.isCancelled else {
            return "Not run: \(what). Gander puts hidden secrets back only into tools that act on this machine (the "
                + "editor, commands in a sandbox without network). If the task needs the value sent, ask the user to do it."
        }
        emit(.notice(what + "; approve only if you mean it to go there."))
        emit(.approvalRequested(call))
        switch await approver.approve(call) {
        case .once, .always:
            return nil
        case .deny(let reason):
            let because = reason.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
            return "The user denied sending \(names) to \(place)." + (because.map { " Their reason: \($0)" } ?? "")
        }
    }

    /// What the permission modes make of a call's footprint. A spec marked read-only (an MCP tool annotated so) reads
    /// only, whatever the footprint says.
    private func effect(of spec: ToolSpec, _ footprint: CallFootprint) -> CallEffect {
        if let address = footprint.localNetworkTarget {
            return .reachesLocalNetwork(address)
        }
        guard spec.isReadOnly || footprint.readsOnly else {
            return .mayChange
        }
        if let outside = footprint.pathsRead.lazy.compactMap(agent.context.boundary.escape).first {
            return .readsOutsideWorkspace(outside)
        }
        return .readsWorkspace
    }

    /// Nil when the call may run; otherwise what the model is told instead.
    /// `note` is told to the user before they are asked.
    private func permission(for call: ToolCall, effect: CallEffect, commandLine: String?, note: String?) async -> String? {
        switch await agent.permissions.verdict(tool: call.name, effect: effect, commandLine: commandLine) {
        case .run:
            return nil
        case .refuse(let reason):
            return reason
        case .ask:
            let mode = await agent.permissions.mode
            guard let approver = agent.approver else {
                var why = "Not run: \(call.name) needs the user's approval in the `\(mode.rawValue)` permission mode"
                if case .readsOutsideWorkspace(let path) = effect, mode == .smart {
                    why = "Not run: \(call.name) reads \(path), outside the working directory, which needs the user's "
                        + "approval in the `smart` permission mode"
                }
                if case .reachesLocalNetwork(let address) = effect, mode == .smart {
                    why = "Not run: \(call.name) reaches \(address), an address on this machine or its private network, "
                        + "which needs the user's approval in the `smart` permission mode"
                }
                if let commandLine, case .ask(let rule)? = agent.permissions.commandRules.verdict(for: commandLine) {
                    why = "Not run: the user's configuration asks before commands matching \"\(rule)\""
                }
                return why + ", and nobody is here to give it in this headless run. Carry on without it, or say what "
                    + "you need and why."
            }
            if Task.isCancelled { return "Not run: the user interrupted the turn." }
            if let note { emit(.notice("\(call.name): \(note)")) }
            emit(.approvalRequested(call))
            switch await approver.approve(call) {
            case .once:
                return nil
            case .always:
                await agent.permissions.grantAlways(call.name)
                return nil
            case .deny(let reason):
                let because = reason.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
                return "The user denied this call to \(call.name)."
                    + (because.map { " Their reason: \($0)" } ?? " Ask what they would like instead, or try another way.")
            }
        }
    }

    private static func excerpt(_ text: String) -> String {
        text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// The conversation cannot be made to fit the model's context window.
enum ContextWindowError: Error, CustomStringConvertible {
    case doesNotFit(needed: Int, limit: ContextLimit)
    case overflowAgain(ContextLimit)
    case emptySummary

    var description: String {
        switch self {
        case .doesNotFit(let needed, let limit):
            "the conversation does not fit the model's context window even after compacting: the next request needs "
                + "about \(needed) tokens and the limit is \(limit.tokens) (\(limit.source)). If the model's window is "
                + "larger, set GANDER_CONTEXT_LIMIT or context_limit: in config.yaml; otherwise start a new session"
        case .overflowAgain(let limit):
            "the provider said the request exceeded the model's context window again after compacting; Gander worked "
                + "with a limit of \(limit.tokens) tokens (\(limit.source)). Set GANDER_CONTEXT_LIMIT or context_limit: "
                + "in config.yaml to the model's real window"
        case .emptySummary:
            "the model returned an empty summary when asked to compact the conversation; try /compact again or start "
                + "a new session"
        }
    }
}

/// The conversation log could not keep a message; the run stops rather than go on losing work.
private struct LogFailure: Error, CustomStringConvertible {
    let underlying: any Error
    var description: String { "could not save the conversation: \(underlying); the run stopped so no work is lost unseen" }
}

/// A call that passed its checks and is ready to run.
private struct PreparedCall: Sendable {
    let call: ToolCall
    let entry: ToolCatalog.Entry
    let arguments: [String: JSONValue]
    let footprint: CallFootprint

    /// The call may change files, so the turn's checkpoint must be taken before it.
    var mayChange: Bool { footprint.localNetworkTarget == nil && !(entry.spec.isReadOnly || footprint.readsOnly) }

    func execute(context: ToolContext) async -> (ToolResult, Usage) {
        let output = await entry.handler.run(arguments, context: context)
        return (ToolResult(callID: call.id, toolName: call.name, content: output.content, isError: output.isError,
                           sources: output.sources), output.usage)
    }
}

/// The model's reply stopped at its output-token limit before it finished, so the run could not finish either.
struct ReplyCutOff: Error, CustomStringConvertible {
    let model: String
    let advice: String

    var description: String {
        "\(model)'s reply was cut off before it finished, at the most tokens one reply may have; \(advice)"
    }
}
