import ArgumentParser
import Foundation
import GanderCore
import GanderLocal
import GanderProviders

/// `gander configure`: the provider, its key, the model, the default mode and an extension, in one guided step that
/// checks the provider answers before anything is saved.
struct ConfigureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configure",
        abstract: "Set up the provider, its key, the model, the mode and extensions, checking the provider answers.",
        discussion: """
            On a terminal it asks, one step at a time. Headless, give --provider (and --model, --mode) and pipe the key \
            on stdin: echo "$KEY" | gander configure --provider openai --model gpt-4.1

            Choices go to config.yaml; a key goes to the system keyring (the Secret Service of GNOME Keyring, \
            KWallet or KeePassXC, through secret-tool) when one answers, else to secrets.yaml beside config.yaml, \
            readable by you alone (0600); never to config.yaml. A key set in the environment still wins over the \
            saved one.
            """)

    /// Where the key is kept.
    enum KeyStore: String, ExpressibleByArgument, CaseIterable {
        /// The system keyring when one answers, else secrets.yaml.
        case auto
        case keyring
        case file
    }

    @Option(help: "The provider, for a headless set-up.")
    var provider: String?

    @Option(help: "The model; default the provider's.")
    var model: String?

    @Option(help: "The permission mode of sessions.")
    var mode: PermissionMode?

    @Option(name: .customLong("key-store"), help: "Where the key goes: auto (the system keyring when one answers, else secrets.yaml), keyring or file.")
    var keyStore: KeyStore = .auto

    mutating func run() async throws {
        let status = await execute()
        if status != ExitStatus.success { throw ExitCode(status) }
    }

    func execute() async -> Int32 {
        let terminal = Terminal()
        do {
            let settings = try Settings()
            let plan = provider != nil || !terminal.inputIsTerminal
                ? try headlessPlan(settings)
                : try await interactivePlan(settings, terminal: terminal)
            return try await apply(plan, settings: settings)
        } catch let error as InputError {
            FileHandle.standardError.write(Data("gander: error: \(error)\n".utf8))
            return ExitStatus.usage
        } catch {
            FileHandle.standardError.write(Data("gander: error: \(error)\n".utf8))
            return ExitStatus.failure
        }
    }

    /// What the user chose.
    private struct Plan {
        var provider: String
        var model: String?
        var key: String?
        var mode: PermissionMode?
        var extensionCommand: String?
    }

    /// Providers `configure` sets up whole: those that need at most a key.
    static var configurable: [(name: String, about: String)] {
        [("local", "the embedded open model: offline, no key"), ("openai", "OpenAI"), ("anthropic", "Anthropic"),
         ("google", "Google Gemini"), ("ollama", "a local Ollama server, no key")]
            + OpenAICompatiblePreset.names.map { ($0, "an OpenAI-compatible service") }
    }

    // MARK: Headless

    private func headlessPlan(_ settings: Settings) throws -> Plan {
        guard let provider else {
            throw InputError("stdin is not a terminal: give --provider (and --model), and pipe the key on stdin")
        }
        var key: String?
        if ProviderFactory.keyVariable(for: provider) != nil, isatty(STDIN_FILENO) == 0 {
            let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            key = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) }
            if key?.isEmpty == true { key = nil }
        }
        return Plan(provider: provider, model: model, key: key, mode: mode)
    }

    // MARK: Interactive

    private func interactivePlan(_ settings: Settings, terminal: Terminal) async throws -> Plan {
        let editor = LineEditor(terminal: terminal, history: InputHistory(file: settings.directories.inputHistory))
        terminal.enterEditingMode()
        defer { terminal.restore() }
        func ask(_ prompt: String) throws -> String {
            switch editor.read(prompt: prompt, promptWidth: prompt.count, remember: false) {
            case .line(let text): return text.trimmingCharacters(in: .whitespaces)
            case .interrupted, .endOfInput: throw InputError("set-up cancelled; nothing was saved")
            }
        }
        let choices = Self.configurable
        terminal.write("Provider:\n" + choices.enumerated().map { "  \($0.offset + 1). \($0.element.name)  \($0.element.about)\n" }.joined())
        var provider = ""
        while provider.isEmpty {
            let answer = try ask("Choose a number or a name (Enter: openai): ")
            if answer.isEmpty { provider = "openai" } else if let number = Int(answer), choices.indices.contains(number - 1) {
                provider = choices[number - 1].name
            } else if choices.contains(where: { $0.name == answer }) {
                provider = answer
            } else {
                terminal.write("no provider \(answer); type one of the numbers or names above\n")
            }
        }

        var key: String?
        if let variable = ProviderFactory.keyVariable(for: provider) {
            let saved = settings.providerEnvironment[variable] != nil
            let text = try terminal.readHidden(
                prompt: "\(variable) (typing is hidden\(saved ? "; Enter keeps the one already set" : "")): ")
            key = text.isEmpty ? nil : text
            if key == nil, !saved, !OpenAICompatiblePreset.isLocal(provider) {
                throw InputError("\(provider) needs \(variable); nothing was saved")
            }
        }

        var environment = settings.providerEnvironment
        if let variable = ProviderFactory.keyVariable(for: provider), let key { environment[variable] = key }
        let fallback = provider == "local" ? LocalRuntime.defaultModelName : ProviderFactory.defaultModel(for: provider)
        var models: [String] = []
        if provider != "local" {
            do {
                models = try await ProviderProbe.models(ProviderSettings(provider: provider), environment: environment) ?? []
            } catch {
                terminal.write("could not list \(provider)'s models (\(error)); type the one you want\n")
            }
        }
        let shown = Array(models.prefix(20))
        if !shown.isEmpty {
            terminal.write("Models:\n" + shown.enumerated().map { "  \($0.offset + 1). \($0.element)\n" }.joined())
        }
        let modelAnswer = try ask("Model (a number or a name\(fallback.map { "; Enter: \($0)" } ?? "")): ")
        let model = Int(modelAnswer).flatMap { shown.indices.contains($0 - 1) ? shown[$0 - 1] : nil }
            ?? (modelAnswer.isEmpty ? fallback : modelAnswer)

        var mode: PermissionMode?
        while true {
            let answer = try ask("Mode of sessions: smart, auto, approve or chat (Enter: smart): ").lowercased()
            if answer.isEmpty { break }
            if let chosen = PermissionMode(rawValue: answer) { mode = chosen; break }
            terminal.write("no mode \(answer)\n")
        }
        let command = try ask("Add an MCP server? Its command, like `uvx mcp-server-time` (Enter: none): ")
        return Plan(provider: provider, model: model, key: key, mode: mode, extensionCommand: command.isEmpty ? nil : command)
    }

    // MARK: Checking and saving

    private func apply(_ plan: Plan, settings: Settings) async throws -> Int32 {
        var environment = settings.providerEnvironment
        let variable = ProviderFactory.keyVariable(for: plan.provider)
        if let variable, let key = plan.key { environment[variable] = key }
        let choice = ProviderChoice(providerFlag: plan.provider, modelFlag: plan.model, config: settings.config,
                                    environment: environment)
        let extensionEntry = try plan.extensionCommand.map(ExtensionEntries.fromCommandLine)
        print("checking \(choice.provider)/\(choice.model ?? "") …")
        let provider = try choice.make(baseURL: nil, retries: 2, sampling: SamplingSettings(), contextLimit: nil,
                                       environment: environment, directories: settings.directories,
                                       workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if let problem = await ProviderProbe.check(provider) {
            throw ConfigureError("\(choice.provider) did not answer, so nothing was saved: \(problem)")
        }
        // The key first: with --key-store keyring and no keyring, nothing else is changed.
        var keyPlace: String?
        if let variable, let key = plan.key { keyPlace = try await save(key, as: variable, settings: settings) }
        try ConfigFile.update(settings.directories.configFile) { root in
            root["provider"] = choice.provider
            root["model"] = choice.model
            if let mode = plan.mode { root["mode"] = mode.rawValue }
            if let entry = extensionEntry {
                var extensions = root["extensions"] as? [String: Any] ?? [:]
                extensions[entry.name] = ExtensionEntries.yaml(entry)
                root["extensions"] = extensions
            }
        }
        var saved = "saved provider \(choice.provider), model \(choice.model ?? "")"
        if let mode = plan.mode { saved += ", mode \(mode.rawValue)" }
        if let entry = extensionEntry { saved += ", extension \(entry.name)" }
        saved += " in \(settings.directories.configFile.path)"
        if let keyPlace { saved += "; \(keyPlace)" }
        print("✓ \(choice.provider) answered; \(saved)")
        return ExitStatus.success
    }

    /// Keeps `key` where `--key-store` says and forgets any copy kept in the other place; says where it went.
    private func save(_ key: String, as variable: String, settings: Settings) async throws -> String {
        let file = SecretsFile(url: settings.directories.secretsFile)
        let index = KeyringIndex(url: settings.directories.keyringIndexFile)
        let keyring = SystemKeyring(environment: settings.environment)
        var whyNotKeyring = ""
        if keyStore != .file, keyring.tool != nil || keyStore == .keyring {
            do {
                try await keyring.store(key, as: variable)
                try index.update(adding: variable)
                try file.remove(variable)
                return "\(variable) in \(SystemKeyring.description)"
            } catch {
                if keyStore == .keyring {
                    throw ConfigureError("\(variable) could not be saved in \(SystemKeyring.description), so nothing was saved: \(error); use --key-store file for secrets.yaml")
                }
                whyNotKeyring = "; not in \(SystemKeyring.description): \(error)"
            }
        }
        try file.save(key, as: variable)
        if try index.load().contains(variable) {
            try index.update(removing: variable)
            await keyring.remove(variable)
        }
        return "\(variable) in \(settings.directories.secretsFile.path) (readable by you alone\(whyNotKeyring))"
    }
}

/// The provider could not be reached with what was chosen.
struct ConfigureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
