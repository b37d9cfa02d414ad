import Foundation
import GanderCore

/// A whole session in a form that leaves the database: JSON that reads back into the same values, or Markdown for
/// people.
public struct SessionExport: Codable, Sendable, Equatable {
    public var session: SessionInfo
    public var messages: [StoredMessage]

    public init(session: SessionInfo, messages: [StoredMessage]) {
        self.session = session
        self.messages = messages
    }

    public init(_ session: SessionInfo, from store: SessionStore) throws {
        self.init(session: session, messages: try store.messages(of: session.id))
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return try encoder.encode(self)
    }

    public static func decode(json: Data) throws -> SessionExport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(SessionExport.self, from: json)
    }

    public func markdown() -> String {
        var out = "# \(session.name ?? "Session \(session.id)")\n\n"
        out += "- id: `\(session.id)`\n"
        out += "- directory: `\(session.workingDirectory)`\n"
        out += "- model: \(session.provider) / \(session.model)\n"
        out += "- created: \(Self.timestamp(session.createdAt)), last used: \(Self.timestamp(session.updatedAt))\n"
        out += "- tokens: \(session.inputTokens) in, \(session.cacheReadTokens) cached in, \(session.outputTokens) out; "
            + "\(session.messageCount) messages\n"
        if let cost = session.costSummary { out += "- cost: \(cost)\n" }
        let conversations = Set(messages.map(\.conversation))
        var conversation = 0
        for stored in messages {
            if conversations.count > 1, stored.conversation != conversation {
                conversation = stored.conversation
                out += "\n## Conversation \(conversation)\n"
            }
            out += "\n" + Self.markdown(stored.message)
        }
        return out
    }

    private static func markdown(_ message: Message) -> String {
        var out = ""
        for part in message.content {
            switch part {
            case .text(let text):
                out += "### \(message.role == .user ? "User" : "Assistant")\(message.isInterrupted ? " (interrupted)" : "")\n\n"
                out += text + "\n\n"
            case .reasoning(let reasoning):
                if !reasoning.text.isEmpty { out += "<details><summary>Reasoning</summary>\n\n\(reasoning.text)\n\n</details>\n\n" }
            case .toolCall(let call):
                out += "### Tool call `\(call.name)` (\(call.id))\n\n" + fenced(call.arguments, language: "json")
            case .toolResult(let result):
                out += "### Tool result\(result.isError ? " (error)" : "") (\(result.callID))\n\n" + fenced(result.text, language: "")
            }
        }
        return out
    }

    /// A fence longer than any run of backticks inside, so the text cannot close it early.
    private static func fenced(_ text: String, language: String) -> String {
        var longest = 0
        var run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return "\(fence)\(language)\n\(text)\(text.hasSuffix("\n") ? "" : "\n")\(fence)\n\n"
    }

    private static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
