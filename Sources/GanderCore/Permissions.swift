/// How much the agent may do without asking.
public enum PermissionMode: String, Codable, Sendable, CaseIterable {
    /// Every tool runs.
    case auto
    /// Every tool call waits for the user's yes.
    case approve
    /// Read-only calls run; anything that may change something waits for the user's yes.
    case smart
    /// No tools are offered: the model can only talk.
    case chat

    /// One line for `/mode` and `gander info`.
    public var summary: String {
        switch self {
        case .auto: "run every tool without asking"
        case .approve: "ask before every tool call"
        case .smart: "run read-only tools, ask before anything that may change something"
        case .chat: "offer no tools; the model can only talk"
        }
    }
}

/// A user's standing rule for one tool, from config.yaml; it outranks the mode.
public enum ToolRule: String, Codable, Sendable, CaseIterable {
    case always
    case ask
    case never
}

/// What one tool call may do, as far as the permission modes care.
public enum CallEffect: Sendable, Equatable {
    /// It only reads, and only inside the working directory.
    case readsWorkspace
    /// It only reads, but reaches this path outside the working directory (symlinks followed).
    case readsOutsideWorkspace(String)
    /// It reaches this address on the machine itself or its private network (a fetch of a local server).
    case reachesLocalNetwork(String)
    /// It may change something.
    case mayChange
}

/// What happens to one tool call before it runs.
public enum PermissionVerdict: Sendable, Equatable {
    case run
    case ask
    case refuse(String)
}

/// The mode and the rules, and the grants the user gave in this session ("always for this tool"). Shared by every run
/// of a session, so a `/mode` change or a grant applies from the next tool call on.
public actor Permissions {
    public private(set) var mode: PermissionMode
    /// Rules keyed by the tool's full name (`developer__shell`) or by an extension's name (`developer`).
    public let rules: [String: ToolRule]
    /// Rules for the command lines of shell tools (`commands:` in config.yaml); they outrank everything but a tool's
    /// `never`.
    public nonisolated let commandRules: CommandRules
    private var grants: Set<String> = []

    public init(mode: PermissionMode, rules: [String: ToolRule] = [:], commandRules: CommandRules = CommandRules()) {
        self.mode = mode
        self.rules = rules
        self.commandRules = commandRules
    }

    public func setMode(_ mode: PermissionMode) {
        self.mode = mode
    }

    /// Lets `tool` run without asking for the rest of the session.
    public func grantAlways(_ tool: String) {
        grants.insert(tool)
    }

    /// The verdict for a call to `tool` with this `effect`; `commandLine` is what a shell tool would run.
    ///
    /// The order, first match wins: a `never` rule for the tool (or its extension); the `commands:` rules for a
    /// shell tool's command line; the tool's `always`/`ask` rule; a grant from this session; the mode.
    public func verdict(tool: String, effect: CallEffect, commandLine: String? = nil) -> PermissionVerdict {
        let toolRule = rule(for: tool)
        if toolRule == .never {
            return .refuse("Not run: the user's configuration never allows \(tool). Do without it, or explain what you need.")
        }
        if let commandLine, mode != .chat {
            switch commandRules.verdict(for: commandLine) {
            case .deny(let rule, let command)?:
                return .refuse("Not run: the user's configuration denies commands matching \"\(rule)\" (`\(command)`). "
                    + "Do it another way, or tell the user why it is needed.")
            case .ask?:
                return .ask
            case .allow?:
                return .run
            case nil:
                break
            }
        }
        switch toolRule {
        case .always:
            return .run
        case .ask:
            return grants.contains(tool) ? .run : .ask
        case .never, nil:
            break
        }
        if grants.contains(tool) { return .run }
        switch mode {
        case .auto: return .run
        case .approve: return .ask
        case .smart: return effect == .readsWorkspace ? .run : .ask
        case .chat: return .refuse("Not run: tools are off in chat mode. Answer in words.")
        }
    }

    /// The tool's own rule wins over its extension's.
    private func rule(for tool: String) -> ToolRule? {
        if let rule = rules[tool] { return rule }
        guard let separator = tool.range(of: ToolRouter.separator) else { return nil }
        return rules[String(tool[..<separator.lowerBound])]
    }
}

/// The user's answer to "may this tool run?".
public enum ApprovalAnswer: Sendable, Equatable {
    /// Run this call.
    case once
    /// Run this call and every later call to the same tool in this session.
    case always
    /// Do not run it; the reason, if given, goes to the model.
    case deny(reason: String?)
}

/// Someone who can be asked: the interactive session. Headless runs have none, and calls that need approval are
/// refused there.
public protocol ToolApprover: Sendable {
    func approve(_ call: ToolCall) async -> ApprovalAnswer
}

/// Where finished messages are kept as they finish: the session store. A failure to keep one ends the run, because
/// going on would lose work silently.
public protocol ConversationLog: Sendable {
    /// Keeps one finished message; `usage` is what the model call that produced it consumed (zero for the user's).
    func record(_ message: Message, usage: Usage) throws
    /// Keeps a compaction: from now on the conversation is `summary` followed by its last `keptMessages` messages,
    /// which is what a resumed session sends. The messages themselves stay.
    func recordCompaction(summary: Message, keptMessages: Int, report: CompactionReport) throws
}

/// Keeps the working tree as it was before a run changed it: the checkpoints `gander undo` goes back to.
public protocol TurnCheckpointer: Sendable {
    /// Called as a run starts, while the model thinks: the slow part of a checkpoint (reading every file of a tree
    /// the first time) done ahead, so `beforeChanges` has little left.
    func prepare() async
    /// Called once per run, before the first call that may change something runs; a line for the user when the
    /// checkpoint could not be taken whole.
    func beforeChanges(instruction: String) async -> String?
}

extension TurnCheckpointer {
    public func prepare() async {}
}
