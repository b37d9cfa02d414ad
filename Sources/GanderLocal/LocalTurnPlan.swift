import Foundation
import GanderCore

/// What one request to a local model offers it and holds it to, decided from the conversation so far: the tool
/// format, the toolset (and what it may call now), and the grammar. For models with no tool training this is where
/// the harness helps: look first at what the instruction names, no answer to a change request before a change, and
/// answers to questions that quote what a tool returned.
struct LocalTurnPlan {
    /// nil when the request offers no tools.
    let format: ToolCallFormat?
    let toolset: LocalToolset
    let workspace: WorkspaceSnapshot?
    let constraint: (grammar: String, trigger: String?)?

    init(request: ModelRequest, chatTemplate: String?, workingDirectory: URL) {
        guard !request.tools.isEmpty else {
            format = nil
            toolset = LocalToolset(tools: [], compact: true)
            workspace = nil
            constraint = nil
            return
        }
        let format = ToolCallFormat.detect(chatTemplate: chatTemplate)
        let workspace = format.isTrained ? nil : WorkspaceSnapshot(directory: workingDirectory)
        let seen = LocalToolset(tools: request.tools, compact: true).seen(in: request.messages)
        let instruction = request.messages.last(where: { $0.role == .user && !$0.text.isEmpty })?.text ?? ""
        let toolset = LocalToolset(tools: request.tools, compact: !format.isTrained, workspace: workspace, seen: seen,
                                   lookFirst: workspace?.lookFirst(for: instruction) ?? ([], []))
        let task = LocalTask(instruction: instruction)
        let mayAnswer = format.isTrained
            || (!toolset.mustLook && (!task.asksForChange || task.changeMade(in: request.messages, toolset: toolset)))
        let quotes = format.isTrained || (task.asksForChange && !task.asksToRun) ? nil : Self.quotableLines(of: request.messages.last)
        self.format = format
        self.toolset = toolset
        self.workspace = workspace
        constraint = format.constraint(for: toolset.callable, mayAnswer: mayAnswer, quotes: quotes)
    }

    /// The lines a small model may quote in answer to a question, from the successful tool results that `message`
    /// carries; nil when there are none (then it answers freely).
    static func quotableLines(of message: Message?) -> [String]? {
        guard let message, message.role == .user else { return nil }
        let results = message.toolResults.filter { !$0.isError }
        guard !results.isEmpty, results.count == message.toolResults.count else { return nil }
        var lines: [String] = []
        for result in results {
            for line in result.text.split(whereSeparator: \.isNewline) {
                // Without the editor's line numbers and the shell's labels, which are not part of any answer.
                var trimmed = line.trimmingCharacters(in: .whitespaces)
                if let tab = trimmed.firstIndex(of: "\t"), trimmed[..<tab].allSatisfy(\.isNumber) {
                    trimmed = String(trimmed[trimmed.index(after: tab)...])
                }
                if trimmed.hasSuffix(":") || trimmed.hasPrefix("exit code:") { continue }
                if !trimmed.isEmpty, trimmed.count <= 300, !lines.contains(trimmed) { lines.append(trimmed) }
            }
        }
        return lines.isEmpty || lines.count > 100 ? nil : lines
    }

}
