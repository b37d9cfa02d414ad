import Foundation
import GanderCore
import Yams

/// A problem with a recipe, with the line of the file it is on when there is one.
public struct RecipeError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let line: Int?

    public init(_ message: String, line: Int? = nil) {
        self.message = message
        self.line = line
    }

    public var description: String {
        line.map { "line \($0): \(message)" } ?? message
    }
}

/// Reads a recipe's text (YAML, or JSON, which YAML reads too) into a `Recipe`, the way goose's serde structs read
/// it: unknown top-level keys are warnings, wrong shapes are errors, each with its line.
struct RecipeDecoder {
    /// The top-level keys goose reads; anything else is warned about.
    static let topLevelKeys: Set<String> = [
        "version", "title", "description", "instructions", "prompt", "activities", "author", "settings", "parameters",
        "extensions", "response", "retry", "sub_recipes", "context",
    ]

    private(set) var warnings: [RecipeError] = []

    mutating func decode(_ text: String) throws -> Recipe {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw RecipeError("the recipe is empty") }
            root = node
        } catch let error as RecipeError {
            throw error
        } catch let error as YamlError {
            throw Self.describe(error)
        }
        var top = try mapping(root, "the recipe")
        // The desktop app saves recipes wrapped in `recipe:`.
        if top.count == 1, let wrapped = top["recipe"] {
            top = try mapping(wrapped, "recipe")
        }
        for (key, node) in top.entries where !Self.topLevelKeys.contains(key) {
            warnings.append(RecipeError("unknown key \"\(key)\" is ignored", line: node.line))
        }
        guard let title = try string(top["title"], "title"), !title.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw RecipeError("the recipe needs a title", line: root.line)
        }
        guard let description = try string(top["description"], "description") else {
            throw RecipeError("the recipe needs a description", line: root.line)
        }
        var recipe = Recipe(
            version: try string(top["version"], "version") ?? "1.0.0", title: title, description: description,
            instructions: try string(top["instructions"], "instructions"), prompt: try string(top["prompt"], "prompt"),
            activities: try strings(top["activities"], "activities"), author: nil, settings: Recipe.Settings(),
            parameters: [], extensions: nil, response: nil, retry: nil, subRecipes: [])
        if let node = top["author"] {
            let author = try mapping(node, "author")
            recipe.author = Recipe.Author(contact: try string(author["contact"], "author.contact"),
                                          metadata: try string(author["metadata"], "author.metadata"))
        }
        if let node = top["settings"] { recipe.settings = try settings(node) }
        if let node = top["parameters"] { recipe.parameters = try sequence(node, "parameters").map(parameter) }
        if let node = top["extensions"] { recipe.extensions = try sequence(node, "extensions").map(extensionEntry) }
        if let node = top["response"] {
            let response = try mapping(node, "response")
            if let schema = response["json_schema"] {
                recipe.response = Recipe.Response(jsonSchema: try Self.json(schema))
            }
        }
        if let node = top["retry"] { recipe.retry = try retry(node) }
        if let node = top["sub_recipes"] { recipe.subRecipes = try sequence(node, "sub_recipes").map(subRecipe) }
        return recipe
    }

    // MARK: Sections

    private func settings(_ node: Node) throws -> Recipe.Settings {
        let table = try mapping(node, "settings")
        var settings = Recipe.Settings()
        settings.provider = try string(table["goose_provider"] ?? table["provider"], "settings.goose_provider")
        settings.model = try string(table["goose_model"] ?? table["model"], "settings.goose_model")
        if let value = table["temperature"] {
            guard let number = Double(value.string ?? "") else {
                throw RecipeError("settings.temperature must be a number, like 0.2", line: value.line)
            }
            settings.temperature = number
        }
        if let value = table["max_turns"] {
            guard let number = Int(value.string ?? ""), number > 0 else {
                throw RecipeError("settings.max_turns must be a whole number above 0", line: value.line)
            }
            settings.maxTurns = number
        }
        return settings
    }

    private func parameter(_ node: Node) throws -> Recipe.Parameter {
        let table = try mapping(node, "a parameter")
        guard let key = try string(table["key"], "parameters[].key"), !key.isEmpty else {
            throw RecipeError("a parameter needs a key", line: node.line)
        }
        let typeText = try string(table["input_type"], "parameters.\(key).input_type") ?? "string"
        guard let inputType = Recipe.Parameter.InputType(rawValue: typeText) else {
            throw RecipeError("parameter \(key): input_type \"\(typeText)\" is not one of "
                + Recipe.Parameter.InputType.allCases.map(\.rawValue).joined(separator: ", "), line: table["input_type"]?.line)
        }
        let requirementText = try string(table["requirement"], "parameters.\(key).requirement") ?? "required"
        guard let requirement = Recipe.Parameter.Requirement(rawValue: requirementText) else {
            throw RecipeError("parameter \(key): requirement \"\(requirementText)\" is not one of required, optional, user_prompt",
                              line: table["requirement"]?.line)
        }
        return Recipe.Parameter(
            key: key, inputType: inputType, requirement: requirement,
            description: try string(table["description"], "parameters.\(key).description") ?? "",
            defaultValue: try table["default"].map { try Self.text(of: $0, "parameters.\(key).default") },
            options: try strings(table["options"], "parameters.\(key).options"), line: node.line ?? 0)
    }

    private func extensionEntry(_ node: Node) throws -> Recipe.ExtensionEntry {
        // goose also accepts a bare name for a built-in.
        if let name = node.scalar?.string {
            return Recipe.ExtensionEntry(name: name, kind: .builtin, timeout: nil, availableTools: nil, line: node.line ?? 0)
        }
        let table = try mapping(node, "an extension")
        guard let name = try string(table["name"], "extensions[].name"), !name.isEmpty else {
            throw RecipeError("an extension needs a name", line: node.line)
        }
        let type = try string(table["type"], "extensions.\(name).type") ?? "builtin"
        let kind: Recipe.ExtensionEntry.Kind
        switch type {
        case "stdio":
            guard let command = try string(table["cmd"], "extensions.\(name).cmd"), !command.isEmpty else {
                throw RecipeError("extension \(name) (stdio) needs cmd: the program to start", line: node.line)
            }
            kind = .stdio(command: command, arguments: try strings(table["args"], "extensions.\(name).args"),
                          environment: try stringMap(table["envs"], "extensions.\(name).envs"),
                          environmentKeys: try strings(table["env_keys"], "extensions.\(name).env_keys"),
                          workingDirectory: try string(table["cwd"], "extensions.\(name).cwd"))
        case "streamable_http":
            guard let uri = try string(table["uri"], "extensions.\(name).uri"), !uri.isEmpty else {
                throw RecipeError("extension \(name) (streamable_http) needs uri: the server's address", line: node.line)
            }
            kind = .streamableHTTP(uri: uri, headers: try stringMap(table["headers"], "extensions.\(name).headers"))
        case "builtin":
            kind = .builtin
        default:
            kind = .unsupported(type)
        }
        var timeout: Int?
        if let value = table["timeout"] {
            guard let seconds = Int(value.string ?? ""), seconds > 0 else {
                throw RecipeError("extension \(name): timeout must be a whole number of seconds above 0", line: value.line)
            }
            timeout = seconds
        }
        let tools = table["available_tools"] == nil ? nil : try strings(table["available_tools"], "extensions.\(name).available_tools")
        return Recipe.ExtensionEntry(name: name, kind: kind, timeout: timeout, availableTools: tools?.isEmpty == true ? nil : tools,
                                     line: node.line ?? 0)
    }

    private func retry(_ node: Node) throws -> Recipe.Retry {
        let table = try mapping(node, "retry")
        func seconds(_ key: String, default fallback: Int) throws -> Int {
            guard let value = table[key] else { return fallback }
            guard let number = Int(value.string ?? ""), number > 0 else {
                throw RecipeError("retry.\(key) must be a whole number of seconds above 0", line: value.line)
            }
            return number
        }
        guard let maxNode = table["max_retries"] else { throw RecipeError("retry needs max_retries", line: node.line) }
        guard let maxRetries = Int(maxNode.string ?? ""), maxRetries >= 0 else {
            throw RecipeError("retry.max_retries must be a whole number, 0 or more", line: maxNode.line)
        }
        guard let checksNode = table["checks"] else { throw RecipeError("retry needs checks: the commands that must succeed", line: node.line) }
        let checks = try sequence(checksNode, "retry.checks").map { check -> String in
            let entry = try mapping(check, "a retry check")
            let type = try string(entry["type"], "retry.checks[].type") ?? "shell"
            guard type == "shell" else {
                throw RecipeError("retry check type \"\(type)\" is not known; the only type is shell", line: check.line)
            }
            guard let command = try string(entry["command"], "retry.checks[].command"), !command.isEmpty else {
                throw RecipeError("a retry check needs command: the shell command that must succeed", line: check.line)
            }
            return command
        }
        guard !checks.isEmpty else { throw RecipeError("retry.checks is empty; give at least one command", line: checksNode.line) }
        return Recipe.Retry(maxRetries: maxRetries, checks: checks, onFailure: try string(table["on_failure"], "retry.on_failure"),
                            timeoutSeconds: try seconds("timeout_seconds", default: 300),
                            onFailureTimeoutSeconds: try seconds("on_failure_timeout_seconds", default: 600))
    }

    private func subRecipe(_ node: Node) throws -> Recipe.SubRecipe {
        let table = try mapping(node, "a sub-recipe")
        guard let name = try string(table["name"], "sub_recipes[].name"), !name.isEmpty else {
            throw RecipeError("a sub-recipe needs a name", line: node.line)
        }
        guard let path = try string(table["path"], "sub_recipes.\(name).path"), !path.isEmpty else {
            throw RecipeError("sub-recipe \(name) needs path: its recipe file", line: node.line)
        }
        var sequential = false
        if let value = table["sequential_when_repeated"] {
            guard let flag = value.bool else {
                throw RecipeError("sub-recipe \(name): sequential_when_repeated must be true or false", line: value.line)
            }
            sequential = flag
        }
        var values: [String: String] = [:]
        if let node = table["values"] {
            for (key, value) in try mapping(node, "sub_recipes.\(name).values").entries {
                values[key] = try Self.text(of: value, "sub_recipes.\(name).values.\(key)")
            }
        }
        return Recipe.SubRecipe(name: name, path: path, values: values, sequentialWhenRepeated: sequential,
                                description: try string(table["description"], "sub_recipes.\(name).description"),
                                line: node.line ?? 0)
    }

    // MARK: Shapes

    /// A mapping's entries in file order, with lookup by key.
    struct Table {
        let entries: [(String, Node)]
        var count: Int { entries.count }
        subscript(key: String) -> Node? { entries.first { $0.0 == key }?.1 }
    }

    private func mapping(_ node: Node, _ what: String) throws -> Table {
        guard let mapping = node.mapping else { throw RecipeError("\(what) must be a mapping of keys to values", line: node.line) }
        return Table(entries: mapping.map { ($0.key.string ?? "", $0.value) })
    }

    private func sequence(_ node: Node, _ what: String) throws -> [Node] {
        if case .scalar(let scalar) = node, scalar.style == .plain, ["", "~", "null"].contains(scalar.string) { return [] }
        guard let sequence = node.sequence else { throw RecipeError("\(what) must be a list", line: node.line) }
        return Array(sequence)
    }

    private func string(_ node: Node?, _ what: String) throws -> String? {
        guard let node else { return nil }
        if case .scalar(let scalar) = node {
            // `key:` with nothing, `~` and `null` are YAML's null: the key is as good as absent.
            let isNull = scalar.style == .plain && ["", "~", "null"].contains(scalar.string)
            return isNull ? nil : scalar.string
        }
        throw RecipeError("\(what) must be text", line: node.line)
    }

    private func strings(_ node: Node?, _ what: String) throws -> [String] {
        guard let node else { return [] }
        return try sequence(node, what).map { try Self.text(of: $0, what) }
    }

    private func stringMap(_ node: Node?, _ what: String) throws -> [String: String] {
        guard let node else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in try mapping(node, what).entries { result[key] = try Self.text(of: value, "\(what).\(key)") }
        return result
    }

    /// A scalar as text, whatever YAML typed it as (`default: 3` is "3", as goose's values are strings).
    static func text(of node: Node, _ what: String) throws -> String {
        guard let scalar = node.scalar else { throw RecipeError("\(what) must be a single value, not a list or mapping", line: node.line) }
        return scalar.string
    }

    /// A node as JSON: for a response schema.
    static func json(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if let value = node.bool { return .bool(value) }
            if let value = node.int { return .integer(Int64(value)) }
            if let value = node.float { return .number(value) }
            if scalar.string == "null" || scalar.string == "~" || scalar.string.isEmpty { return .null }
            return .string(scalar.string)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping { members[key.string ?? ""] = try json(value) }
            return .object(members)
        case .sequence(let sequence):
            return .array(try sequence.map(json))
        case .alias:
            throw RecipeError("aliases are not supported in a response schema", line: node.line)
        }
    }

    /// Yams' errors as one line with the line number they name.
    static func describe(_ error: YamlError) -> RecipeError {
        let text = String(describing: error)
        // Yams writes "LINE:COLUMN: error: …" followed by the offending line and a caret.
        let first = text.split(separator: "\n").first.map(String.init) ?? text
        if let match = first.firstMatch(of: /^(\d+):\d+: (?:error: )?(?:(?:scanner|parser|composer|reader): )?(.*?):?$/),
           let line = Int(match.1) {
            return RecipeError("the recipe is not valid YAML: \(match.2)", line: line)
        }
        return RecipeError("the recipe is not valid YAML: \(first)")
    }
}

extension Node {
    /// 1-based line, as editors count.
    var line: Int? { mark?.line }
}
