import Foundation
import GanderCore
import GanderLocal
import GanderProviders

/// Which provider and model a run uses, and where each choice came from — what `gander info` shows.
struct ProviderChoice {
    let provider: String
    let providerSource: String
    let model: String?
    let modelSource: String

    /// Every provider name Gander accepts.
    static var names: [String] { ["local"] + ProviderFactory.names }

    /// Flags first, then `GANDER_*`, then config.yaml, then a provider whose key is set, then the embedded `local`
    /// model.
    init(providerFlag: String?, modelFlag: String?, config: GanderConfig, environment: [String: String]) {
        if let providerFlag {
            (provider, providerSource) = (providerFlag, "--provider")
        } else if let value = environment["GANDER_PROVIDER"], !value.isEmpty {
            (provider, providerSource) = (value, "GANDER_PROVIDER")
        } else if let value = config.provider {
            (provider, providerSource) = (value, "config.yaml")
        } else if let inferred = ProviderFactory.inferredProvider(environment: environment) {
            let variable = ["anthropic": "ANTHROPIC_API_KEY", "google": "GOOGLE_API_KEY or GEMINI_API_KEY"][inferred]
                ?? "OPENAI_API_KEY"
            (provider, providerSource) = (inferred, "\(variable) is set")
        } else {
            (provider, providerSource) = ("local", "default: no provider configured and no provider key set")
        }
        if let modelFlag {
            (model, modelSource) = (modelFlag, "--model")
        } else if let value = environment["GANDER_MODEL"], !value.isEmpty {
            (model, modelSource) = (value, "GANDER_MODEL")
        } else if let value = config.model, config.provider == nil || config.provider == provider {
            (model, modelSource) = (value, "config.yaml")
        } else {
            let fallback = provider == "local" ? LocalRuntime.defaultModelName : ProviderFactory.defaultModel(for: provider)
            (model, modelSource) = (fallback, "the provider's default")
        }
    }

    /// The provider, ready to use.
    /// `contextLimit` is the user's: the window Ollama and the embedded model are asked to open.
    /// A name Gander does not know is looked up among the custom providers' files in `directories`.
    /// `workingDirectory` is where the agent works, which the embedded model's harness shows a small model and
    /// holds it to: the session's folder, not necessarily the process's (`gander serve` has many).
    func make(baseURL: String?, retries: Int, sampling: SamplingSettings, contextLimit: Int?,
              environment: [String: String], directories: GanderDirectories, workingDirectory: URL) throws -> any ModelProvider {
        if provider == "local" {
            return try LocalProvider(runtime: LocalRuntime(environment: environment), model: model,
                                     contextLimit: contextLimit, sampling: sampling, workingDirectory: workingDirectory)
        }
        var settings = ProviderSettings(provider: provider, model: model, baseURL: baseURL, contextLimit: contextLimit,
                                        retryPolicy: RetryPolicy(maxAttempts: retries))
        if let seconds = environment["GANDER_CONNECT_TIMEOUT"].flatMap(Double.init) { settings.connectTimeout = seconds }
        if let seconds = environment["GANDER_READ_TIMEOUT"].flatMap(Double.init) { settings.idleReadTimeout = seconds }
        if let seconds = environment["GANDER_CALL_TIMEOUT"].flatMap(Double.init), seconds > 0 { settings.callTimeout = seconds }
        if ProviderFactory.names.contains(provider) { return try ProviderFactory.make(settings, environment: environment) }
        if let custom = try CustomProviderFiles.find(provider, in: directories) {
            return try ProviderFactory.make(custom, settings: settings, environment: environment)
        }
        throw ProviderFactory.unknownProvider(provider, known: Self.names + CustomProviderFiles.names(in: directories))
    }
}
