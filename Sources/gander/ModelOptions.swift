import Foundation
import ArgumentParser
import GanderCore
import GanderLocal
import GanderProviders
import GanderRecipes

/// The flags that choose and tune the model, shared by `run` and `session`.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("local (the default: an embedded open model), \(ProviderFactory.nativeNames.joined(separator: ", ")), "
                               + "or an OpenAI-compatible service: \(OpenAICompatiblePreset.names.joined(separator: ", ")).",
                               valueName: "name"))
    var provider: String?

    @Option(help: "The model to ask, e.g. gpt-4.1, claude-sonnet-4-5, qwen3; for local, a name from `gander local list` or a .gguf path.")
    var model: String?

    @Option(help: ArgumentHelp("The server's base URL, e.g. http://localhost:8080/v1 for an OpenAI-compatible server.", valueName: "url"))
    var baseURL: String?

    @Option(help: "Local model: sampling temperature (0 picks the likeliest token every time; default 0.2).")
    var temperature: Float?

    @Option(help: "Local model: nucleus sampling threshold.")
    var topP: Float = 0.95

    @Option(help: "Local model: random seed; the same seed and input give the same output.")
    var seed: UInt32 = 42

    @Option(help: "Tries per model call when the server is busy or the connection drops.")
    var maxRetries: Int = 5

    func validate() throws {
        if maxRetries < 1 { throw ValidationError("--max-retries must be at least 1") }
    }

    var sampling: SamplingSettings { SamplingSettings(temperature: temperature ?? 0.2, topP: topP, seed: seed) }

    /// A recipe's `settings:` fill in what the flags leave open.
    mutating func adopt(_ settings: Recipe.Settings?) {
        guard let settings else { return }
        provider = provider ?? settings.provider
        model = model ?? settings.model
        temperature = temperature ?? settings.temperature.map { Float($0) }
    }

    /// The provider `choice` names, configured by these flags, for an agent working in `workingDirectory`.
    func makeProvider(_ choice: ProviderChoice, settings: Settings, workingDirectory: URL) throws -> any ModelProvider {
        try choice.make(baseURL: baseURL, retries: maxRetries, sampling: sampling,
                        contextLimit: try settings.userContextLimit(for: choice)?.tokens,
                        environment: settings.providerEnvironment,
                        directories: settings.directories, workingDirectory: workingDirectory)
    }
}

/// The flags that bound the agent, shared by `run` and `session`.
struct AgentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("auto (run every tool), approve (ask before each), smart (ask before anything that may change something) or chat (no tools).", valueName: "mode"))
    var mode: PermissionMode?

    @Option(help: ArgumentHelp("Fence for commands: workspace-write (write only here and in temp, no network; the default in auto mode), read-only or off (the default in the other modes).", valueName: "sandbox"))
    var sandbox: SandboxMode?

    @Flag(help: "Let sandboxed commands use the network.")
    var sandboxNetwork = false

    @Flag(help: "Send nothing off this machine: every request to a model provider or remote MCP server is refused.")
    var offline = false

    @Option(help: "Stop after this many model calls (default 1000).")
    var maxTurns: Int?

    @Option(help: "Refuse a tool call repeated with the same arguments more than this many times in a row.")
    var maxToolRepetitions: Int = 3

    func validate() throws {
        if let maxTurns, maxTurns < 1 { throw ValidationError("--max-turns must be at least 1") }
        if maxToolRepetitions < 1 { throw ValidationError("--max-tool-repetitions must be at least 1") }
    }

    var limits: AgentLimits { AgentLimits(maxTurns: maxTurns ?? 1000, maxToolRepetitions: maxToolRepetitions) }

    /// The limits, with a recipe's `max_turns` where `--max-turns` does not say.
    func limits(with settings: Recipe.Settings?) -> AgentLimits {
        var limits = limits
        if maxTurns == nil, let recipeTurns = settings?.maxTurns { limits.maxTurns = recipeTurns }
        return limits
    }
}

/// MCP servers for this run only, beside the enabled ones of config.yaml.
struct ExtensionOptions: ParsableArguments {
    @Option(name: .customLong("with-extension"),
            help: ArgumentHelp("Add a stdio MCP server for this run: \"ENV=value command args\", e.g. \"uvx mcp-server-time\".",
                               valueName: "command"))
    var commands: [String] = []

    @Option(name: .customLong("with-remote-extension"),
            help: ArgumentHelp("Add a streamable-HTTP MCP server for this run, e.g. http://localhost:8000/mcp.", valueName: "url"))
    var urls: [String] = []

    /// The extensions the flags describe; names are made unique against `existing`.
    func configs(besides existing: [ExtensionConfig]) throws -> [ExtensionConfig] {
        var taken = Set(existing.map(\.name))
        return try (commands.map(ExtensionEntries.fromCommandLine) + urls.map(ExtensionEntries.fromURL)).map { config in
            var unique = config
            var suffix = 2
            while taken.contains(unique.name) {
                unique.name = "\(config.name)-\(suffix)"
                suffix += 1
            }
            taken.insert(unique.name)
            return unique
        }
    }
}
