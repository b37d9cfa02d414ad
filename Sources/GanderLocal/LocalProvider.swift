import Foundation
import GanderCore
import Synchronization

/// The embedded provider: a GGUF model run in-process by llama.cpp, with no account, no key and no network.
public final class LocalProvider: ModelProvider, Sendable {
    public let name = "local"
    public let model: String
    /// Nothing leaves the machine: no ledger, no redaction.
    public let sendsOffMachine = false
    /// The embedded runtime loads no vision projector.
    public let acceptsImages = false
    /// A local reply runs until the window is full (or until the model repeats itself, which a notice says).
    public let cutOffAdvice = "for the local model that is the room left in its context window; raise GANDER_CONTEXT_LIMIT "
        + "(up to the model's trained length) or ask for something shorter"

    private let runtime: LocalRuntime
    private let modelPath: String
    private let contextLimit: Int?
    let sampling: SamplingSettings
    private let threads: Int
    /// Where the agent works: what a small model is shown of it and held to.
    private let workingDirectory: URL
    /// Loaded on first use and kept for the process's life; generation runs one call at a time.
    private let engine = Mutex<LlamaEngine?>(nil)
    private let generationLock = NSLock()
    /// Whether the notice that the GGUF has no usable chat template is still to be given (once per process).
    private let templateNoticeDue = Atomic<Bool>(true)

    public init(runtime: LocalRuntime, model: String?, contextLimit: Int?, sampling: SamplingSettings,
                threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount), workingDirectory: URL) throws {
        let resolved = try runtime.resolveModel(model)
        self.runtime = runtime
        self.model = resolved.name
        self.modelPath = resolved.path
        self.contextLimit = contextLimit
        self.sampling = sampling
        self.threads = threads
        self.workingDirectory = workingDirectory
    }

    /// The window llama.cpp opened for the model: the user's limit or the model's trained length, whichever is
    /// smaller (the model is loaded to learn it, as the first request would).
    public func contextLimit(recorder: (any OutboundRecorder)?) async -> ContextLimit {
        guard let engine = try? loadedEngine() else { return ContextLimit(tokens: contextLimit ?? 8192, source: "the local model") }
        return ContextLimit(tokens: engine.contextLength, source: "the window llama.cpp opened for \(model)")
    }

    /// Loads the library and the model now rather than on the first request.
    public func load() throws {
        _ = try loadedEngine()
    }

    func loadedEngine() throws -> LlamaEngine {
        try engine.withLock { engine in
            if let engine { return engine }
            let library = try runtime.loadLibrary()
            let loaded = try LlamaEngine(library: library, modelPath: modelPath, contextLimit: contextLimit, threads: threads)
            loaded.promptCacheFile = runtime.promptCacheFile(model: modelPath, contextLength: loaded.contextLength)
            engine = loaded
            return loaded
        }
    }

    public func stream(_ request: ModelRequest) -> AsyncThrowingStream<ProviderEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ProviderEvent.self)
        let cancelled = Atomic<Bool>(false)
        // Decoding is long, blocking CPU work: it gets a thread of its own instead of one of the few shared ones.
        let thread = Thread { [self] in
            generationLock.lock()
            defer { generationLock.unlock() }
            do {
                try generate(request, cancelled: cancelled) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.stackSize = 8 << 20
        continuation.onTermination = { _ in cancelled.store(true, ordering: .relaxed) }
        thread.start()
        return stream
    }

    /// Evaluates `request`'s prompt as its first turn would be, without generating, and leaves it in the prompt cache
    /// on disk. `gander local install` does this once, so that the first run on a machine does not spend its first
    /// seconds on the opening every run shares (Gander's instructions and the tools). Returns the prompt's length and
    /// how many of its tokens the cache already held.
    public func prepare(_ request: ModelRequest) throws -> (tokens: Int, alreadyCached: Int) {
        generationLock.lock()
        defer { generationLock.unlock() }
        let engine = try loadedEngine()
        let plan = LocalTurnPlan(request: request, chatTemplate: engine.chatTemplateText, workingDirectory: workingDirectory)
        var request = request
        if let system = plan.systemPrompt { request.systemPrompt = system }
        let (prompt, _) = try fit(request, engine: engine, format: plan.format, toolset: plan.toolset,
                                  workspace: plan.workspace, remindsOfTask: plan.remindsOfTask)
        return (prompt.count, try engine.prepare(prompt: prompt))
    }

    /// `wordsOnly` holds the reply to an answer of at least one character: the second try after an empty reply.
    private func generate(_ request: ModelRequest, cancelled: borrowing Atomic<Bool>, wordsOnly: Bool = false,
                          emit: (ProviderEvent) -> Void) throws {
        let engine = try loadedEngine()
        if !engine.hasUsableTemplate, templateNoticeDue.exchange(false, ordering: .relaxed) {
            emit(.notice("\(model) carries no chat template llama.cpp can apply; its conversation is formatted with the "
                         + "\(engine.fallbackTemplate) template, chosen by its architecture (\(engine.metadata?.architecture ?? "unknown"))"))
        }
        let plan = LocalTurnPlan(request: request, chatTemplate: engine.chatTemplateText, workingDirectory: workingDirectory)
        let usesTools = plan.format != nil
        let format = plan.format ?? .json
        let toolset = plan.toolset
        var request = request
        if let system = plan.systemPrompt { request.systemPrompt = system }
        let (prompt, dropped) = try fit(request, engine: engine, format: plan.format, toolset: toolset,
                                        workspace: plan.workspace, remindsOfTask: plan.remindsOfTask)
        if dropped > 0 {
            emit(.notice("the conversation is longer than the local model's \(engine.contextLength)-token window; "
                         + "\(dropped) older message\(dropped == 1 ? " was" : "s were") left out of this request"))
        }
        let constraint = wordsOnly && usesTools ? (grammar: ToolCallFormat.answerOnlyGrammar(), trigger: nil) : plan.constraint
        if let constraint { Self.logPrompt("GRAMMAR (trigger: \(constraint.trigger ?? "none")):\n" + constraint.grammar) }

        var decoder = UTF8Accumulator()
        var reply = ""
        var streamer = ReplyStreamer(format: usesTools ? format : nil)
        var answerTokens = 0
        var answerCutOff = false
        var looped = false
        var pieces = 0
        // A call always gets the room the window has left, so it can finish; only answers are held to maxTokens.
        var unbounded = sampling
        unbounded.maxTokens = nil
        let generation = try engine.generate(prompt: prompt, grammar: constraint?.grammar, trigger: constraint?.trigger,
                                             sampling: unbounded) { bytes in
            if cancelled.load(ordering: .relaxed) { return false }
            let text = decoder.append(bytes)
            reply += text
            let step = streamer.feed(text)
            if !step.text.isEmpty { emit(.textDelta(step.text)) }
            if step.stopped { return false }
            if !streamer.inCall {
                answerTokens += 1
                if let cap = sampling.maxTokens, answerTokens >= cap {
                    answerCutOff = true
                    return false
                }
            }
            pieces += 1
            // Checked every 16 tokens, which is often enough to stop a loop early and cheap on long replies.
            if pieces % 16 == 0, Self.isLooping(reply, times: streamer.inCall ? 8 : 4) {
                looped = true
                return false
            }
            return true
        }
        if cancelled.load(ordering: .relaxed) { return }
        let rest = streamer.finish()
        if !rest.isEmpty { emit(.textDelta(rest)) }
        emit(.usage(Usage(inputTokens: prompt.count - generation.reusedPromptTokens, outputTokens: generation.tokens,
                          cacheReadTokens: generation.reusedPromptTokens)))

        if looped {
            emit(.notice("the local model began repeating itself after \(generation.tokens) tokens and was stopped"))
            if streamer.inCall { return emit(.stop(.maxTokens)) }  // a looping call is no call: never run it
        }
        let cutOff = answerCutOff || looped || generation.hitBudget
        guard usesTools else {
            if !cutOff, let ending = UnfinishedAnswer.ending(of: reply) { return emitUnfinished(ending, emit: emit) }
            return emit(.stop(cutOff ? .maxTokens : .endTurn))
        }
        let spoken = ReplyStreamer.beforeStopString(reply)
        guard !generation.grammarFailed, let parsed = format.parse(spoken, toolNames: Set(toolset.offered.map(\.name))) else {
            // Never pass a broken call on as an answer: it is dropped, and the stop reason says the reply is incomplete.
            emit(.notice(generation.grammarFailed
                ? "the local model's tool call could not be completed under its grammar and was dropped"
                : cutOff
                    ? "the local model's reply was cut off after \(generation.tokens) tokens, at the end of its "
                        + "\(engine.contextLength)-token window, inside a tool call; the call was dropped"
                    : "the local model wrote a tool call that is not valid JSON; it was dropped"))
            return emit(.stop(.maxTokens))
        }
        if parsed.calls.isEmpty {
            // An empty reply is no answer: small models sometimes end their turn at once after a result. Once more,
            // held to words; nothing was shown, so the second try is all the user sees.
            if parsed.text.isEmpty, streamer.heldAsCall.isEmpty, !cutOff {
                guard !wordsOnly, format != .json else {
                    emit(.notice("the local model gave an empty answer"))
                    return emit(.stop(.maxTokens))
                }
                return try generate(request, cancelled: cancelled, wordsOnly: true, emit: emit)
            }
            if format == .json, !streamer.streamedAnswer, !parsed.text.isEmpty { emit(.textDelta(parsed.text)) }
            // What was held back as a possible call turned out to be part of the answer.
            if format != .json, !streamer.heldAsCall.isEmpty { emit(.textDelta(streamer.heldAsCall)) }
            if !cutOff, let ending = UnfinishedAnswer.ending(of: format == .json ? parsed.text : spoken) {
                return emitUnfinished(ending, emit: emit)
            }
            return emit(.stop(cutOff ? .maxTokens : .endTurn))
        }
        for (index, call) in parsed.calls.enumerated() {
            let real = toolset.realCall(name: call.name, arguments: call.arguments, in: workingDirectory)
            emit(.toolCallStarted(index: index, id: "", name: real.name))
            emit(.toolCallArgumentsDelta(index: index, fragment: real.arguments.canonicalText))
        }
        emit(.stop(.toolUse))
    }

    /// An answer that stopped mid-sentence is not an answer: the run ends saying so rather than passing it off.
    private func emitUnfinished(_ ending: String, emit: (ProviderEvent) -> Void) {
        emit(.notice("the local model's answer stopped mid-sentence (it ends \"…\(ending)\"); "
                     + "run the task again, or use a larger model (gander local recommend)"))
        emit(.stop(.maxTokens))
    }

    /// The prompt's tokens, leaving out the oldest turns (never the first instruction or the latest turn) until the
    /// prompt and room for a reply fit the window. Returns the tokens and how many messages were left out.
    private func fit(_ request: ModelRequest, engine: LlamaEngine, format: ToolCallFormat?,
                     toolset: LocalToolset, workspace: WorkspaceSnapshot?, remindsOfTask: Bool) throws -> ([Int32], Int) {
        let reserve = min(sampling.maxTokens ?? 512, engine.contextLength / 4)
        var messages = request.messages
        var dropped = 0
        while true {
            let text = promptText(system: request.systemPrompt, messages: messages, engine: engine, format: format,
                                  toolset: toolset, workspace: workspace, remindsOfTask: remindsOfTask)
            let tokens = engine.tokenize(text)
            if tokens.count + reserve <= engine.contextLength {
                Self.logPrompt(text)
                return (tokens, dropped)
            }
            guard messages.count > 2 else {
                throw LocalModelError.promptTooLong(tokens: tokens.count + reserve, window: engine.contextLength)
            }
            messages.remove(at: 1)
            dropped += 1
        }
    }

    /// With `GANDER_LOCAL_PROMPT_LOG` set to a file, each prompt exactly as the model reads it is appended there:
    /// what to look at when a local model misbehaves.
    private static func logPrompt(_ text: String) {
        guard let path = ProcessInfo.processInfo.environment["GANDER_LOCAL_PROMPT_LOG"], !path.isEmpty,
              let handle = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil)
                ? FileHandle(forWritingAtPath: path) : nil)
        else { return }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data((text + "\n=====\n").utf8))
    }

    /// The prompt as the model was trained to read it. A model whose own chat template renders `tools` gets the
    /// tools, its past calls and their results through that template; any other gets Gander's protocol in its
    /// system prompt and turns, formatted by its template (or, when Gander's engine cannot render that template,
    /// by llama.cpp's applier).
    private func promptText(system given: String, messages: [Message], engine: LlamaEngine, format: ToolCallFormat?,
                            toolset: LocalToolset, workspace: WorkspaceSnapshot?, remindsOfTask: Bool) -> String {
        var system = format == nil ? given : toolset.adaptedSystemPrompt(given)
        if let format, format.isTrained, let template = engine.chatTemplate, template.offersTools,
           let text = try? template.render(Self.nativeMessages(system: system, messages: messages, toolset: toolset,
                                                          remindsOfTask: remindsOfTask),
                                           tools: toolset.offered) {
            return text
        }
        if let format { system += "\n\n" + format.systemSection(for: toolset.offered, workspace: workspace) }
        let turns = turns(system: system, messages: messages, format: format, toolset: toolset, remindsOfTask: remindsOfTask)
        if let template = engine.chatTemplate,
           let text = try? template.render(turns.map { ChatTemplate.Message(role: $0.role, content: $0.content) }, tools: nil) {
            return text
        }
        return engine.applyTemplate(turns)
    }

    /// The conversation in the shape chat templates take: calls on assistant messages and each result a `tool`
    /// message, in the model's tool names. With `remindsOfTask`, the latest results are followed by the user's
    /// instruction again, as the user would say it (no more: trained models echo a reminder with words of
    /// Gander's own back as their answer). It is left out of earlier turns, so each request changes only the end
    /// of the cached prompt. The date and the project hints open the first instruction rather than the system
    /// message (`LocalToolset.splittingSituation`).
    static func nativeMessages(system: String, messages: [Message], toolset: LocalToolset,
                                remindsOfTask: Bool) -> [ChatTemplate.Message] {
        let (standing, situation) = LocalToolset.splittingSituation(system)
        var result = [ChatTemplate.Message(role: "system", content: standing)]
        var situationTold = situation.isEmpty
        let calls = Dictionary(messages.flatMap(\.toolCalls).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for message in messages {
            switch message.role {
            case .assistant:
                let modelCalls = message.toolCalls.map {
                    toolset.modelCall(name: $0.name, arguments: (try? JSONValue(parsing: $0.arguments)) ?? [:])
                }
                result.append(ChatTemplate.Message(role: "assistant", content: message.text, toolCalls: modelCalls))
            case .user:
                for toolResult in message.toolResults {
                    let (name, text) = toolset.modelResult(of: toolResult, call: calls[toolResult.callID])
                    result.append(ChatTemplate.Message(role: "tool", content: toolResult.isError ? "Error: " + text : text,
                                                       toolName: name))
                }
                guard !message.text.isEmpty else { continue }
                let text = situationTold ? message.text : situation + "\n\n" + message.text
                situationTold = true
                result.append(ChatTemplate.Message(role: "user", content: text))
            }
        }
        if remindsOfTask, let last = messages.last, last.role == .user, last.text.isEmpty, !last.toolResults.isEmpty,
           let instruction = messages.last(where: { $0.role == .user && !$0.text.isEmpty })?.text {
            result.append(ChatTemplate.Message(role: "user", content: instruction))
        }
        return result
    }

    /// The conversation as chat turns, tool calls and results written the way `format` has the model see them.
    private func turns(system: String, messages: [Message], format: ToolCallFormat?,
                       toolset: LocalToolset, remindsOfTask: Bool) -> [(role: String, content: String)] {
        var turns: [(role: String, content: String)] = [("system", system)]
        if let format { turns += format.examples }
        // Without tools (chat mode) answers are plain text; past calls and results show as Gander's protocol
        // writes them.
        let plain = format == nil
        let format = format ?? .json
        let calls = Dictionary(messages.flatMap(\.toolCalls).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Small untrained models lose the task after a long result; theirs is repeated with each result.
        let task = format == .json && !plain && remindsOfTask ? messages.last(where: { $0.role == .user && !$0.text.isEmpty }).map { LocalTask(instruction: $0.text) } : nil
        for message in messages {
            switch message.role {
            case .assistant:
                let modelCalls = message.toolCalls.map {
                    toolset.modelCall(name: $0.name, arguments: (try? JSONValue(parsing: $0.arguments)) ?? [:])
                }
                turns.append(("assistant", plain && modelCalls.isEmpty
                    ? message.text : format.renderReply(text: message.text, calls: modelCalls)))
            case .user:
                let results = message.toolResults.map {
                    let (name, text) = toolset.modelResult(of: $0, call: calls[$0.callID])
                    return (name: name, text: text, isError: $0.isError)
                }
                if !results.isEmpty { turns.append(format.renderResults(results, task: task)) }
                if !message.text.isEmpty { turns.append(("user", message.text)) }
            }
        }
        return turns
    }

    /// Whether the end of `text` is one phrase over and over, as small models fall into: its last 40 characters
    /// occur `times` or more in its last 2,000.
    static func isLooping(_ text: String, times: Int) -> Bool {
        guard text.count >= 200 else { return false }
        let recent = text.suffix(2000)
        let phrase = String(recent.suffix(40))
        return recent.ranges(of: phrase).count >= times
    }

    /// How many characters at the end of `text` begin `stop`.
    static func overlap(of text: String, withPrefixOf stop: String) -> Int {
        for length in stride(from: min(text.count, stop.count - 1), through: 1, by: -1)
        where text.hasSuffix(stop.prefix(length)) {
            return length
        }
        return 0
    }
}

/// Turns token bytes into text, holding back a character split across tokens until it is whole.
struct UTF8Accumulator {
    private var pending: [UInt8] = []

    mutating func append(_ bytes: [UInt8]) -> String {
        pending += bytes
        var end = pending.count
        // Step back over an incomplete trailing sequence: at most three continuation bytes and their lead byte.
        var index = pending.count - 1
        while index >= 0, index >= pending.count - 4 {
            let byte = pending[index]
            if byte & 0xC0 == 0x80 { index -= 1; continue }
            let width = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            if pending.count - index < width { end = index }
            break
        }
        let text = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeFirst(end)
        return text
    }
}
