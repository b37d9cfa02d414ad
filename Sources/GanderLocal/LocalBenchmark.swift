import Foundation
import GanderCore

/// How fast a local model runs on this machine: `gander local bench`.
public struct LocalBenchmark: Codable, Sendable {
    public let loadSeconds: Double
    public let promptTokens: Int
    public let timeToFirstTokenSeconds: Double
    public let generatedTokens: Int
    /// Generated tokens after the first, per second of decoding after the first.
    public let tokensPerSecond: Double
    public let text: String

    enum CodingKeys: String, CodingKey {
        case loadSeconds = "load_s", promptTokens = "prompt_tokens", timeToFirstTokenSeconds = "ttft_s"
        case generatedTokens = "generated_tokens", tokensPerSecond = "tokens_per_s", text
    }
}

extension LocalProvider {
    /// Loads the model and generates an answer to `user`, timing each phase the way llama.cpp's users measure them.
    /// `constrained` holds the reply to Gander's JSON tool-call grammar, to measure what the grammar costs.
    public func benchmark(system: String, user: String, constrained: Bool = false) throws -> LocalBenchmark {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let engine = try loadedEngine()
        let loaded = clock.now
        let prompt = engine.tokenize(engine.applyTemplate([("system", system), ("user", user)]))
        var firstToken: ContinuousClock.Instant?
        var decoder = UTF8Accumulator()
        var text = ""
        let start = clock.now
        let grammar = constrained ? ToolCallGrammar(tools: LocalBenchmark.sampleTools).text : nil
        let generated = try engine.generate(prompt: prompt, grammar: grammar, sampling: sampling) { bytes in
            if firstToken == nil { firstToken = clock.now }
            text += decoder.append(bytes)
            return true
        }.tokens
        let end = clock.now
        let first = firstToken ?? end
        let decoding = (end - first).seconds
        return LocalBenchmark(
            loadSeconds: (loaded - loadStart).seconds, promptTokens: prompt.count,
            timeToFirstTokenSeconds: (first - start).seconds, generatedTokens: generated,
            tokensPerSecond: generated > 1 && decoding > 0 ? Double(generated - 1) / decoding : 0, text: text)
    }
}

/// Time to first token of each turn of one conversation in one process: `gander local bench --turns N`.
public struct LocalTurnsBenchmark: Codable, Sendable {
    public let timeToFirstTokenSeconds: [Double]
    public let promptTokens: [Int]
    public let reusedTokens: [Int]

    enum CodingKeys: String, CodingKey {
        case timeToFirstTokenSeconds = "ttft_s", promptTokens = "prompt_tokens", reusedTokens = "reused_tokens"
    }
}

extension LocalProvider {
    /// Holds a conversation of `turns` user messages, each answered in full, through the provider as the agent
    /// would use it, timing how long each turn waits for its first token.
    public func benchmarkTurns(system: String, turns: Int) async throws -> LocalTurnsBenchmark {
        let clock = ContinuousClock()
        try load()
        var messages: [Message] = []
        var ttft: [Double] = []
        var prompts: [Int] = []
        var reused: [Int] = []
        for turn in 1...turns {
            messages.append(.user("Turn \(turn): name one thing a compiler does, in a sentence."))
            let start = clock.now
            var first: ContinuousClock.Instant?
            var answer = ""
            for try await event in stream(ModelRequest(systemPrompt: system, messages: messages, tools: [])) {
                switch event {
                case .textDelta(let text):
                    if first == nil { first = clock.now }
                    answer += text
                case .usage(let usage):
                    prompts.append(usage.inputTokens + usage.cacheReadTokens)
                    reused.append(usage.cacheReadTokens)
                default: break
                }
            }
            ttft.append(((first ?? clock.now) - start).seconds)
            messages.append(Message(role: .assistant, content: [.text(answer)]))
        }
        return LocalTurnsBenchmark(timeToFirstTokenSeconds: ttft, promptTokens: prompts, reusedTokens: reused)
    }
}

extension LocalBenchmark {
    /// Tools of the developer kind, for a grammar as large as a real request's.
    static let sampleTools: [ToolSpec] = LocalToolset(tools: ["developer__text_editor", "developer__shell", "developer__search"].map {
        ToolSpec(name: $0, description: "", inputSchema: ["type": "object"])
    }, compact: true).offered
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
