/// A language model behind one wire format. It knows how to talk to its server and nothing about tools or sessions.
public protocol ModelProvider: Sendable {
    /// The provider's name as users type it (`openai`, `anthropic`, `ollama`).
    var name: String { get }
    /// The model this provider asks for.
    var model: String { get }
    /// Streams the model's reply to one request. The stream throws a `ProviderError` when the call fails.
    func stream(_ request: ModelRequest) -> AsyncThrowingStream<ProviderEvent, any Error>
    /// The model's context window as far as the provider knows it: what its server reports, else its catalogue.
    /// A question to the server about it is told to `recorder` as it leaves.
    func contextLimit(recorder: (any OutboundRecorder)?) async -> ContextLimit
    /// Whether requests leave the machine: false for the embedded model, whose requests are neither redacted nor
    /// put in the ledger.
    var sendsOffMachine: Bool { get }
    /// Whether the model takes images; tools' pictures reach the others as the line that describes them.
    var acceptsImages: Bool { get }
    /// What the user can do when a reply is cut off at the most tokens one reply may have: the setting that raises
    /// that cap where Gander sets it, else how to ask for less.
    var cutOffAdvice: String { get }
}

extension ModelProvider {
    public func contextLimit(recorder: (any OutboundRecorder)?) async -> ContextLimit { .fallback }
    public var sendsOffMachine: Bool { true }
    public var acceptsImages: Bool { true }
    public var cutOffAdvice: String { serverCapAdvice }

    /// The advice where the provider's server, not Gander, caps a reply.
    public var serverCapAdvice: String {
        "\(name) caps how long one reply may be; ask for something shorter, or for the work in smaller steps"
    }
}

/// Everything a provider needs for one call.
public struct ModelRequest: Sendable {
    public var systemPrompt: String
    public var messages: [Message]
    public var tools: [ToolSpec]

    public init(systemPrompt: String, messages: [Message], tools: [ToolSpec]) {
        self.systemPrompt = systemPrompt
        self.messages = messages
        self.tools = tools
    }
}

extension ModelRequest {
    /// The request with every picture in tool results replaced by a note, for a model that cannot see. The line the
    /// tool wrote beside the picture (its kind and size) stays.
    public func withoutImages() -> ModelRequest {
        var copy = self
        copy.messages = messages.map { message in
            var message = message
            message.content = message.content.map { part in
                guard case .toolResult(var result) = part, result.content.contains(where: { if case .image = $0 { true } else { false } })
                else { return part }
                result.content = result.content.map { content in
                    if case .image = content { return .text("[The picture itself was not sent: this model does not take images.]") }
                    return content
                }
                return .toolResult(result)
            }
            return message
        }
        return copy
    }
}

/// One piece of a streamed reply. Tool calls arrive as a start and argument fragments keyed by the provider's index.
public enum ProviderEvent: Sendable, Equatable {
    case textDelta(String)
    case reasoningDelta(String)
    case reasoningSignature(String)
    case redactedReasoning(String)
    case toolCallStarted(index: Int, id: String, name: String)
    case toolCallArgumentsDelta(index: Int, fragment: String)
    /// The provider's signature of its reasoning for the call at `index`, to be sent back with it.
    case toolCallSignature(index: Int, signature: String)
    case usage(Usage)
    /// The provider is about to try the call again after a failure it may recover from.
    case retrying(attempt: Int, delaySeconds: Double, reason: String)
    /// A request left the machine (each try of a retried call is one); the agent puts it in the ledger.
    case requestSent(OutboundRequest)
    /// The answer's body has arrived whole: this many bytes.
    case responseReceived(bytes: Int)
    /// Something the user should know about this call, e.g. that older turns were dropped to fit the context.
    case notice(String)
    case stop(StopReason)

    /// Why the model stopped talking.
    public enum StopReason: String, Sendable, Codable {
        case endTurn = "end_turn"
        case toolUse = "tool_use"
        case maxTokens = "max_tokens"
        case other
    }
}

/// A model call's failure that can tell whether the request was longer than the model's context window, which the
/// agent recovers from by compacting.
public protocol ModelCallFailure: Error {
    var isContextOverflow: Bool { get }
    /// Whether the provider's safety system (a content filter, a guardrail) refused the request or stopped the answer.
    var isRefusal: Bool { get }
}

extension ModelCallFailure {
    public var isRefusal: Bool { false }
}
