import Foundation

/// Sampling settings; with a fixed seed the same prompt gives the same output.
public struct SamplingSettings: Sendable, Equatable {
    public var temperature: Float
    public var topP: Float
    public var seed: UInt32
    public var maxTokens: Int

    public init(temperature: Float = 0.2, topP: Float = 0.95, seed: UInt32 = 42, maxTokens: Int = 512) {
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
        self.model = model
        self.context = context
        self.contextLength = length
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

    /// Formats a conversation with the model's own chat template from its GGUF metadata (ChatML when it has none
    /// that llama.cpp knows).
    func applyTemplate(_ turns: [(role: String, content: String)]) -> String {
        let template = library.chatTemplate(model)
        if let text = render(turns, template: template) { return text }
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

    /// Generates from `prompt`, handing each token's bytes to `onPiece`; stops at end of generation, at
    /// `maxTokens`, or when `onPiece` returns false. Returns the number of tokens generated. Blocks its thread.
    func generate(prompt: [Int32], grammar: String?, sampling: SamplingSettings,
                  onPiece: ([UInt8]) -> Bool) throws -> Int {
        library.clearMemory(context)
        guard let sampler = grammar.withOptionalCString({ library.newSampler(model, $0, sampling.temperature, sampling.topP, sampling.seed) })
        else { throw LocalModelError.grammarRejected }
        defer { library.freeSampler(sampler) }

        var tokens = prompt
        var start = 0
        while start < tokens.count {
            let count = min(batchSize, tokens.count - start)
            let status = tokens.withUnsafeMutableBufferPointer { library.decode(context, $0.baseAddress! + start, Int32(count)) }
            guard status == 0 else { throw LocalModelError.decodeFailed(status) }
            start += count
        }
        var generated = 0
        var piece = [CChar](repeating: 0, count: 256)
        let budget = min(sampling.maxTokens, contextLength - prompt.count)
        while generated < budget {
            var token = library.sample(sampler, context)
            if library.isEndOfGeneration(model, token) != 0 { break }
            generated += 1
            let length = library.tokenToPiece(model, token, &piece, Int32(piece.count))
            let bytes = length > 0 ? piece.prefix(Int(length)).map { UInt8(bitPattern: $0) } : []
            if !onPiece(bytes) { break }
            let status = library.decode(context, &token, 1)
            guard status == 0 else { throw LocalModelError.decodeFailed(status) }
        }
        return generated
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
