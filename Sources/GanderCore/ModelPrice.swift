/// What a model's tokens cost, in US dollars per million tokens.
public struct ModelPrice: Sendable, Equatable, Codable {
    public var input: Double
    public var output: Double
    /// Prompt tokens read from the provider's cache.
    public var cachedInput: Double
    /// Prompt tokens written to the cache; providers that charge nothing extra for it price it as input.
    public var cacheWrite: Double
    /// Where the figures came from: "Gander's model catalogue", "config.yaml".
    public var source: String

    public init(input: Double, output: Double, cachedInput: Double? = nil, cacheWrite: Double? = nil,
                source: String = "Gander's model catalogue") {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput ?? input
        self.cacheWrite = cacheWrite ?? input
        self.source = source
    }

    /// The cost of `usage`, in dollars.
    public func cost(of usage: Usage) -> Double {
        (Double(usage.inputTokens) * input + Double(usage.outputTokens) * output
            + Double(usage.cacheReadTokens) * cachedInput + Double(usage.cacheWriteTokens) * cacheWrite) / 1_000_000
    }
}
