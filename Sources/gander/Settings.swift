import ArgumentParser
import Foundation
import GanderCore
import GanderProviders

/// Everything a command reads before it starts: the environment, the directories and config.yaml.
struct Settings {
    let environment: [String: String]
    let directories: GanderDirectories
    let config: GanderConfig

    /// Reads config.yaml; a config Gander cannot use is an error, not a silent default.
    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.environment = environment
        directories = GanderDirectories(environment: environment)
        config = try ConfigFile.load(from: directories.configFile)
    }

    /// The environment of the commands the model runs: Gander's own, minus provider keys and other secrets.
    var commandEnvironment: [String: String] {
        config.commandEnvironment.filter(environment, ownCredentials: ProviderFactory.credentialVariables)
    }

    func providerChoice(providerFlag: String?, modelFlag: String?) -> ProviderChoice {
        ProviderChoice(providerFlag: providerFlag, modelFlag: modelFlag, config: config, environment: environment)
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

extension PermissionMode: ExpressibleByArgument {
    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
