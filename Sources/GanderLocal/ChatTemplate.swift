import GanderCore
import GanderTemplates

/// The model's own chat template (the GGUF's `tokenizer.chat_template`), rendered by Gander's Jinja engine as
/// `transformers`' `apply_chat_template` renders it: the conversation in OpenAI's message shape, past calls as
/// `tool_calls`, results as `tool` messages, and the offered tools as `tools`. llama.cpp's own template applier knows
/// a fixed list of templates and drops `tools`, so a model trained to call tools never saw its tools the way it was
/// trained to.
struct ChatTemplate {
    /// One message as the template receives it.
    struct Message {
        var role: String
        var content: String
        /// Calls an assistant message made, in the model's tool names.
        var toolCalls: [(name: String, arguments: JSONValue)] = []
        /// For a `tool` message: the tool whose result it is.
        var toolName: String?
    }

    private let template: JinjaTemplate
    private let bosToken: String
    private let eosToken: String
    /// The template renders a `tools` list: the model was trained to call tools in its own format.
    let offersTools: Bool

    /// nil when the template is not one Gander's engine can read.
    init?(source: String, bosToken: String, eosToken: String) {
        guard let template = try? JinjaTemplate(source, options: .chatTemplate) else { return nil }
        self.template = template
        self.bosToken = bosToken
        self.eosToken = eosToken
        offersTools = template.referencedNames.contains("tools")
    }

    /// The prompt for `messages`, ending where the assistant's reply begins. The beginning-of-sequence token is
    /// left to the tokenizer, which adds it when the model wants one; a template that writes it is given "".
    func render(_ messages: [Message], tools: [ToolSpec]?) throws -> String {
        var context: [String: JinjaValue] = [
            "messages": .array(messages.map(Self.value)),
            "add_generation_prompt": .bool(true),
            "bos_token": .string(""),
            "eos_token": .string(eosToken),
        ]
        if let tools, !tools.isEmpty {
            context["tools"] = .array(tools.map { tool in
                .object(JinjaObject([("type", .string("function")), ("function", .object(JinjaObject([
                    ("name", .string(tool.name)), ("description", .string(tool.description)),
                    ("parameters", Self.value(tool.inputSchema)),
                ])))]))
            })
        }
        return try template.render(context)
    }

    private static func value(_ message: Message) -> JinjaValue {
        var object = JinjaObject([("role", .string(message.role)), ("content", .string(message.content))])
        if !message.toolCalls.isEmpty {
            object["tool_calls"] = .array(message.toolCalls.map { call in
                .object(JinjaObject([("type", .string("function")), ("function", .object(JinjaObject([
                    ("name", .string(call.name)), ("arguments", value(call.arguments)),
                ])))]))
            })
        }
        if let name = message.toolName { object["name"] = .string(name) }
        return .object(object)
    }

    /// JSON as the template sees it: keys in sorted order (the order `canonicalText` writes), integers as integers.
    static func value(_ json: JSONValue) -> JinjaValue {
        switch json {
        case .null: return .none
        case .bool(let flag): return .bool(flag)
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 { return .int(Int(number)) }
            return .double(number)
        case .integer(let number): return .int(Int(number))
        case .string(let text): return .string(text)
        case .array(let items): return .array(items.map(value))
        case .object(let object): return .object(JinjaObject(object.keys.sorted().map { ($0, value(object[$0]!)) }))
        }
    }
}
