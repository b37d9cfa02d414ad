import AsyncHTTPClient
import GanderCore
import NIOCore

/// Ollama's native `/api/chat`, streamed as newline-delimited JSON.
struct OllamaChatFormat: WireFormat {
    let model: String
    let baseURL: String
    /// The context window to ask for; when nil it is read from the model itself through `/api/show`.
    let contextLimit: Int?
    /// Headers a custom provider adds to every request.
    var extraHeaders: [(String, String)] = []
    let contextLimits = ContextLimitCache()
    let encodedMessages = MessageEncodingCache()

    func makeRequest(_ request: ModelRequest, transport: HTTPTransport) async throws -> HTTPClientRequest {
        // Ollama's default window is small and it truncates silently past it, so the window is always set.
        let numCtx: Int
        if let contextLimit {
            numCtx = contextLimit
        } else {
            numCtx = try await contextLimits.limit(for: model) { try await fetchContextLimit(transport: transport) }
        }
        var body: [String: JSONValue] = [
            "model": .string(model),
            "stream": true,
            "options": ["num_ctx": .number(Double(numCtx))],
        ]
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map(\.functionDefinition))
        }
        let messages = encodedMessages.encodedArray(
            prefix: [["role": "system", "content": .string(request.systemPrompt)]], messages: request.messages,
            encode: Self.wireEntries)
        return .jsonPost(url: baseURL + "/api/chat", body: body, messagesJSON: messages, headers: extraHeaders)
    }

    /// The window requests ask for: the user's, else what Ollama's model card says, else the catalogue's.
    func reportedContextLimit(transport: HTTPTransport) async -> ContextLimit? {
        if let contextLimit { return ContextLimit(tokens: contextLimit, source: "GANDER_CONTEXT_LIMIT or config.yaml") }
        guard let tokens = try? await contextLimits.limit(for: model, fetch: { try await fetchContextLimit(transport: transport) })
        else { return nil }
        return ContextLimit(tokens: tokens, source: "Ollama's model card for \(model)")
    }

    /// The model's trained context length from `/api/show`, or the catalogue's figure when Ollama does not say.
    private func fetchContextLimit(transport: HTTPTransport) async throws -> Int {
        let request = HTTPClientRequest.jsonPost(url: baseURL + "/api/show", body: ["model": .string(model)],
                                                 headers: extraHeaders)
        let body = try await transport.fetch(request, kind: .probe, upTo: 8 * 1024 * 1024)
        let info = (try? JSONValue(parsing: String(buffer: body)))?["model_info"]?.objectValue ?? [:]
        if let reported = info.first(where: { $0.key.hasSuffix(".context_length") })?.value.intValue {
            return reported
        }
        return ModelCatalog.contextLimit(for: model).tokens
    }

    /// One message as Ollama chat messages: tool results become `tool` messages.
    static func wireEntries(_ message: Message) -> [JSONValue] {
        var wire: [JSONValue] = []
        switch message.role {
        case .user:
            for result in message.toolResults {
                var entry: [String: JSONValue] = ["role": "tool", "tool_name": .string(result.toolName), "content": .string(result.text)]
                let images: [JSONValue] = result.content.compactMap { if case .image(_, let data) = $0 { .string(data) } else { nil } }
                if !images.isEmpty { entry["images"] = .array(images) }
                wire.append(.object(entry))
            }
            let text = message.text
            if !text.isEmpty { wire.append(["role": "user", "content": .string(text)]) }
        case .assistant:
            var entry: [String: JSONValue] = ["role": "assistant", "content": .string(message.text)]
            let calls = message.toolCalls
            if !calls.isEmpty {
                entry["tool_calls"] = .array(calls.map { call in
                    let arguments = (try? JSONValue(parsing: call.arguments)) ?? [:]
                    return ["function": ["name": .string(call.name), "arguments": arguments]]
                })
            }
            wire.append(.object(entry))
        }
        return wire
    }

    func makeDecoder() -> Decoder { Decoder() }

    /// Reads one JSON object per line until `done: true`.
    struct Decoder: StreamDecoder {
        private var lines = LineSplitter()
        private var done = false
        private var nextToolIndex = 0

        mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent] {
            try lines.feed(bytes).flatMap { try events(from: $0) }
        }

        mutating func finish() throws -> [ProviderEvent] {
            let tail = try lines.finish().flatMap { try events(from: $0) }
            guard done else { throw ProviderError.interrupted(provider: "ollama", reason: "the stream ended before done") }
            return tail
        }

        private mutating func events(from line: String) throws -> [ProviderEvent] {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
            guard let chunk = try? JSONValue(parsing: line) else {
                throw ProviderError.malformed(provider: "ollama", detail: "a stream line is not JSON")
            }
            if let error = chunk["error"] {
                throw ProviderError.streamError(provider: "ollama", message: error.stringValue ?? error.canonicalText)
            }
            var events: [ProviderEvent] = []
            let message = chunk["message"] ?? [:]
            if let thinking = message["thinking"]?.stringValue, !thinking.isEmpty { events.append(.reasoningDelta(thinking)) }
            if let text = message["content"]?.stringValue, !text.isEmpty { events.append(.textDelta(text)) }
            // Ollama sends each tool call whole, never in pieces.
            for call in message["tool_calls"]?.arrayValue ?? [] {
                let index = nextToolIndex
                nextToolIndex += 1
                events.append(.toolCallStarted(index: index, id: call["id"]?.stringValue ?? "",
                                               name: call["function"]?["name"]?.stringValue ?? ""))
                let arguments = call["function"]?["arguments"] ?? [:]
                events.append(.toolCallArgumentsDelta(index: index, fragment: arguments.stringValue ?? arguments.canonicalText))
            }
            if chunk["done"]?.boolValue == true {
                done = true
                events.append(.usage(Usage(inputTokens: chunk["prompt_eval_count"]?.intValue ?? 0,
                                           outputTokens: chunk["eval_count"]?.intValue ?? 0)))
                let reason = chunk["done_reason"]?.stringValue
                events.append(.stop(nextToolIndex > 0 ? .toolUse : reason == "length" ? .maxTokens : .endTurn))
            }
            return events
        }
    }
}

/// Context lengths already asked of the server, so `/api/show` is called once per model per process.
actor ContextLimitCache {
    private var limits: [String: Int] = [:]

    func limit(for model: String, fetch: @Sendable () async throws -> Int) async throws -> Int {
        if let known = limits[model] { return known }
        let fetched = try await fetch()
        limits[model] = fetched
        return fetched
    }
}
