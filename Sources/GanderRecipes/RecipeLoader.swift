import Foundation
import GanderCore

/// A recipe checked and rendered with its parameters' values, ready to run.
public struct LoadedRecipe: Sendable {
    public let file: RecipeFile
    public let recipe: Recipe
    /// The values the templates were rendered with, `recipe_dir` aside.
    public let values: [String: String]
    /// The recipe's text after rendering: what `--render-recipe` prints.
    public let renderedText: String
    /// Things the user should know that do not stop the run (unknown keys, unchecked schema keywords).
    public let warnings: [RecipeError]
}

/// Reads, checks and renders recipes: goose's checks first (on the text before it has values), then the values
/// the user gave, then the text rendered with them and read again.
public struct RecipeLoader: Sendable {
    public init() {}

    /// goose's checks of a recipe file, each problem with its line; the recipe as read with no values (templates
    /// empty) and the warnings when there are none.
    public func check(_ file: RecipeFile) throws -> (recipe: Recipe, warnings: [RecipeError]) {
        let checked = try check(file, template: file.template)
        return (checked.recipe, checked.warnings)
    }

    private func check(_ file: RecipeFile, template: RecipeTemplate) throws -> (recipe: Recipe, warnings: [RecipeError]) {
        let variables = try template.variables()
        var decoder = RecipeDecoder()
        let recipe = try decoder.decode(try template.render([:], strict: false))
        // goose judges blank instructions and prompt on the text as written, before any value is put in; only when
        // they are blank with empty values is the text read as written too.
        let isBlank = { (text: String?) in (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        var unrendered = recipe
        if isBlank(recipe.instructions), isBlank(recipe.prompt) {
            var asWritten = RecipeDecoder()
            unrendered = (try? asWritten.decode(RecipeTemplate.keepingNonExpressions(file.text))) ?? recipe
        }
        var problems: [RecipeError] = []
        var warnings = decoder.warnings

        var seen: Set<String> = []
        for parameter in recipe.parameters where !seen.insert(parameter.key).inserted {
            problems.append(RecipeError("parameter \(parameter.key) is defined twice", line: parameter.line))
        }
        for parameter in recipe.parameters {
            if parameter.inputType == .file, parameter.defaultValue != nil {
                problems.append(RecipeError("file parameter \(parameter.key) cannot have a default: a recipe must not name "
                    + "a file of the user's to read", line: parameter.line))
            }
            if parameter.requirement == .optional, parameter.defaultValue == nil {
                problems.append(RecipeError("optional parameter \(parameter.key) needs a default", line: parameter.line))
            }
            if parameter.inputType == .select, parameter.options.isEmpty {
                problems.append(RecipeError("select parameter \(parameter.key) needs options: the values to choose from",
                                            line: parameter.line))
            }
            if let value = parameter.defaultValue, let problem = RecipeParameters.problem(with: value, for: parameter) {
                problems.append(RecipeError("the default of \(parameter.key): \(problem)", line: parameter.line))
            }
        }
        let keys = Set(recipe.parameters.map(\.key))
        let undefined = variables.filter { !keys.contains($0) }
        if !undefined.isEmpty {
            problems.append(RecipeError("the templates use \(undefined.joined(separator: ", ")), which no parameter defines; "
                + "add \(undefined.count == 1 ? "a parameter" : "parameters") with that key"))
        }
        for parameter in recipe.parameters where !variables.contains(parameter.key) {
            problems.append(RecipeError("parameter \(parameter.key) is not used by any template; remove it or use "
                + "{{ \(parameter.key) }}", line: parameter.line))
        }
        if isBlank(unrendered.instructions), isBlank(unrendered.prompt) {
            problems.append(RecipeError("the recipe needs instructions or a prompt (or both), and neither may be blank"))
        }
        if let schema = recipe.response?.jsonSchema {
            problems += SchemaCheck.problems(in: schema).map { RecipeError("response.json_schema: \($0)") }
            let unchecked = JSONSchemaValidator().uncheckedKeywords(in: schema)
            if !unchecked.isEmpty {
                warnings.append(RecipeError("response.json_schema uses \(unchecked.joined(separator: ", ")), which Gander "
                    + "does not check in the final output"))
            }
        }
        for sub in recipe.subRecipes {
            let url = sub.path.hasPrefix("/") ? URL(fileURLWithPath: sub.path)
                : (file.directory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).appendingPathComponent(sub.path)
            if !FileManager.default.fileExists(atPath: url.path) {
                problems.append(RecipeError("sub-recipe \(sub.name): no recipe file at \(url.path)", line: sub.line))
            }
        }
        for extensionEntry in recipe.extensions ?? [] {
            if case .unsupported(let type) = extensionEntry.kind {
                warnings.append(RecipeError("extension \(extensionEntry.name) is of type \(type), which Gander does not run; "
                    + "it is left out", line: extensionEntry.line))
            }
        }
        if let first = problems.first {
            throw RecipeProblems(problems: problems, first: first)
        }
        return (recipe, warnings)
    }

    /// The recipe checked, its values settled and its text rendered with them.
    /// `given` are the `--params`; `ask` asks for a `user_prompt` parameter in a terminal (nil when headless).
    public func load(_ file: RecipeFile, given: [String: String], workingDirectory: URL,
                     ask: ((Recipe.Parameter) -> String?)? = nil) throws -> LoadedRecipe {
        let template = file.template
        let checked = try check(file, template: template)
        let values = try RecipeParameters.resolve(checked.recipe.parameters, given: given,
                                                  workingDirectory: workingDirectory, ask: ask)
        let rendered = try template.render(values, strict: true)
        var decoder = RecipeDecoder()
        let recipe = try decoder.decode(rendered)
        return LoadedRecipe(file: file, recipe: recipe, values: values, renderedText: rendered, warnings: checked.warnings)
    }
}

/// Every problem `RecipeLoader.check` found; it describes itself as the first, and `problems` has them all.
public struct RecipeProblems: Error, CustomStringConvertible {
    public let problems: [RecipeError]
    let first: RecipeError

    public var description: String {
        problems.count == 1 ? first.description : first.description + " (and \(problems.count - 1) more problem\(problems.count == 2 ? "" : "s"))"
    }
}

/// A light check that a response schema is JSON Schema at all: the keywords that hold schemas hold schemas, `type`
/// names types, `required` lists names.
enum SchemaCheck {
    static let types: Set<String> = ["object", "array", "string", "number", "integer", "boolean", "null"]

    static func problems(in schema: JSONValue, at path: String = "") -> [String] {
        if case .bool = schema { return [] }
        guard case .object(let rules) = schema else { return ["\(path.isEmpty ? "the schema" : path) must be an object"] }
        var problems: [String] = []
        let place = path.isEmpty ? "" : "\(path): "
        if let type = rules["type"] {
            let names = type.arrayValue?.map(\.stringValue) ?? [type.stringValue]
            if names.contains(where: { $0 == nil || !types.contains($0!) }) {
                problems.append("\(place)type must be one of \(types.sorted().joined(separator: ", ")), or a list of them")
            }
        }
        if let required = rules["required"], required.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
            problems.append("\(place)required must be a list of property names")
        }
        if let properties = rules["properties"] {
            guard case .object(let members) = properties else { return problems + ["\(place)properties must be an object"] }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                problems += Self.problems(in: member, at: path.isEmpty ? name : "\(path).\(name)")
            }
        }
        if let items = rules["items"], items.arrayValue == nil { problems += Self.problems(in: items, at: "\(path)[]") }
        if let choices = rules["enum"], choices.arrayValue == nil { problems.append("\(place)enum must be a list") }
        for keyword in ["anyOf", "oneOf", "allOf"] {
            if let alternatives = rules[keyword] {
                guard let list = alternatives.arrayValue else { problems.append("\(place)\(keyword) must be a list of schemas"); continue }
                for alternative in list { problems += Self.problems(in: alternative, at: path) }
            }
        }
        return problems
    }
}
