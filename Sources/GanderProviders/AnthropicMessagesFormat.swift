import AsyncHTTPClient
import GanderCore

/// Anthropic's Messages API, streamed over server-sent events.
struct AnthropicMessagesFormat: WireFormat {
    static let apiVersion = "2023-06-01"

    let model: String
    let baseURL: String
    let apiKey: String
    /// Headers a custom provider adds to every request.
    var extraHeaders: [(String, String)] = []
    let maxTokens: Int
    var outputTokenCap: Int? { maxTokens }
    let encodedMessages = MessageEncodingCache()

    func makeRequest(_ request: ModelRequest, transport: HTTPTransport) async throws -> HTTPClientRequest {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "max_tokens": .number(Double(maxTokens)),
            "system": .string(request.systemPrompt),
            "stream": true,
        ]
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map { tool in
                ["name": .string(tool.name), "description": .string(tool.description), "input_schema": tool.inputSchema]
            })
        }
        let headers = [("x-api-key", apiKey), ("anthropic-version", Self.apiVersion)] + extraHeaders
        let messages = encodedMessages.encodedArray(prefix: [], messages: request.messages) { message in
            Self.message(message).map { [$0] } ?? []
        }
        return .jsonPost(url: baseURL + "/v1/messages", body: body, messagesJSON: messages, headers: headers)
    }

    /// One message as content blocks. Reasoning goes back exactly as it came, signature and all.
    static func message(_ message: Message) -> JSONValue? {
        let blocks: [JSONValue] = message.content.compactMap { part in
            switch part {
            case .text(let text):
                return text.isEmpty ? nil : ["type": "text", "text": .string(text)]
            case .reasoning(let reasoning):
                if let data = reasoning.redactedData { return ["type": "redacted_thinking", "data": .string(data)] }
                guard let signature = reasoning.signature else { return nil }
                return ["type": "thinking", "thinking": .string(reasoning.text), "signature": .string(signature)]
            case .toolCall(let call):
                let input = (try? JSONValue(parsing: call.arguments)).flatMap { $0.objectValue.map(JSONValue.object) }
                return ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input ?? [:]]
            case .toolResult(let result):
                return ["type": "tool_result", "tool_use_id": .string(result.callID),
                        "content": .array(result.content.map(toolResultBlock)), "is_error": .bool(result.isError)]
            }
        }
        guard !blocks.isEmpty else { return nil }
        return ["role": .string(message.role.rawValue), "content": .array(blocks)]
    }

    private static func toolResultBlock(_ content: ToolContent) -> JSONValue {
        switch content {
        case .text(let text):
            return ["type": "text", "text": .string(text.isEmpty ? "(no output)" : text)]
        case .image(let mimeType, let data):
            return ["type": "image", "source": ["type": "base64", "media_type": .string(mimeType), "data": .string(data)]]
        }
    }

    func makeDecoder() -> Decoder { Decoder() }

    /// Reads message_start … message_stop.
    struct Decoder: StreamDecoder {
        private var parser = ServerSentEventParser()
        private var usage = Usage()
        private var stopped = false

        mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent] {
            try parser.feed(bytes).flatMap { try events(from: $0) }
        }

        mutating func finish() throws -> [ProviderEvent] {
            let tail = try parser.finish().flatMap { try events(from: $0) }
            guard stopped else {
                throw ProviderError.interrupted(provider: "anthropic", reason: "the stream ended before message_stop")
            }
            return tail
        }

        private mutating func events(from event: ServerSentEvent) throws -> [ProviderEvent] {
            guard let payload = try? JSONValue(parsing: event.data) else {
                throw ProviderError.malformed(provider: "anthropic", detail: "an event's data is not JSON")
            }
            let index = payload["index"]?.intValue ?? 0
            switch event.name ?? payload["type"]?.stringValue ?? "" {
            case "message_start":
                let reported = payload["message"]?["usage"]
                usage.inputTokens = reported?["input_tokens"]?.intValue ?? 0
                usage.outputTokens = reported?["output_tokens"]?.intValue ?? 0
                usage.cacheReadTokens = reported?["cache_read_input_tokens"]?.intValue ?? 0
                usage.cacheWriteTokens = reported?["cache_creation_input_tokens"]?.intValue ?? 0
                return []
            case "content_block_start":
                let block = payload["content_block"] ?? [:]
                switch block["type"]?.stringValue {
                case "tool_use":
                    return [.toolCallStarted(index: index, id: block["id"]?.stringValue ?? "",
                                             name: block["name"]?.stringValue ?? "")]
                case "redacted_thinking":
                    return [.redactedReasoning(block["data"]?.stringValue ?? "")]
                case "text":
                    return (block["text"]?.stringValue).map { [.textDelta($0)] } ?? []
                default:
                    return []
                }
            case "content_block_delta":
                let delta = payload["delta"] ?? [:]
                switch delta["type"]?.stringValue {
                case "text_delta": return [.textDelta(delta["text"]?.stringValue ?? "")]
                case "input_json_delta":
                    return [.toolCallArgumentsDelta(index: index, fragment: delta["partial_json"]?.stringValue ?? "")]
                case "thinking_delta": return [.reasoningDelta(delta["thinking"]?.stringValue ?? "")]
                case "signature_delta": return [.reasoningSignature(delta["signature"]?.stringValue ?? "")]
                default: return []
                }
            case "message_delta":
                if let output = payload["usage"]?["output_tokens"]?.intValue { usage.outputTokens = output }
                if let reason = payload["delta"]?["stop_reason"]?.stringValue { return [.stop(Self.stopReason(reason))] }
                return []
            case "message_stop":
                stopped = true
                return [.usage(usage)]
            case "error":
                let error = payload["error"]
                let message = error?["message"]?.stringValue ?? payload.canonicalText
                let kind = error?["type"]?.stringValue.map { " (\($0))" } ?? ""
                throw ProviderError.streamError(provider: "anthropic", message: message + kind)
            default:
                return []  // ping, content_block_stop and event types added after this was written
            }
        }

        private static func stopReason(_ reason: String) -> ProviderEvent.StopReason {
            switch reason {
            case "end_turn", "stop_sequence": .endTurn
            case "tool_use": .toolUse
            case "max_tokens": .maxTokens
            default: .other
            }
        }
    }
}
