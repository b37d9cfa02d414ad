import AsyncHTTPClient
import GanderCore

/// OpenAI's Chat Completions API, streamed. Also spoken by Azure OpenAI, vLLM, llama.cpp's server, LM Studio,
/// OpenRouter and Groq, which differ only in the address and how the key is sent.
struct OpenAIChatFormat: WireFormat {
    /// The provider's name as users type it, for errors.
    let provider: String
    let model: String
    /// The chat completions address itself (`…/v1/chat/completions`, Azure's deployment URL with its api-version).
    let url: String
    /// How the key travels: `Authorization: Bearer …`, Azure's `api-key`, a token fetched with OAuth, or nothing for
    /// a local server.
    let authorization: any RequestAuthorization
    let encodedMessages = MessageEncodingCache()

    /// A server that follows OpenAI's own layout under `baseURL`, with a bearer key if there is one.
    init(provider: String = "openai", model: String, baseURL: String, apiKey: String?) {
        self.init(provider: provider, model: model, url: baseURL + "/chat/completions",
                  authorization: FixedHeaders(apiKey.map { [("authorization", "Bearer \($0)")] } ?? []))
    }

    init(provider: String, model: String, url: String, authorization: any RequestAuthorization) {
        self.provider = provider
        self.model = model
        self.url = url
        self.authorization = authorization
    }

    func makeRequest(_ request: ModelRequest, transport: HTTPTransport) async throws -> HTTPClientRequest {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "stream": true,
            "stream_options": ["include_usage": true],
        ]
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map(\.functionDefinition))
        }
        let messages = encodedMessages.encodedArray(
            prefix: [["role": "system", "content": .string(request.systemPrompt)]], messages: request.messages,
            encode: Self.wireEntries)
        return .jsonPost(url: url, body: body, messagesJSON: messages,
                         headers: try await authorization.headers(transport: transport))
    }

    /// One message as Chat Completions messages: tool results become `tool` messages.
    static func wireEntries(_ message: Message) -> [JSONValue] {
        var wire: [JSONValue] = []
        switch message.role {
        case .user:
            // Tool results must directly follow the assistant message that asked for them.
            for result in message.toolResults {
                wire.append(["role": "tool", "tool_call_id": .string(result.callID), "content": .string(result.text)])
            }
            // A tool message carries text only; its pictures follow in a user message, which may carry images.
            let pictures: [JSONValue] = message.toolResults.flatMap(\.content).compactMap { part in
                guard case .image(let mimeType, let data) = part else { return nil }
                return ["type": "image_url", "image_url": ["url": .string("data:\(mimeType);base64,\(data)")]]
            }
            let text = message.text
            if !pictures.isEmpty {
                let caption = text.isEmpty ? "The pictures the tools above returned." : text
                wire.append(["role": "user", "content": .array([["type": "text", "text": .string(caption)]] + pictures)])
            } else if !text.isEmpty {
                wire.append(["role": "user", "content": .string(text)])
            }
        case .assistant:
            var entry: [String: JSONValue] = ["role": "assistant"]
            let text = message.text
            entry["content"] = text.isEmpty ? .null : .string(text)
            let calls = message.toolCalls
            if !calls.isEmpty {
                entry["tool_calls"] = .array(calls.map { call in
                    ["id": .string(call.id), "type": "function",
                     "function": ["name": .string(call.name),
                                  "arguments": .string(call.arguments.isEmpty ? "{}" : call.arguments)]]
                })
            }
            wire.append(.object(entry))
        }
        return wire
    }

    func makeDecoder() -> Decoder { Decoder(provider: provider) }

    /// Reads `data:` chunks until `[DONE]`.
    struct Decoder: StreamDecoder {
        let provider: String
        private var parser = ServerSentEventParser()
        private var finished = false

        init(provider: String) {
            self.provider = provider
        }

        mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent] {
            try parser.feed(bytes).flatMap { try events(from: $0) }
        }

        mutating func finish() throws -> [ProviderEvent] {
            let tail = try parser.finish().flatMap { try events(from: $0) }
            guard finished else {
                throw ProviderError.interrupted(provider: provider, reason: "the stream ended before [DONE]")
            }
            return tail
        }

        private mutating func events(from event: ServerSentEvent) throws -> [ProviderEvent] {
            if event.data == "[DONE]" {
                finished = true
                return []
            }
            guard let chunk = try? JSONValue(parsing: event.data) else {
                throw ProviderError.malformed(provider: provider, detail: "a stream chunk is not JSON")
            }
            if let error = chunk["error"] {
                throw ProviderError.streamError(provider: provider, message: error["message"]?.stringValue ?? error.canonicalText)
            }
            var events: [ProviderEvent] = []
            if let choice = chunk["choices"]?.arrayValue?.first {
                let delta = choice["delta"] ?? [:]
                if let reasoning = (delta["reasoning_content"] ?? delta["reasoning"])?.stringValue, !reasoning.isEmpty {
                    events.append(.reasoningDelta(reasoning))
                }
                if let text = delta["content"]?.stringValue, !text.isEmpty { events.append(.textDelta(text)) }
                for (position, call) in (delta["tool_calls"]?.arrayValue ?? []).enumerated() {
                    let index = call["index"]?.intValue ?? position
                    let id = call["id"]?.stringValue
                    let name = call["function"]?["name"]?.stringValue
                    if id != nil || name != nil { events.append(.toolCallStarted(index: index, id: id ?? "", name: name ?? "")) }
                    if let fragment = call["function"]?["arguments"]?.stringValue, !fragment.isEmpty {
                        events.append(.toolCallArgumentsDelta(index: index, fragment: fragment))
                    }
                }
                if let reason = choice["finish_reason"]?.stringValue {
                    if reason == "content_filter" {
                        throw ProviderError.refused(
                            provider: provider,
                            message: "the content filter stopped the answer\(ContentFilter.categories(choice["content_filter_results"]))"
                                + "; rephrase the request, or leave out what may have been flagged")
                    }
                    events.append(.stop(Self.stopReason(reason)))
                }
            }
            if let usage = chunk["usage"], usage != .null {
                // OpenAI counts cached tokens inside prompt_tokens; Gander's convention keeps them apart.
                let cached = usage["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0
                events.append(.usage(Usage(
                    inputTokens: max(0, (usage["prompt_tokens"]?.intValue ?? 0) - cached),
                    outputTokens: usage["completion_tokens"]?.intValue ?? 0,
                    cacheReadTokens: cached)))
            }
            return events
        }

        private static func stopReason(_ reason: String) -> ProviderEvent.StopReason {
            switch reason {
            case "stop": .endTurn
            case "tool_calls", "function_call": .toolUse
            case "length": .maxTokens
            default: .other
            }
        }
    }
}

/// Azure's (and OpenAI's) content filter results: `{"hate": {"filtered": true, "severity": "high"}, …}`.
enum ContentFilter {
    /// ` (hate: high, violence: medium)` for the categories that were filtered, or nothing.
    static func categories(_ results: JSONValue?) -> String {
        let filtered = (results?.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { name, result -> String? in
            guard result["filtered"]?.boolValue == true else { return nil }
            return result["severity"]?.stringValue.map { "\(name): \($0)" } ?? name
        }
        return filtered.isEmpty ? "" : " (" + filtered.joined(separator: ", ") + ")"
    }
}
