import Foundation
import GanderCore
import GanderRecipes
import GanderStore

/// The interactive session: reads the user's input, runs turns, answers slash commands, asks for approvals, and
/// keeps every finished message in the session store as it finishes.
final class InteractiveSession {
    private let settings: Settings
    private let modelOptions: ModelOptions
    private let store: SessionStore
    private var session: SessionInfo
    private var history: [Message] = []
    /// A resumed conversation still being read from the database: the first prompt does not wait for it, the first
    /// turn does.
    private var pendingHistory: Task<[Message], any Error>?
    /// What the greeting recalls of a resumed conversation: its length and last few messages.
    private var recap: (count: Int, recent: [Message]) = (0, [])
    private let resumed: Bool
    private var choice: ProviderChoice
    private let permissions: Permissions
    private let desk = ApprovalDesk()
    private var agent: Agent
    private let assembly: AgentAssembly
    /// The recipe the session started with, if any.
    private let recipe: LoadedRecipe?
    /// The first turn, as if typed (`gander run --interactive`); else a recipe's prompt is.
    private let opening: String?
    private let terminal = Terminal()
    private let style: Style
    private let view: SessionView
    private let editor: LineEditor

    init(modelOptions: ModelOptions, agentOptions: AgentOptions, sessionOptions: SessionOptions,
         extensionOptions: ExtensionOptions, recipe: LoadedRecipe? = nil, opening: String? = nil) throws {
        settings = try Settings(offline: agentOptions.offline)
        var modelOptions = modelOptions
        modelOptions.adopt(recipe?.recipe.settings)
        let limits = agentOptions.limits(with: recipe?.recipe.settings)
        self.modelOptions = modelOptions
        self.recipe = recipe
        self.opening = opening
        choice = settings.providerChoice(providerFlag: modelOptions.provider, modelFlag: modelOptions.model)
        let workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let provider = try modelOptions.makeProvider(choice, settings: settings, workingDirectory: workingDirectory)
        let mode = try settings.mode(flag: agentOptions.mode, fallback: .smart).mode
        permissions = Permissions(mode: mode, rules: settings.config.permissions, commandRules: settings.config.commands)

        let sandbox = settings.sandbox(flag: agentOptions.sandbox, networkFlag: agentOptions.sandboxNetwork, mode: mode)
        store = try SessionStore(url: settings.directories.sessionDatabase)
        session = try sessionOptions.session(
            in: store, workingDirectory: workingDirectory.path, provider: choice.provider, model: choice.model ?? "")
        let redactor = settings.config.redact ? try store.redactor(for: session.id) : nil
        // A recipe's sub-recipes are sub-agents here too, put together like the session's agent (asking no one).
        let summon = SubagentRunner(settings: settings, modelOptions: modelOptions, limits: limits, mode: mode, sandbox: sandbox,
                                    ledger: store.ledger(for: session.id), redactor: redactor, reminders: 3).summon(for: recipe)
        let additions: [any Extension] = summon.map { [$0] } ?? []
        var assembly = try AgentAssembly(settings: settings, provider: choice.provider, sandbox: sandbox,
                                         extensionOptions: extensionOptions,
                                         recipe: try recipe?.recipe.extensions.map(RecipeExtensions.init),
                                         additions: additions, workingDirectory: workingDirectory)
        assembly.systemPrompt.recipeInstructions = recipe?.recipe.instructions
        self.assembly = assembly
        resumed = sessionOptions.resume
        if resumed {
            if session.provider != choice.provider || session.model != (choice.model ?? "") {
                try store.setModel(of: session.id, provider: choice.provider, model: choice.model ?? "")
            }
            recap = try store.recentMessages(of: session, limit: 4)
            let (store, session) = (store, session)
            pendingHistory = Task.detached { try store.currentConversation(of: session) }
        }
        agent = assembly.agent(provider: provider, contextPolicy: try settings.contextPolicy(for: choice),
                               limits: limits, permissions: permissions, approver: desk,
                               log: store.log(for: session.id, price: settings.price(for: choice)),
                               ledger: store.ledger(for: session.id), redactor: redactor, session: session.id)

        style = Style(environment: settings.environment, outputIsTerminal: terminal.outputIsTerminal)
        view = SessionView(terminal: terminal, style: style)
        editor = LineEditor(terminal: terminal, history: InputHistory(file: settings.directories.inputHistory))
    }

    /// Runs until the user leaves; returns the exit status. The MCP servers live as long as the session.
    func run() async -> Int32 {
        await assembly.mcp.start(workingDirectory: assembly.workingDirectory, logName: session.id, ledger: agent.ledger)
        let status = await converse()
        await assembly.stop()
        return status
    }

    private func converse() async -> Int32 {
        let interrupts = TurnInterrupts()
        defer {
            interrupts.stop()
            terminal.restore()
        }
        await greet()
        // The opening instruction, else a recipe's prompt, is the first turn, as if typed (a recipe's prompt not on a
        // resumed session, which has had it).
        if let opening {
            terminal.write(style.cyan("› ") + (recipe.map { style.dim("(\($0.recipe.title)) ") } ?? "") + opening + "\n")
            await turn(opening, interrupts: interrupts)
        } else if let recipe, !resumed, let prompt = recipe.recipe.prompt, !prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            terminal.write(style.cyan("› ") + style.dim("(\(recipe.recipe.title)) ") + prompt + "\n")
            await turn(prompt, interrupts: interrupts)
        }
        var emptyInterrupts = 0
        while true {
            switch editor.read(prompt: style.bold(style.cyan("› ")), promptWidth: 2) {
            case .endOfInput:
                return farewell()
            case .interrupted(let discarded):
                if discarded {
                    emptyInterrupts = 0
                    continue
                }
                emptyInterrupts += 1
                if emptyInterrupts >= 2 { return farewell() }
                terminal.write(style.dim("(press Ctrl-C again, Ctrl-D or type /exit to leave)") + "\n")
            case .line(let text):
                emptyInterrupts = 0
                let input = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if input.isEmpty { continue }
                if input == "exit" || input == "quit" { return farewell() }
                if let command = SlashCommand.parse(input) {
                    if await perform(command, interrupts: interrupts) { return farewell() }
                    continue
                }
                await turn(text, interrupts: interrupts)
            }
        }
    }

    // MARK: Turns

    private func turn(_ text: String, interrupts: TurnInterrupts) async {
        guard await loadHistory() else { return }
        terminal.enterTurnMode()
        view.beginTurn()
        await follow(agent.run(.user(text), history: history), interrupts: interrupts)
    }

    /// Waits for a resumed conversation to be read, once; false (and one line) when it could not be.
    private func loadHistory() async -> Bool {
        guard let pendingHistory else { return true }
        do {
            history = try await pendingHistory.value
            self.pendingHistory = nil
            return true
        } catch {
            terminal.write(style.red("error: ") + "\(error)\n")
            return false
        }
    }

    /// Shows a run's events and answers its approvals; afterwards the session goes on from the conversation as the
    /// run left it, compacted where it had to be.
    private func follow(_ run: AgentRun, interrupts: TurnInterrupts) async {
        interrupts.active = run
        defer { interrupts.active = nil }
        for await event in run.events {
            switch event {
            case .approvalRequested(let call):
                view.pause()
                guard let answer = askApproval(for: call) else {
                    run.cancel()
                    await desk.answer(call.id, .deny(reason: "the user interrupted the turn"))
                    continue
                }
                await desk.answer(call.id, answer)
            default:
                view.show(event)
            }
        }
        history = await run.conversation
    }

    /// Shows the call in full and asks; nil when the user pressed Ctrl-C, which stops the turn.
    private func askApproval(for call: ToolCall) -> ApprovalAnswer? {
        terminal.write(style.yellow("? ") + "Allow " + style.bold(call.name) + " with\n"
            + Self.prettyJSON(call.arguments).split(separator: "\n", omittingEmptySubsequences: false)
                .map { "    " + $0 }.joined(separator: "\n") + "\n"
            + style.dim("  y = once · a = always for this tool in this session · n = no (n REASON tells the model why)") + "\n")
        while true {
            switch editor.read(prompt: style.yellow("allow? ") + style.bold("[y/a/n] "), promptWidth: 15, remember: false) {
            case .interrupted, .endOfInput:
                return nil
            case .line(let line):
                let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
                switch words.first?.lowercased() {
                case "y", "yes": return .once
                case "a", "always": return .always
                case "n", "no": return .deny(reason: words.count > 1 ? words[1] : nil)
                default: terminal.write(style.dim("answer y, a or n") + "\n")
                }
            }
        }
    }

    private static func prettyJSON(_ text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return text }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Commands

    /// Carries out a slash command; true when the session should end.
    private func perform(_ parsed: (command: SlashCommand?, name: String, arguments: [String]),
                         interrupts: TurnInterrupts) async -> Bool {
        guard let command = parsed.command else {
            if let recipePath = settings.config.slashCommands[parsed.name.lowercased()] {
                do {
                    try await runRecipeCommand(parsed.name.lowercased(), recipePath: recipePath,
                                               argument: parsed.arguments.joined(separator: " "), interrupts: interrupts)
                } catch {
                    terminal.write(style.red("error: ") + "\(error)\n")
                }
                return false
            }
            terminal.write(style.red("unknown command /\(parsed.name)") + "; /help lists the commands\n")
            return false
        }
        do {
            switch command {
            case .help:
                let custom = settings.config.slashCommands.keys.sorted().map { ("/\($0) [ARGUMENT]", "run the recipe \(settings.config.slashCommands[$0]!)") }
                let rows = SlashCommand.allCases.map { ($0.usage, $0.summary) } + custom
                let width = rows.map(\.0.count).max() ?? 0
                terminal.write(rows.map {
                    "  " + style.bold($0.0.padding(toLength: width, withPad: " ", startingAt: 0)) + "  " + $0.1
                }.joined(separator: "\n") + "\n")
            case .recipe:
                try await saveRecipe(to: parsed.arguments.joined(separator: " "))
            case .exit:
                return true
            case .mode:
                try await changeMode(parsed.arguments.first)
            case .model:
                if let model = parsed.arguments.first {
                    try switchModel(provider: choice.provider, model: model)
                } else {
                    terminal.write("model: \(choice.provider)/\(choice.model ?? "") · /model NAME changes it\n")
                }
            case .provider:
                if let provider = parsed.arguments.first {
                    try switchModel(provider: provider, model: parsed.arguments.dropFirst().first)
                } else {
                    terminal.write("provider: \(choice.provider) · one of \(ProviderChoice.names.joined(separator: ", "))\n")
                }
            case .clear:
                session.conversation = try store.startNewConversation(in: session.id)
                pendingHistory?.cancel()
                pendingHistory = nil
                history = []
                terminal.write(style.dim("new conversation; the earlier one stays in the session") + "\n")
            case .compact:
                guard await loadHistory() else { return false }
                guard !history.isEmpty else {
                    terminal.write(style.dim("nothing to compact yet") + "\n")
                    return false
                }
                terminal.enterTurnMode()
                view.beginTurn()
                await follow(agent.compact(history), interrupts: interrupts)
            case .undo:
                let turns = parsed.arguments.first.map { Int($0) ?? 0 } ?? 1
                guard turns >= 1 else { throw InputError("/undo takes a number of turns, like /undo 2") }
                terminal.write(try await Undo.run(turns, checkpoints: assembly.checkpoints, session: session.id) + "\n")
            case .audit:
                let report = AuditReport(store: store, query: LedgerQuery(session: session.id), limit: 20)
                terminal.write(try report.text(grouping: .destination, listing: true) + "\n")
            case .tools:
                await listTools()
            case .extensions:
                await listExtensions()
            case .sessions:
                let table = SessionTable.render(try store.sessions(limit: 10))
                terminal.write(table.replacingOccurrences(of: session.id + " ", with: style.bold(session.id) + "*"))
            case .r:
                view.showsFullToolOutput.toggle()
                terminal.write(style.dim(view.showsFullToolOutput ? "tool output: in full" : "tool output: one line per call") + "\n")
            case .usage:
                let current = try store.session(matching: session.id)
                terminal.write("this session: \(current.inputTokens) tokens in, \(current.cacheReadTokens) cached in, "
                    + "\(current.outputTokens) out, \(current.messageCount) messages"
                    + (current.costSummary.map { "; \($0)" } ?? "") + "\n")
            }
        } catch {
            terminal.write(style.red("error: ") + "\(error)\n")
        }
        return false
    }

    /// A `slash_commands:` entry, run as the next turn (`RecipeCommandTurn`). The recipe's own extensions and
    /// settings are not taken up: the session keeps its own.
    private func runRecipeCommand(_ name: String, recipePath: String, argument: String, interrupts: TurnInterrupts) async throws {
        let url = URL(fileURLWithPath: recipePath, relativeTo: assembly.workingDirectory)
        let command = try RecipeCommandTurn(command: name, recipe: RecipeLibrary.read(url), argument: argument,
                                            workingDirectory: assembly.workingDirectory,
                                            recipePath: "\(url.path) (slash_commands in config.yaml points there)")
        terminal.write(style.dim("(\(command.title))") + "\n")
        await turn(command.text, interrupts: interrupts)
    }

    /// `/recipe FILE`: what the user asked in this conversation, as a recipe file. An existing file is never
    /// overwritten; a name without an extension gets `.yaml`.
    private func saveRecipe(to name: String) async throws {
        guard !name.isEmpty else { throw InputError("/recipe needs a file name, like /recipe fix-tests.yaml") }
        guard await loadHistory() else { return }
        let requests = history.filter { $0.role == .user && !$0.text.isEmpty }.map(\.text)
        guard !requests.isEmpty else { throw InputError("nothing asked in this conversation yet; a recipe is made of what you ask") }
        let named = ["yaml", "yml", "json"].contains((name as NSString).pathExtension.lowercased()) ? name : name + ".yaml"
        let url = URL(fileURLWithPath: (named as NSString).expandingTildeInPath, relativeTo: assembly.workingDirectory).standardizedFileURL
        guard !FileManager.default.fileExists(atPath: url.path) else {
            throw InputError("\(url.path) exists; give /recipe another file name")
        }
        let text = try RecipeWriter.yaml(requests: requests, instructions: recipe?.recipe.instructions,
                                         provider: choice.provider, model: choice.model, session: session.id)
        // What is written must read back as the recipe it is meant to be.
        _ = try RecipeLoader().check(RecipeFile(text: text, url: url))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .withoutOverwriting)
        terminal.write("saved \(requests.count) request\(requests.count == 1 ? "" : "s") as \(url.path); "
            + style.dim("run it with gander run --recipe \(url.path)") + "\n")
    }

    private func changeMode(_ name: String?) async throws {
        guard let name else {
            let mode = await permissions.mode
            terminal.write("mode: \(style.bold(mode.rawValue)) — \(mode.summary)\n")
            for other in PermissionMode.allCases where other != mode {
                terminal.write(style.dim("  /mode \(other.rawValue) — \(other.summary)") + "\n")
            }
            return
        }
        guard let mode = PermissionMode(rawValue: name.lowercased()) else {
            throw InputError("no mode \"\(name)\"; the modes are \(PermissionMode.names)")
        }
        await permissions.setMode(mode)
        terminal.write("mode: \(style.bold(mode.rawValue)) — \(mode.summary)\n")
    }

    private func switchModel(provider: String, model: String?) throws {
        let next = settings.providerChoice(providerFlag: provider, modelFlag: model)
        var options = modelOptions
        if provider != choice.provider { options.baseURL = nil }
        agent.provider = try options.makeProvider(next, settings: settings, workingDirectory: assembly.workingDirectory)
        agent.contextPolicy = try settings.contextPolicy(for: next)
        agent.log = store.log(for: session.id, price: settings.price(for: next))
        choice = next
        try store.setModel(of: session.id, provider: next.provider, model: next.model ?? "")
        terminal.write("now talking to \(style.bold("\(next.provider)/\(next.model ?? "")"))\n")
    }

    private func listTools() async {
        let mode = await permissions.mode
        guard mode != .chat else {
            terminal.write("no tools in chat mode; /mode smart offers them again\n")
            return
        }
        let catalog = await agent.router.catalog()
        for spec in catalog.specs {
            let verdict: String
            switch await permissions.verdict(tool: spec.name, effect: spec.isReadOnly ? .readsWorkspace : .mayChange) {
            case .run: verdict = style.green("runs")
            case .ask: verdict = style.yellow(spec.name == "developer__text_editor" ? "asks (view inside the working directory runs)" : "asks first")
            case .refuse: verdict = style.red("never")
            }
            terminal.write("  \(style.bold(spec.name))  \(verdict)\(spec.isReadOnly ? style.dim("  read-only") : "")\n")
        }
        catalog.failures.forEach { terminal.write(style.yellow("note: ") + $0 + "\n") }
    }

    // MARK: Greeting and farewell

    private func greet() async {
        let mode = await permissions.mode
        terminal.write(style.bold("gander \(GanderCommand.version)") + style.dim(" · ") + "\(choice.provider)/\(choice.model ?? "")"
            + style.dim(" · mode ") + mode.rawValue + style.dim(" · session ") + session.id
            + (session.name.map { " (\($0))" } ?? "") + "\n")
        terminal.write(style.dim("/help for commands · Ctrl-J for a new line · Ctrl-C stops a turn · Ctrl-D leaves") + "\n")
        if let warning = assembly.sandbox.unavailability { terminal.write(style.yellow("note: \(warning)") + "\n") }
        if let recipe {
            terminal.write(style.dim("recipe: ") + recipe.recipe.title + style.dim(" (\(recipe.file.displayName))") + "\n")
            for warning in recipe.warnings { terminal.write(style.yellow("note: ") + "\(warning)\n") }
        }
        assembly.notices.forEach { terminal.write(style.yellow("note: ") + $0 + "\n") }
        guard resumed else { return }
        terminal.write(style.dim("resumed: \(recap.count) messages in this conversation") + "\n")
        for message in recap.recent {
            terminal.write(recap(message) + "\n")
        }
    }

    /// One line that recalls an earlier message.
    private func recap(_ message: Message) -> String {
        if let call = message.toolCalls.first {
            return style.magenta("▸ ") + SessionView.shortName(call.name) + " " + style.dim(ToolCallSummary.line(call.arguments, valueLimit: 50))
        }
        if let result = message.toolResults.first {
            let first = result.text.split(separator: "\n").first.map(String.init) ?? ""
            return (result.isError ? style.red("  ✗ ") : style.green("  ✓ ")) + style.dim(String(first.prefix(70)))
        }
        let text = message.text.replacingOccurrences(of: "\n", with: " ")
        let who = message.role == .user ? style.cyan("you: ") : style.bold("gander: ")
        return who + String(text.prefix(100)) + (text.count > 100 ? "…" : "") + (message.isInterrupted ? style.yellow(" (interrupted)") : "")
    }

    private func listExtensions() async {
        guard !assembly.mcp.servers.isEmpty else {
            return terminal.write("no MCP servers; add one with `gander extensions add` or --with-extension\n")
        }
        for server in assembly.mcp.servers {
            let status = await server.status()
            let state = switch status.state {
            case .ready: style.green(status.state.rawValue)
            case .failed: style.red(status.state.rawValue)
            case .starting, .stopped: style.yellow(status.state.rawValue)
            }
            let tools = status.toolCount == 1 ? "1 tool" : "\(status.toolCount) tools"
            terminal.write("\(style.bold(status.name))  \(state)  \(tools)" + (status.problem.map { style.dim("  \($0)") } ?? "") + "\n")
        }
    }

    private func farewell() -> Int32 {
        terminal.write(style.dim("session \(session.id) saved · `gander session --resume \(session.id)` goes on with it") + "\n")
        return ExitStatus.success
    }
}
