import ArgumentParser
import Foundation
import GanderCore
import GanderExtensions

/// `gander extensions …`: the built-in extensions and the MCP servers config.yaml lists.
struct ExtensionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extensions",
        abstract: "List the extensions; add, remove, enable and disable MCP servers and built-ins in config.yaml.",
        discussion: """
            Examples:
              gander extensions add time -- uvx mcp-server-time
              gander extensions add git --env GIT_PAGER=cat -- python -m mcp_server_git
              gander extensions add docs --uri http://localhost:8000/mcp --header "Authorization: Bearer …"
              gander extensions disable git
              gander extensions enable browser      (a built-in: headless Chromium over DevTools)
            """,
        subcommands: [List.self, Add.self, Remove.self, Enable.self, Disable.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the configured MCP servers.")

        func run() throws {
            let settings = try Settings()
            let provider = settings.providerChoice(providerFlag: nil, modelFlag: nil).provider
            for builtin in AgentAssembly.builtinNames {
                let set = settings.config.builtins[builtin]
                let enabled = set ?? AgentAssembly.isOnByDefault(builtin, provider: provider)
                print("\(builtin)  \(enabled ? "enabled" : "disabled")  built-in"
                      + (set == nil ? "  (default with the \(provider) provider)" : "  (config.yaml)"))
            }
            guard !settings.config.extensions.isEmpty else {
                print("No MCP servers configured. Add one with `gander extensions add NAME -- COMMAND ARGS`.")
                return
            }
            let cache = MCPToolCache(directory: settings.directories.data.appendingPathComponent("mcp"))
            for entry in settings.config.extensions {
                let kind = if case .stdio = entry.transport { "stdio" } else { "streamable_http" }
                let tools = cache.rememberedToolCount(for: entry).map { "\($0) tools when last started" } ?? "not started yet"
                print("\(entry.name)  \(entry.enabled ? "enabled" : "disabled")  \(kind)  \(entry.summary)  "
                      + "timeout \(entry.timeout.components.seconds) s  \(tools)")
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add an MCP server: a command after --, or --uri for one reached over HTTP.")

        @Argument(help: "The name its tools go under: the model sees NAME__tool.")
        var name: String

        @Option(help: ArgumentHelp("The address of a streamable-HTTP server.", valueName: "url"))
        var uri: String?

        @Option(help: ArgumentHelp("Set a variable for the server (repeatable).", valueName: "NAME=value"))
        var env: [String] = []

        @Option(name: .customLong("env-key"), help: ArgumentHelp("Pass a variable of Gander's environment on to the server (repeatable).", valueName: "NAME"))
        var envKeys: [String] = []

        @Option(help: ArgumentHelp("Send this header to an HTTP server (repeatable).", valueName: "Name: value"))
        var header: [String] = []

        @Option(help: "Seconds a start or a tool call may take.")
        var timeout: Int?

        @Option(help: "Seconds the first request waits for this server's tools before Gander has seen them (default 5).")
        var startupWait: Int?

        @Argument(parsing: .postTerminator, help: "The command that starts a stdio server, after --.")
        var command: [String] = []

        func validate() throws {
            guard ExtensionConfig.isValidName(name) else {
                throw ValidationError("\(name) is not a usable name; use letters, digits, - and _ (no __)")
            }
            guard (uri == nil) != command.isEmpty else {
                throw ValidationError("give either a command after -- or --uri, as in `gander extensions add time -- uvx mcp-server-time`")
            }
            if let timeout, timeout <= 0 { throw ValidationError("--timeout must be above 0 seconds") }
            if let startupWait, startupWait < 0 { throw ValidationError("--startup-wait must be 0 seconds or more") }
        }

        func run() throws {
            var values: [String: Any] = [:]
            if let uri {
                values["type"] = "streamable_http"
                values["uri"] = uri
                values["headers"] = try Dictionary(header.map { line in
                    guard let colon = line.firstIndex(of: ":") else { throw ValidationError("--header needs \"Name: value\", not \(line)") }
                    return (String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                            String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
                }, uniquingKeysWith: { $1 })
            } else {
                values["type"] = "stdio"
                values["cmd"] = command[0]
                values["args"] = Array(command.dropFirst())
                values["env"] = try Dictionary(env.map { pair in
                    guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                        throw ValidationError("--env needs NAME=value, not \(pair)")
                    }
                    return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
                }, uniquingKeysWith: { $1 })
                values["env_keys"] = envKeys
            }
            if let timeout { values["timeout"] = timeout }
            if let startupWait { values["startup_wait"] = startupWait }
            let file = try Settings().directories.configFile
            // Checked as config.yaml will read it back, so a bad entry never reaches the file.
            let entry = try ExtensionEntries.parse(name: name, values, file: file)
            try ConfigFile.updateExtensions(in: file) { extensions in
                guard extensions[name] == nil else {
                    throw InputError("an extension named \(name) exists already; remove it first or pick another name")
                }
                extensions[name] = ExtensionEntries.yaml(entry)
            }
            print("added \(name): \(entry.summary)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Remove an MCP server from config.yaml.")

        @Argument(help: "Its name.")
        var name: String

        func run() throws {
            try ExtensionsCommand.change(name) { $0 = nil }
            print("removed \(name)")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enable", abstract: "Start an MCP server, or offer a built-in, with every run again.")

        @Argument(help: "Its name.")
        var name: String

        func run() throws {
            try ExtensionsCommand.setEnabled(name, true)
            print("enabled \(name)")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "disable", abstract: "Keep an MCP server in config.yaml without starting it, or turn a built-in off.")

        @Argument(help: "Its name.")
        var name: String

        func run() throws {
            try ExtensionsCommand.setEnabled(name, false)
            print("disabled \(name)")
        }
    }

    /// Turns an MCP server on or off; a built-in's name that no server has taken sets `builtins:` instead.
    static func setEnabled(_ name: String, _ enabled: Bool) throws {
        let settings = try Settings()
        let file = settings.directories.configFile
        if AgentAssembly.builtinNames.contains(name), !settings.config.extensions.contains(where: { $0.name == name }) {
            try ConfigFile.update(file) { root in
                var builtins = root["builtins"] as? [String: Any] ?? [:]
                builtins[name] = enabled
                root["builtins"] = builtins
            }
            return
        }
        try change(name) { $0?["enabled"] = enabled }
    }

    /// Applies `change` to one existing entry of config.yaml.
    static func change(_ name: String, _ change: (inout [String: Any]?) -> Void) throws {
        let file = try Settings().directories.configFile
        try ConfigFile.updateExtensions(in: file) { extensions in
            guard extensions[name] != nil else {
                let known = extensions.keys.sorted()
                throw InputError("no extension named \(name)" + (known.isEmpty ? "; none are configured" : "; the extensions are \(known.joined(separator: ", "))"))
            }
            var entry = extensions[name] as? [String: Any]
            change(&entry)
            extensions[name] = entry
        }
    }
}
