import Foundation

/// Who said a message. Tool results travel in `user` messages, as the model's turn is answered by the user's side.
public enum Role: String, Codable, Sendable {
    case user
    case assistant
}

/// One message of a conversation: a role and its ordered parts.
public struct Message: Codable, Sendable, Equatable {
    public var role: Role
    public var content: [ContentPart]
    /// The user cut this reply off before it finished; what came is kept.
    public var isInterrupted: Bool

    public init(role: Role, content: [ContentPart], isInterrupted: Bool = false) {
        self.role = role
        self.content = content
        self.isInterrupted = isInterrupted
    }

    enum CodingKeys: String, CodingKey { case role, content, isInterrupted = "interrupted" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(Role.self, forKey: .role)
        content = try container.decode([ContentPart].self, forKey: .content)
        isInterrupted = try container.decodeIfPresent(Bool.self, forKey: .isInterrupted) ?? false
    }

    /// `interrupted` appears only on messages that were, which keeps the common case small.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(content, forKey: .content)
        if isInterrupted { try container.encode(true, forKey: .isInterrupted) }
    }

    public static func user(_ text: String) -> Message { Message(role: .user, content: [.text(text)]) }

    /// The message's visible text, its text parts joined.
    public var text: String {
        content.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
    }

    public var toolCalls: [ToolCall] {
        content.compactMap { if case .toolCall(let call) = $0 { call } else { nil } }
    }

    public var toolResults: [ToolResult] {
        content.compactMap { if case .toolResult(let result) = $0 { result } else { nil } }
    }
}

/// A part of a message. Reasoning parts are kept exactly as the provider sent them, because some providers
/// (Anthropic) require them back unchanged on the next request.
public enum ContentPart: Sendable, Equatable {
    case text(String)
    case reasoning(Reasoning)
    case toolCall(ToolCall)
    case toolResult(ToolResult)
}

/// The model's visible or redacted reasoning, with the provider's signature that vouches for it.
public struct Reasoning: Codable, Sendable, Equatable {
    public var text: String
    public var signature: String?
    /// Opaque reasoning the provider encrypted; it is sent back as is and never shown.
    public var redactedData: String?

    public init(text: String, signature: String? = nil, redactedData: String? = nil) {
        self.text = text
        self.signature = signature
        self.redactedData = redactedData
    }
}

/// A model's request to run one tool. `arguments` is the JSON text exactly as the model produced it.
public struct ToolCall: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var arguments: String
    /// An opaque signature of the model's reasoning that some providers (Gemini) attach to a call and require back,
    /// unchanged, with the conversation.
    public var thoughtSignature: String?

    public init(id: String, name: String, arguments: String, thoughtSignature: String? = nil) {
        self.id = id
        self.name = name
        self.arguments = arguments
        self.thoughtSignature = thoughtSignature
    }

    enum CodingKeys: String, CodingKey { case id, name, arguments, thoughtSignature = "thought_signature" }
}

/// The outcome of one tool call, sent back to the model under the call's id.
public struct ToolResult: Codable, Sendable, Equatable {
    public var callID: String
    public var toolName: String
    public var content: [ToolContent]
    public var isError: Bool
    /// The local files whose contents are in `content`, for the ledger; never sent to the model.
    public var sources: [FileSpan]

    public init(callID: String, toolName: String, content: [ToolContent], isError: Bool, sources: [FileSpan] = []) {
        self.callID = callID
        self.toolName = toolName
        self.content = content
        self.isError = isError
        self.sources = sources
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        callID = try container.decode(String.self, forKey: .callID)
        toolName = try container.decode(String.self, forKey: .toolName)
        content = try container.decode([ToolContent].self, forKey: .content)
        isError = try container.decode(Bool.self, forKey: .isError)
        sources = try container.decodeIfPresent([FileSpan].self, forKey: .sources) ?? []
    }

    /// `sources` appears only on results that read files, which keeps the common case small.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(callID, forKey: .callID)
        try container.encode(toolName, forKey: .toolName)
        try container.encode(content, forKey: .content)
        try container.encode(isError, forKey: .isError)
        if !sources.isEmpty { try container.encode(sources, forKey: .sources) }
    }

    /// The result's text parts joined, which is what text-only wire formats carry.
    public var text: String {
        content.map { part in
            switch part {
            case .text(let text): text
            case .image(let mimeType, _): "[image: \(mimeType)]"
            }
        }.joined(separator: "\n")
    }

    enum CodingKeys: String, CodingKey {
        case callID = "call_id", toolName = "tool_name", content, isError = "is_error", sources
    }
}

/// What a tool returns: text, or an image for models that can see.
public enum ToolContent: Codable, Sendable, Equatable {
    case text(String)
    case image(mimeType: String, base64Data: String)

    enum CodingKeys: String, CodingKey { case type, text, mimeType = "mime_type", data }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "image":
            self = .image(
                mimeType: try container.decode(String.self, forKey: .mimeType),
                base64Data: try container.decode(String.self, forKey: .data))
        default:
            self = .text(try container.decode(String.self, forKey: .text))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let text):
            try container.encode("text", forKey: .type)
            try container.encode(text, forKey: .text)
        case .image(let mimeType, let data):
            try container.encode("image", forKey: .type)
            try container.encode(mimeType, forKey: .mimeType)
            try container.encode(data, forKey: .data)
        }
    }
}

extension ContentPart: Codable {
    enum CodingKeys: String, CodingKey { case type, text, reasoning, toolCall = "tool_call", toolResult = "tool_result" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "text": self = .text(try container.decode(String.self, forKey: .text))
        case "reasoning": self = .reasoning(try container.decode(Reasoning.self, forKey: .reasoning))
        case "tool_call": self = .toolCall(try container.decode(ToolCall.self, forKey: .toolCall))
        case "tool_result": self = .toolResult(try container.decode(ToolResult.self, forKey: .toolResult))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown content part type \(type)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let text):
            try container.encode("text", forKey: .type)
            try container.encode(text, forKey: .text)
        case .reasoning(let reasoning):
            try container.encode("reasoning", forKey: .type)
            try container.encode(reasoning, forKey: .reasoning)
        case .toolCall(let call):
            try container.encode("tool_call", forKey: .type)
            try container.encode(call, forKey: .toolCall)
        case .toolResult(let result):
            try container.encode("tool_result", forKey: .type)
            try container.encode(result, forKey: .toolResult)
        }
    }
}
