import ArgumentParser
import Foundation
import GanderCore
import GanderRecipes

/// The recipe a run or session starts from, and its parameters' values: `--recipe` and `--params`. Each command
/// says itself which of its other flags need a recipe.
struct RecipeChoice: ParsableArguments {
    @Option(help: ArgumentHelp("A recipe: its name (`gander recipe list`), a path to its file, or a goose:// deeplink.",
                               valueName: "recipe"))
    var recipe: String?

    @Option(name: .customLong("params"), help: ArgumentHelp("A value for one of the recipe's parameters (repeatable).",
                                                           valueName: "key=value"))
    var params: [String] = []

    /// Where a scheduled job's copy of a recipe finds the files its original names by relative path.
    @Option(help: .private)
    var recipeDirectory: String?

    /// The recipe, checked and rendered with the `--params` values (and, in a terminal, what the user types for its
    /// `user_prompt` parameters); nil when no recipe was asked for.
    func load(workingDirectory: URL, environment: [String: String]) throws -> LoadedRecipe? {
        guard let recipe else { return nil }
        var file = try RecipeLibrary(workingDirectory: workingDirectory, environment: environment).locate(recipe)
        if let recipeDirectory { file = RecipeFile(text: file.text, url: file.url, directory: URL(fileURLWithPath: recipeDirectory)) }
        let canAsk = isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1
        let ask: ((Recipe.Parameter) -> String?)? = canAsk ? { Self.ask($0) } : nil
        return try RecipeLoader().load(file, given: try RecipeParameters.parse(params), workingDirectory: workingDirectory,
                                       ask: ask)
    }

    /// Asks for one parameter on the terminal; an empty line takes the default.
    private static func ask(_ parameter: Recipe.Parameter) -> String? {
        let hint = parameter.defaultValue.map { " [\($0)]" } ?? ""
        let about = parameter.description.isEmpty ? "" : " (\(parameter.description))"
        FileHandle.standardError.write(Data("\(parameter.key)\(about)\(hint): ".utf8))
        guard let line = readLine(strippingNewline: true) else { return nil }
        return line.isEmpty ? parameter.defaultValue : line
    }
}

/// The flags that run a recipe headless, or hold a plain run to a response schema.
struct RecipeOptions: ParsableArguments {
    @OptionGroup var choice: RecipeChoice

    var recipe: String? { choice.recipe }

    @Flag(help: "Show what the recipe is, its parameters and what it would run with, and run nothing.")
    var explain = false

    @Flag(help: "Print the recipe as rendered with its parameters' values, and run nothing.")
    var renderRecipe = false

    @Option(help: ArgumentHelp("End the run with JSON that fits this JSON Schema file (a recipe's response.json_schema does the same); stdout is that JSON alone.",
                               valueName: "file"))
    var outputSchema: String?

    @Option(help: "How many times a model that ends without its structured output is sent back for it.")
    var finalOutputReminders: Int = 3

    func validate() throws {
        if recipe == nil, !choice.params.isEmpty || explain || renderRecipe {
            throw ValidationError("--params, --explain and --render-recipe go with --recipe NAME")
        }
        if finalOutputReminders < 0 { throw ValidationError("--final-output-reminders must be 0 or more") }
    }

    /// The schema of `--output-schema`.
    func schema(workingDirectory: URL) throws -> JSONValue? {
        guard let outputSchema else { return nil }
        let url = outputSchema.hasPrefix("/") ? URL(fileURLWithPath: outputSchema) : workingDirectory.appendingPathComponent(outputSchema)
        guard let data = try? Data(contentsOf: url) else { throw InputError("--output-schema \(outputSchema): no such file") }
        guard let schema = try? JSONValue(parsing: data) else { throw InputError("--output-schema \(outputSchema) is not JSON") }
        return schema
    }

    /// `--explain`: what the recipe is and what it would run with.
    static func explanation(of loaded: LoadedRecipe) -> String {
        let recipe = loaded.recipe
        var lines = ["\(recipe.title) — \(loaded.file.displayName)", "", recipe.description, ""]
        if !recipe.parameters.isEmpty {
            lines.append("Parameters:")
            for parameter in recipe.parameters {
                let value = loaded.values[parameter.key].map { $0.count > 60 ? String($0.prefix(60)) + "…" : $0 } ?? ""
                lines.append("  \(parameter.key) (\(parameter.inputType.rawValue), \(parameter.requirement.rawValue))"
                    + (parameter.description.isEmpty ? "" : ": \(parameter.description)") + " = \(value)")
            }
            lines.append("")
        }
        let settings = recipe.settings
        let chosen = [settings.provider.map { "provider \($0)" }, settings.model.map { "model \($0)" },
                      settings.temperature.map { "temperature \($0)" }, settings.maxTurns.map { "at most \($0) turns" }]
            .compactMap { $0 }
        if !chosen.isEmpty { lines += ["Settings: " + chosen.joined(separator: ", "), ""] }
        if let extensions = recipe.extensions {
            lines.append("Extensions (instead of yours): " + (extensions.isEmpty ? "none" : extensions.map(\.name).joined(separator: ", ")))
        } else {
            lines.append("Extensions: yours")
        }
        if recipe.response != nil { lines.append("Ends with JSON that fits its response schema.") }
        if let retry = recipe.retry {
            lines.append("Checks after the run: " + retry.checks.joined(separator: "; ") + " (up to \(retry.maxRetries) retries)")
        }
        if let instructions = recipe.instructions { lines += ["", "Instructions:", instructions] }
        if let prompt = recipe.prompt { lines += ["", "Prompt:", prompt] }
        return lines.joined(separator: "\n")
    }
}
