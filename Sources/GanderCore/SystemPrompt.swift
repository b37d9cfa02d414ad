import Foundation

/// The system prompt: Gander's own instructions, then each extension's, then the project hints. It is composed for
/// each request, because an MCP server that was still starting tells its instructions only once it is up.
public struct SystemPrompt: Sendable {
    /// Gander's standing instructions to the model.
    public static let base = """
        You are Gander, an AI agent for software developers. You carry out the user's instruction on their machine \
        with the tools you are given: read and edit files, run commands, search the code. Work step by step until \
        the task is done, then reply with a short summary of what you did and anything the user should check.

        - Look before you change: read the relevant files and run the relevant commands first.
        - Make the smallest change that does the job, in the style of the surrounding code.
        - When a tool fails, read the error and adjust; do not repeat the same call unchanged.
        - Never invent file contents or command output; use the tools to find out.
        """

    /// What comes before the extensions' instructions.
    private let preamble: String
    /// The project hints, after them.
    private let hintSection: String
    /// A recipe's instructions: the way of working it was written for, after Gander's own and before the tools'.
    public var recipeInstructions: String?

    public init(hints: Hints, workingDirectory: URL, date: Date = Date()) {
        preamble = Self.base + "\n\n"
            + "The working directory is \(workingDirectory.path). Today is \(Self.dayFormatter.string(from: date))."
        hintSection = hints.promptSection(workingDirectory: workingDirectory)
    }

    /// The prompt with what `extensions` say about their tools now.
    public func text(extensions: [any Extension]) -> String {
        var sections = [preamble]
        if let recipeInstructions, !recipeInstructions.isEmpty { sections.append("# Recipe\n\n\(recipeInstructions)") }
        for ext in extensions {
            let instructions = ext.instructions
            if !instructions.isEmpty { sections.append("# Extension \(ext.name)\n\n\(instructions)") }
        }
        if !hintSection.isEmpty { sections.append(hintSection) }
        return sections.joined(separator: "\n\n")
    }

    private static var dayFormatter: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter
    }
}
