import GanderCore

/// What Gander knows about well-known models without asking their servers.
public enum ModelCatalog {
    /// Context windows by model name prefix, most specific first.
    private static let contextLimits: [(prefix: String, tokens: Int)] = [
        ("gpt-4.1", 1_047_576), ("gpt-4o", 128_000), ("gpt-5", 400_000), ("o3", 200_000), ("o4", 200_000),
        ("claude", 200_000), ("gemini", 1_048_576),
        ("qwen3", 40_960), ("qwen2.5", 32_768), ("llama3", 131_072), ("mistral", 32_768), ("gemma3", 131_072),
        ("smollm2", 8192),
    ]

    /// The model's window by its name, or Gander's default for models it does not know.
    public static func contextLimit(for model: String) -> ContextLimit {
        let name = model.lowercased()
        // Gateways prefix the name: `openai/gpt-4.1`, Bedrock's `us.anthropic.claude-…`.
        guard let known = contextLimits.first(where: {
            name.hasPrefix($0.prefix) || name.contains("/" + $0.prefix) || name.contains("." + $0.prefix)
        }) else {
            return .fallback
        }
        return ContextLimit(tokens: known.tokens, source: "Gander's model catalogue")
    }

    /// The most output tokens to ask Anthropic models for; the API requires a figure.
    public static func maxOutputTokens(for model: String) -> Int {
        let name = model.lowercased()
        if name.contains("opus-4") || name.contains("sonnet-4") || name.contains("haiku-4") || name.contains("3-7") {
            return 32_000
        }
        return 8192
    }
}
