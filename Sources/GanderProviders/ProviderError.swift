import GanderCore

/// Why a model call failed, in one line that says what to do next.
public enum ProviderError: ModelCallFailure, CustomStringConvertible, Equatable {
    /// The server answered with an error status.
    case http(provider: String, status: Int, message: String, advice: String)
    /// The server could not be reached.
    case unreachable(provider: String, url: String, reason: String)
    /// The connection broke or fell silent.
    case interrupted(provider: String, reason: String)
    /// The server sent something that is not its documented wire format.
    case malformed(provider: String, detail: String)
    /// The provider reported an error inside the stream.
    case streamError(provider: String, message: String)
    /// The provider's content filter or guardrail refused the request or stopped the answer.
    case refused(provider: String, message: String)
    /// The provider cannot be set up as configured.
    case configuration(String)
    /// The network is off (`--offline`), and this request would have left the machine.
    case offline(provider: String, url: String)

    /// Whether the provider refused the request for being longer than the model's context window: OpenAI's
    /// `context_length_exceeded` ("maximum context length"), Anthropic's "prompt is too long", Gemini's "exceeds the
    /// maximum number of tokens", Ollama's "input exceeds context length", llama.cpp's "exceeds the available context
    /// size", or HTTP 413.
    public var isContextOverflow: Bool {
        switch self {
        case .http(_, let status, let message, _): status == 413 || Self.saysContextOverflow(message)
        case .streamError(_, let message): Self.saysContextOverflow(message)
        default: false
        }
    }

    public var isRefusal: Bool {
        if case .refused = self { true } else { false }
    }

    private static func saysContextOverflow(_ message: String) -> Bool {
        let text = message.lowercased()
        return ["context_length_exceeded", "maximum context length", "prompt is too long", "context length",
                "context size", "context window", "exceed_context_size", "exceeds the maximum number of tokens",
                "input is too long"]
            .contains { text.contains($0) }
    }

    public var description: String {
        switch self {
        case .http(let provider, let status, let message, let advice):
            let said = message.isEmpty ? "" : ": \(message)"
            return "\(provider) returned HTTP \(status)\(said). \(advice)"
        case .unreachable(let provider, let url, let reason):
            return "cannot reach \(provider) at \(url) (\(reason)). Check that the server is running and the base URL."
        case .interrupted(let provider, let reason):
            return "the connection to \(provider) broke before the answer was complete (\(reason)). Try again."
        case .malformed(let provider, let detail):
            return "\(provider) sent a reply Gander cannot read (\(detail)). Check that the base URL points at a \(provider)-compatible server."
        case .streamError(let provider, let message), .refused(let provider, let message):
            return "\(provider) reported an error: \(message)"
        case .configuration(let message):
            return message
        case .offline(let provider, let url):
            return "refused to send a request to \(provider) at \(url): the run is --offline (or GANDER_OFFLINE is set), so "
                + "nothing leaves this machine. Use --provider local for the embedded model, or drop --offline."
        }
    }
}
