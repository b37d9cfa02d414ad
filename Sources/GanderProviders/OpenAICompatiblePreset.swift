/// A service that speaks OpenAI's Chat Completions at its own address, with its own key variable: `--provider groq`
/// instead of `--provider openai --base-url https://api.groq.com/openai/v1` and the key exported under another name.
public struct OpenAICompatiblePreset: Sendable {
    let name: String
    let baseURL: String
    /// Where its key is read from; nil for a server on this machine, which takes none unless told to.
    let keyVariable: String?
    /// Whether a request without the key is pointless (a hosted service) or fine (a local server).
    let keyRequired: Bool
    /// The model asked for when none is named; nil where the models are whatever the user loaded.
    let defaultModel: String?

    static let all: [OpenAICompatiblePreset] = [
        .init(name: "openrouter", baseURL: "https://openrouter.ai/api/v1", keyVariable: "OPENROUTER_API_KEY",
              keyRequired: true, defaultModel: "openai/gpt-4.1"),
        .init(name: "groq", baseURL: "https://api.groq.com/openai/v1", keyVariable: "GROQ_API_KEY",
              keyRequired: true, defaultModel: "llama-3.3-70b-versatile"),
        .init(name: "mistral", baseURL: "https://api.mistral.ai/v1", keyVariable: "MISTRAL_API_KEY",
              keyRequired: true, defaultModel: "mistral-large-latest"),
        .init(name: "deepseek", baseURL: "https://api.deepseek.com/v1", keyVariable: "DEEPSEEK_API_KEY",
              keyRequired: true, defaultModel: "deepseek-chat"),
        .init(name: "xai", baseURL: "https://api.x.ai/v1", keyVariable: "XAI_API_KEY",
              keyRequired: true, defaultModel: "grok-4"),
        .init(name: "together", baseURL: "https://api.together.xyz/v1", keyVariable: "TOGETHER_API_KEY",
              keyRequired: true, defaultModel: "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
        .init(name: "lmstudio", baseURL: "http://localhost:1234/v1", keyVariable: "LM_STUDIO_API_KEY",
              keyRequired: false, defaultModel: nil),
        .init(name: "vllm", baseURL: "http://localhost:8000/v1", keyVariable: "VLLM_API_KEY",
              keyRequired: false, defaultModel: nil),
        .init(name: "llamacpp", baseURL: "http://localhost:8080/v1", keyVariable: "LLAMA_API_KEY",
              keyRequired: false, defaultModel: nil),
        .init(name: "litellm", baseURL: "http://localhost:4000/v1", keyVariable: "LITELLM_API_KEY",
              keyRequired: false, defaultModel: nil),
    ]

    /// The presets' names, as users type them.
    public static var names: [String] { all.map(\.name) }

    /// Whether `name` is a preset for a server on this machine, which needs no key.
    public static func isLocal(_ name: String) -> Bool {
        named(name).map { !$0.keyRequired } ?? false
    }

    static func named(_ name: String) -> OpenAICompatiblePreset? {
        all.first { $0.name == name }
    }
}
