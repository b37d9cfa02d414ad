import Foundation
import GanderCore
import GanderRecipes

/// A recipe's `extensions:` as Gander runs them: goose's built-ins mapped to Gander's, stdio and streamable-HTTP
/// servers as MCP extensions, `available_tools` as a subset, and a line for each one Gander cannot run.
struct RecipeExtensions {
    /// goose's built-in extensions and the Gander built-ins that do their work.
    static let builtinEquivalents: [String: [String]] = [
        "developer": ["developer"], "memory": ["memory"], "todo": ["todo"], "computercontroller": ["web", "browser"],
        "web": ["web"], "browser": ["browser"],
    ]

    var builtins: Set<String> = []
    var servers: [ExtensionConfig] = []
    /// Tool names to keep, by Gander extension name.
    var availableTools: [String: [String]] = [:]
    var notices: [String] = []

    init(_ entries: [Recipe.ExtensionEntry]) throws {
        for entry in entries {
            switch entry.kind {
            case .builtin where entry.name == "summon":
                continue  // The run adds sub-agents itself (`SummonExtension`).
            case .builtin:
                guard let equivalents = Self.builtinEquivalents[entry.name] else {
                    notices.append("the recipe's built-in extension \(entry.name) has no equivalent in Gander; it is left out")
                    continue
                }
                builtins.formUnion(equivalents)
                if let tools = entry.availableTools { equivalents.forEach { availableTools[$0] = tools } }
            case .stdio(let command, let arguments, let environment, let keys, let directory):
                if directory != nil {
                    notices.append("extension \(entry.name): cwd is not supported; the server starts in the working directory")
                }
                servers.append(try config(entry, .stdio(command: command, arguments: arguments, environment: environment,
                                                        environmentKeys: keys)))
            case .streamableHTTP(let uri, let headers):
                guard let url = URL(string: uri), ["http", "https"].contains(url.scheme ?? "") else {
                    throw RecipeError("extension \(entry.name): uri \(uri) is not an http:// or https:// address", line: entry.line)
                }
                servers.append(try config(entry, .streamableHTTP(url: url, headers: headers)))
            case .unsupported:
                continue  // The loader has warned about it.
            }
        }
    }

    private mutating func config(_ entry: Recipe.ExtensionEntry, _ transport: ExtensionConfig.Transport) throws -> ExtensionConfig {
        // goose's names may hold spaces or dots; the model sees NAME__tool, so they become underscores.
        let name = String(entry.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        guard ExtensionConfig.isValidName(name) else {
            throw RecipeError("extension \(entry.name) cannot name tools (letters, digits, - and _ only, no __)", line: entry.line)
        }
        if let tools = entry.availableTools { availableTools[name] = tools }
        return ExtensionConfig(name: name, transport: transport,
                               timeout: entry.timeout.map { .seconds($0) } ?? ExtensionConfig.defaultTimeout)
    }
}
