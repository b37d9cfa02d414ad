import ArgumentParser
import Foundation
import GanderCore
import GanderHost
import GanderExtensions
import GanderProviders

/// Everything a command reads before it starts: the environment, the directories and config.yaml.
struct Settings {
    let environment: [String: String]
    let directories: GanderDirectories
    let config: GanderConfig
    /// Keys `gander configure` saved in secrets.yaml, which providers read when the environment does not set them.
    let secrets: [String: String]
    /// Keys `gander configure` saved in the system keyring, asked for the first time a provider needs its keys.
    let keyringKeys: KeyringKeys

    /// Reads config.yaml and secrets.yaml; a file Gander cannot use is an error, not a silent default. `offline`
    /// (`--offline`) turns the network off for everything Gander sends, as `GANDER_OFFLINE=1` does.
    init(environment: [String: String] = ProcessInfo.processInfo.environment, offline: Bool = false) throws {
        var environment = environment
        if offline { environment["GANDER_OFFLINE"] = "1" }
        self.environment = environment
        directories = GanderDirectories(environment: environment)
        config = try ConfigFile.load(from: directories.configFile)
        let secrets = try SecretsFile(url: directories.secretsFile).load()
        self.secrets = secrets
        let setHere = environment.filter { !$0.value.isEmpty }.keys
        keyringKeys = KeyringKeys(variables: try KeyringIndex(url: directories.keyringIndexFile).load()
                                      .filter { !setHere.contains($0) && secrets[$0] == nil },
                                  keyring: SystemKeyring(environment: environment))
    }

    /// What providers read their keys and addresses from: the environment, then the saved keys. Only providers see
    /// it; commands and MCP servers get the environment alone.
    var providerEnvironment: [String: String] {
        secrets.merging(keyringKeys.values) { fromFile, _ in fromFile }
            .merging(environment.filter { !$0.value.isEmpty }) { _, fromEnvironment in fromEnvironment }
    }

    /// Where the key in `variable` comes from, for `gander info`; nil when it is not set anywhere.
    func keySource(_ variable: String) -> String? {
        if environment[variable].map({ !$0.isEmpty }) == true { return "the environment" }
        if secrets[variable] != nil { return "secrets.yaml" }
        if keyringKeys.values[variable] != nil { return SystemKeyring.description }
        return nil
    }

    /// The environment of the commands the model runs while Gander talks to `provider`: Gander's own, minus its
    /// credentials and other secrets.
    func commandEnvironment(activeProvider provider: String?) -> [String: String] {
        config.commandEnvironment.filter(environment,
                                         ownCredentials: ProviderFactory.credentialVariables(activeProvider: provider))
    }

    /// The context window the user set for this choice: `GANDER_CONTEXT_LIMIT`, else config.yaml's `context_limit:`.
    func userContextLimit(for choice: ProviderChoice) throws -> ContextLimit? {
        if let text = environment["GANDER_CONTEXT_LIMIT"], !text.isEmpty {
            guard let tokens = Int(text), tokens > 0 else {
                throw InputError("GANDER_CONTEXT_LIMIT=\(text) is not a number of tokens; use e.g. GANDER_CONTEXT_LIMIT=32768")
            }
            return ContextLimit(tokens: tokens, source: "GANDER_CONTEXT_LIMIT")
        }
        return config.contextLimit(provider: choice.provider, model: choice.model ?? "").map {
            ContextLimit(tokens: $0.tokens, source: "\($0.key) in config.yaml")
        }
    }

    /// What the chosen model's tokens cost: config.yaml's `prices:`, else the catalogue's; nil when neither knows.
    func price(for choice: ProviderChoice) -> ModelPrice? {
        guard let model = choice.model else { return nil }
        if choice.provider == "local" { return ModelPrice(input: 0, output: 0, source: "the embedded model, which costs nothing") }
        return config.prices[model] ?? ModelCatalog.price(for: model)
    }

    /// The user's say over the context window for this choice.
    func contextPolicy(for choice: ProviderChoice) throws -> ContextPolicy {
        ContextPolicy(userLimit: try userContextLimit(for: choice),
                      compactThreshold: config.compactThreshold ?? ContextPolicy.defaultCompactThreshold)
    }

    func providerChoice(providerFlag: String?, modelFlag: String?) -> ProviderChoice {
        ProviderChoice(providerFlag: providerFlag, modelFlag: modelFlag, config: config, environment: providerEnvironment)
    }

    /// The files the model's tools must not touch in this working directory.
    func protectedFiles(workingDirectory: URL) -> ProtectedFiles {
        ProtectedFiles(workingDirectory: workingDirectory,
                       projectRoot: GitRoot.chain(from: workingDirectory)?.first ?? workingDirectory,
                       globalDirectories: directories.globalIgnoreDirectories)
    }

    /// The fence for commands: `--sandbox`, else config.yaml, else the permission mode's default; the network is
    /// allowed by `--sandbox-network` or config.yaml's `sandbox: {network: true}`.
    func sandbox(flag: SandboxMode?, networkFlag: Bool, mode: PermissionMode) -> CommandSandbox {
        CommandSandbox(mode: flag ?? config.sandbox ?? .default(for: mode),
                       allowsNetwork: networkFlag || config.sandboxNetwork == true, environment: environment,
                       ganderDirectories: [directories.data, directories.config])
    }

    /// `--mode`, else `GANDER_MODE`, else config.yaml, else the command's default; with where it came from.
    func mode(flag: PermissionMode?, fallback: PermissionMode) throws -> (mode: PermissionMode, source: String) {
        if let flag { return (flag, "--mode") }
        if let value = environment["GANDER_MODE"], !value.isEmpty {
            guard let mode = PermissionMode(rawValue: value) else {
                throw InputError("GANDER_MODE=\(value) is not a mode; use one of \(PermissionMode.names)")
            }
            return (mode, "GANDER_MODE")
        }
        if let mode = config.mode { return (mode, "config.yaml") }
        return (fallback, "default")
    }
}

extension SandboxMode: ExpressibleByArgument {}

extension PermissionMode: ExpressibleByArgument {
    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The keys in the system keyring, asked for once, when first needed: a command that talks to no provider (`audit`,
/// `sessions`) never starts secret-tool. A keyring that cannot be asked is one line on stderr, and the run goes on as
/// if the key were not saved.
final class KeyringKeys: @unchecked Sendable {
    private let variables: [String]
    private let keyring: SystemKeyring
    private let lock = NSLock()
    private var loaded: [String: String]?

    init(variables: [String], keyring: SystemKeyring) {
        self.variables = variables
        self.keyring = keyring
    }

    var values: [String: String] {
        lock.withLock {
            if let loaded { return loaded }
            var found: [String: String] = [:]
            for variable in variables {
                do {
                    found[variable] = try keyring.lookup(variable)
                } catch {
                    FileHandle.standardError.write(Data(
                        "gander: \(variable) is saved in \(SystemKeyring.description), which could not be asked: \(error); unlock it, or export \(variable)\n".utf8))
                }
            }
            loaded = found
            return found
        }
    }
}
