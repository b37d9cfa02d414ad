import Foundation
import GanderCore

/// Shows a headless run's events in the chosen output format. Answers and JSON go to stdout; progress goes to stderr,
/// and only when stderr is a terminal, so pipelines get clean output.
/// Unchecked: one task at a time calls it — the one that reads the run's events — so its state needs no lock.
final class EventPrinter: @unchecked Sendable {
    private let format: OutputFormat
    private let showsProgress: Bool
    private let quiet: Bool
    private let encoder: JSONEncoder
    private var messages: [Message] = []
    private var errors: [String] = []
    private var outcome: AgentOutcome?
    private var sessionID: String?
    /// What the model's tokens cost, for the JSON summary's `cost_usd`.
    var price: ModelPrice?
    /// The structured result of a run with a response schema: in text format, all that stdout carries.
    var finalOutput: JSONValue?

    init(format: OutputFormat, quiet: Bool, verbose: Bool) {
        self.format = format
        self.quiet = quiet
        showsProgress = !quiet && (verbose || isatty(STDERR_FILENO) == 1)
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    func show(_ event: AgentEvent) {
        switch event {
        case .messageFinished(let message): messages.append(message)
        case .error(let message):
            errors.append(message)
            writeError(message)
        case .finished(let finished): outcome = finished
        default: break
        }
        switch format {
        case .streamJSON:
            if let data = try? encoder.encode(event) { writeOut(data + Data("\n".utf8)) }
        case .text, .json:
            if showsProgress { progress(event) }
        }
    }

    /// Names the session the run is kept in.
    func announce(session id: String) {
        sessionID = id
        if showsProgress, format != .streamJSON { writeErr("session \(id)\n") }
    }

    /// Prints what the format owes at the end of a run.
    func finish() {
        guard let outcome else { return }
        switch format {
        case .text:
            if let finalOutput, outcome.stopReason == .answered {
                writeOut(Data((finalOutput.canonicalText + "\n").utf8))
            } else if !outcome.finalText.isEmpty, ![.error, .cutOff, .refused].contains(outcome.stopReason) {
                writeOut(Data((outcome.finalText.hasSuffix("\n") ? outcome.finalText : outcome.finalText + "\n").utf8))
            }
        case .json:
            let summary = RunSummary(stopReason: outcome.stopReason, finalText: outcome.finalText, messages: messages,
                                     usage: outcome.usage, costUSD: price?.cost(of: outcome.usage), turns: outcome.turns,
                                     error: errors.last, sessionID: sessionID, output: finalOutput)
            if let data = try? encoder.encode(summary) { writeOut(data + Data("\n".utf8)) }
        case .streamJSON:
            break
        }
    }

    /// Something the user must hear about once, before the run, even when stderr is not a terminal (a fence that is
    /// missing); `-q` silences it, and stream-json carries it as a notice.
    func warn(_ message: String) {
        if format == .streamJSON {
            show(.notice(message))
        } else if !quiet {
            writeErr("gander: note: \(message)\n")
        }
    }

    /// Reports a failure before the run could start.
    func fail(_ message: String) {
        writeError(message)
    }

    private func progress(_ event: AgentEvent) {
        switch event {
        case .toolCallRequested(let call):
            writeErr("▸ \(call.name) \(ToolCallSummary.line(call.arguments))\n")
        case .toolResult(let result):
            let firstLine = result.text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            writeErr("  \(result.isError ? "✗" : "✓") \(firstLine.prefix(120))\n")
        case .retrying(let attempt, let delay, let reason):
            writeErr(String(format: "  … %@; try %d in %.1f s\n", reason, attempt, delay))
        case .notice(let text):
            writeErr("  note: \(text)\n")
        case .compacted(let report):
            writeErr("  \(SessionView.describe(report))\n")
        case .subagent(let name, let inner):
            if let line = SubagentLine.text(name: name, event: inner) { writeErr(line + "\n") }
        default:
            break
        }
    }

    private func writeError(_ message: String) {
        writeErr("gander: error: \(message)\n")
    }

    private func writeOut(_ data: Data) {
        FileHandle.standardOutput.write(data)
    }

    private func writeErr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// The single object `--output-format json` prints.
private struct RunSummary: Encodable {
    let stopReason: AgentStopReason
    let finalText: String
    let messages: [Message]
    let usage: Usage
    /// Estimated at the model's known prices; null when they are not known.
    let costUSD: Double?
    let turns: Int
    let error: String?
    let sessionID: String?
    /// The validated structured output of a run with a response schema.
    let output: JSONValue?

    enum CodingKeys: String, CodingKey {
        case stopReason = "stop_reason", finalText = "final_text", messages, usage, costUSD = "cost_usd", turns, error
        case sessionID = "session_id", output
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stopReason, forKey: .stopReason)
        try container.encode(finalText, forKey: .finalText)
        try container.encode(messages, forKey: .messages)
        try container.encode(usage, forKey: .usage)
        try container.encode(costUSD, forKey: .costUSD)  // null, not absent, when the price is unknown
        try container.encode(turns, forKey: .turns)
        try container.encode(error, forKey: .error)
        try container.encode(sessionID, forKey: .sessionID)
        try container.encodeIfPresent(output, forKey: .output)
    }
}
