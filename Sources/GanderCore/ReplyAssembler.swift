/// Builds one assistant message out of a provider's streamed events.
struct ReplyAssembler {
    private var parts: [ContentPart] = []
    private var toolCalls: [(index: Int, call: ToolCall)] = []
    private(set) var stopReason: ProviderEvent.StopReason?

    /// Folds one event in and returns what the agent should pass on to its listeners, if anything.
    mutating func absorb(_ event: ProviderEvent) -> AgentEvent? {
        switch event {
        case .textDelta(let text):
            guard !text.isEmpty else { return nil }
            if case .text(let existing)? = parts.last {
                parts[parts.count - 1] = .text(existing + text)
            } else {
                parts.append(.text(text))
            }
            return .textDelta(text)
        case .reasoningDelta(let text):
            if case .reasoning(var reasoning)? = parts.last, reasoning.signature == nil, reasoning.redactedData == nil {
                reasoning.text += text
                parts[parts.count - 1] = .reasoning(reasoning)
            } else {
                parts.append(.reasoning(Reasoning(text: text)))
            }
            return .reasoningDelta(text)
        case .reasoningSignature(let signature):
            if case .reasoning(var reasoning)? = parts.last, reasoning.redactedData == nil {
                reasoning.signature = signature
                parts[parts.count - 1] = .reasoning(reasoning)
            } else {
                parts.append(.reasoning(Reasoning(text: "", signature: signature)))
            }
            return nil
        case .redactedReasoning(let data):
            parts.append(.reasoning(Reasoning(text: "", redactedData: data)))
            return nil
        case .toolCallStarted(let index, let id, let name):
            if let position = toolCalls.firstIndex(where: { $0.index == index }) {
                if !id.isEmpty { toolCalls[position].call.id = id }
                if !name.isEmpty { toolCalls[position].call.name = name }
            } else {
                toolCalls.append((index, ToolCall(id: id, name: name, arguments: "")))
            }
            return nil
        case .toolCallArgumentsDelta(let index, let fragment):
            if let position = toolCalls.firstIndex(where: { $0.index == index }) {
                toolCalls[position].call.arguments += fragment
            } else {
                toolCalls.append((index, ToolCall(id: "", name: "", arguments: fragment)))
            }
            return nil
        case .toolCallSignature(let index, let signature):
            if let position = toolCalls.firstIndex(where: { $0.index == index }) {
                toolCalls[position].call.thoughtSignature = signature
            } else {
                toolCalls.append((index, ToolCall(id: "", name: "", arguments: "", thoughtSignature: signature)))
            }
            return nil
        case .usage(let usage):
            return .usage(usage)
        case .requestSent, .responseReceived:
            // The ledger's business, which the agent sees to before the assembler.
            return nil
        case .retrying(let attempt, let delay, let reason):
            return .retrying(attempt: attempt, delaySeconds: delay, reason: reason)
        case .notice(let text):
            return .notice(text)
        case .stop(let reason):
            stopReason = reason
            return nil
        }
    }

    /// The finished message. Calls the provider sent without an id get one, so their results can be matched.
    func message(turn: Int) -> Message {
        var content = parts
        for (position, entry) in toolCalls.enumerated() {
            var call = entry.call
            if call.id.isEmpty { call.id = "call_\(turn)_\(position)" }
            content.append(.toolCall(call))
        }
        return Message(role: .assistant, content: content)
    }

    /// What was said before an interruption: its text only, since half a tool call cannot be run.
    var partialMessage: Message? {
        let kept = parts.filter { if case .text = $0 { true } else { false } }
        return kept.isEmpty ? nil : Message(role: .assistant, content: kept, isInterrupted: true)
    }
}
