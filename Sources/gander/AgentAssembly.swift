import Foundation
import GanderCore
import GanderHost
import GanderExtensions
import GanderRecipes

/// Puts an agent together the same way for every front end: the built-in extensions and the MCP servers, the hints
/// of the working directory and the system prompt.
struct AgentAssembly {
    /// The extensions built into Gander; config.yaml's `builtins:` turns each on or off. `summon` (sub-agents) is
    /// added by `gander run` itself, where it is on.
    static let builtinNames = ["developer", "memory", "todo", "web", "browser", "summon"]

    /// Whether a built-in is on when config.yaml does not say. The embedded model gets the developer tools alone:
    /// a small model offered more tools picks a wrong one more often (the 135M default writes empty checklists instead
    /// of running the command it was asked to). The browser's ten tools are there when the user turns them on.
    static func isOnByDefault(_ builtin: String, provider: String) -> Bool {
        switch builtin {
        case "developer": true
        case "browser", "summon": false
        default: provider != "local"
        }
    }

    let workingDirectory: URL
    let extensions: [any Extension]
    /// Lines for the user about how a recipe's extensions were set up (one Gander has no equivalent for).
    private(set) var notices: [String] = []
    /// The MCP servers among `extensions`.
    let mcp: ExtensionSet
    var systemPrompt: SystemPrompt
    /// The fence the model's commands run in.
    let sandbox: CommandSandbox
    private let dataDirectory: URL
    /// The built-ins among `extensions`, which `stop()` shuts down beside the MCP servers.
    private let builtins: [any Extension]

    /// `provider` is the one the run starts with; it decides which built-ins are on by default. `recipe`, when given,
    /// replaces the user's extensions (config.yaml's, the flags') with the recipe's, as goose does; `additions` come
    /// on top (a recipe's final-output tool).
    /// `clientServers` are MCP servers an editor asked for (`gander acp`), beside the user's.
    init(settings: Settings, provider: String, sandbox: CommandSandbox, extensionOptions: ExtensionOptions? = nil,
         recipe: RecipeExtensions? = nil, additions: [any Extension] = [], clientServers: [ExtensionConfig] = [],
         workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws {
        self.workingDirectory = workingDirectory
        self.sandbox = sandbox
        dataDirectory = settings.directories.data
        mcp = try recipe.map { try ExtensionSet(settings: settings, configs: $0.servers + clientServers) }
            ?? ExtensionSet(settings: settings, options: extensionOptions, adding: clientServers)
        let projectRoot = GitRoot.chain(from: workingDirectory)?.first ?? workingDirectory
        let builtins: [any Extension] = [
            DeveloperExtension(commandEnvironment: settings.commandEnvironment(activeProvider: provider), sandbox: sandbox,
                               protected: settings.protectedFiles(workingDirectory: workingDirectory)),
            MemoryExtension(projectRoot: projectRoot, configDirectory: settings.directories.config),
            TodoExtension(),
            WebExtension(environment: settings.environment),
            BrowserExtension(environment: settings.environment,
                             protected: settings.protectedFiles(workingDirectory: workingDirectory)),
        ]
        // An MCP server the user named like a built-in (a `memory` server of their own) takes its place.
        let taken = Set(mcp.servers.map(\.name))
        self.builtins = builtins.filter { builtin in
            guard !taken.contains(builtin.name) else { return false }
            if let recipe { return recipe.builtins.contains(builtin.name) }
            return settings.config.builtins[builtin.name] ?? Self.isOnByDefault(builtin.name, provider: provider)
        }
        extensions = (self.builtins + (mcp.servers as [any Extension])).map { ext in
            recipe?.availableTools[ext.name].map { ToolSubset(ext, keeping: $0) } ?? ext
        } + additions
        notices = recipe?.notices ?? []
        let hints = Hints.load(workingDirectory: workingDirectory, globalFile: settings.directories.globalHints)
        systemPrompt = SystemPrompt(hints: hints, workingDirectory: workingDirectory)
    }

    /// `session` names the checkpoints the agent takes before each turn that changes files; `ledger` records what
    /// leaves the machine; `redactor` replaces secrets before it leaves (nil when the user turned redaction off).
    func agent(provider: any ModelProvider, contextPolicy: ContextPolicy, limits: AgentLimits, permissions: Permissions,
               approver: (any ToolApprover)? = nil, log: (any ConversationLog)? = nil,
               ledger: (any OutboundLedger)? = nil, redactor: SecretRedactor?, session: String,
               documents: (any TextDocuments)? = nil) -> Agent {
        var context = ToolContext(workingDirectory: workingDirectory, ledger: ledger)
        context.documents = documents
        var agent = Agent(provider: provider, router: ToolRouter(extensions: extensions), systemPrompt: systemPrompt,
                          context: context, limits: limits,
                          permissions: permissions, approver: approver, log: log, contextPolicy: contextPolicy)
        agent.checkpointer = WorkingTreeCheckpointer(checkpoints: checkpoints, session: session)
        agent.ledger = ledger
        agent.redactor = redactor
        return agent
    }

    /// Ends what the run or session started: the MCP servers, and a browser if one was opened.
    func stop() async {
        await mcp.stop()
        for builtin in builtins { await builtin.shutdown() }
    }

    /// The snapshots of this working directory that `gander undo` goes back to.
    var checkpoints: Checkpoints {
        Checkpoints(workTree: workingDirectory, dataDirectory: dataDirectory)
    }
}
