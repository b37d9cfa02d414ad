import Foundation
import GanderCore
import Synchronization

/// The embedded provider: a GGUF model run in-process by llama.cpp, with no account, no key and no network.
public final class LocalProvider: ModelProvider, Sendable {
    public let name = "local"
    public let model: String
    /// Nothing leaves the machine: no ledger, no redaction.
    public let sendsOffMachine = false

    private let runtime: LocalRuntime
    private let modelPath: String
    private let contextLimit: Int?
    let sampling: SamplingSettings
    private let threads: Int
    /// Loaded on first use and kept for the process's life; generation runs one call at a time.
    private let engine = Mutex<LlamaEngine?>(nil)
    private let generationLock = NSLock()

    /// Text that ends a reply in chat formats, should the model write it as text rather than as its special token.
    static let stopStrings = ["<|im_end|>", "<|im_start|>", "<|endoftext|>", "<|eot_id|>", "</s>", "<end_of_turn>"]

    public init(runtime: LocalRuntime, model: String?, contextLimit: Int?, sampling: SamplingSettings,
                threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) throws {
        let resolved = try runtime.resolveModel(model)
        self.runtime = runtime
        self.model = resolved.name
        self.modelPath = resolved.path
        self.contextLimit = contextLimit
        self.sampling = sampling
        self.threads = threads
    }

    /// The window llama.cpp opened for the model: the user's limit or the model's trained length, whichever is
    /// smaller (the model is loaded to learn it, as the first request would).
    public func contextLimit() async -> ContextLimit {
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

    private func generate(_ request: ModelRequest, cancelled: borrowing Atomic<Bool>,
                          emit: (ProviderEvent) -> Void) throws {
        let engine = try loadedEngine()
        let usesTools = !request.tools.isEmpty
        let (prompt, dropped) = try fit(request, engine: engine, usesTools: usesTools)
        if dropped > 0 {
            emit(.notice("the conversation is longer than the local model's \(engine.contextLength)-token window; "
                         + "\(dropped) older message\(dropped == 1 ? " was" : "s were") left out of this request"))
        }
        let grammar = usesTools ? ToolCallGrammar(tools: request.tools).text : nil

        var decoder = UTF8Accumulator()
        var reply = ""
        var streamer = AnswerStreamer()
        var heldBack = ""
        var stoppedByString = false
        var streamedAnswer = false
        let generated = try engine.generate(prompt: prompt, grammar: grammar, sampling: sampling) { bytes in
            if cancelled.load(ordering: .relaxed) { return false }
            let text = decoder.append(bytes)
            guard !text.isEmpty else { return true }
            reply += text
            if usesTools {
                let answer = streamer.feed(text)
                if !answer.isEmpty {
                    streamedAnswer = true
                    emit(.textDelta(answer))
                }
                return true
            }
            heldBack += text
            if let stop = Self.stopStrings.compactMap({ heldBack.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                let before = String(heldBack[..<stop.lowerBound])
                if !before.isEmpty { emit(.textDelta(before)) }
                stoppedByString = true
                return false
            }
            // Keep back a tail that could be the start of a stop string; pass the rest on.
            let keep = Self.stopStrings.map { Self.overlap(of: heldBack, withPrefixOf: $0) }.max() ?? 0
            let ready = String(heldBack.dropLast(keep))
            if !ready.isEmpty { emit(.textDelta(ready)) }
            heldBack = String(heldBack.suffix(keep))
            return true
        }
        if cancelled.load(ordering: .relaxed) { return }
        if !usesTools, !stoppedByString, !heldBack.isEmpty { emit(.textDelta(heldBack)) }
        emit(.usage(Usage(inputTokens: prompt.count, outputTokens: generated)))

        guard usesTools else { return emit(.stop(.endTurn)) }
        switch LocalToolProtocol.parse(reply) {
        case .toolCall(let name, let arguments):
            emit(.toolCallStarted(index: 0, id: "", name: name))
            emit(.toolCallArgumentsDelta(index: 0, fragment: arguments))
            emit(.stop(.toolUse))
        case .answer:
            emit(.stop(.endTurn))  // its text has already streamed
        case nil:
            // Only a reply cut off by the token budget can break the grammar; what there is becomes the answer.
            emit(.notice("the local model's reply was cut off after \(generated) tokens"))
            if !streamedAnswer { emit(.textDelta(reply)) }
            emit(.stop(.maxTokens))
        }
    }

    /// The prompt's tokens, leaving out the oldest turns (never the first instruction or the latest turn) until the
    /// prompt and room for a reply fit the window. Returns the tokens and how many messages were left out.
    private func fit(_ request: ModelRequest, engine: LlamaEngine, usesTools: Bool) throws -> ([Int32], Int) {
        var system = request.systemPrompt
        if usesTools { system += "\n\n" + LocalToolProtocol.systemSection(for: request.tools) }
        let reserve = min(sampling.maxTokens, engine.contextLength / 4)
        var messages = request.messages
        var dropped = 0
        while true {
            let tokens = engine.tokenize(engine.applyTemplate(turns(system: system, messages: messages, usesTools: usesTools)))
            if tokens.count + reserve <= engine.contextLength { return (tokens, dropped) }
            guard messages.count > 2 else {
                throw LocalModelError.promptTooLong(tokens: tokens.count + reserve, window: engine.contextLength)
            }
            messages.remove(at: 1)
            dropped += 1
        }
    }

    private func turns(system: String, messages: [Message], usesTools: Bool) -> [(role: String, content: String)] {
        var turns: [(role: String, content: String)] = [("system", system)]
        for message in messages {
            switch message.role {
            case .assistant:
                turns.append(("assistant", usesTools ? LocalToolProtocol.render(message) : message.text))
            case .user:
                var parts = message.toolResults.map { "Result of \($0.toolName)\($0.isError ? " (error)" : ""):\n\($0.text)" }
                if !message.text.isEmpty { parts.append(message.text) }
                turns.append(("user", parts.joined(separator: "\n\n")))
            }
        }
        return turns
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
