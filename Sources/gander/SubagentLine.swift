import GanderCore

/// A sub-agent's event as one indented line for a person to read (the session, `-v`), under the parent's tool call;
/// nil for what is not worth a line (its text as it streams, usage).
enum SubagentLine {
    static func text(name: String, event: AgentEvent, depth: Int = 1) -> String? {
        let prefix = String(repeating: "  ", count: depth) + "↳ \(name) "
        switch event {
        case .toolCallRequested(let call):
            return prefix + "▸ \(call.name) \(ToolCallSummary.line(call.arguments))"
        case .toolResult(let result):
            let first = result.text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            return prefix + (result.isError ? "✗ " : "✓ ") + first.prefix(100)
        case .notice(let text):
            return prefix + "note: \(text)"
        case .error(let text):
            return prefix + "error: \(text)"
        case .finished(let outcome):
            return prefix + "finished (\(outcome.stopReason.rawValue), \(outcome.turns) turn\(outcome.turns == 1 ? "" : "s"))"
        case .subagent(let inner, let nested):
            return text(name: "\(name)/\(inner)", event: nested, depth: depth + 1)
        default:
            return nil
        }
    }
}
