import Foundation
import GanderCore

/// goose's `summon` extension, under goose's names so recipes that mention them work: `delegate` hands a task — a
/// sub-recipe by name, or instructions of the model's own — to a sub-agent (a second agent with its own context,
/// tools and limits), and `load` reads a sub-recipe's instructions into the conversation instead. Several delegations
/// in one reply run at once, except repeats of a sub-recipe marked `sequential_when_repeated`. A cycle of
/// sub-recipes and nesting past `maximumDepth` are refused; a sub-agent's failure is the call's error, never the end
/// of the run.
public struct SummonExtension: Extension {
    public let name = "summon"
    public static let maximumDepth = 3

    /// What a sub-agent is asked to do, and with what.
    public struct Task: Sendable {
        /// The name its events go under: the sub-recipe's, or "task".
        public let name: String
        /// For its system prompt (a recipe's instructions); nil for an ad hoc task.
        public let instructions: String?
        /// Its first message.
        public let prompt: String
        /// The recipe's extensions; nil for an ad hoc task, which gets the developer tools.
        public let extensions: [Recipe.ExtensionEntry]?
        public let settings: Recipe.Settings
        public let responseSchema: JSONValue?
        /// What it may delegate in turn.
        public let subRecipes: SummonExtension?
    }

    /// Runs a sub-agent to its end, streaming its events through `context.events`, and returns its answer (or its
    /// failure) with the tokens it spent. Given by the front end, which knows how agents are put together.
    public typealias Runner = @Sendable (Task, ToolContext) async -> ToolOutput

    let subRecipes: [Recipe.SubRecipe]
    let directory: URL?
    /// The recipe files from the top recipe down to this one, to refuse a cycle.
    let chain: [String]
    let depth: Int
    let runner: Runner

    public init(subRecipes: [Recipe.SubRecipe], directory: URL?, chain: [String], depth: Int = 1, runner: @escaping Runner) {
        self.subRecipes = subRecipes
        self.directory = directory
        self.chain = chain
        self.depth = depth
        self.runner = runner
    }

    public var instructions: String {
        var text = "`summon__delegate` hands a task to a sub-agent with its own context and tools, and returns its answer; "
            + "several delegations in one reply run at the same time."
        if !subRecipes.isEmpty {
            text += " Sub-recipes you can delegate (`source`) or `summon__load` to follow yourself: "
                + subRecipes.map { "\($0.name)" + ($0.description.map { " (\($0))" } ?? "") }.joined(separator: "; ") + "."
        }
        return text
    }

    public func tools() async throws -> [any ToolHandler] {
        let names = subRecipes.map(\.name)
        var delegateProperties: [String: JSONValue] = [
            "instructions": ["type": "string", "description": "A task in words, for a sub-agent of its own (when no source is given)."],
        ]
        if !names.isEmpty {
            delegateProperties["source"] = ["type": "string", "enum": .array(names.map(JSONValue.string)),
                                            "description": "The sub-recipe to run."]
            delegateProperties["parameters"] = ["type": "object", "additionalProperties": ["type": "string"],
                                                "description": "Values for the sub-recipe's parameters."]
        }
        let delegate = ToolSpec(
            name: "delegate", description: "Run a task in a sub-agent and return its answer.",
            inputSchema: ["type": "object", "properties": .object(delegateProperties), "additionalProperties": false])
        var tools: [any ToolHandler] = [InlineTool(delegate, footprint: { arguments, _ in footprint(arguments) },
                                                   run: { arguments, context in await run(arguments, context: context) })]
        if !names.isEmpty {
            let loadSpec = ToolSpec(
                name: "load", description: "Read a sub-recipe's instructions, to follow them yourself in this conversation.",
                inputSchema: ["type": "object", "properties": ["source": ["type": "string", "enum": .array(names.map(JSONValue.string))]],
                              "required": ["source"], "additionalProperties": false],
                isReadOnly: true)
            tools.append(InlineTool(loadSpec, footprint: { _, _ in .reads() }, run: { arguments, context in
                load(arguments["source"]?.stringValue ?? "", context: context)
            }))
        }
        return tools
    }

    /// A sub-agent's task goes to its model provider: a secret known only by its placeholder is not put back into it.
    /// Repeats of a sequential sub-recipe wait for each other.
    private func footprint(_ arguments: [String: JSONValue]) -> CallFootprint {
        let sequential = arguments["source"]?.stringValue.flatMap { source in
            subRecipes.first { $0.name == source && $0.sequentialWhenRepeated }
        }
        return CallFootprint(readsOnly: false, reach: .offMachine("a sub-agent's model"),
                             serializationKey: sequential.map { "summon-\($0.name)" })
    }

    private func run(_ arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        guard depth <= Self.maximumDepth else {
            return .error("Not run: sub-agents may nest \(Self.maximumDepth) deep, and this one is at that depth. Do the task yourself.")
        }
        guard let source = arguments["source"]?.stringValue else {
            guard let instructions = arguments["instructions"]?.stringValue, !instructions.trimmingCharacters(in: .whitespaces).isEmpty else {
                return .error("Pass `instructions` (the task in words)" + (subRecipes.isEmpty ? "." : ", or `source` (a sub-recipe)."))
            }
            let task = Task(name: "task", instructions: nil, prompt: instructions, extensions: nil, settings: Recipe.Settings(),
                            responseSchema: nil, subRecipes: nil)
            return await runner(task, context)
        }
        do {
            let given = (arguments["parameters"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            let (sub, loaded) = try loadSubRecipe(source, given: given, context: context)
            let recipe = loaded.recipe
            let nested = recipe.subRecipes.isEmpty ? nil
                : SummonExtension(subRecipes: recipe.subRecipes, directory: loaded.file.directory,
                                  chain: chain + [loaded.file.url?.path ?? sub.path], depth: depth + 1, runner: runner)
            let task = Task(name: sub.name, instructions: recipe.instructions, prompt: recipe.prompt ?? recipe.instructions ?? "",
                            extensions: recipe.extensions, settings: recipe.settings, responseSchema: recipe.response?.jsonSchema,
                            subRecipes: nested)
            return await runner(task, context)
        } catch {
            return .error("Not run: \(error)")
        }
    }

    private func load(_ source: String, context: ToolContext) -> ToolOutput {
        do {
            let (_, loaded) = try loadSubRecipe(source, given: [:], context: context)
            let recipe = loaded.recipe
            return .text(["# \(recipe.title)", recipe.description, recipe.instructions, recipe.prompt].compactMap { $0 }
                .joined(separator: "\n\n"))
        } catch {
            return .error("\(error)")
        }
    }

    /// The sub-recipe named `source`, checked and rendered: the parent's `values` win over the model's `given`.
    private func loadSubRecipe(_ source: String, given: [String: String], context: ToolContext) throws -> (Recipe.SubRecipe, LoadedRecipe) {
        guard let sub = subRecipes.first(where: { $0.name == source }) else {
            throw RecipeError("there is no sub-recipe \(source); the sub-recipes are \(subRecipes.map(\.name).joined(separator: ", "))")
        }
        let url = sub.path.hasPrefix("/") ? URL(fileURLWithPath: sub.path)
            : (directory ?? context.workingDirectory).appendingPathComponent(sub.path)
        guard let file = RecipeLibrary.read(url) else { throw RecipeError("sub-recipe \(sub.name): no recipe file at \(url.path)") }
        let path = file.url?.path ?? url.path
        if chain.contains(path) {
            throw RecipeError("sub-recipe \(sub.name) would run \(path) again, inside itself (a cycle of sub-recipes)")
        }
        let values = given.merging(sub.values) { _, fixed in fixed }
        return (sub, try RecipeLoader().load(file, given: values, workingDirectory: context.workingDirectory))
    }
}
