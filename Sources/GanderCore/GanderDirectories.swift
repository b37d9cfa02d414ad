import Foundation

/// Where Gander keeps its files, following the XDG base directories.
public struct GanderDirectories: Sendable {
    /// config.yaml and the global AGENTS.md: `$XDG_CONFIG_HOME/gander`, else `~/.config/gander`.
    public let config: URL
    /// Sessions, the local runtime, history: `GANDER_DATA_DIR`, else `$XDG_DATA_HOME/gander`, else
    /// `~/.local/share/gander`.
    public let data: URL

    /// goose's custom providers, which Gander reads as they are: `$XDG_CONFIG_HOME/goose/custom_providers`.
    public let gooseCustomProviders: URL

    public init(environment: [String: String]) {
        let home = URL(fileURLWithPath: environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory())
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? home.appendingPathComponent(".config")
        config = configHome.appendingPathComponent("gander")
        gooseCustomProviders = configHome.appendingPathComponent("goose/custom_providers")
        if let explicit = environment["GANDER_DATA_DIR"], !explicit.isEmpty {
            data = URL(fileURLWithPath: explicit)
        } else if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            data = URL(fileURLWithPath: xdg).appendingPathComponent("gander")
        } else {
            data = home.appendingPathComponent(".local/share/gander")
        }
    }

    /// Hints that apply to every project.
    /// Where ignore files that apply to every project live: Gander's config directory and goose's.
    public var globalIgnoreDirectories: [URL] { [config, gooseCustomProviders.deletingLastPathComponent()] }
    public var globalHints: URL { config.appendingPathComponent("AGENTS.md") }
    public var configFile: URL { config.appendingPathComponent("config.yaml") }
    /// Keys saved by `gander configure`, mode 0600.
    public var secretsFile: URL { config.appendingPathComponent("secrets.yaml") }
    /// The names (never the values) of the keys `gander configure` saved in the system keyring.
    public var keyringIndexFile: URL { config.appendingPathComponent("keyring.yaml") }
    /// Providers described in files, one per provider.
    public var customProviders: URL { config.appendingPathComponent("providers") }
    public var sessionDatabase: URL { data.appendingPathComponent("gander.sqlite") }
    /// The session's input history, shared by every session of the user.
    public var inputHistory: URL { data.appendingPathComponent("history.jsonl") }
}
