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
    public var cacheReadTokens: Int = 0
    public var cacheWriteTokens: Int = 0
    /// Dollars spent, at the prices known when each call was made.
    public var costUSD: Double = 0
    /// Model calls whose price was not known, and so are not in `costUSD`.
    public var unpricedCalls: Int = 0
    public var messageCount: Int
    /// The conversation new messages join; `/clear` starts the next one in the same session.
    public var conversation: Int

    enum CodingKeys: String, CodingKey {
        case id, name, workingDirectory = "working_directory", provider, model, createdAt = "created_at",
            updatedAt = "updated_at", inputTokens = "input_tokens", outputTokens = "output_tokens",
            cacheReadTokens = "cache_read_tokens", cacheWriteTokens = "cache_write_tokens", costUSD = "cost_usd",
            unpricedCalls = "unpriced_calls", messageCount = "message_count", conversation
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        workingDirectory = try container.decode(String.self, forKey: .workingDirectory)
        provider = try container.decode(String.self, forKey: .provider)
        model = try container.decode(String.self, forKey: .model)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        updatedAt = try container.decode(Date.self, forKey: .updatedAt)
        inputTokens = try container.decode(Int.self, forKey: .inputTokens)
        outputTokens = try container.decode(Int.self, forKey: .outputTokens)
        // Exports written before these were kept read back as zero.
        cacheReadTokens = try container.decodeIfPresent(Int.self, forKey: .cacheReadTokens) ?? 0
        cacheWriteTokens = try container.decodeIfPresent(Int.self, forKey: .cacheWriteTokens) ?? 0
        costUSD = try container.decodeIfPresent(Double.self, forKey: .costUSD) ?? 0
        unpricedCalls = try container.decodeIfPresent(Int.self, forKey: .unpricedCalls) ?? 0
        messageCount = try container.decode(Int.self, forKey: .messageCount)
        conversation = try container.decode(Int.self, forKey: .conversation)
    }

    init(id: String, name: String?, workingDirectory: String, provider: String, model: String, createdAt: Date,
         updatedAt: Date, inputTokens: Int, outputTokens: Int, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0,
         costUSD: Double = 0, unpricedCalls: Int = 0, messageCount: Int, conversation: Int) {
        self.id = id
        self.name = name
        self.workingDirectory = workingDirectory
        self.provider = provider
        self.model = model
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.costUSD = costUSD
        self.unpricedCalls = unpricedCalls
        self.messageCount = messageCount
        self.conversation = conversation
    }

    /// `about $0.42`, with a note when some calls had no known price; nil when none had one.
    public var costSummary: String? {
        guard costUSD > 0 || unpricedCalls == 0 else { return nil }
        let unpriced = unpricedCalls > 0 ? " (\(unpricedCalls) call\(unpricedCalls == 1 ? "" : "s") to a model without a known price not counted)" : ""
        return "about $" + String(format: costUSD < 0.01 && costUSD > 0 ? "%.4f" : "%.2f", costUSD) + unpriced
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
