/// The commands the session understands; `/help` lists exactly these.
enum SlashCommand: String, CaseIterable {
    case help, exit, mode, model, provider, clear, compact, undo, tools, extensions, sessions, r, usage, audit, recipe

    var usage: String {
        switch self {
        case .help: "/help"
        case .exit: "/exit"
        case .mode: "/mode [auto|approve|smart|chat]"
        case .model: "/model [NAME]"
        case .provider: "/provider [NAME [MODEL]]"
        case .clear: "/clear"
        case .compact: "/compact"
        case .undo: "/undo [N]"
        case .tools: "/tools"
        case .extensions: "/extensions"
        case .sessions: "/sessions"
        case .r: "/r"
        case .usage: "/usage"
        case .audit: "/audit"
        case .recipe: "/recipe FILE"
        }
    }

    var summary: String {
        switch self {
        case .help: "this list"
        case .exit: "leave (so do exit, Ctrl-D, and Ctrl-C twice on an empty line)"
        case .mode: "show or change the permission mode"
        case .model: "show or change the model"
        case .provider: "show or change the provider (and model)"
        case .clear: "start a new conversation in this session"
        case .compact: "shrink the conversation now: old tool outputs cut, older turns summarized"
        case .undo: "put the files back as they were before the last N turns (default 1)"
        case .tools: "the tools on offer and whether each asks first"
        case .extensions: "the MCP servers, whether each is up, and how many tools each offers"
        case .sessions: "the most recent sessions"
        case .r: "show tool output in full, or one line per call (toggle)"
        case .usage: "tokens used in this session"
        case .audit: "every request this session sent off the machine, and what went with it"
        case .recipe: "save what you asked in this conversation as a recipe, to run again with gander run --recipe FILE"
        }
    }

    /// Splits `/name args…`; nil when the input is not a command.
    static func parse(_ input: String) -> (command: SlashCommand?, name: String, arguments: [String])? {
        guard input.hasPrefix("/") else { return nil }
        let words = input.dropFirst().split(whereSeparator: \.isWhitespace).map(String.init)
        guard let name = words.first else { return (nil, "", []) }
        return (SlashCommand(rawValue: name.lowercased()), name, Array(words.dropFirst()))
    }
}
