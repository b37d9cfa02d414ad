import AsyncHTTPClient
import GanderCore

/// OpenAI's Responses API (`POST /responses`), streamed as named server-sent events. Some models answer only here
/// (o3-pro, the codex models); the rest may be asked here too with `GANDER_OPENAI_API=responses`. Requests are not
/// stored at OpenAI (`store: false`): the whole conversation is sent each time, as with Chat Completions.
struct OpenAIResponsesFormat: WireFormat {
    let model: String
    let baseURL: String
    let apiKey: String?
    let encodedInput = MessageEncodingCache()

    /// Models that OpenAI serves through the Responses API alone.
    static let responsesOnlyModels = ["o1-pro", "o3-pro", "o3-deep-research", "o4-mini-deep-research", "codex-mini",
                                      "gpt-5-codex", "gpt-5-pro", "computer-use-preview"]

    static func isResponsesOnly(_ model: String) -> Bool {
        responsesOnlyModels.contains { model.lowercased().hasPrefix($0) }
    }

    func makeRequest(_ request: ModelRequest, transport: HTTPTransport) async throws -> HTTPClientRequest {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "instructions": .string(request.systemPrompt),
            "stream": true,
            "store": false,
        ]
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map { tool in
                ["type": "function", "name": .string(tool.name), "description": .string(tool.description),
                 "parameters": tool.inputSchema, "strict": false]
            })
        }
        let input = encodedInput.encodedArray(prefix: [], messages: request.messages, encode: Self.inputItems)
        return .jsonPost(url: baseURL + "/responses", body: body, messagesJSON: input, messagesKey: "input",
                         headers: apiKey.map { [("authorization", "Bearer \($0)")] } ?? [])
    }

    /// One message as Responses input items: text as a message, each call as a `function_call`, each result as a
    /// `function_call_output`.
    static func inputItems(_ message: Message) -> [JSONValue] {
        var items: [JSONValue] = []
        let text = message.text
        if !text.isEmpty {
            let type = message.role == .assistant ? "output_text" : "input_text"
            items.append(["role": .string(message.role.rawValue), "content": [["type": .string(type), "text": .string(text)]]])
        }
        for call in message.toolCalls {
            items.append(["type": "function_call", "call_id": .string(call.id), "name": .string(call.name),
                          "arguments": .string(call.arguments.isEmpty ? "{}" : call.arguments)])
        }
        for result in message.toolResults {
            // An output with pictures is a list of input parts; a text-only one stays a string.
            let hasPictures = result.content.contains { if case .image = $0 { true } else { false } }
            let output: JSONValue = hasPictures ? .array(result.content.map { part in
                switch part {
                case .text(let text): ["type": "input_text", "text": .string(text)]
                case .image(let mimeType, let data): ["type": "input_image", "image_url": .string("data:\(mimeType);base64,\(data)")]
                }
            }) : .string(result.text)
            items.append(["type": "function_call_output", "call_id": .string(result.callID), "output": output])
        }
        return items
    }

    func makeDecoder() -> Decoder { Decoder() }

    /// Reads the named events until `response.completed`, `response.incomplete` or `response.failed`.
    struct Decoder: StreamDecoder {
        private var parser = ServerSentEventParser()
        private var finished = false
        private var sawToolCall = false

        mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent] {
            var events: [ProviderEvent] = []
            for event in parser.feed(bytes) {
                guard let payload = try? JSONValue(parsing: event.data) else {
                    throw ProviderError.malformed(provider: "openai", detail: "an event that is not JSON")
                }
                events += try read(payload)
            }
            return events
        }

        mutating func finish() throws -> [ProviderEvent] {
            guard finished else {
                throw ProviderError.interrupted(provider: "openai", reason: "the stream ended before response.completed")
            }
            return []
        }

        private mutating func read(_ event: JSONValue) throws -> [ProviderEvent] {
            let index = event["output_index"]?.intValue ?? 0
            switch event["type"]?.stringValue {
            case "response.output_item.added":
                guard let item = event["item"], item["type"] == "function_call" else { return [] }
                sawToolCall = true
                return [.toolCallStarted(index: index, id: item["call_id"]?.stringValue ?? "",
                                         name: item["name"]?.stringValue ?? "")]
            case "response.output_text.delta":
                return (event["delta"]?.stringValue).map { [.textDelta($0)] } ?? []
            case "response.function_call_arguments.delta":
                return (event["delta"]?.stringValue).map { [.toolCallArgumentsDelta(index: index, fragment: $0)] } ?? []
            case "response.reasoning_summary_text.delta":
                return (event["delta"]?.stringValue).map { [.reasoningDelta($0)] } ?? []
            case "response.completed":
                finished = true
                return Self.usage(event["response"]) + [.stop(sawToolCall ? .toolUse : .endTurn)]
            case "response.incomplete":
                finished = true
                let reason = event["response"]?["incomplete_details"]?["reason"]?.stringValue ?? ""
                if reason == "content_filter" {
                    throw ProviderError.refused(
                        provider: "openai",
                        message: "the content filter stopped the answer; rephrase the request, or leave out what may have been flagged")
                }
                return Self.usage(event["response"]) + [.stop(reason == "max_output_tokens" ? .maxTokens : .other)]
            case "response.failed":
                let error = event["response"]?["error"]
                throw ProviderError.streamError(provider: "openai", message: error?["message"]?.stringValue ?? "the response failed")
            case "error":
                throw ProviderError.streamError(provider: "openai", message: event["message"]?.stringValue ?? event.canonicalText)
            default:
                return []
            }
        }

        /// OpenAI counts cached tokens inside `input_tokens`; Gander's convention keeps them apart.
        private static func usage(_ response: JSONValue?) -> [ProviderEvent] {
            guard let usage = response?["usage"], usage != .null else { return [] }
            let cached = usage["input_tokens_details"]?["cached_tokens"]?.intValue ?? 0
            return [.usage(Usage(inputTokens: max(0, (usage["input_tokens"]?.intValue ?? 0) - cached),
                                 outputTokens: usage["output_tokens"]?.intValue ?? 0, cacheReadTokens: cached))]
        }
    }
}
