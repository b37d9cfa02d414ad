import Foundation

/// Sampling settings; with a fixed seed the same prompt gives the same output.
public struct SamplingSettings: Sendable, Equatable {
    public var temperature: Float
    public var topP: Float
    public var seed: UInt32
    /// The most tokens in one reply; nil lets a reply use whatever room the window has left.
    public var maxTokens: Int?

    public init(temperature: Float = 0.2, topP: Float = 0.95, seed: UInt32 = 42, maxTokens: Int? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
        self.maxTokens = maxTokens
    }
}

/// One loaded GGUF model and its context. Not thread-safe: `LocalProvider` uses it from one thread at a time.
final class LlamaEngine: @unchecked Sendable {
    let library: LlamaLibrary
    let contextLength: Int
    /// The GGUF's header, read before llama.cpp loads the file.
    let metadata: GGUFMetadata?
    /// The chat template used when the GGUF has none llama.cpp can apply: picked by architecture.
    let fallbackTemplate: String
    /// The GGUF's own chat template, when Gander's Jinja engine can read it.
    private(set) var chatTemplate: ChatTemplate?
    private let model: UnsafeMutableRawPointer
    private let context: UnsafeMutableRawPointer
    private let batchSize = 512

    init(library: LlamaLibrary, modelPath: String, contextLimit: Int?, threads: Int) throws {
        guard Self.looksLikeGGUF(modelPath), let model = modelPath.withCString({ library.loadModel($0) }) else {
            throw LocalModelError.unreadableModel(modelPath)
        }
        let trained = Int(library.contextLengthTrained(model))
        let length = min(contextLimit ?? 8192, trained > 0 ? trained : 8192)
        guard let context = library.newContext(model, Int32(length), Int32(batchSize), Int32(threads)) else {
            library.freeModel(model)
            throw LocalModelError.contextFailed(length)
        }
        self.library = library
        metadata = GGUFMetadata(path: modelPath)
        fallbackTemplate = metadata?.templateByArchitecture ?? "chatml"
        self.model = model
        self.context = context
        self.contextLength = length
        let tokens = specialTokens
        chatTemplate = chatTemplateText.flatMap { ChatTemplate(source: $0, bosToken: tokens.bos, eosToken: tokens.eos) }
    }

    deinit {
        library.freeContext(context)
        library.freeModel(model)
    }

    /// A GGUF file starts with the bytes "GGUF"; checking first keeps obviously wrong files away from llama.cpp.
    private static func looksLikeGGUF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
    }

    /// The model's own chat template is one llama.cpp can apply; when false, `fallbackTemplate` is used.
    var hasUsableTemplate: Bool {
        guard let template = library.chatTemplate(model) else { return false }
        return render([("user", "hi")], template: template) != nil
    }

    /// The chat template, from the GGUF when it has one llama.cpp knows, else the one its architecture uses.
    var chatTemplateText: String? { library.chatTemplate(model).map { String(cString: $0) } }

    /// The text of the beginning- and end-of-sequence tokens, as chat templates write them.
    var specialTokens: (bos: String, eos: String) {
        func text(_ which: Int32) -> String {
            var buffer = [CChar](repeating: 0, count: 128)
            let length = library.specialTokenText(model, which, &buffer, Int32(buffer.count))
            return length > 0 ? String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        }
        return (text(0), text(1))
    }

    /// Formats a conversation with the model's own chat template from its GGUF metadata, or with its family's
    /// template (by architecture) when it has none that llama.cpp knows.
    func applyTemplate(_ turns: [(role: String, content: String)]) -> String {
        if let template = library.chatTemplate(model), let text = render(turns, template: template) { return text }
        if let text = fallbackTemplate.withCString({ render(turns, template: $0) }) { return text }
        return "chatml".withCString { render(turns, template: $0) } ?? ""
    }

    private func render(_ turns: [(role: String, content: String)], template: UnsafePointer<CChar>?) -> String? {
        let roles = turns.map { strdup($0.role) }
        let contents = turns.map { strdup($0.content) }
        defer { (roles + contents).forEach { free($0) } }
        let rolePointers = roles.map { UnsafePointer($0) }
        let contentPointers = contents.map { UnsafePointer($0) }
        let needed = library.applyTemplate(template, rolePointers, contentPointers, Int32(turns.count), 1, nil, 0)
        guard needed > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(needed) + 1)
        let written = library.applyTemplate(template, rolePointers, contentPointers, Int32(turns.count), 1, &buffer, needed + 1)
        guard written == needed else { return nil }
        return String(decoding: buffer.prefix(Int(written)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func tokenize(_ text: String) -> [Int32] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { chars -> [Int32] in
                guard let base = chars.baseAddress else { return [] }
                let needed = -library.tokenize(model, base, Int32(chars.count), nil, 0, 1)
                guard needed > 0 else { return [] }
                var tokens = [Int32](repeating: 0, count: Int(needed))
                let count = library.tokenize(model, base, Int32(chars.count), &tokens, needed, 1)
                return Array(tokens.prefix(Int(max(count, 0))))
            }
        }
    }

    /// The tokens whose keys and values are in the context's cache, in order: what the last prompt and reply left
    /// there. A new prompt that starts the same way is evaluated only from where it differs.
    private var cached: [Int32] = []

    /// What one generation did, for usage figures and the provider's decisions.
    struct Generation {
        /// Tokens generated.
        var tokens = 0
        /// Prompt tokens found in the cache and not evaluated again.
        var reusedPromptTokens = 0
        /// Generation ended because the budget ran out, not because the model finished or `onPiece` stopped it.
        var hitBudget = false
        /// The grammar could not be continued: the reply so far cannot become valid.
        var grammarFailed = false
    }

    /// Generates from `prompt`, handing each token's bytes to `onPiece`; stops at end of generation, after
    /// `maxTokens` (or when the window is full), or when `onPiece` returns false. With `trigger`, the grammar applies
    /// only from the point the output matches that pattern. Blocks its thread.
    func generate(prompt: [Int32], grammar: String?, trigger: String? = nil, sampling: SamplingSettings,
                  onPiece: ([UInt8]) -> Bool) throws -> Generation {
        guard let sampler = grammar.withOptionalCString({ grammarText in
            trigger.withOptionalCString { library.newSampler(model, grammarText, $0, sampling.temperature, sampling.topP, sampling.seed) }
        }) else { throw LocalModelError.grammarRejected }
        defer { library.freeSampler(sampler) }

        var result = Generation()
        result.reusedPromptTokens = try evaluate(prompt)
        var piece = [CChar](repeating: 0, count: 256)
        let budget = min(sampling.maxTokens ?? .max, contextLength - prompt.count)
        while true {
            guard result.tokens < budget else {
                result.hitBudget = true
                break
            }
            var token = library.sample(sampler, context)
            if token < 0 {
                result.grammarFailed = true
                break
            }
            if library.isEndOfGeneration(model, token) != 0 { break }
            result.tokens += 1
            let length = library.tokenToPiece(model, token, &piece, Int32(piece.count))
            let bytes = length > 0 ? piece.prefix(Int(length)).map { UInt8(bitPattern: $0) } : []
            if !onPiece(bytes) { break }
            let status = library.decode(context, &token, 1)
            guard status == 0 else {
                cached = []
                throw LocalModelError.decodeFailed(status)
            }
            cached.append(token)
        }
        return result
    }

    /// Where the prompt cache of this model is kept between processes (nil: none). A process starts with the KV cache
    /// the last one left (the system prompt and the tools, evaluated once), so its first token does not wait for
    /// them again.
    var promptCacheFile: URL?
    /// Whether this engine has evaluated a prompt yet: only its first is read from and written to the prompt cache.
    private var evaluatedOnce = false

    /// Fills the empty KV cache from the prompt cache on disk; `evaluate` then keeps what it shares with the prompt.
    private func restorePromptCache() {
        guard let file = promptCacheFile, cached.isEmpty, FileManager.default.fileExists(atPath: file.path) else { return }
        var tokens = [Int32](repeating: 0, count: contextLength)
        let count = file.path.withCString { library.stateLoad(context, $0, &tokens, Int32(tokens.count)) }
        guard count > 0 else {
            library.clearMemory(context)
            return
        }
        cached = Array(tokens.prefix(Int(count)))
    }

    /// Keeps the prompt's cache on disk for the next process, when it holds more of this prompt than what is there.
    private func savePromptCache(_ prompt: [Int32], reused: Int) {
        guard let file = promptCacheFile, reused < prompt.count * 9 / 10, prompt.count >= 64 else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Written beside it and renamed, so a process reading it never sees half a file.
        let temporary = file.appendingPathExtension("\(getpid()).tmp")
        let saved = prompt.withUnsafeBufferPointer { buffer in
            temporary.path.withCString { library.stateSave(context, $0, buffer.baseAddress!, Int32(buffer.count)) }
        }
        if saved == 1 { rename(temporary.path, file.path) } else { unlink(temporary.path) }
    }

    /// Evaluates `prompt` without generating, as the engine's first prompt: it starts from the prompt cache on disk
    /// and leaves itself there. Returns how many of its tokens the cache already held.
    func prepare(prompt: [Int32]) throws -> Int {
        try evaluate(prompt)
    }

    /// Brings the cache to hold exactly `prompt` and returns how many tokens were reused; the engine's first prompt
    /// starts from the prompt cache on disk and leaves its own there.
    private func evaluate(_ prompt: [Int32]) throws -> Int {
        guard !evaluatedOnce else { return try evaluateFromCache(prompt) }
        evaluatedOnce = true
        restorePromptCache()
        let reused = try evaluateFromCache(prompt)
        savePromptCache(prompt, reused: reused)
        return reused
    }

    /// Evaluates only what `prompt` does not already share with the cache. At least the last token is always
    /// evaluated, since its logits are what the first sample needs. Returns how many tokens were reused.
    private func evaluateFromCache(_ prompt: [Int32]) throws -> Int {
        var shared = zip(cached, prompt).prefix { $0 == $1 }.count
        if shared == prompt.count { shared -= 1 }
        if shared <= 0 || library.forgetFrom(context, Int32(shared)) == 0 {
            library.clearMemory(context)
            shared = 0
        }
        cached = Array(prompt[..<shared])
        var tokens = prompt
        var start = shared
        while start < tokens.count {
            let count = min(batchSize, tokens.count - start)
            let status = tokens.withUnsafeMutableBufferPointer { library.decode(context, $0.baseAddress! + start, Int32(count)) }
            guard status == 0 else {
                library.clearMemory(context)
                cached = []
                throw LocalModelError.decodeFailed(status)
            }
            cached += tokens[start..<(start + count)]
            start += count
        }
        return shared
    }
}

extension Optional where Wrapped == String {
    func withOptionalCString<Result>(_ body: (UnsafePointer<CChar>?) -> Result) -> Result {
        switch self {
        case .some(let text): text.withCString { body($0) }
        case .none: body(nil)
        }
    }
}
