import Foundation
import GanderCore
import GanderExtensions

/// Puts an agent together the same way for every front end: the built-in extensions and the MCP servers, the hints
/// of the working directory and the system prompt.
struct AgentAssembly {
    let workingDirectory: URL
    let extensions: [any Extension]
    /// The MCP servers among `extensions`.
    let mcp: ExtensionSet
    let systemPrompt: SystemPrompt

    init(settings: Settings, extensionOptions: ExtensionOptions = ExtensionOptions(),
         workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws {
        self.workingDirectory = workingDirectory
        mcp = try ExtensionSet(settings: settings, options: extensionOptions)
        extensions = [DeveloperExtension(commandEnvironment: settings.commandEnvironment)] + mcp.servers
        let hints = Hints.load(workingDirectory: workingDirectory, globalFile: settings.directories.globalHints)
        systemPrompt = SystemPrompt(hints: hints, workingDirectory: workingDirectory)
    }

    func agent(provider: any ModelProvider, contextPolicy: ContextPolicy, limits: AgentLimits, permissions: Permissions,
               approver: (any ToolApprover)? = nil, log: (any ConversationLog)? = nil) -> Agent {
        Agent(provider: provider, router: ToolRouter(extensions: extensions), systemPrompt: systemPrompt,
              context: ToolContext(workingDirectory: workingDirectory), limits: limits, permissions: permissions,
              approver: approver, log: log, contextPolicy: contextPolicy)
    }
}
