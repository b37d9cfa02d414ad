import Foundation
import GanderCore

/// One session as the sessions table keeps it.
public struct SessionInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String?
    public var workingDirectory: String
    public var provider: String
    public var model: String
    public var createdAt: Date
    public var updatedAt: Date
    public var inputTokens: Int
    public var outputTokens: Int
    public var messageCount: Int
    /// The conversation new messages join; `/clear` starts the next one in the same session.
    public var conversation: Int

    enum CodingKeys: String, CodingKey {
        case id, name, workingDirectory = "working_directory", provider, model, createdAt = "created_at",
            updatedAt = "updated_at", inputTokens = "input_tokens", outputTokens = "output_tokens",
            messageCount = "message_count", conversation
    }

    /// The name if it has one, else the id: what lists show.
    public var label: String { name ?? id }
}

/// What a new session starts with.
public struct SessionDraft: Sendable {
    public var name: String?
    public var workingDirectory: String
    public var provider: String
    public var model: String

    public init(name: String?, workingDirectory: String, provider: String, model: String) {
        self.name = name
        self.workingDirectory = workingDirectory
        self.provider = provider
        self.model = model
    }
}

/// A message as stored: its place in the session, the conversation it belongs to and when it finished.
public struct StoredMessage: Codable, Sendable, Equatable {
    public var sequence: Int
    public var conversation: Int
    public var createdAt: Date
    public var message: Message

    enum CodingKeys: String, CodingKey { case sequence, conversation, createdAt = "created_at", message }
}
