/// What config.yaml may set. Environment variables (`GANDER_*`) override it and flags override both.
public struct GanderConfig: Sendable, Equatable {
    public var provider: String?
    public var model: String?
    public var mode: PermissionMode?
    /// Per-tool rules, keyed by the tool's full name (`developer__shell`) or an extension's name (`developer`).
    public var permissions: [String: ToolRule]
    /// MCP servers, in the order config.yaml lists them.
    public var extensions: [ExtensionConfig]
    /// Which secret-looking variables commands may see anyway (`command_env:`).
    public var commandEnvironment: CommandEnvironmentPolicy
    /// `context_limit:` as one figure for every model.
    public var contextLimit: Int?
    /// `context_limit:` as a mapping: tokens by `provider/model`, `model` or `provider`.
    public var contextLimits: [String: Int] = [:]
    /// `compact_threshold:`, the share of the window past which Gander compacts.
    public var compactThreshold: Double?
    /// `builtins:`, the built-in extensions the user turned on or off by name (`memory: false`).
    public var builtins: [String: Bool] = [:]
    /// `prices:`, dollars per million tokens by model name, over the catalogue's.
    public var prices: [String: ModelPrice] = [:]
    /// `commands:`, the rules for shell command lines.
    public var commands = CommandRules()
    /// `sandbox:`, the fence for commands, and whether they may use the network.
    public var sandbox: SandboxMode?
    public var sandboxNetwork: Bool?
    /// `redact:`, whether secrets are replaced by placeholders before a request leaves the machine (default on).
    public var redact = true
    /// `slash_commands:`, recipes the session runs as `/name [argument]`: the recipe file by command name, lowercased.
    public var slashCommands: [String: String] = [:]

    public init(provider: String? = nil, model: String? = nil, mode: PermissionMode? = nil,
                permissions: [String: ToolRule] = [:], extensions: [ExtensionConfig] = [],
                commandEnvironment: CommandEnvironmentPolicy = CommandEnvironmentPolicy()) {
        self.provider = provider
        self.model = model
        self.mode = mode
        self.permissions = permissions
        self.extensions = extensions
        self.commandEnvironment = commandEnvironment
    }

    /// The keys config.yaml knows.
    public static let keys = ["provider", "model", "mode", "permissions", "extensions", "command_env", "context_limit",
                              "compact_threshold", "builtins", "prices", "commands", "sandbox", "redact", "slash_commands"]

    /// The context limit config.yaml sets for this provider and model, and the key that set it: the most specific of
    /// `provider/model`, `model` and `provider`, else the figure for every model.
    public func contextLimit(provider: String, model: String) -> (tokens: Int, key: String)? {
        for key in ["\(provider)/\(model)", model, provider] {
            if let tokens = contextLimits[key] { return (tokens, "context_limit.\(key)") }
        }
        return contextLimit.map { ($0, "context_limit") }
    }
}
