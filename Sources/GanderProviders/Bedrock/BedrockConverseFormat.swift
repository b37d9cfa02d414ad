import AsyncHTTPClient
import Foundation
import GanderCore
import NIOCore

/// AWS Bedrock's Converse API, streamed: `POST /model/MODEL/converse-stream`, signed with SigV4, answered in AWS's
/// binary event stream.
struct BedrockConverseFormat: WireFormat {
    let model: String
    /// `https://bedrock-runtime.REGION.amazonaws.com`, or a gateway's address.
    let endpoint: String
    let signer: SigV4Signer
    let maxTokens: Int
    var outputTokenCap: Int? { maxTokens }

    func makeRequest(_ request: ModelRequest, transport: HTTPTransport) async throws -> HTTPClientRequest {
        var body: [String: JSONValue] = [
            "messages": .array(request.messages.compactMap(Self.message)),
            "system": [["text": .string(request.systemPrompt)]],
            "inferenceConfig": ["maxTokens": .number(Double(maxTokens))],
        ]
        if !request.tools.isEmpty {
            body["toolConfig"] = ["tools": .array(request.tools.map { tool in
                ["toolSpec": ["name": .string(tool.name), "description": .string(tool.description),
                              "inputSchema": ["json": tool.inputSchema]]]
            })]
        }
        let data = Data(JSONValue.object(body).canonicalText.utf8)
        let address = endpoint + "/model/" + SigV4Signer.uriEncode(model) + "/converse-stream"
        guard let url = URL(string: address) else {
            throw ProviderError.configuration("\(address) is not a URL; check --model and --base-url")
        }
        let headers = [("content-type", "application/json")]
        var httpRequest = HTTPClientRequest(url: address)
        httpRequest.method = .POST
        for (name, value) in headers + signer.sign(method: "POST", url: url, headers: headers, body: data) {
            httpRequest.headers.add(name: name, value: value)
        }
        httpRequest.setBody(ByteBuffer(bytes: data))
        return httpRequest
    }

    func makeDecoder() -> Decoder { Decoder() }

    /// One message as Converse content blocks.
    static func message(_ message: Message) -> JSONValue? {
        let blocks: [JSONValue] = message.content.compactMap { part in
            switch part {
            case .text(let text):
                return text.isEmpty ? nil : ["text": .string(text)]
            case .reasoning(let reasoning):
                if let data = reasoning.redactedData { return ["reasoningContent": ["redactedContent": .string(data)]] }
                guard let signature = reasoning.signature else { return nil }
                return ["reasoningContent": ["reasoningText": ["text": .string(reasoning.text), "signature": .string(signature)]]]
            case .toolCall(let call):
                let input = (try? JSONValue(parsing: call.arguments)).flatMap { $0.objectValue.map(JSONValue.object) }
                return ["toolUse": ["toolUseId": .string(call.id), "name": .string(call.name), "input": input ?? [:]]]
            case .toolResult(let result):
                let content: [JSONValue] = result.content.map { content in
                    switch content {
                    case .text(let text):
                        return ["text": .string(text.isEmpty ? "(no output)" : text)]
                    case .image(let mimeType, let data):
                        let format = mimeType.split(separator: "/").last.map(String.init) ?? "png"
                        return ["image": ["format": .string(format == "jpg" ? "jpeg" : format), "source": ["bytes": .string(data)]]]
                    }
                }
                return ["toolResult": ["toolUseId": .string(result.callID), "content": .array(content),
                                       "status": .string(result.isError ? "error" : "success")]]
            }
        }
        guard !blocks.isEmpty else { return nil }
        return ["role": .string(message.role.rawValue), "content": .array(blocks)]
    }

    /// Reads `messageStart` … `messageStop` and `metadata` events out of the event stream.
    struct Decoder: StreamDecoder {
        private var frames = EventStreamDecoder()
        private var stopped = false

        mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent] {
            let messages: [EventStreamMessage]
            do {
                messages = try frames.feed(bytes)
            } catch {
                throw ProviderError.malformed(provider: "bedrock", detail: String(describing: error))
            }
            var events: [ProviderEvent] = []
            for message in messages { events += try self.events(message) }
            return events
        }

        mutating func finish() throws -> [ProviderEvent] {
            guard stopped, !frames.hasPartialMessage else {
                throw ProviderError.interrupted(provider: "bedrock", reason: "the event stream ended before messageStop")
            }
            return []
        }

        private mutating func events(_ message: EventStreamMessage) throws -> [ProviderEvent] {
            let payload = (try? JSONValue(parsing: String(decoding: message.payload, as: UTF8.self))) ?? [:]
            if message.headers[":message-type"] == "exception" || message.headers[":message-type"] == "error" {
                let kind = message.headers[":exception-type"] ?? message.headers[":error-code"] ?? "exception"
                throw ProviderError.streamError(
                    provider: "bedrock", message: "\(kind): \(payload["message"]?.stringValue ?? payload.canonicalText)")
            }
            let index = payload["contentBlockIndex"]?.intValue ?? 0
            switch message.headers[":event-type"] {
            case "contentBlockStart":
                guard let tool = payload["start"]?["toolUse"] else { return [] }
                return [.toolCallStarted(index: index, id: tool["toolUseId"]?.stringValue ?? "",
                                         name: tool["name"]?.stringValue ?? "")]
            case "contentBlockDelta":
                let delta = payload["delta"] ?? [:]
                if let text = delta["text"]?.stringValue { return text.isEmpty ? [] : [.textDelta(text)] }
                if let input = delta["toolUse"]?["input"]?.stringValue {
                    return [.toolCallArgumentsDelta(index: index, fragment: input)]
                }
                if let reasoning = delta["reasoningContent"] {
                    if let text = reasoning["text"]?.stringValue { return [.reasoningDelta(text)] }
                    if let signature = reasoning["signature"]?.stringValue { return [.reasoningSignature(signature)] }
                    if let data = reasoning["redactedContent"]?.stringValue { return [.redactedReasoning(data)] }
                }
                return []
            case "messageStop":
                stopped = true
                return [.stop(try Self.stopReason(payload["stopReason"]?.stringValue ?? ""))]
            case "metadata":
                let usage = payload["usage"] ?? [:]
                return [.usage(Usage(inputTokens: usage["inputTokens"]?.intValue ?? 0,
                                     outputTokens: usage["outputTokens"]?.intValue ?? 0,
                                     cacheReadTokens: usage["cacheReadInputTokens"]?.intValue ?? 0,
                                     cacheWriteTokens: usage["cacheWriteInputTokens"]?.intValue ?? 0))]
            default:
                return []
            }
        }

        private static func stopReason(_ reason: String) throws -> ProviderEvent.StopReason {
            switch reason {
            case "end_turn", "stop_sequence": return .endTurn
            case "tool_use": return .toolUse
            case "max_tokens", "model_context_window_exceeded": return .maxTokens
            case "guardrail_intervened", "content_filtered":
                throw ProviderError.refused(
                    provider: "bedrock",
                    message: "the answer was stopped by \(reason == "guardrail_intervened" ? "a Bedrock guardrail" : "Bedrock's content filter"); "
                        + "rephrase the request, or leave out what may have been flagged")
            default: return .other
            }
        }
    }
}
