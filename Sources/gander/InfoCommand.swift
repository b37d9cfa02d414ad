import ArgumentParser
import Foundation
import GanderCore
import GanderLocal

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show the active provider and model, where that choice came from, and where files live.")

    @Option(help: "Show the choice as if this provider were passed.")
    var provider: String?

    @Option(help: "Show the choice as if this model were passed.")
    var model: String?

    @Option(help: "Show the permission mode as if this one were passed.")
    var mode: PermissionMode?

    func run() throws {
        let settings = try Settings()
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
    }
}
