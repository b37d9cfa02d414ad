import ArgumentParser
import Foundation
import GanderCore
import GanderStore

struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Work with Gander interactively; every message is saved as it finishes.",
        discussion: """
            Examples:
              gander session
              gander s --resume                 # the latest session in this directory
              gander session --resume refactor  # by name, id or the start of an id
              gander session --mode auto --provider anthropic
              gander session --recipe code-review --params branch=main

            Keys: Enter sends; Ctrl-J or a line ending in \\ starts a new line; Up/Down recall earlier input; \
            Ctrl-C stops the turn under way (what came so far is kept) or clears the line; Ctrl-C twice on an empty \
            line, Ctrl-D, /exit or exit leave. /help lists the commands.

            The permission mode defaults to smart: read-only tools run, anything else waits for your yes.
            """,
        aliases: ["s"])

    @OptionGroup(title: "Model")
    var modelOptions: ModelOptions

    @OptionGroup(title: "Agent")
    var agentOptions: AgentOptions

    @OptionGroup(title: "Session")
    var sessionOptions: SessionOptions

    @OptionGroup(title: "Extensions")
    var extensionOptions: ExtensionOptions

    /// A recipe's instructions, extensions and settings for the session, and its prompt as the first turn.
    @OptionGroup(title: "Recipe")
    var recipeChoice: RecipeChoice

    func validate() throws {
        if recipeChoice.recipe == nil, !recipeChoice.params.isEmpty { throw ValidationError("--params goes with --recipe NAME") }
    }

    mutating func run() async throws {
        let status = await execute()
        if status != ExitStatus.success { throw ExitCode(status) }
    }

    /// Runs the session and returns the process's exit status.
    func execute() async -> Int32 {
        let session: InteractiveSession
        do {
            let loaded = try recipeChoice.load(workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                                               environment: ProcessInfo.processInfo.environment)
            session = try InteractiveSession(modelOptions: modelOptions, agentOptions: agentOptions,
                                             sessionOptions: sessionOptions, extensionOptions: extensionOptions, recipe: loaded)
        } catch {
            FileHandle.standardError.write(Data("gander: \(error)\n".utf8))
            return error is InputError ? ExitStatus.usage : ExitStatus.failure
        }
        return await session.run()
    }
}
