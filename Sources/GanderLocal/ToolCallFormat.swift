import Foundation
import GanderCore

/// How a local model is asked to call tools and how its calls are read back: in the format it was trained on when
/// its chat template shows one, else Gander's own JSON protocol.
enum ToolCallFormat: String, Sendable, Equatable {
    /// Gander's protocol for models with no tool training: every reply is one JSON object, a call or
    /// `{"answer": "..."}`, under a grammar from the first token.
    case json
    /// `<tool_call>{"name": …, "arguments": {…}}</tool_call>` with the tools in `<tools>` in the system prompt and
    /// results in `<tool_response>`: Qwen 2.5 and 3, Hermes 2 and 3, SmolLM3 and others trained the Hermes way.
    case hermes
    /// Llama 3.1–3.3: a reply that is a call is one JSON object `{"name": …, "parameters": {…}}`; results come back
    /// in the `ipython` role.
    case llama3

    /// The format a chat template was written for; `GANDER_LOCAL_TOOL_FORMAT` (json, hermes, llama3) overrides it,
    /// to measure a model under another format.
    static func detect(chatTemplate: String?,
                       override: String? = ProcessInfo.processInfo.environment["GANDER_LOCAL_TOOL_FORMAT"]) -> ToolCallFormat {
        if let override, let forced = ToolCallFormat(rawValue: override) { return forced }
        guard let template = chatTemplate else { return .json }
        if template.contains("<tool_call>") { return .hermes }
        if template.contains("<|start_header_id|>"), template.contains("ipython") || template.contains("<|python_tag|>") {
            return .llama3
        }
        return .json
    }

    /// Whether the model was trained to call tools (any format but Gander's own).
    var isTrained: Bool { self != .json }

    // MARK: the prompt

    /// The system prompt's part that offers `tools`; for untrained models also what is in the working directory.
    func systemSection(for tools: [ToolSpec], workspace: WorkspaceSnapshot? = nil) -> String {
        switch self {
        case .json:
            var text = ""
            if let workspace, !workspace.files.isEmpty {
                text += "Files in the working directory: \(workspace.files.joined(separator: ", "))\n\n"
            }
            text += "# Tools\n"
            for tool in tools {
                let arguments = tool.inputSchema["properties"]?.objectValue?.keys.sorted() ?? []
                text += "\n- \(tool.name)(\(arguments.joined(separator: ", "))): \(tool.description)"
            }
            return text + """


                Reply with exactly one JSON object and nothing else. To call a tool: \
                {"name": "<tool>", "arguments": {<arguments>}}. When you have what the user asked for, answer: \
                {"answer": "<your reply>"}. Call a tool only when the task needs one; a question you can answer \
                yourself gets an answer at once.
                """
        case .hermes:
            let lines = tools.map(Self.functionDeclaration).joined(separator: "\n")
            return """
                # Tools

                You may call one or more functions to assist with the user query.

                You are provided with function signatures within <tools></tools> XML tags:
                <tools>
                \(lines)
                </tools>

                For each function call, return a json object with function name and arguments within \
                <tool_call></tool_call> XML tags:
                <tool_call>
                {"name": <function-name>, "arguments": <args-json-object>}
                </tool_call>
                """
        case .llama3:
            let lines = tools.map(Self.functionDeclaration).joined(separator: "\n\n")
            return """
                Environment: ipython

                You have access to the following functions. To call a function, respond with only a JSON object \
                in the format {"name": function name, "parameters": dictionary of argument name and its value}. \
                Do not use variables. Answer in plain text when no function is needed.

                \(lines)
                """
        }
    }

    /// Short worked exchanges shown before the conversation to a model with no tool training, which learns the
    /// protocol from examples far better than from a description. Their files are not in the working directory, and
    /// the grammar's path lists keep the model from copying them.
    var examples: [(role: String, content: String)] {
        guard self == .json else { return [] }
        return [
            ("user", "What does greeting.txt say?"),
            ("assistant", #"{"name": "read_file", "arguments": {"path": "greeting.txt"}}"#),
            ("user", "Result of read_file:\nGood morning, team!\n\nThe task was: What does greeting.txt say?\nIf the result above gives what the task needs, answer now."),
            ("assistant", #"{"answer": "Good morning, team!"}"#),
            ("user", "What is the capital of France?"),
            ("assistant", #"{"answer": "The capital of France is Paris."}"#),
            ("user", "Fix the typo 'helo' in hi.txt."),
            ("assistant", #"{"name": "read_file", "arguments": {"path": "hi.txt"}}"#),
            ("user", "Result of read_file:\nhelo world\n\nThe task was: Fix the typo 'helo' in hi.txt.\nWhen the change is made, answer; until then, make it with a tool."),
            ("assistant", #"{"name": "replace_text", "arguments": {"path": "hi.txt", "old": "helo", "new": "hello"}}"#),
            ("user", "Result of replace_text:\nEdited hi.txt.\n\nThe task was: Fix the typo 'helo' in hi.txt.\nWhen the change is made, answer; until then, make it with a tool."),
            ("assistant", #"{"answer": "Done: hi.txt now says hello world."}"#),
            ("user", "Create todo.md containing: - call Sam"),
            ("assistant", #"{"name": "write_file", "arguments": {"path": "todo.md", "content": "- call Sam"}}"#),
            ("user", "Result of write_file:\nCreated todo.md (1 lines).\n\nThe task was: Create todo.md containing: - call Sam\nWhen the change is made, answer; until then, make it with a tool."),
            ("assistant", #"{"answer": "Done: todo.md says - call Sam"}"#),
            ("user", "Delete tmp.log."),
            ("assistant", #"{"name": "run_command", "arguments": {"command": "rm tmp.log"}}"#),
            ("user", "Result of run_command:\nexit code: 0\n\nThe task was: Delete tmp.log.\nWhen the change is made, answer; until then, make it with a tool."),
            ("assistant", #"{"answer": "Done: tmp.log is deleted."}"#),
            ("user", "Run count.sh and tell me its output."),
            ("assistant", #"{"name": "run_command", "arguments": {"command": "sh count.sh"}}"#),
            ("user", "Result of run_command:\ncounted 12 items\n\nThe task was: Run count.sh and tell me its output.\nIf the result above gives what the task needs, answer now."),
            ("assistant", #"{"answer": "counted 12 items"}"#),
        ]
    }

    private static func functionDeclaration(_ tool: ToolSpec) -> String {
        JSONValue.object(["type": "function", "function": [
            "name": .string(tool.name), "description": .string(tool.description), "parameters": tool.inputSchema,
        ]]).canonicalText
    }

    /// A past reply as the model would have written it. `calls` are in the model's own tool names.
    func renderReply(text: String, calls: [(name: String, arguments: JSONValue)]) -> String {
        switch self {
        case .json:
            guard let call = calls.first else { return JSONValue.object(["answer": .string(text)]).canonicalText }
            return JSONValue.object(["name": .string(call.name), "arguments": call.arguments]).canonicalText
        case .hermes:
            let rendered = calls.map {
                "<tool_call>\n" + JSONValue.object(["name": .string($0.name), "arguments": $0.arguments]).canonicalText + "\n</tool_call>"
            }
            return ([text].filter { !$0.isEmpty } + rendered).joined(separator: "\n")
        case .llama3:
            guard let call = calls.first else { return text }
            return JSONValue.object(["name": .string(call.name), "parameters": call.arguments]).canonicalText
        }
    }

    /// The turn that hands tool results back: its role and text. `task` is the user's instruction, which small
    /// untrained models lose sight of after a long result unless it is repeated.
    func renderResults(_ results: [(name: String, text: String, isError: Bool)], task: LocalTask?) -> (role: String, content: String) {
        switch self {
        case .json:
            var parts = results.map { result in
                "Result of \(result.name)\(result.isError ? " (error)" : ""):\n\(result.text.isEmpty ? "(no output)" : result.text)"
            }
            if let task { parts.append(task.reminder) }
            return ("user", parts.joined(separator: "\n\n"))
        case .hermes:
            return ("user", results.map { "<tool_response>\n\($0.text)\n</tool_response>" }.joined(separator: "\n"))
        case .llama3:
            return ("ipython", results.map(\.text).joined(separator: "\n\n"))
        }
    }

    // MARK: decoding

    /// The grammar a reply is held to, and the pattern from whose first group it applies (nil: from the start).
    /// Under Gander's protocol, `mayAnswer` false leaves only calls. With `quotes`, an answer must quote them.
    ///
    /// A trained model's reply is free text until it starts a call in any of the ways small models write one —
    /// its trained tags, a ```json fence, or a bare `{"name": "<an offered tool>"` — and from there the grammar
    /// holds the call to an offered tool with arguments that fit its schema.
    /// `triggerNames` are the names that start the grammar when written bare (all the tools the prompt offers, so a
    /// call to any of them is held to the grammar); by default, those of `tools`.
    func constraint(for tools: [ToolSpec], mayAnswer: Bool = true, quotes: [String]? = nil,
                    triggerNames: [String]? = nil) -> (grammar: String, trigger: String?) {
        switch self {
        case .json:
            return (ToolCallGrammar(tools: tools, allowsAnswer: mayAnswer, answerQuotes: quotes).text, nil)
        case .hermes, .llama3:
            let key = self == .llama3 ? "parameters" : "arguments"
            let grammar = ToolCallGrammar(tools: tools, argumentsKey: key, allowsAnswer: false,
                                          wrappers: [("<tool_call>", "</tool_call>"), ("<|python_tag|>", ""), ("```json", "```"), ("```", "```"), ("", "")])
            let names = (triggerNames ?? tools.map(\.name)).map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
            let trigger = #"[\s\S]*?(<tool_call>[\s\S]*|<\|python_tag\|>[\s\S]*|(?:```(?:json)?\s*)?\{\s*"name"\s*:\s*"(?:"# + names + #")"[\s\S]*)"#
            return (grammar.text, trigger)
        }
    }

    /// Plain words with nothing that could begin a call (no `<`, `{` or `[`): an answer and only an answer, opening
    /// with a letter or digit (held from a call, a small model otherwise writes one anyway in a ```json fence, or
    /// echoes the tool's output there). With `quotes`, it opens with one of them (a line of what a tool just
    /// returned), then goes on freely.
    static func answerOnlyGrammar(quotes: [String]? = nil) -> String {
        let rest = #"rest ::= [^<{\[]*"# + "\n"
        guard let quotes, !quotes.isEmpty else { return "root ::= [A-Za-z0-9] rest\n" + rest }
        return "root ::= quote rest\nquote ::= " + quotes.map(ToolCallGrammar.literal).joined(separator: " | ") + "\n" + rest
    }

    /// A grammar that allows only a call, in the model's trained form, from the reply's first token.
    func callOnlyConstraint(for tools: [ToolSpec]) -> String {
        switch self {
        case .json: return ToolCallGrammar(tools: tools, allowsAnswer: false).text
        case .hermes: return ToolCallGrammar(tools: tools, allowsAnswer: false, wrappers: [("<tool_call>", "</tool_call>")]).text
        case .llama3: return ToolCallGrammar(tools: tools, argumentsKey: "parameters", allowsAnswer: false).text
        }
    }

    /// A finished reply: the answer text and the calls in it (model's tool names), or nil when a call in it is
    /// broken. Trained models' calls are found however they were written (`ToolCallReader`).
    func parse(_ reply: String, toolNames: Set<String>) -> ParsedReply? {
        switch self {
        case .json:
            guard let object = (try? JSONValue(parsing: reply))?.objectValue else { return nil }
            if let name = object["name"]?.stringValue, let arguments = object["arguments"], arguments.objectValue != nil {
                return ParsedReply(text: "", calls: [(name, arguments)])
            }
            if let answer = object["answer"]?.stringValue { return ParsedReply(text: answer, calls: []) }
            return nil
        case .hermes, .llama3:
            return ToolCallReader(toolNames: toolNames).read(reply)
        }
    }
}

/// A reply read back: its answer text and its calls, in the model's tool names.
struct ParsedReply {
    var text: String
    var calls: [(name: String, arguments: JSONValue)]
}
