/// Everything that happens in a run, in order. Every front end — the terminal, `--output-format stream-json`, the
/// tests — reads this one stream; docs/stream-json.md documents its JSON form.
public enum AgentEvent: Sendable, Equatable {
    /// A piece of the answer as it streams in.
    case textDelta(String)
    /// A piece of the model's visible reasoning.
    case reasoningDelta(String)
    /// The model asked for a tool; the call is about to run (or be refused).
    case toolCallRequested(ToolCall)
    /// The call needs the user's approval; the front end asks and answers through the agent's `ToolApprover`.
    case approvalRequested(ToolCall)
    /// A tool call finished.
    case toolResult(ToolResult)
    /// A message joined the conversation: the user's input, a finished reply, or a batch of tool results.
    case messageFinished(Message)
    /// Tokens one model call consumed.
    case usage(Usage)
    /// A model call failed in a way that may pass and is being tried again.
    case retrying(attempt: Int, delaySeconds: Double, reason: String)
    /// How full the next request makes the model's context window, estimated just before it is sent.
    case contextFill(tokens: Int, limit: Int)
    /// The conversation was made smaller to fit the context window; the session keeps every message.
    case compacted(CompactionReport)
    /// Something the user should know that does not stop the run.
    case notice(String)
    /// The error that ended the run, in one line that says what to do next.
    case error(String)
    /// The run is over. Always the last event.
    case finished(AgentOutcome)
    /// An event of a sub-agent a tool call started (a recipe's sub-recipe, a delegated task), under the name the call
    /// gave it; its own `finished` comes last.
    indirect case subagent(name: String, event: AgentEvent)
}

/// How a run ended.
public struct AgentOutcome: Codable, Sendable, Equatable {
    public var stopReason: AgentStopReason
    /// The text of the last reply.
    public var finalText: String
    /// Tokens over the whole run.
    public var usage: Usage
    /// Model calls made.
    public var turns: Int

    public init(stopReason: AgentStopReason, finalText: String, usage: Usage, turns: Int) {
        self.stopReason = stopReason
        self.finalText = finalText
        self.usage = usage
        self.turns = turns
    }

    enum CodingKeys: String, CodingKey { case stopReason = "stop_reason", finalText = "final_text", usage, turns }
}

/// Why a run stopped.
public enum AgentStopReason: String, Codable, Sendable {
    /// The model gave its answer without asking for more tools.
    case answered
    /// The run hit its turn limit before the model answered.
    case maxTurns = "max_turns"
    /// The user interrupted the run.
    case interrupted
    /// The model's reply was cut off by its output-token limit: what came is kept, and the run ends saying so.
    case cutOff = "max_tokens"
    /// The provider's content filter or guardrail refused the request or stopped the answer.
    case refused = "refusal"
    /// An error the run could not recover from.
    case error
}

extension AgentEvent: Codable {
    enum CodingKeys: String, CodingKey {
        case type, text, call, result, message, usage, attempt, delaySeconds = "delay_seconds", reason, outcome
        case tokens, limit, compaction, name, event
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "text_delta": self = .textDelta(try container.decode(String.self, forKey: .text))
        case "reasoning_delta": self = .reasoningDelta(try container.decode(String.self, forKey: .text))
        case "tool_call": self = .toolCallRequested(try container.decode(ToolCall.self, forKey: .call))
        case "approval_requested": self = .approvalRequested(try container.decode(ToolCall.self, forKey: .call))
        case "tool_result": self = .toolResult(try container.decode(ToolResult.self, forKey: .result))
        case "message": self = .messageFinished(try container.decode(Message.self, forKey: .message))
        case "usage": self = .usage(try container.decode(Usage.self, forKey: .usage))
        case "retrying":
            self = .retrying(
                attempt: try container.decode(Int.self, forKey: .attempt),
                delaySeconds: try container.decode(Double.self, forKey: .delaySeconds),
                reason: try container.decode(String.self, forKey: .reason))
        case "context":
            self = .contextFill(tokens: try container.decode(Int.self, forKey: .tokens),
                                limit: try container.decode(Int.self, forKey: .limit))
        case "compacted": self = .compacted(try container.decode(CompactionReport.self, forKey: .compaction))
        case "notice": self = .notice(try container.decode(String.self, forKey: .text))
        case "error": self = .error(try container.decode(String.self, forKey: .text))
        case "finished": self = .finished(try container.decode(AgentOutcome.self, forKey: .outcome))
        case "subagent":
            self = .subagent(name: try container.decode(String.self, forKey: .name),
                             event: try container.decode(AgentEvent.self, forKey: .event))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown event \(type)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .textDelta(let text):
            try container.encode("text_delta", forKey: .type)
            try container.encode(text, forKey: .text)
        case .reasoningDelta(let text):
            try container.encode("reasoning_delta", forKey: .type)
            try container.encode(text, forKey: .text)
        case .toolCallRequested(let call):
            try container.encode("tool_call", forKey: .type)
            try container.encode(call, forKey: .call)
        case .approvalRequested(let call):
            try container.encode("approval_requested", forKey: .type)
            try container.encode(call, forKey: .call)
        case .toolResult(let result):
            try container.encode("tool_result", forKey: .type)
            try container.encode(result, forKey: .result)
        case .messageFinished(let message):
            try container.encode("message", forKey: .type)
            try container.encode(message, forKey: .message)
        case .usage(let usage):
            try container.encode("usage", forKey: .type)
            try container.encode(usage, forKey: .usage)
        case .retrying(let attempt, let delay, let reason):
            try container.encode("retrying", forKey: .type)
            try container.encode(attempt, forKey: .attempt)
            try container.encode(delay, forKey: .delaySeconds)
            try container.encode(reason, forKey: .reason)
        case .contextFill(let tokens, let limit):
            try container.encode("context", forKey: .type)
            try container.encode(tokens, forKey: .tokens)
            try container.encode(limit, forKey: .limit)
        case .compacted(let report):
            try container.encode("compacted", forKey: .type)
            try container.encode(report, forKey: .compaction)
        case .notice(let text):
            try container.encode("notice", forKey: .type)
            try container.encode(text, forKey: .text)
        case .error(let text):
            try container.encode("error", forKey: .type)
            try container.encode(text, forKey: .text)
        case .finished(let outcome):
            try container.encode("finished", forKey: .type)
            try container.encode(outcome, forKey: .outcome)
        case .subagent(let name, let event):
            try container.encode("subagent", forKey: .type)
            try container.encode(name, forKey: .name)
            try container.encode(event, forKey: .event)
        }
    }
}
