import GanderCore
import Synchronization

/// Remembers the JSON text of messages already sent. A conversation only grows, so each request re-encodes just the
/// messages that are new since the last one, and the cost of a model call stays flat as a session gets long.
final class MessageEncodingCache: Sendable {
    private let entries = Mutex<[(message: Message, text: String)]>([])

    /// The JSON array of `prefix` followed by each message's wire entries, as `encode` writes them.
    func encodedArray(prefix: [JSONValue], messages: [Message], encode: (Message) -> [JSONValue]) -> String {
        entries.withLock { entries in
            var parts = prefix.map(\.canonicalText)
            for (index, message) in messages.enumerated() {
                if index < entries.count, entries[index].message == message {
                    if !entries[index].text.isEmpty { parts.append(entries[index].text) }
                    continue
                }
                let text = encode(message).map(\.canonicalText).joined(separator: ",")
                entries.removeSubrange(min(index, entries.count)...)
                entries.append((message, text))
                if !text.isEmpty { parts.append(text) }
            }
            return "[" + parts.joined(separator: ",") + "]"
        }
    }
}
