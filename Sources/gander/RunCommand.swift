import ArgumentParser
import Foundation
import GanderCore
import GanderHost
import GanderRecipes
import GanderStore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Carry out one instruction without interaction, for scripts and CI.",
        discussion: """
            Examples:
              gander run -t "add a --verbose flag to main.py and test it"
              gander run -i task.md --provider anthropic --model claude-sonnet-4-5
              git diff | gander run -i - -t "review this diff" --output-format json
              gander run -t "fix the failing test" --provider openai --base-url http://localhost:8080/v1 --model qwen
              gander run --resume -t "now add tests for it"
              gander run --recipe code-review --params branch=main
              gander run -t "list the TODOs" --output-schema todos.schema.json

            The provider comes from --provider, else GANDER_PROVIDER, else whichever of ANTHROPIC_API_KEY or \
            OPENAI_API_KEY is set, else the embedded local model (install it with `gander local install`). The model \
            comes from --model, else GANDER_MODEL, else the provider's default. `gander info` shows the choice.

            Every run is kept as a session (`gander sessions list`); `--resume [SESSION]` goes on with one, \
            `--no-session` keeps no record. The permission mode defaults to auto here; in smart or approve mode a tool \
            call that needs the user's yes is refused, and the model is told why.

            Exit status: 0 done, 1 error (including --max-turns reached), 2 usage error, 130 interrupted.
            """)

    @Option(name: [.customShort("t"), .long], help: "The instruction.")
    var text: String?

    @Option(name: [.customShort("i"), .long], help: ArgumentHelp("Read the instruction from a file, or - for stdin.", valueName: "file"))
    var instructions: String?

    @OptionGroup(title: "Model")
    var modelOptions: ModelOptions

    @OptionGroup(title: "Agent")
    var agentOptions: AgentOptions

    @OptionGroup(title: "Session")
    var sessionOptions: SessionOptions

    @OptionGroup(title: "Extensions")
    var extensionOptions: ExtensionOptions

    @OptionGroup(title: "Recipe")
    var recipeOptions: RecipeOptions

    @Flag(help: "Keep no record of this run in the session database.")
    var noSession = false

    @Option(help: ArgumentHelp("text (the answer), json (one object at the end) or stream-json (one event per line).", valueName: "format"))
    var outputFormat: OutputFormat = .text

    @Flag(name: [.customShort("q"), .long], help: "Print nothing but the answer and errors.")
    var quiet = false

    @Flag(name: [.customShort("v"), .long], help: "Show each tool call and its result on stderr even when it is not a terminal.")
    var verbose = false

    @Flag(help: "After the first instruction (the recipe's prompt, -i, -t), go on in an interactive session, in its default smart mode.")
    var interactive = false

    mutating func validate() throws {
        if text == nil, instructions == nil, recipeOptions.recipe == nil {
            throw ValidationError("give the instruction with -t TEXT, -i FILE or -i - (stdin), or a recipe with --recipe NAME")
        }
        if noSession, sessionOptions.resume || sessionOptions.name != nil {
            throw ValidationError("--no-session keeps no record, so it cannot be used with --resume or --name")
        }
        if interactive, noSession || outputFormat != .text || quiet || recipeOptions.outputSchema != nil {
            throw ValidationError("--interactive goes on as a session: it cannot be used with --no-session, --output-format, --quiet or --output-schema")
        }
    }

    mutating func run() async throws {
        let status = await execute()
        if status != ExitStatus.success { throw ExitCode(status) }
    }

    /// Runs the instruction and returns the process's exit status.
    mutating func execute() async -> Int32 {
        let printer = EventPrinter(format: outputFormat, quiet: quiet, verbose: verbose)
        let workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let recipe: LoadedRecipe?
        do {
            recipe = try recipeOptions.choice.load(workingDirectory: workingDirectory, environment: ProcessInfo.processInfo.environment)
        } catch {
            printer.fail("\(recipeOptions.recipe ?? "the recipe"): \(error)")
            return ExitStatus.failure
        }
        if let recipe {
            if recipeOptions.explain {
                print(RecipeOptions.explanation(of: recipe))
                return ExitStatus.success
            }
            if recipeOptions.renderRecipe {
                print(recipe.renderedText)
                return ExitStatus.success
            }
            for warning in recipe.warnings { printer.warn("\(recipe.file.displayName): \(warning)") }
        }
        if interactive { return await converse(recipe: recipe, printer: printer) }
        let prepared: PreparedRun
        do {
            prepared = try prepare(recipe: recipe, workingDirectory: workingDirectory)
        } catch let error as InputError {
            printer.fail(error.description)
            return ExitStatus.usage
        } catch {
            printer.fail(String(describing: error))
            return ExitStatus.failure
        }
        if let session = prepared.session { printer.announce(session: session.id) }
        if let warning = prepared.assembly.sandbox.unavailability { printer.warn(warning) }
        prepared.assembly.notices.forEach(printer.warn)
        printer.price = prepared.price
        let servers = prepared.assembly.mcp
        await servers.start(workingDirectory: prepared.assembly.workingDirectory,
                            logName: prepared.session?.id ?? ExtensionSet.unsavedRunLogName(), ledger: prepared.agent.ledger)

        let attempts = RunAttempts(agent: prepared.agent, instruction: prepared.instruction, history: prepared.history,
                                   finalOutput: prepared.finalOutput, reminders: recipeOptions.finalOutputReminders,
                                   retry: recipe?.recipe.retry, workingDirectory: workingDirectory, emit: { printer.show($0) })
        let task = Task { await attempts.run() }
        let interrupts = InterruptHandler { task.cancel() }
        let outcome = await task.value
        interrupts.stop()
        printer.finalOutput = prepared.finalOutput?.output
        printer.finish()
        await prepared.assembly.stop()
        switch outcome?.stopReason {
        case .answered: return ExitStatus.success
        case .interrupted: return ExitStatus.interrupted
        case .error, .cutOff, .refused, .maxTurns, nil: return ExitStatus.failure
        }
    }

    /// What a run needs before it starts; anything wrong here ends the run before the model is asked.
    private struct PreparedRun {
        let agent: Agent
        let instruction: String
        let history: [Message]
        let session: SessionInfo?
        let assembly: AgentAssembly
        /// What the model's tokens cost, for the JSON output; nil when not known.
        let price: ModelPrice?
        /// The tool the run must end with, when it has a response schema.
        let finalOutput: FinalOutputExtension?
    }

    private func prepare(recipe: LoadedRecipe?, workingDirectory: URL) throws -> PreparedRun {
        let instruction = try readInstruction(recipe: recipe?.recipe)
        let settings = try Settings(offline: agentOptions.offline)
        var modelOptions = modelOptions
        modelOptions.adopt(recipe?.recipe.settings)
        let limits = agentOptions.limits(with: recipe?.recipe.settings)
        let choice = settings.providerChoice(providerFlag: modelOptions.provider, modelFlag: modelOptions.model)
        let provider = try modelOptions.makeProvider(choice, settings: settings, workingDirectory: workingDirectory)
        let mode = try settings.mode(flag: agentOptions.mode, fallback: .auto).mode
        let sandbox = settings.sandbox(flag: agentOptions.sandbox, networkFlag: agentOptions.sandboxNetwork, mode: mode)

        var session: SessionInfo?
        var history: [Message] = []
        var log: (any ConversationLog)?
        var ledger: (any OutboundLedger)?
        var redactor: SecretRedactor? = settings.config.redact ? SecretRedactor() : nil
        if !noSession {
            let store = try SessionStore(url: settings.directories.sessionDatabase)
            let opened = try sessionOptions.session(
                in: store, workingDirectory: workingDirectory.path, provider: choice.provider, model: choice.model ?? "")
            session = opened
            history = sessionOptions.resume ? try store.currentConversation(of: opened) : []
            log = store.log(for: opened.id, price: settings.price(for: choice))
            ledger = store.ledger(for: opened.id)
            if settings.config.redact { redactor = try store.redactor(for: opened.id) }
        }

        // What the run adds to the extensions: the final-output tool, and sub-agents for a recipe's sub-recipes (or
        // for tasks given in words, where config.yaml turns `summon` on).
        let schema = try recipeOptions.schema(workingDirectory: workingDirectory) ?? recipe?.recipe.response?.jsonSchema
        let finalOutput = schema.map(FinalOutputExtension.init)
        let summon = SubagentRunner(settings: settings, modelOptions: modelOptions, limits: limits, mode: mode, sandbox: sandbox,
                                    ledger: ledger, redactor: redactor, reminders: recipeOptions.finalOutputReminders)
            .summon(for: recipe)
        let additions: [any Extension] = [finalOutput as (any Extension)?, summon].compactMap { $0 }
        var assembly = try AgentAssembly(settings: settings, provider: choice.provider, sandbox: sandbox,
                                         extensionOptions: extensionOptions,
                                         recipe: try recipe?.recipe.extensions.map(RecipeExtensions.init),
                                         additions: additions, workingDirectory: workingDirectory)
        assembly.systemPrompt.recipeInstructions = recipe?.recipe.instructions

        let agent = assembly.agent(
            provider: provider, contextPolicy: try settings.contextPolicy(for: choice), limits: limits,
            permissions: Permissions(mode: mode, rules: settings.config.permissions, commandRules: settings.config.commands),
            log: log, ledger: ledger, redactor: redactor, session: session?.id ?? "unsaved")
        return PreparedRun(agent: agent, instruction: instruction, history: history, session: session, assembly: assembly,
                           price: settings.price(for: choice), finalOutput: finalOutput)
    }

    /// `--interactive`: the first instruction as the first turn of an interactive session, which then goes on.
    private func converse(recipe: LoadedRecipe?, printer: EventPrinter) async -> Int32 {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            printer.fail("--interactive needs a terminal on stdin and stdout; leave it out in scripts and CI")
            return ExitStatus.usage
        }
        let session: InteractiveSession
        do {
            // A recipe with instructions only has them in the system prompt; the session then waits for the user.
            let opening = text == nil && instructions == nil && recipe?.recipe.prompt == nil ? nil : try readInstruction(recipe: recipe?.recipe)
            session = try InteractiveSession(modelOptions: modelOptions, agentOptions: agentOptions, sessionOptions: sessionOptions,
                                             extensionOptions: extensionOptions, recipe: recipe, opening: opening)
        } catch {
            printer.fail(String(describing: error))
            return error is InputError ? ExitStatus.usage : ExitStatus.failure
        }
        return await session.run()
    }

    /// The first message: the recipe's prompt (else its instructions), then -i's file, then -t's text.
    private func readInstruction(recipe: Recipe?) throws -> String {
        var parts: [String] = []
        if let recipe, let opening = recipe.prompt ?? recipe.instructions { parts.append(opening) }
        if let instructions {
            if instructions == "-" {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                parts.append(String(decoding: data, as: UTF8.self))
            } else {
                let url = URL(fileURLWithPath: instructions)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw InputError("\(instructions) does not exist; pass an existing file to -i, or - for stdin")
                }
                guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                    throw InputError("\(instructions) cannot be read as UTF-8 text")
                }
                parts.append(text)
            }
        }
        if let text { parts.append(text) }
        let instruction = parts.joined(separator: "\n\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !instruction.isEmpty else { throw InputError("the instruction is empty; say what Gander should do") }
        return instruction
    }
}

/// A problem with what the user passed, reported with exit status 2.
struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case streamJSON = "stream-json"
}
