import Foundation
import GanderCore
import Yams

/// Reads config.yaml into a `GanderConfig`, with one clear line for anything it cannot use.
enum ConfigFile {
    static func load(from url: URL) throws -> GanderConfig {
        guard FileManager.default.fileExists(atPath: url.path) else { return GanderConfig() }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ConfigError(url, "cannot be read as UTF-8 text")
        }
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw ConfigError(url, "is not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let document else { return GanderConfig() }
        guard let root = document as? [String: Any] else { throw ConfigError(url, "must be a mapping of keys to values") }

        if let unknown = root.keys.sorted().first(where: { !GanderConfig.keys.contains($0) }) {
            throw ConfigError(url, "has an unknown key \"\(unknown)\"; the keys are \(GanderConfig.keys.joined(separator: ", "))")
        }
        var config = GanderConfig()
        config.provider = try string(root["provider"], key: "provider", url)
        config.model = try string(root["model"], key: "model", url)
        if let mode = try string(root["mode"], key: "mode", url) {
            guard let parsed = PermissionMode(rawValue: mode) else {
                throw ConfigError(url, "mode \"\(mode)\" is not one of \(PermissionMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.mode = parsed
        }
        if let permissions = root["permissions"] {
            guard let table = permissions as? [String: Any] else {
                throw ConfigError(url, "permissions must map tool names to always, ask or never")
            }
            for (tool, value) in table {
                guard let word = value as? String, let rule = ToolRule(rawValue: word) else {
                    throw ConfigError(url, "permissions.\(tool) must be always, ask or never, not \(value)")
                }
                config.permissions[tool] = rule
            }
        }
        if let extensions = root["extensions"] {
            guard let table = extensions as? [String: Any] else {
                throw ConfigError(url, "extensions must map names to extension entries")
            }
            config.extensions = try table.keys.sorted().map { try ExtensionEntries.parse(name: $0, table[$0]!, file: url) }
        }
        if let limit = root["context_limit"] {
            let usage = "context_limit must be a number of tokens, or map provider, model or provider/model names to one"
            if let tokens = limit as? Int {
                guard tokens > 0 else { throw ConfigError(url, usage) }
                config.contextLimit = tokens
            } else if let table = limit as? [String: Any] {
                for (key, value) in table {
                    guard let tokens = value as? Int, tokens > 0 else { throw ConfigError(url, usage) }
                    config.contextLimits[key] = tokens
                }
            } else {
                throw ConfigError(url, usage)
            }
        }
        if let threshold = root["compact_threshold"] {
            guard let share = (threshold as? Double) ?? (threshold as? Int).map(Double.init), share > 0, share < 1 else {
                throw ConfigError(url, "compact_threshold must be a share of the context window between 0 and 1, like 0.8")
            }
            config.compactThreshold = share
        }
        if let prices = root["prices"] {
            let usage = "prices must map model names to {input: …, output: …} in dollars per million tokens, with "
                + "cached_input and cache_write if they differ from input"
            guard let table = prices as? [String: Any] else { throw ConfigError(url, usage) }
            func number(_ value: Any?) -> Double? { (value as? Double) ?? (value as? Int).map(Double.init) }
            for (model, value) in table {
                guard let entry = value as? [String: Any], let input = number(entry["input"]), let output = number(entry["output"]),
                      Set(entry.keys).isSubset(of: ["input", "output", "cached_input", "cache_write"]) else {
                    throw ConfigError(url, usage)
                }
                config.prices[model] = ModelPrice(input: input, output: output, cachedInput: number(entry["cached_input"]),
                                                  cacheWrite: number(entry["cache_write"]), source: "config.yaml")
            }
        }
        if let builtins = root["builtins"] {
            let usage = "builtins must map \(AgentAssembly.builtinNames.joined(separator: ", ")) to true or false"
            guard let table = builtins as? [String: Any] else { throw ConfigError(url, usage) }
            for (name, value) in table {
                guard AgentAssembly.builtinNames.contains(name), let enabled = value as? Bool else {
                    throw ConfigError(url, usage)
                }
                config.builtins[name] = enabled
            }
        }
        if let commandEnvironment = root["command_env"] {
            config.commandEnvironment = try commandEnvironmentPolicy(commandEnvironment, url)
        }
        if let commands = root["commands"] {
            config.commands = try commandRules(commands, url)
        }
        if let redact = root["redact"] {
            // YAML reads a bare `off` as the string "off" in Yams' core schema, and `false` as a Bool.
            switch redact {
            case let flag as Bool: config.redact = flag
            case let word as String where ["off", "on"].contains(word): config.redact = word == "on"
            default: throw ConfigError(url, "redact must be on or off")
            }
        }
        if let sandbox = root["sandbox"] {
            (config.sandbox, config.sandboxNetwork) = try sandboxSetting(sandbox, url)
        }
        if let commands = root["slash_commands"] {
            config.slashCommands = try slashCommands(commands, url)
        }
        return config
    }

    /// `slash_commands: [{command: review, recipe_path: ~/recipes/review.yaml}]`, as goose writes them. Names are
    /// case-insensitive, one word, unique, and not one of the session's own commands.
    private static func slashCommands(_ value: Any, _ url: URL) throws -> [String: String] {
        let usage = "slash_commands must be a list of {command: NAME, recipe_path: FILE} entries"
        guard let items = value as? [Any] else { throw ConfigError(url, usage) }
        var commands: [String: String] = [:]
        for item in items {
            guard let entry = item as? [String: Any], let name = entry["command"] as? String, let path = entry["recipe_path"] as? String,
                  Set(entry.keys).isSubset(of: ["command", "recipe_path"]) else { throw ConfigError(url, usage) }
            let command = (name.hasPrefix("/") ? String(name.dropFirst()) : name).lowercased()
            guard !command.isEmpty, !command.contains(where: \.isWhitespace) else {
                throw ConfigError(url, "slash_commands: \"\(name)\" must be one word, like daily-report")
            }
            guard SlashCommand(rawValue: command) == nil else {
                throw ConfigError(url, "slash_commands: /\(command) is one of the session's own commands; choose another name")
            }
            guard commands[command] == nil else { throw ConfigError(url, "slash_commands: /\(command) is listed twice") }
            commands[command] = (path as NSString).expandingTildeInPath
        }
        return commands
    }

    /// `commands: {allow: [...], ask: [...], deny: [...]}`, each a list of patterns where `*` is any text.
    private static func commandRules(_ value: Any, _ url: URL) throws -> CommandRules {
        let usage = "commands must be a mapping with allow:, ask: and deny: lists of command patterns, like "
            + "allow: [\"git status*\"]"
        guard let table = value as? [String: Any], Set(table.keys).isSubset(of: ["allow", "ask", "deny"]) else {
            throw ConfigError(url, usage)
        }
        func patterns(_ key: String) throws -> [String] {
            guard let list = table[key] else { return [] }
            guard let items = list as? [Any] else { throw ConfigError(url, usage) }
            let patterns = items.compactMap { $0 as? String }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard patterns.count == items.count else { throw ConfigError(url, usage) }
            return patterns
        }
        return CommandRules(allow: try patterns("allow"), ask: try patterns("ask"), deny: try patterns("deny"))
    }

    /// `sandbox: workspace-write` or `sandbox: {mode: workspace-write, network: true}`.
    private static func sandboxSetting(_ value: Any, _ url: URL) throws -> (SandboxMode?, Bool?) {
        let modes = SandboxMode.allCases.map(\.rawValue).joined(separator: ", ")
        let usage = "sandbox must be one of \(modes), or a mapping with mode: and network: true or false"
        if let word = value as? String {
            guard let mode = SandboxMode(rawValue: word) else { throw ConfigError(url, usage) }
            return (mode, nil)
        }
        guard let table = value as? [String: Any], Set(table.keys).isSubset(of: ["mode", "network"]) else {
            throw ConfigError(url, usage)
        }
        var mode: SandboxMode?
        if let word = table["mode"] {
            guard let name = word as? String, let parsed = SandboxMode(rawValue: name) else { throw ConfigError(url, usage) }
            mode = parsed
        }
        var network: Bool?
        if let flag = table["network"] {
            guard let allowed = flag as? Bool else { throw ConfigError(url, usage) }
            network = allowed
        }
        return (mode, network)
    }

    /// `command_env: {keep: [GITHUB_TOKEN, …]}` or `command_env: {keep: all}`.
    private static func commandEnvironmentPolicy(_ value: Any, _ url: URL) throws -> CommandEnvironmentPolicy {
        let usage = "command_env must be a mapping with keep: a list of variable names, or keep: all"
        guard let table = value as? [String: Any], Set(table.keys).isSubset(of: ["keep"]) else { throw ConfigError(url, usage) }
        switch table["keep"] {
        case nil: return CommandEnvironmentPolicy()
        case let word as String where word == "all": return CommandEnvironmentPolicy(keep: .allButGandersOwn)
        case let names as [Any]:
            let kept = names.compactMap { $0 as? String }
            guard kept.count == names.count else { throw ConfigError(url, usage) }
            return CommandEnvironmentPolicy(keep: .names(Set(kept)))
        default: throw ConfigError(url, usage)
        }
    }

    /// Rewrites config.yaml with `change` applied to its `extensions:` mapping, keeping every other key.
    static func updateExtensions(in url: URL, _ change: (inout [String: Any]) throws -> Void) throws {
        try update(url) { root in
            var extensions = root["extensions"] as? [String: Any] ?? [:]
            try change(&extensions)
            root["extensions"] = extensions.isEmpty ? nil : extensions
        }
    }

    /// Rewrites config.yaml with `change` applied to its top-level mapping, after checking that what is there now can
    /// be read; the result is checked the same way before it replaces the file.
    static func update(_ url: URL, _ change: (inout [String: Any]) throws -> Void) throws {
        var root: [String: Any] = [:]
        if FileManager.default.fileExists(atPath: url.path) {
            _ = try load(from: url)
            let text = try String(contentsOf: url, encoding: .utf8)
            root = (try Yams.load(yaml: text) as? [String: Any]) ?? [:]
        }
        try change(&root)
        let text = try Yams.dump(object: root, sortKeys: true)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw ConfigError(url, "cannot be written: \(error.localizedDescription)")
        }
    }

    private static func string(_ value: Any?, key: String, _ url: URL) throws -> String? {
        guard let value else { return nil }
        guard let text = value as? String else { throw ConfigError(url, "\(key) must be a string") }
        return text
    }
}

/// config.yaml says something Gander cannot use.
struct ConfigError: Error, CustomStringConvertible {
    let description: String

    init(_ url: URL, _ problem: String) {
        description = "\(url.path) \(problem); fix it or move it aside"
    }
}
