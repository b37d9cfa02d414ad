import Foundation
import GanderRecipes

/// A recipe run as a slash command inside a conversation (`slash_commands:` in a session, commands in an ACP
/// client): its instructions and prompt become the next turn, with the command's argument (quotes around it
/// dropped) as the value of its first parameter that needs one, as goose does; the others take their defaults.
struct RecipeCommandTurn {
    let title: String
    let text: String

    init(command name: String, recipe file: RecipeFile?, argument: String, workingDirectory: URL, recipePath: String) throws {
        guard let file else {
            throw InputError("/\(name): no recipe file at \(recipePath)")
        }
        var value = argument.trimmingCharacters(in: .whitespaces)
        if value.count >= 2, let quote = value.first, "\"'".contains(quote), value.last == quote { value = String(value.dropFirst().dropLast()) }
        let (recipe, _) = try RecipeLoader().check(file)
        var given: [String: String] = [:]
        if !value.isEmpty {
            guard let parameter = recipe.parameters.first(where: { $0.requirement != .optional }) ?? recipe.parameters.first else {
                throw InputError("/\(name) takes no argument: its recipe has no parameters")
            }
            given[parameter.key] = value
        }
        let loaded = try RecipeLoader().load(file, given: given, workingDirectory: workingDirectory)
        title = loaded.recipe.title
        text = [loaded.recipe.instructions, loaded.recipe.prompt].compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }.joined(separator: "\n\n")
    }
}
