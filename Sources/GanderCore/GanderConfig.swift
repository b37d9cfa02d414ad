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
    public static let keys = ["provider", "model", "mode", "permissions", "extensions", "command_env"]
}
