/// One scripted answer of the model server: a streamed reply, an error status, or a misbehaving connection.
public struct ScriptedReply: Codable, Sendable {
    /// Text of the reply, streamed in pieces of `chunkSize` characters.
    public var text: String?
    /// Visible reasoning, sent before the text (Anthropic thinking blocks with a signature, others as they allow).
    public var thinking: String?
    /// Tool calls, their arguments streamed in pieces of `chunkSize` characters.
    public var toolCalls: [ScriptedToolCall]?
    /// An error status instead of a stream, with this body and these headers (e.g. Retry-After).
    public var status: Int?
    public var body: String?
    public var headers: [String: String]?
    /// Close the connection as soon as the request has arrived, before any byte of answer.
    public var drop: Bool?
    /// Send only the first this-many stream chunks, then close the connection: a stream broken mid-answer.
    public var breakAfterChunks: Int?
    /// Send only the first this-many stream chunks, then stay silent with the connection open.
    public var stallAfterChunks: Int?
    /// Send only the first this-many stream chunks, then an SSE keep-alive comment every quarter second, forever: a
    /// server that keeps the connection busy without answering.
    public var keepAliveAfterChunks: Int?
    /// Milliseconds the model "thinks" before the first byte of the answer.
    public var delayMilliseconds: Int?
    /// Characters per streamed piece; default 4, so every reply arrives in many pieces.
    public var chunkSize: Int?
    /// In script files: serve this reply to this many requests in a row.
    public var `repeat`: Int?
    /// The provider's own reason for stopping, sent instead of the usual one (Gemini's `SAFETY`, say).
    public var finishReason: String?
    /// A stream sent exactly as written instead of one built from the fields above, for replies the fields cannot
    /// describe (Gemini's `promptFeedback`).
    public var rawStream: String?
    /// Chat Completions only: answer this text followed by the request's last user message, so sessions served in
    /// parallel, which take replies in no set order, each get an answer of their own.
    public var echoPrefix: String?

    public init(text: String? = nil, thinking: String? = nil, toolCalls: [ScriptedToolCall]? = nil, status: Int? = nil,
                body: String? = nil, headers: [String: String]? = nil, drop: Bool? = nil, breakAfterChunks: Int? = nil,
                stallAfterChunks: Int? = nil, chunkSize: Int? = nil, finishReason: String? = nil, rawStream: String? = nil) {
        self.text = text
        self.thinking = thinking
        self.toolCalls = toolCalls
        self.status = status
        self.body = body
        self.headers = headers
        self.drop = drop
        self.breakAfterChunks = breakAfterChunks
        self.stallAfterChunks = stallAfterChunks
        self.chunkSize = chunkSize
        self.finishReason = finishReason
        self.rawStream = rawStream
    }

    public static func text(_ text: String) -> ScriptedReply { ScriptedReply(text: text) }

    /// Answers `prefix` and the last thing the user said.
    public static func echo(_ prefix: String) -> ScriptedReply {
        var reply = ScriptedReply()
        reply.echoPrefix = prefix
        return reply
    }

    public static func tools(_ calls: ScriptedToolCall...) -> ScriptedReply { ScriptedReply(toolCalls: calls) }

    public static func status(_ status: Int, body: String, headers: [String: String] = [:]) -> ScriptedReply {
        ScriptedReply(status: status, body: body, headers: headers)
    }

    public static let drop = ScriptedReply(drop: true)

    enum CodingKeys: String, CodingKey {
        case text, thinking, toolCalls = "tool_calls", status, body, headers, drop
        case breakAfterChunks = "break_after_chunks", stallAfterChunks = "stall_after_chunks"
        case keepAliveAfterChunks = "keep_alive_after_chunks", delayMilliseconds = "delay_ms"
        case chunkSize = "chunk_size", `repeat`, finishReason = "finish_reason", rawStream = "raw_stream"
    }
}

/// A tool call the scripted model makes. `arguments` is sent as is, so tests can send malformed JSON.
public struct ScriptedToolCall: Codable, Sendable {
    public var name: String
    public var arguments: String

    public init(_ name: String, _ arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}

/// Which wire format a scripted server speaks.
public enum ScriptedWireFormat: String, Codable, Sendable, CaseIterable {
    case openai
    case anthropic
    case ollama
    /// Gemini's `streamGenerateContent?alt=sse`; Gander's provider name for it is `google`.
    case gemini
    /// OpenAI's Responses API, which Gander's `openai` provider speaks with `GANDER_OPENAI_API=responses`.
    case openaiResponses = "openai-responses"

    /// The `--provider` that speaks this format.
    public var provider: String {
        switch self {
        case .gemini: "google"
        case .openaiResponses: "openai"
        default: rawValue
        }
    }
}
