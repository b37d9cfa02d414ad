import ArgumentParser
import Foundation
import GanderCore
import GanderLocal
import GanderProviders

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show the active provider and model, where that choice came from, and where files live.")

    @Option(help: "Show the choice as if this provider were passed.")
    var provider: String?

    @Option(help: "Show the choice as if this model were passed.")
    var model: String?

    @Option(help: "Show the permission mode as if this one were passed.")
    var mode: PermissionMode?

    @Flag(help: "Send each configured provider a one-word request and say whether it answers.")
    var check = false

    mutating func run() async throws {
        let status = await execute()
        if status != ExitStatus.success { throw ExitCode(status) }
    }

    func execute() async -> Int32 {
        do {
            let settings = try Settings()
            try show(settings)
            return check ? await checkProviders(settings) : ExitStatus.success
        } catch {
            FileHandle.standardError.write(Data("gander: error: \(error)\n".utf8))
            return ExitStatus.failure
        }
    }

    /// The providers whose key is set, where each key comes from (never the key itself).
    private func configuredProviders(_ settings: Settings) -> [(name: String, variable: String, source: String)] {
        ProviderFactory.names.compactMap { name in
            guard let variable = ProviderFactory.keyVariable(for: name) else { return nil }
            return settings.keySource(variable).map { (name, variable, $0) }
        }
    }

    /// One line per configured provider: whether it answers its default model; exit 1 when one does not.
    private func checkProviders(_ settings: Settings) async -> Int32 {
        var status = ExitStatus.success
        for configured in configuredProviders(settings) {
            let choice = settings.providerChoice(providerFlag: configured.name, modelFlag: nil)
            let line: String
            do {
                let provider = try choice.make(baseURL: nil, retries: 1, sampling: SamplingSettings(), contextLimit: nil,
                                               environment: settings.providerEnvironment, directories: settings.directories,
                                               workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
                if let problem = await ProviderProbe.check(provider) {
                    line = "✗ \(problem)"
                    status = ExitStatus.failure
                } else {
                    line = "✓ answers"
                }
            } catch {
                line = "✗ \(error)"
                status = ExitStatus.failure
            }
            print("check \(configured.name)/\(choice.model ?? ""): \(line)")
        }
        return status
    }

    private func show(_ settings: Settings) throws {
        let choice = settings.providerChoice(providerFlag: provider, modelFlag: model)
        let runtime = LocalRuntime(environment: settings.environment)
        let paths = settings.directories
        let session = try settings.mode(flag: mode, fallback: .smart)
        let run = try settings.mode(flag: mode, fallback: .auto)
        let window = try settings.userContextLimit(for: choice).map { "\($0.tokens) tokens  (\($0.source))" }
            ?? "what the provider reports when a run starts, else Gander's catalogue"
        print("""
            gander \(GanderCommand.version)
            provider:      \(choice.provider)  (\(choice.providerSource))
            model:         \(choice.model ?? "none")  (\(choice.modelSource))
            mode:          \(session.mode.rawValue) in a session, \(run.mode.rawValue) for run  (\(session.source))
            context:       \(window)
            config:        \(paths.configFile.path)\(FileManager.default.fileExists(atPath: paths.configFile.path) ? "" : " (none yet)")
            global hints:  \(paths.globalHints.path)
            sessions:      \(paths.sessionDatabase.path)
            data:          \(paths.data.path)
            local runtime: \(runtime.directory.path) (\(runtime.llamaLibrary == nil ? "not installed; run `gander local install`" : "installed"))
            """)
        let configured = configuredProviders(settings)
        print("providers:     " + (configured.isEmpty ? "none with a key set; `gander configure` sets one up"
            : configured.map { "\($0.name) (\($0.variable) from \($0.source))" }.joined(separator: ", ")))
    }
}
