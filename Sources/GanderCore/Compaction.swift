import Foundation

/// What one compaction did, for the event stream, the session's status line and the log.
public struct CompactionReport: Codable, Sendable, Equatable {
    /// Why it ran.
    public enum Trigger: String, Codable, Sendable {
        /// The next request would have passed the compaction threshold.
        case threshold
        /// The provider answered that the request exceeded its context window.
        case overflow
        /// The user asked for it (`/compact`).
        case request
    }

    public var trigger: Trigger
    /// The estimated size of the request before and after, in tokens.
    public var tokensBefore: Int
    public var tokensAfter: Int
    /// How many old tool outputs were cut to their head and tail.
    public var trimmedOutputs: Int
    /// Whether the older turns were replaced by a summary the model wrote.
    public var summarized: Bool
    /// Gander's own time for it, in milliseconds, not counting the model writing the summary.
    public var harnessMilliseconds: Double

    public init(trigger: Trigger, tokensBefore: Int, tokensAfter: Int, trimmedOutputs: Int, summarized: Bool,
                harnessMilliseconds: Double = 0) {
        self.trigger = trigger
        self.tokensBefore = tokensBefore
        self.tokensAfter = tokensAfter
        self.trimmedOutputs = trimmedOutputs
        self.summarized = summarized
        self.harnessMilliseconds = harnessMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case trigger, tokensBefore = "tokens_before", tokensAfter = "tokens_after"
        case trimmedOutputs = "trimmed_outputs", summarized, harnessMilliseconds = "harness_ms"
    }
}

/// The two ways a conversation is made smaller, cheapest first: cut old tool outputs to their head and tail, then
/// replace the older turns by a summary the model writes. Only what is sent shrinks; the session keeps every message.
public struct Compactor: Sendable {
    /// Tool outputs longer than this (UTF-8 bytes) are cut when they are old.
    public var trimAbove = 2000
    /// What is kept of a cut output: its first and last bytes.
    public var keptHead = 700
    public var keptTail = 400

    public init() {}

    /// Marks the summary request, so it reads as one in logs and a scripted server can tell it from a turn.
    public static let summaryMarker = "You are compacting the conversation of an AI coding agent"
    /// Opens the summary block in the message that replaces the older turns.
    static let summaryOpening = "<conversation-summary>"
    static let summaryClosing = "</conversation-summary>"

    // MARK: Cutting old tool outputs

    /// `messages` with long tool outputs cut to their head and tail, and images replaced by a line. The outputs of the
    /// latest tool-result message are spared when `sparingLatest`: the model has not read them yet.
    public func trimToolOutputs(_ messages: [Message], sparingLatest: Bool) -> (messages: [Message], trimmed: Int) {
        let latest = sparingLatest ? messages.lastIndex { !$0.toolResults.isEmpty } : nil
        var trimmed = 0
        var result = messages
        for index in result.indices where index != latest && !result[index].toolResults.isEmpty {
            result[index].content = result[index].content.map { part in
                guard case .toolResult(var output) = part else { return part }
                var changed = false
                output.content = output.content.map { content in
                    switch content {
                    case .text(let text) where text.utf8.count > trimAbove:
                        changed = true
                        return .text(cut(text))
                    case .image(let mimeType, _):
                        changed = true
                        return .text("[a \(mimeType) image was here; it was left out to keep the conversation within the "
                            + "model's context window]")
                    default:
                        return content
                    }
                }
                if changed { trimmed += 1 }
                return .toolResult(output)
            }
        }
        return (result, trimmed)
    }

    private func cut(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let head = String(decoding: bytes.prefix(keptHead), as: UTF8.self)
        let tail = String(decoding: bytes.suffix(keptTail), as: UTF8.self)
        let omitted = bytes.count - keptHead - keptTail
        return head + "\n[… \(omitted) bytes of this output were left out to keep the conversation within the model's "
            + "context window; Gander's session history keeps all of it. Run the call again if you need them. …]\n" + tail
    }

    // MARK: Summarizing older turns

    /// Where to split `messages` for a summary: the older part is summarized, the tail is kept as it is. The tail
    /// begins with an assistant message, so every tool call in it keeps its results and every result its call, and
    /// it holds the latest turns that fit in `tailBudget` tokens (at least the last assistant message onwards).
    /// Nil when there is nothing older than the tail worth summarizing.
    public func split(_ messages: [Message], tailBudget: Int) -> Int? {
        let starts = messages.indices.filter { $0 > 0 && messages[$0].role == .assistant }
        guard let latest = starts.last else { return nil }
        var tailStart = latest
        var tailTokens = TokenEstimate.of(messages[latest...])
        for start in starts.reversed().dropFirst() {
            let grown = tailTokens + TokenEstimate.of(messages[start..<tailStart])
            if grown > tailBudget { break }
            tailStart = start
            tailTokens = grown
        }
        // Something besides the instruction (or an earlier summary) must be older than the tail, or a summary would
        // only restate it.
        return tailStart >= 2 ? tailStart : nil
    }

    /// The request that asks the model to summarize `older`, fitted into `budget` tokens: when the transcript is longer,
    /// its oldest turns after the first message (the instruction, or the previous summary) are left out.
    public func summaryRequest(for older: ArraySlice<Message>, budget: Int) -> ModelRequest {
        var entries = older.map(transcriptEntry)
        let frame = TokenEstimate.of(Self.summaryInstructions) + 200
        var total = entries.reduce(frame) { $0 + TokenEstimate.of($1) }
        var dropped = 0
        while total > budget, entries.count > 2 {
            total -= TokenEstimate.of(entries.remove(at: 1))
            dropped += 1
        }
        if dropped > 0 {
            entries.insert("[\(dropped) older messages are left out of this transcript to fit the window.]", at: 1)
        }
        let transcript = entries.joined(separator: "\n\n")
        return ModelRequest(
            systemPrompt: Self.summaryInstructions,
            messages: [.user("<transcript>\n\(transcript)\n</transcript>\n\nWrite the summary of this transcript now.")],
            tools: [])
    }

    static let summaryInstructions = """
        \(summaryMarker), so that it can go on with the work in a smaller context window. Below is the older part of \
        the conversation; the latest turns are kept as they are and are not shown. Write a summary the agent can work \
        from without the transcript, in these sections:

        ## Goal
        ## Decisions
        ## Files touched
        ## State of the work
        ## Open questions

        Keep every fact the work depends on: paths, names, commands and their results, errors, numbers, what the user \
        asked for and refused. If the transcript starts with an earlier summary, fold it in. Be concise; do not call \
        tools; answer with the summary only.
        """

    /// The message that stands for the older turns: the instruction the agent is working on, then the summary.
    public func summaryMessage(summary: String, older: ArraySlice<Message>) -> Message {
        var text = ""
        if let instruction = Self.instruction(in: older) { text = instruction + "\n\n" }
        text += Self.summaryOpening + "\nThe earlier conversation was compacted to fit the model's context window. "
            + "This is a summary of it:\n\n" + summary.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
            + Self.summaryClosing
        return .user(text)
    }

    /// The latest instruction from the user in `older`: the text of its last user message that is not tool results,
    /// without an earlier summary.
    static func instruction(in older: ArraySlice<Message>) -> String? {
        guard let message = older.last(where: { $0.role == .user && $0.toolResults.isEmpty && !$0.text.isEmpty }) else {
            return nil
        }
        let text = message.text
        guard let opening = text.range(of: summaryOpening) else { return text }
        let before = text[..<opening.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return before.isEmpty ? nil : before
    }

    private func transcriptEntry(_ message: Message) -> String {
        var lines: [String] = []
        let speaker = message.role == .user ? "USER" : "ASSISTANT"
        for part in message.content {
            switch part {
            case .text(let text): lines.append("\(speaker): \(text)")
            case .reasoning: break
            case .toolCall(let call): lines.append("TOOL CALL \(call.name) \(call.arguments)")
            case .toolResult(let result):
                let text = result.text
                let shown = text.utf8.count > 1200 ? String(text.prefix(700)) + "\n[…]\n" + String(text.suffix(300)) : text
                lines.append("TOOL RESULT \(result.toolName)\(result.isError ? " (error)" : ""): \(shown)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
