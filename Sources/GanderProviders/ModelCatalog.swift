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

    /// List prices per million tokens (input, output, cached input, cache write) of well-known models, most specific
    /// name first so that `gpt-4.1-mini` is not priced as `gpt-4.1`. They change; `prices:` in config.yaml overrides.
    private static let prices: [(prefix: String, price: ModelPrice)] = [
        ("gpt-4.1-nano", ModelPrice(input: 0.10, output: 0.40, cachedInput: 0.025)),
        ("gpt-4.1-mini", ModelPrice(input: 0.40, output: 1.60, cachedInput: 0.10)),
        ("gpt-4.1", ModelPrice(input: 2.00, output: 8.00, cachedInput: 0.50)),
        ("gpt-4o-mini", ModelPrice(input: 0.15, output: 0.60, cachedInput: 0.075)),
        ("gpt-4o", ModelPrice(input: 2.50, output: 10.00, cachedInput: 1.25)),
        ("gpt-5-nano", ModelPrice(input: 0.05, output: 0.40, cachedInput: 0.005)),
        ("gpt-5-mini", ModelPrice(input: 0.25, output: 2.00, cachedInput: 0.025)),
        ("gpt-5-pro", ModelPrice(input: 15.00, output: 120.00)),
        ("gpt-5", ModelPrice(input: 1.25, output: 10.00, cachedInput: 0.125)),
        ("o4-mini", ModelPrice(input: 1.10, output: 4.40, cachedInput: 0.275)),
        ("o3-pro", ModelPrice(input: 20.00, output: 80.00)),
        ("o3-mini", ModelPrice(input: 1.10, output: 4.40, cachedInput: 0.55)),
        ("o3", ModelPrice(input: 2.00, output: 8.00, cachedInput: 0.50)),
        ("claude-opus-4-5", ModelPrice(input: 5.00, output: 25.00, cachedInput: 0.50, cacheWrite: 6.25)),
        ("claude-opus-4", ModelPrice(input: 15.00, output: 75.00, cachedInput: 1.50, cacheWrite: 18.75)),
        ("claude-sonnet-4", ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75)),
        ("claude-3-7-sonnet", ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30, cacheWrite: 3.75)),
        ("claude-haiku-4-5", ModelPrice(input: 1.00, output: 5.00, cachedInput: 0.10, cacheWrite: 1.25)),
        ("claude-3-5-haiku", ModelPrice(input: 0.80, output: 4.00, cachedInput: 0.08, cacheWrite: 1.00)),
        ("gemini-2.5-pro", ModelPrice(input: 1.25, output: 10.00, cachedInput: 0.31)),
        ("gemini-2.5-flash-lite", ModelPrice(input: 0.10, output: 0.40, cachedInput: 0.025)),
        ("gemini-2.5-flash", ModelPrice(input: 0.30, output: 2.50, cachedInput: 0.075)),
    ]

    /// The model's list price, if the catalogue knows it (gateway prefixes such as `us.anthropic.` are looked through).
    public static func price(for model: String) -> ModelPrice? {
        let name = model.lowercased()
        return prices.first { name.hasPrefix($0.prefix) || name.contains("/" + $0.prefix) || name.contains("." + $0.prefix) }?
            .price
    }

    /// Model families known to take text only; a request with a picture fails for them, so they get its description.
    /// Any other model is assumed to see: today's frontier models all do, and a wrong guess costs one clear error.
    private static let textOnly = [
        "gpt-3.5", "o1-mini", "o3-mini", "deepseek", "codestral", "qwen2.5-coder", "qwen3-coder", "qwen2.5:", "qwen3:",
        "llama3:", "llama3.1", "llama3.3", "codellama", "mistral:", "mixtral", "phi3", "phi4", "starcoder", "smollm",
        "gpt-oss", "kimi-k2", "glm-4.5", "command-r",
    ]

    public static func acceptsImages(_ model: String) -> Bool {
        let name = model.lowercased()
        return !textOnly.contains { name.hasPrefix($0) || name.contains("/" + $0) }
    }

    /// The setting that overrides `maxOutputTokens(for:)`.
    public static let outputTokenCapVariable = "GANDER_MAX_OUTPUT_TOKENS"

    /// The most output tokens to ask Anthropic models (directly or through Bedrock) for, as their APIs require a
    /// figure: `GANDER_MAX_OUTPUT_TOKENS` when set, else what the model family allows.
    public static func maxOutputTokens(for model: String, environment: [String: String]) throws -> Int {
        if let text = environment[outputTokenCapVariable], !text.isEmpty {
            guard let tokens = Int(text), tokens > 0 else {
                throw ProviderError.configuration("\(outputTokenCapVariable)=\(text) is not a number of tokens; use e.g. \(outputTokenCapVariable)=16000")
            }
            return tokens
        }
        return maxOutputTokens(for: model)
    }

    /// The most output tokens the model family allows, as Gander knows it.
    public static func maxOutputTokens(for model: String) -> Int {
        let name = model.lowercased()
        if name.contains("opus-4") || name.contains("sonnet-4") || name.contains("haiku-4") || name.contains("3-7") {
            return 32_000
        }
        return 8192
    }
}
