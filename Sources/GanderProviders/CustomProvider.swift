import Foundation
import GanderCore

/// A provider the user describes in a file rather than Gander knowing it: which wire format it speaks, where, with
/// which key and headers, and the models it serves with their context windows. Gander reads its own
/// `~/.config/gander/providers/NAME.yaml` (or `.json`) and goose's `custom_providers/*.json` as they are.
public struct CustomProvider: Sendable, Equatable {
    /// The wire formats a custom provider may speak, by goose's names for them.
    public enum Engine: String, Sendable, CaseIterable {
        case openai, anthropic, ollama
    }

    public var name: String
    public var engine: Engine
    public var baseURL: String
    /// The variable its key is read from; nil for a server that wants none.
    public var keyVariable: String?
    public var headers: [String: String]
    /// The models it serves, the first the default.
    public var models: [Model]
    /// The file it came from, for messages.
    public var file: String

    /// A model and, if the file gives it, its context window.
    public struct Model: Sendable, Equatable {
        public var name: String
        public var contextLimit: Int?

        public init(name: String, contextLimit: Int? = nil) {
            self.name = name
            self.contextLimit = contextLimit
        }
    }

    public init(name: String, engine: Engine, baseURL: String, keyVariable: String?, headers: [String: String],
                models: [Model], file: String) {
        self.name = name
        self.engine = engine
        self.baseURL = baseURL
        self.keyVariable = keyVariable
        self.headers = headers
        self.models = models
        self.file = file
    }

    /// The chat completions address for an `openai` engine, as goose reads `base_url`: a bare host gets
    /// `/v1/chat/completions`, a path that already ends in `/chat/completions` is kept, any other gets it appended.
    var chatCompletionsURL: String {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        let path = URL(string: url)?.path ?? ""
        if path.isEmpty || path == "/" { return url + "/v1/chat/completions" }
        return path.hasSuffix("/chat/completions") ? url : url + "/chat/completions"
    }
}
