import Foundation
import GanderCore

/// Shows a turn's events in the terminal: the answer streamed and rendered as Markdown, each tool call as it starts
/// and its one-line result (or the whole output with `/r`), a spinner while the model has not answered yet.
final class SessionView {
    let terminal: Terminal
    let style: Style
    var showsFullToolOutput = false
    private let spinner: Spinner
    private var markdown: MarkdownRenderer
    /// The current line of the answer, printed raw as it streams and re-drawn styled once its newline arrives.
    private var partialLine = ""
    private var inAnswer = false
    /// How full the last request made the context window, for the status line after each turn.
    private var contextFill: (tokens: Int, limit: Int)?

    init(terminal: Terminal, style: Style) {
        self.terminal = terminal
        self.style = style
        spinner = Spinner(terminal: terminal)
        markdown = MarkdownRenderer(style: style)
    }

    func beginTurn() {
        markdown = MarkdownRenderer(style: style)
        spinner.start("thinking…", style: style)
    }

    func show(_ event: AgentEvent) {
        switch event {
        case .textDelta(let text):
            spinner.stop()
            stream(text)
        case .reasoningDelta:
            break
        case .toolCallRequested(let call):
            spinner.stop()
            endAnswer()
            terminal.write(style.magenta("▸ ") + style.bold(Self.shortName(call.name)) + " "
                + style.dim(ToolCallSummary.line(call.arguments)) + "\n")
        case .toolResult(let result):
            showResult(result)
        case .messageFinished(let message):
            // A batch of tool results went back: the model is thinking again.
            if message.role == .user, !message.toolResults.isEmpty { spinner.start("thinking…", style: style) }
        case .retrying(let attempt, let delay, let reason):
            spinner.stop()
            endAnswer()
            terminal.write(style.yellow(String(format: "… %@; try %d in %.1f s", reason, attempt, delay)) + "\n")
        case .notice(let text):
            spinner.stop()
            endAnswer()
            terminal.write(style.yellow("note: ") + text + "\n")
        case .error(let text):
            spinner.stop()
            endAnswer()
            terminal.write(style.red("error: ") + text + "\n")
        case .contextFill(let tokens, let limit):
            contextFill = (tokens, limit)
        case .compacted(let report):
            spinner.stop()
            endAnswer()
            terminal.write(style.dim("⇣ " + Self.describe(report)) + "\n")
            contextFill = contextFill.map { (report.tokensAfter, $0.limit) }
            spinner.start("thinking…", style: style)
        case .approvalRequested, .usage:
            break
        case .subagent(let name, let inner):
            if let line = SubagentLine.text(name: name, event: inner) {
                spinner.stop()
                endAnswer()
                terminal.write(style.dim(line) + "\n")
            }
        case .finished(let outcome):
            spinner.stop()
            endAnswer()
            if let contextFill { terminal.write(style.dim(Self.statusLine(contextFill)) + "\n") }
            switch outcome.stopReason {
            case .interrupted: terminal.write(style.yellow("⏹ interrupted") + style.dim(" — what came so far is kept") + "\n")
            case .maxTurns: terminal.write(style.yellow("stopped at the turn limit") + "\n")
            case .answered where outcome.finalText.isEmpty: terminal.write(style.dim("(the model gave an empty answer)") + "\n")
            case .answered, .error, .cutOff, .refused: break
            }
        }
    }

    /// Stops the spinner and closes any half line, so a prompt can take the screen.
    func pause() {
        spinner.stop()
        endAnswer()
    }

    /// `[x] step` drawn as a checkbox in colour.
    private static func checklistLine(_ line: String) -> String {
        line.replacingOccurrences(of: "[x] ", with: "☑ ").replacingOccurrences(of: "[~] ", with: "◐ ")
            .replacingOccurrences(of: "[ ] ", with: "☐ ")
    }

    /// One line for a compaction, here and in headless progress.
    static func describe(_ report: CompactionReport) -> String {
        var what: [String] = []
        if report.trimmedOutputs > 0 {
            what.append("\(report.trimmedOutputs) old tool output\(report.trimmedOutputs == 1 ? "" : "s") cut")
        }
        if report.summarized { what.append("older turns summarized") }
        let how = what.isEmpty ? "nothing to cut" : what.joined(separator: ", ")
        return "compacted the conversation (\(how)): about \(report.tokensBefore) → \(report.tokensAfter) tokens"
    }

    /// How full the context window is: `context 34% · 44,310 of 131,072 tokens`.
    static func statusLine(_ fill: (tokens: Int, limit: Int)) -> String {
        let percent = fill.limit > 0 ? Int((Double(fill.tokens) / Double(fill.limit) * 100).rounded()) : 0
        return "context \(percent)% · \(fill.tokens.formatted()) of \(fill.limit.formatted()) tokens"
    }

    /// The tool name without its extension when that is the built-in developer one.
    static func shortName(_ name: String) -> String {
        name.hasPrefix("developer__") ? String(name.dropFirst("developer__".count)) : name
    }

    private func showResult(_ result: ToolResult) {
        let text = result.text
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let mark = result.isError ? style.red("  ✗ ") : style.green("  ✓ ")
        if result.toolName == "todo__write", !result.isError {
            // The checklist is for the user to follow: it is shown whole each time it changes.
            terminal.write(lines.enumerated().map { index, line in
                index == 0 ? mark + String(line) : "    " + Self.checklistLine(String(line))
            }.joined(separator: "\n") + "\n")
            return
        }
        if showsFullToolOutput {
            terminal.write(mark + style.dim("\(lines.count) line\(lines.count == 1 ? "" : "s")") + "\n")
            terminal.write(lines.map { style.dim("  │ ") + $0 }.joined(separator: "\n") + "\n")
            return
        }
        let first = lines.first(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }).map(String.init) ?? "(no output)"
        let more = lines.count > 1 ? style.dim("  (+\(lines.count - 1) lines; /r shows all)") : ""
        terminal.write(mark + String(first.prefix(max(20, terminal.width - 40))) + more + "\n")
    }

    private func stream(_ text: String) {
        inAnswer = true
        guard style.enabled else {
            terminal.write(text)
            partialLine += text
            if let newline = partialLine.lastIndex(of: "\n") { partialLine = String(partialLine[partialLine.index(after: newline)...]) }
            return
        }
        var pieces = text.split(separator: "\n", omittingEmptySubsequences: false)
        let rest = String(pieces.removeLast())
        terminal.exclusively {
            for piece in pieces {
                eraseRawLine()
                terminal.writeLocked(markdown.render(partialLine + piece) + "\n")
                partialLine = ""
            }
            if !rest.isEmpty {
                terminal.writeLocked(rest)
                partialLine += rest
            }
        }
    }

    /// Takes the raw, unstyled partial line off the screen, however many rows it wrapped onto.
    private func eraseRawLine() {
        guard !partialLine.isEmpty else { return }
        let rows = (partialLine.count - 1) / max(terminal.width, 1)
        terminal.writeLocked((rows > 0 ? "\u{1B}[\(rows)A" : "") + "\r\u{1B}[J")
    }

    /// Finishes the answer's last line, styled, before something else is printed.
    private func endAnswer() {
        guard inAnswer else { return }
        inAnswer = false
        guard !partialLine.isEmpty else { return }
        if style.enabled {
            terminal.exclusively {
                eraseRawLine()
                terminal.writeLocked(markdown.render(partialLine) + "\n")
            }
        } else {
            terminal.write("\n")
        }
        partialLine = ""
    }
}
