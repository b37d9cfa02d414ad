import GanderCore

/// How tools are put to a local model and how its constrained replies are read back. Every reply is one JSON
/// object, `{"name": …, "arguments": {…}}` or `{"answer": "…"}`, which `ToolCallGrammar` enforces while decoding.
enum LocalToolProtocol {
    static func systemSection(for tools: [ToolSpec]) -> String {
        var text = "# Tools\n\nYou can call these tools:\n"
        for tool in tools {
            text += "\n## \(tool.name)\n\(tool.description)\nArguments (JSON Schema): \(tool.inputSchema.canonicalText)\n"
        }
        text += """

            Reply with exactly one JSON object and nothing else. To call a tool: \
            {"name": "<tool name>", "arguments": {<arguments>}}. When the task is done, or to answer without a tool: \
            {"answer": "<your reply to the user>"}.
            """
        return text
    }

    /// A past assistant message as the model would have written it under this protocol.
    static func render(_ message: Message) -> String {
        if let call = message.toolCalls.first {
            let arguments = (try? JSONValue(parsing: call.arguments)) ?? [:]
            return JSONValue.object(["name": .string(call.name), "arguments": arguments]).canonicalText
        }
        return JSONValue.object(["answer": .string(message.text)]).canonicalText
    }

    /// Reads a finished reply: a tool call, an answer, or nil when it is not one of the two.
    static func parse(_ reply: String) -> Reply? {
        guard let object = (try? JSONValue(parsing: reply))?.objectValue else { return nil }
        if let name = object["name"]?.stringValue, let arguments = object["arguments"], arguments.objectValue != nil {
            return .toolCall(name: name, arguments: arguments.canonicalText)
        }
        if let answer = object["answer"]?.stringValue { return .answer(answer) }
        return nil
    }

    enum Reply: Equatable {
        case toolCall(name: String, arguments: String)
        case answer(String)
    }
}

/// Streams the text of `{"answer": "…"}` as it is generated, decoding JSON string escapes on the way.
struct AnswerStreamer {
    private var buffer = ""
    private var inAnswer = false
    private var finished = false
    private var pendingEscape = ""

    /// Feeds generated text; returns answer text that is now certain.
    mutating func feed(_ text: String) -> String {
        guard !finished else { return "" }
        if !inAnswer {
            buffer += text
            let compact = buffer.filter { !$0.isWhitespace }
            guard compact.count >= 11 else { return "" }
            guard compact.hasPrefix("{\"answer\":\"") else {
                finished = true  // a tool call: nothing to stream
                return ""
            }
            inAnswer = true
            // Everything after the opening quote of the value is answer text.
            let afterKey = buffer.range(of: "\"answer\"")!.upperBound
            let quote = buffer[afterKey...].firstIndex(of: "\"")!
            let rest = String(buffer[buffer.index(after: quote)...])
            buffer = ""
            return decode(rest)
        }
        return decode(text)
    }

    private mutating func decode(_ text: String) -> String {
        var output = ""
        for character in text {
            if finished { break }
            if !pendingEscape.isEmpty {
                pendingEscape.append(character)
                if pendingEscape.hasPrefix("\\u") {
                    guard pendingEscape.count == 6 else { continue }
                    if let value = UInt32(pendingEscape.dropFirst(2), radix: 16), let scalar = Unicode.Scalar(value) {
                        output.unicodeScalars.append(scalar)
                    }
                } else {
                    switch character {
                    case "n": output += "\n"
                    case "t": output += "\t"
                    case "r": output += "\r"
                    case "b", "f": break
                    default: output.append(character)
                    }
                }
                pendingEscape = ""
            } else if character == "\\" {
                pendingEscape = "\\"
            } else if character == "\"" {
                finished = true
            } else {
                output.append(character)
            }
        }
        return output
    }
}
