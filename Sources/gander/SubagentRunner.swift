import Foundation
import GanderCore
import GanderHost
import GanderRecipes

/// Puts sub-agents together the way the run that starts them was: the same provider (a sub-recipe's settings fill in
/// what the run's flags left open), mode, rules, sandbox, ledger and secrets, with the sub-recipe's extensions (the
/// developer tools for a task given in words), no session of its own and no checkpoints (the parent's turn took one
/// before the delegation). Its events go to the parent's stream as `subagent` events; its tokens count as the
/// parent's.
struct SubagentRunner: Sendable {
    let settings: Settings
    let modelOptions: ModelOptions
    let limits: AgentLimits
    let mode: PermissionMode
    let sandbox: CommandSandbox
    let ledger: (any OutboundLedger)?
    let redactor: SecretRedactor?
    let reminders: Int

    /// The `summon` extension for a run or session started from `recipe` (its sub-recipes), or for tasks in words
    /// where the recipe's extensions or config.yaml's `builtins:` ask for it; nil when neither does.
    func summon(for recipe: LoadedRecipe?) -> SummonExtension? {
        let subRecipes = recipe?.recipe.subRecipes ?? []
        let asked = recipe?.recipe.extensions?.contains { $0.name == "summon" } ?? settings.config.builtins["summon"] ?? false
        guard !subRecipes.isEmpty || asked else { return nil }
        return SummonExtension(subRecipes: subRecipes, directory: recipe?.file.directory,
                               chain: recipe?.file.url.map { [$0.path] } ?? [], runner: { await run($0, context: $1) })
    }

    func run(_ task: SummonExtension.Task, context: ToolContext) async -> ToolOutput {
        let forward: @Sendable (AgentEvent) -> Void = { context.events?(.subagent(name: task.name, event: $0)) }
        let assembly: AgentAssembly
        let agent: Agent
        let finalOutput = task.responseSchema.map(FinalOutputExtension.init)
        do {
            var options = modelOptions
            options.adopt(task.settings)
            let choice = settings.providerChoice(providerFlag: options.provider, modelFlag: options.model)
            let provider = try options.makeProvider(choice, settings: settings, workingDirectory: context.workingDirectory)
            var built = try AgentAssembly(
                settings: settings, provider: choice.provider, sandbox: sandbox,
                recipe: try RecipeExtensions(task.extensions ?? [.builtin("developer")]),
                additions: [finalOutput as (any Extension)?, task.subRecipes].compactMap { $0 },
                workingDirectory: context.workingDirectory)
            built.systemPrompt.recipeInstructions = task.instructions
            var limits = limits
            if let maxTurns = task.settings.maxTurns { limits.maxTurns = min(maxTurns, limits.maxTurns) }
            var child = built.agent(
                provider: provider, contextPolicy: try settings.contextPolicy(for: choice), limits: limits,
                permissions: Permissions(mode: mode, rules: settings.config.permissions, commandRules: settings.config.commands),
                ledger: ledger, redactor: redactor, session: "subagent")
            child.checkpointer = nil
            built.notices.forEach { forward(.notice($0)) }
            assembly = built
            agent = child
        } catch {
            return .error("The sub-agent \(task.name) could not start: \(error)")
        }
        await assembly.mcp.start(workingDirectory: context.workingDirectory, logName: ExtensionSet.unsavedRunLogName(),
                                 ledger: ledger)
        let attempts = RunAttempts(agent: agent, instruction: task.prompt, history: [], finalOutput: finalOutput,
                                   reminders: reminders, retry: nil, workingDirectory: context.workingDirectory, emit: forward)
        let outcome = await attempts.run()
        await assembly.stop()
        let usage = outcome?.usage ?? Usage()
        guard let outcome, outcome.stopReason == .answered else {
            let why = outcome.map { "it stopped (\($0.stopReason.rawValue))" } ?? "it did not finish"
            return ToolOutput(content: [.text("The sub-agent \(task.name) failed: \(why)."
                + (outcome?.finalText.isEmpty == false ? " Its last words: \(outcome!.finalText)" : ""))], isError: true, usage: usage)
        }
        let answer = finalOutput?.output?.canonicalText ?? outcome.finalText
        return ToolOutput(content: [.text(answer)], usage: usage)
    }
}
