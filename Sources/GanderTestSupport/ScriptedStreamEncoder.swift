import Foundation
import GanderCore

/// Writes a scripted reply in a provider's exact streaming wire format, one string per network write.
struct ScriptedStreamEncoder {
    let format: ScriptedWireFormat
    /// Which request this is, for unique ids.
    let turn: Int
    /// The prompt's size to report as usage; a fixed figure when the server does not count.
    var promptTokens: Int?

    init(format: ScriptedWireFormat, turn: Int, promptTokens: Int? = nil) {
        self.format = format
        self.turn = turn
        self.promptTokens = promptTokens
    }

    /// Each provider's own answer to a request longer than the model's window: status and body.
    static func overflowError(format: ScriptedWireFormat, tokens: Int, limit: Int) -> (Int, String) {
        switch format {
        case .openai, .openaiResponses:
            let body: JSONValue = ["error": [
                "message": .string("This model's maximum context length is \(limit) tokens. However, your messages "
                    + "resulted in \(tokens) tokens. Please reduce the length of the messages."),
                "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"]]
            return (400, body.canonicalText)
        case .anthropic:
            let body: JSONValue = ["type": "error", "error": [
                "type": "invalid_request_error", "message": .string("prompt is too long: \(tokens) tokens > \(limit) maximum")]]
            return (400, body.canonicalText)
        case .ollama:
            return (400, JSONValue.object(["error": "the input length exceeds the context length"]).canonicalText)
        case .gemini:
            let body: JSONValue = ["error": [
                "code": 400, "status": "INVALID_ARGUMENT",
                "message": .string("The input token count (\(tokens)) exceeds the maximum number of tokens allowed "
                    + "(\(limit)).")]]
            return (400, body.canonicalText)
        }
    }

    var contentType: String {
        format == .ollama ? "application/x-ndjson" : "text/event-stream"
    }

    func chunks(for reply: ScriptedReply) -> [String] {
        switch format {
        case .openai: openAI(reply)
        case .anthropic: anthropic(reply)
        case .ollama: ollama(reply)
        case .gemini: gemini(reply)
        case .openaiResponses: openAIResponses(reply)
        }
    }

    private func pieces(_ text: String, _ reply: ScriptedReply) -> [String] {
        let size = max(1, reply.chunkSize ?? 4)
        var result: [String] = []
        var current = text[...]
        while !current.isEmpty {
            result.append(String(current.prefix(size)))
            current = current.dropFirst(size)
        }
        return result
    }

    private func sse(_ payload: JSONValue, event: String? = nil) -> String {
        (event.map { "event: \($0)\n" } ?? "") + "data: \(payload.canonicalText)\n\n"
    }

    // MARK: OpenAI Chat Completions

    private func openAI(_ reply: ScriptedReply) -> [String] {
        func chunk(_ delta: JSONValue, finish: String? = nil) -> String {
            sse(["id": .string("chatcmpl-\(turn)"), "object": "chat.completion.chunk", "created": 1_700_000_000,
                 "model": "scripted", "choices": [["index": 0, "delta": delta,
                                                   "finish_reason": finish.map(JSONValue.string) ?? .null]]])
        }
        var out = [chunk(["role": "assistant", "content": ""])]
        if let thinking = reply.thinking {
            out += pieces(thinking, reply).map { chunk(["reasoning_content": .string($0)]) }
        }
        if let text = reply.text { out += pieces(text, reply).map { chunk(["content": .string($0)]) } }
        for (index, call) in (reply.toolCalls ?? []).enumerated() {
            out.append(chunk(["tool_calls": [["index": .number(Double(index)), "id": .string("call_\(turn)_\(index)"),
                                              "type": "function",
                                              "function": ["name": .string(call.name), "arguments": ""]]]]))
            out += pieces(call.arguments, reply).map { fragment in
                chunk(["tool_calls": [["index": .number(Double(index)), "function": ["arguments": .string(fragment)]]]])
            }
        }
        out.append(chunk([:], finish: reply.finishReason ?? (reply.toolCalls?.isEmpty == false ? "tool_calls" : "stop")))
        out.append(sse(["id": .string("chatcmpl-\(turn)"), "object": "chat.completion.chunk", "created": 1_700_000_000,
                        "model": "scripted", "choices": [],
                        "usage": ["prompt_tokens": .number(Double(promptTokens ?? 100)), "completion_tokens": 20,
                                  "total_tokens": .number(Double((promptTokens ?? 100) + 20)),
                                  "prompt_tokens_details": ["cached_tokens": 40]]]))
        out.append("data: [DONE]\n\n")
        return out
    }

    /// The same reply as one `chat.completion` object, for clients that do not stream.
    func openAICompletion(_ reply: ScriptedReply) -> String {
        var message: [String: JSONValue] = ["role": "assistant", "content": reply.text.map(JSONValue.string) ?? .null]
        if let calls = reply.toolCalls, !calls.isEmpty {
            message["tool_calls"] = .array(calls.enumerated().map { index, call in
                ["id": .string("call_\(turn)_\(index)"), "type": "function",
                 "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
            })
        }
        let finish = reply.toolCalls?.isEmpty == false ? "tool_calls" : "stop"
        let completion: JSONValue = [
            "id": .string("chatcmpl-\(turn)"), "object": "chat.completion", "created": 1_700_000_000, "model": "scripted",
            "choices": [["index": 0, "message": .object(message), "finish_reason": .string(finish)]],
            "usage": ["prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120],
        ]
        return completion.canonicalText
    }

    // MARK: Anthropic Messages

    private func anthropic(_ reply: ScriptedReply) -> [String] {
        var out = [sse(["type": "message_start",
                        "message": ["id": .string("msg_\(turn)"), "type": "message", "role": "assistant",
                                    "model": "scripted", "content": [], "stop_reason": .null,
                                    "usage": ["input_tokens": .number(Double(max(0, (promptTokens ?? 140) - 40))), "output_tokens": 1,
                                              "cache_read_input_tokens": 40,
                                              "cache_creation_input_tokens": 0]]], event: "message_start")]
        out.append(sse(["type": "ping"], event: "ping"))
        var index = 0
        func block(_ start: JSONValue, _ deltas: [JSONValue]) {
            out.append(sse(["type": "content_block_start", "index": .number(Double(index)), "content_block": start],
                           event: "content_block_start"))
            for delta in deltas {
                out.append(sse(["type": "content_block_delta", "index": .number(Double(index)), "delta": delta],
                               event: "content_block_delta"))
            }
            out.append(sse(["type": "content_block_stop", "index": .number(Double(index))], event: "content_block_stop"))
            index += 1
        }
        if let thinking = reply.thinking {
            block(["type": "thinking", "thinking": ""],
                  pieces(thinking, reply).map { ["type": "thinking_delta", "thinking": .string($0)] }
                      + [["type": "signature_delta", "signature": .string("sig-\(turn)")]])
        }
        if let text = reply.text {
            block(["type": "text", "text": ""], pieces(text, reply).map { ["type": "text_delta", "text": .string($0)] })
        }
        for (position, call) in (reply.toolCalls ?? []).enumerated() {
            block(["type": "tool_use", "id": .string("toolu_\(turn)_\(position)"), "name": .string(call.name), "input": [:]],
                  pieces(call.arguments, reply).map { ["type": "input_json_delta", "partial_json": .string($0)] })
        }
        let stop = reply.finishReason ?? (reply.toolCalls?.isEmpty == false ? "tool_use" : "end_turn")
        out.append(sse(["type": "message_delta", "delta": ["stop_reason": .string(stop), "stop_sequence": .null],
                        "usage": ["output_tokens": 20]], event: "message_delta"))
        out.append(sse(["type": "message_stop"], event: "message_stop"))
        return out
    }

    // MARK: OpenAI Responses

    /// Named events as `POST /responses` streams them: items added, text and argument deltas, then
    /// `response.completed` with the usage.
    private func openAIResponses(_ reply: ScriptedReply) -> [String] {
        func event(_ type: String, _ fields: [String: JSONValue]) -> String {
            sse(.object(fields.merging(["type": .string(type)]) { $1 }), event: type)
        }
        var out = [event("response.created", ["response": ["id": .string("resp_\(turn)"), "status": "in_progress"]])]
        var outputIndex = 0
        if let thinking = reply.thinking {
            out += pieces(thinking, reply).map {
                event("response.reasoning_summary_text.delta", ["output_index": 0, "summary_index": 0, "delta": .string($0)])
            }
        }
        if let text = reply.text {
            out.append(event("response.output_item.added", [
                "output_index": .number(Double(outputIndex)),
                "item": ["type": "message", "id": .string("msg_\(turn)"), "role": "assistant", "content": []]]))
            out += pieces(text, reply).map {
                event("response.output_text.delta", ["item_id": .string("msg_\(turn)"), "output_index": .number(Double(outputIndex)),
                                                     "content_index": 0, "delta": .string($0)])
            }
            outputIndex += 1
        }
        for (position, call) in (reply.toolCalls ?? []).enumerated() {
            let index = JSONValue.number(Double(outputIndex))
            out.append(event("response.output_item.added", [
                "output_index": index,
                "item": ["type": "function_call", "id": .string("fc_\(turn)_\(position)"),
                         "call_id": .string("call_\(turn)_\(position)"), "name": .string(call.name), "arguments": ""]]))
            out += pieces(call.arguments, reply).map {
                event("response.function_call_arguments.delta", ["item_id": .string("fc_\(turn)_\(position)"),
                                                                 "output_index": index, "delta": .string($0)])
            }
            out.append(event("response.function_call_arguments.done", ["output_index": index, "arguments": .string(call.arguments)]))
            outputIndex += 1
        }
        let prompt = promptTokens ?? 100
        out.append(event("response.completed", ["response": [
            "id": .string("resp_\(turn)"), "status": "completed",
            "usage": ["input_tokens": .number(Double(prompt)), "input_tokens_details": ["cached_tokens": 40],
                      "output_tokens": 20, "output_tokens_details": ["reasoning_tokens": 0],
                      "total_tokens": .number(Double(prompt + 20))]]]))
        return out
    }

    // MARK: Gemini

    /// Chunks as `streamGenerateContent?alt=sse` sends them: each a whole `GenerateContentResponse` with the usage so
    /// far; function calls arrive whole, the first carrying a thought signature; the last chunk has the finishReason.
    private func gemini(_ reply: ScriptedReply) -> [String] {
        let prompt = promptTokens ?? 100
        func chunk(_ parts: [JSONValue], finish: String? = nil, output: Int) -> String {
            var candidate: [String: JSONValue] = ["content": ["role": "model", "parts": .array(parts)], "index": 0]
            if let finish { candidate["finishReason"] = .string(finish) }
            return sse(["candidates": [.object(candidate)], "modelVersion": "scripted",
                        "usageMetadata": ["promptTokenCount": .number(Double(prompt)),
                                          "candidatesTokenCount": .number(Double(output)),
                                          "totalTokenCount": .number(Double(prompt + output)),
                                          "cachedContentTokenCount": 40]])
        }
        var out: [String] = []
        if let thinking = reply.thinking {
            out += pieces(thinking, reply).map { chunk([["text": .string($0), "thought": true]], output: 1) }
        }
        if let text = reply.text { out += pieces(text, reply).map { chunk([["text": .string($0)]], output: 5) } }
        if let calls = reply.toolCalls, !calls.isEmpty {
            out.append(chunk(calls.enumerated().map { position, call in
                var part: [String: JSONValue] = ["functionCall": [
                    "name": .string(call.name),
                    "args": (try? JSONValue(parsing: call.arguments)) ?? .string(call.arguments)]]
                // Signatures are opaque bytes in base64, as Gemini sends them.
                if position == 0 { part["thoughtSignature"] = .string(Data("sig-\(turn)".utf8).base64EncodedString()) }
                return .object(part)
            }, output: 10))
        }
        out.append(chunk([["text": ""]], finish: reply.finishReason ?? "STOP", output: 20))
        return out
    }

    // MARK: Ollama

    private func ollama(_ reply: ScriptedReply) -> [String] {
        func line(_ message: JSONValue, done: Bool = false) -> String {
            var object: [String: JSONValue] = ["model": "scripted", "created_at": "2026-11-23T00:00:00Z",
                                               "message": message, "done": .bool(done)]
            if done {
                object["done_reason"] = "stop"
                object["prompt_eval_count"] = .number(Double(promptTokens ?? 100))
                object["eval_count"] = 20
            }
            return JSONValue.object(object).canonicalText + "\n"
        }
        var out: [String] = []
        if let thinking = reply.thinking {
            out += pieces(thinking, reply).map { line(["role": "assistant", "content": "", "thinking": .string($0)]) }
        }
        if let text = reply.text {
            out += pieces(text, reply).map { line(["role": "assistant", "content": .string($0)]) }
        }
        if let calls = reply.toolCalls, !calls.isEmpty {
            let wireCalls: [JSONValue] = calls.map { call in
                ["function": ["name": .string(call.name),
                              "arguments": (try? JSONValue(parsing: call.arguments)) ?? .string(call.arguments)]]
            }
            out.append(line(["role": "assistant", "content": "", "tool_calls": .array(wireCalls)]))
        }
        out.append(line(["role": "assistant", "content": ""], done: true))
        return out
    }
}
