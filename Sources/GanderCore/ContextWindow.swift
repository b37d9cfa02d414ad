/// How many tokens a model can take in one request, and who said so.
public struct ContextLimit: Sendable, Equatable {
    public var tokens: Int
    /// Where the figure came from, for the line that tells the user how to change it ("GANDER_CONTEXT_LIMIT",
    /// "config.yaml", "Ollama's model card", "the model catalogue").
    public var source: String

    public init(tokens: Int, source: String) {
        self.tokens = tokens
        self.source = source
    }

    /// What Gander assumes when nobody says. Most models served today take at least this much; for one that takes
    /// less, the provider's overflow error makes Gander compact below what it refused.
    public static let fallback = ContextLimit(tokens: 32_768, source: "Gander's default for models it does not know")
}

/// The user's say over the context window: a limit that wins over anything the provider reports, and how full the
/// window may get before Gander compacts the conversation.
public struct ContextPolicy: Sendable, Equatable {
    /// The limit the user set (`GANDER_CONTEXT_LIMIT`, `context_limit:`), if any.
    public var userLimit: ContextLimit?
    /// The share of the limit past which a request is compacted first (`compact_threshold:`, default 0.8).
    public var compactThreshold: Double

    public static let defaultCompactThreshold = 0.8

    public init(userLimit: ContextLimit? = nil, compactThreshold: Double = ContextPolicy.defaultCompactThreshold) {
        self.userLimit = userLimit
        self.compactThreshold = compactThreshold
    }

    /// The limit a run works with: the user's, else what the provider knows.
    public func limit(for provider: any ModelProvider, recorder: (any OutboundRecorder)? = nil) async -> ContextLimit {
        if let userLimit { return userLimit }
        return await provider.contextLimit(recorder: recorder)
    }
}

/// Token counts without a tokenizer. Deliberately on the high side — about three bytes of UTF-8 per token where
/// English prose averages four and code a little over three — because an estimate that runs low sends a request
/// the provider refuses, while one that runs high only compacts a little early.
public enum TokenEstimate {
    /// Framing each message costs on the wire (role, separators).
    static let perMessage = 4

    public static func of(_ text: String) -> Int {
        (text.utf8.count + 2) / 3
    }

    public static func of(_ message: Message) -> Int {
        message.content.reduce(perMessage) { total, part in
            switch part {
            case .text(let text): total + of(text)
            case .reasoning(let reasoning): total + of(reasoning.text) + of(reasoning.redactedData ?? "")
            case .toolCall(let call): total + of(call.name) + of(call.arguments) + 8
            case .toolResult(let result): total + of(result.toolName) + result.content.reduce(8) { $0 + of($1) }
            }
        }
    }

    public static func of(_ content: ToolContent) -> Int {
        switch content {
        case .text(let text): of(text)
        // Providers bill an image by its pixels, not its bytes; a typical screenshot costs about this many.
        case .image: 1600
        }
    }

    public static func of(_ messages: some Collection<Message>) -> Int {
        messages.reduce(0) { $0 + of($1) }
    }

    public static func of(_ tools: [ToolSpec]) -> Int {
        tools.reduce(0) { $0 + of($1.name) + of($1.description) + of($1.inputSchema.canonicalText) + 8 }
    }

    /// The whole request, counted from scratch.
    public static func of(_ request: ModelRequest) -> Int {
        of(request.systemPrompt) + of(request.tools) + of(request.messages)
    }
}
