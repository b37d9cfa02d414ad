import AsyncHTTPClient
import GanderCore

/// Google's Gemini API: `models/MODEL:streamGenerateContent?alt=sse`, server-sent events of `GenerateContentResponse`.
/// Vertex AI speaks the same format at a project's address, with an OAuth token instead of a key.
struct GeminiFormat: WireFormat {
    let provider: String
    let model: String
    /// The `…:streamGenerateContent?alt=sse` address.
    let url: String
    let authorization: any RequestAuthorization
    let encodedContents = MessageEncodingCache()

    /// The Gemini API itself, with a key from Google AI Studio.
    init(model: String, baseURL: String, apiKey: String) {
        self.init(provider: "google", model: model,
                  url: baseURL + "/v1beta/models/\(model):streamGenerateContent?alt=sse",
                  authorization: FixedHeaders([("x-goog-api-key", apiKey)]))
    }

    init(provider: String, model: String, url: String, authorization: any RequestAuthorization) {
        self.provider = provider
        self.model = model
        self.url = url
        self.authorization = authorization
    }

    func makeRequest(_ request: ModelRequest, transport: HTTPTransport) async throws -> HTTPClientRequest {
        var body: [String: JSONValue] = [
            "systemInstruction": ["parts": [["text": .string(request.systemPrompt)]]],
        ]
        if !request.tools.isEmpty {
            body["tools"] = [["functionDeclarations": .array(request.tools.map(Self.functionDeclaration))]]
        }
        let contents = encodedContents.encodedArray(prefix: [], messages: request.messages) { message in
            Self.content(message).map { [$0] } ?? []
        }
        return .jsonPost(url: url, body: body, messagesJSON: contents, messagesKey: "contents",
                         headers: try await authorization.headers(transport: transport))
    }

    func makeDecoder() -> Decoder { Decoder(provider: provider) }

    static func functionDeclaration(_ tool: ToolSpec) -> JSONValue {
        var declaration: [String: JSONValue] = ["name": .string(tool.name), "description": .string(tool.description)]
        // A tool without arguments declares no parameters: Gemini refuses an object schema without properties.
        if let parameters = GeminiSchema.convert(tool.inputSchema), parameters["properties"]?.objectValue?.isEmpty == false {
            declaration["parameters"] = parameters
        }
        return .object(declaration)
    }

    /// One message as a Gemini `Content`: the model's turns are role `model`; tool results are `functionResponse`
    /// parts, and images in them follow as `inlineData`.
    static func content(_ message: Message) -> JSONValue? {
        var parts: [JSONValue] = []
        for part in message.content {
            switch part {
            case .text(let text) where !text.isEmpty:
                parts.append(["text": .string(text)])
            case .text, .reasoning:
                break
            case .toolCall(let call):
                let arguments = (try? JSONValue(parsing: call.arguments)).flatMap { $0.objectValue.map(JSONValue.object) }
                var wire: [String: JSONValue] = ["functionCall": ["name": .string(call.name), "args": arguments ?? [:]]]
                if let signature = call.thoughtSignature { wire["thoughtSignature"] = .string(signature) }
                parts.append(.object(wire))
            case .toolResult(let result):
                let text = result.content.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
                parts.append(["functionResponse": [
                    "name": .string(result.toolName),
                    "response": result.isError ? ["error": .string(text)] : ["output": .string(text)],
                ]])
                for case .image(let mimeType, let data) in result.content {
                    parts.append(["inlineData": ["mimeType": .string(mimeType), "data": .string(data)]])
                }
            }
        }
        guard !parts.isEmpty else { return nil }
        return ["role": .string(message.role == .assistant ? "model" : "user"), "parts": .array(parts)]
    }

    /// Reads the `data:` events of a streamed `GenerateContentResponse`. There is no closing event: the stream ends
    /// after the chunk that carries the `finishReason`.
    struct Decoder: StreamDecoder {
        let provider: String
        private var parser = ServerSentEventParser()
        private var nextCallIndex = 0
        private var sawToolCall = false
        private var finished = false
        private var usage: Usage?

        init(provider: String) {
            self.provider = provider
        }

        mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent] {
            var events: [ProviderEvent] = []
            for event in parser.feed(bytes) {
                guard let chunk = try? JSONValue(parsing: event.data) else {
                    throw ProviderError.malformed(provider: provider, detail: "an event that is not JSON")
                }
                events += try read(chunk)
            }
            return events
        }

        mutating func finish() throws -> [ProviderEvent] {
            guard finished else {
                throw ProviderError.interrupted(provider: provider, reason: "the stream ended before a finishReason")
            }
            return []
        }

        private mutating func read(_ chunk: JSONValue) throws -> [ProviderEvent] {
            if let error = chunk["error"]?["message"]?.stringValue {
                throw ProviderError.streamError(provider: provider, message: error)
            }
            if let blocked = chunk["promptFeedback"]?["blockReason"]?.stringValue {
                throw ProviderError.refused(
                    provider: provider,
                    message: "Gemini refused the request (\(blocked)\(Self.categories(chunk["promptFeedback"]?["safetyRatings"])))"
                        + "; rephrase it, or leave out what may have been flagged")
            }
            var events: [ProviderEvent] = []
            let candidate = chunk["candidates"]?.arrayValue?.first
            for part in candidate?["content"]?["parts"]?.arrayValue ?? [] {
                if let call = part["functionCall"] {
                    let index = nextCallIndex
                    nextCallIndex += 1
                    sawToolCall = true
                    events.append(.toolCallStarted(index: index, id: call["id"]?.stringValue ?? "",
                                                   name: call["name"]?.stringValue ?? ""))
                    events.append(.toolCallArgumentsDelta(index: index, fragment: (call["args"] ?? [:]).canonicalText))
                    if let signature = part["thoughtSignature"]?.stringValue {
                        events.append(.toolCallSignature(index: index, signature: signature))
                    }
                } else if let text = part["text"]?.stringValue, !text.isEmpty {
                    events.append(part["thought"]?.boolValue == true ? .reasoningDelta(text) : .textDelta(text))
                }
            }
            if let metadata = chunk["usageMetadata"] {
                // The prompt count includes what was read from the cache; Gander counts that apart.
                let cached = metadata["cachedContentTokenCount"]?.intValue ?? 0
                usage = Usage(inputTokens: max(0, (metadata["promptTokenCount"]?.intValue ?? 0) - cached),
                              outputTokens: (metadata["candidatesTokenCount"]?.intValue ?? 0)
                                  + (metadata["thoughtsTokenCount"]?.intValue ?? 0),
                              cacheReadTokens: cached)
            }
            if let reason = candidate?["finishReason"]?.stringValue {
                finished = true
                if let usage { events.append(.usage(usage)) }
                events.append(.stop(try stopReason(reason, candidate: candidate)))
            }
            return events
        }

        private func stopReason(_ reason: String, candidate: JSONValue?) throws -> ProviderEvent.StopReason {
            switch reason {
            case "STOP": return sawToolCall ? .toolUse : .endTurn
            case "MAX_TOKENS": return .maxTokens
            case "SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY":
                throw ProviderError.refused(
                    provider: provider,
                    message: "Gemini stopped its answer for safety (\(reason)\(Self.categories(candidate?["safetyRatings"])))"
                        + "; rephrase the request, or leave out what may have been flagged")
            case "RECITATION":
                throw ProviderError.streamError(
                    provider: provider,
                    message: "Gemini stopped its answer because it was reciting copyrighted text (RECITATION); ask for "
                        + "it in other words")
            case "MALFORMED_FUNCTION_CALL":
                throw ProviderError.streamError(
                    provider: provider,
                    message: "Gemini wrote a function call it could not parse (MALFORMED_FUNCTION_CALL); try again, "
                        + "perhaps with a larger model")
            default:
                return sawToolCall ? .toolUse : .other
            }
        }

        /// `: HARM_CATEGORY_DANGEROUS_CONTENT` for the ratings that were flagged, or nothing.
        private static func categories(_ ratings: JSONValue?) -> String {
            let flagged = (ratings?.arrayValue ?? []).filter { rating in
                rating["blocked"]?.boolValue == true || ["HIGH", "MEDIUM"].contains(rating["probability"]?.stringValue ?? "")
            }.compactMap { $0["category"]?.stringValue }
            return flagged.isEmpty ? "" : ": " + flagged.joined(separator: ", ")
        }
    }
}

/// Gemini's function parameters are a subset of OpenAPI 3.0's schema, and it refuses a request with any other keyword.
/// Tool schemas are JSON Schema, so each is rewritten: what Gemini knows is kept, a `type` list becomes one type and
/// `nullable`, `const` becomes a one-value `enum`, enums that are not strings are dropped, `required` names only
/// properties that exist, and everything else (`additionalProperties`, `$schema`, `oneOf`, `default`…) is left out.
enum GeminiSchema {
    static let kept: Set<String> = ["type", "format", "description", "nullable", "enum", "properties", "required",
                                    "items", "minItems", "maxItems", "minimum", "maximum", "anyOf", "minLength",
                                    "maxLength", "pattern"]

    static func convert(_ schema: JSONValue) -> JSONValue? {
        guard var object = schema.objectValue else { return nil }
        var result: [String: JSONValue] = [:]
        if let types = object["type"]?.arrayValue {
            let named = types.compactMap(\.stringValue)
            if named.contains("null") { result["nullable"] = true }
            object["type"] = named.first { $0 != "null" }.map(JSONValue.string)
        }
        if let constant = object["const"], object["enum"] == nil { object["enum"] = [constant] }
        for (key, value) in object where kept.contains(key) {
            switch key {
            case "properties":
                var properties: [String: JSONValue] = [:]
                for (name, property) in value.objectValue ?? [:] { properties[name] = convert(property) ?? [:] }
                result[key] = .object(properties)
            case "items":
                result[key] = convert(value)
            case "anyOf":
                let options = (value.arrayValue ?? []).compactMap(convert)
                if !options.isEmpty { result[key] = .array(options) }
            case "enum":
                let values = value.arrayValue ?? []
                if !values.isEmpty, values.allSatisfy({ $0.stringValue != nil }) { result[key] = value }
            case "type":
                if let type = value.stringValue { result[key] = .string(type) }
            default:
                result[key] = value
            }
        }
        if let required = result["required"]?.arrayValue {
            let names = Set(result["properties"]?.objectValue?.keys.map { $0 } ?? [])
            let kept = required.filter { $0.stringValue.map(names.contains) ?? false }
            result["required"] = kept.isEmpty ? nil : .array(kept)
        }
        return .object(result)
    }
}
