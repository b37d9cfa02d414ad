import Foundation
import Yams

/// Writes a conversation's requests down as a recipe (`/recipe FILE` in a session): what the user asked, in order,
/// as the recipe's prompt, with the instructions the session ran under and the provider and model it used, so the
/// same work can be run again with `gander run --recipe FILE`.
public enum RecipeWriter {
    /// The recipe as YAML. `requests` are the user's messages, oldest first; there is at least one.
    public static func yaml(requests: [String], instructions: String?, provider: String?, model: String?,
                            session: String, date: Date = Date()) throws -> String {
        let first = requests.first?.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let title = first.count > 60 ? String(first.prefix(59)) + "…" : first
        let day = ISO8601DateFormatter.string(from: date, timeZone: .current, formatOptions: [.withFullDate])
        let prompt = requests.count == 1 ? requests[0]
            : "Do these in order:\n\n" + requests.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n\n")
        var pairs: [(Node, Node)] = [
            ("version", "1.0.0"),
            ("title", Node(literal(title))),
            ("description", Node("What was asked in Gander session \(session) on \(day), to run again.")),
        ]
        if let instructions, !instructions.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            pairs.append(("instructions", block(instructions)))
        }
        pairs.append(("prompt", block(prompt)))
        var settings: [(Node, Node)] = []
        if let provider, !provider.isEmpty { settings.append(("goose_provider", Node(provider))) }
        if let model, !model.isEmpty { settings.append(("goose_model", Node(model))) }
        if !settings.isEmpty { pairs.append(("settings", Node.mapping(Node.Mapping(settings)))) }
        return try Yams.serialize(node: Node.mapping(Node.Mapping(pairs)), width: -1)
    }

    /// Text as a template renders it back unchanged: recipes are rendered before they are read, so a user's own
    /// `{{` would otherwise be taken for a placeholder.
    private static func literal(_ text: String) -> String {
        text.contains("{{") || text.contains("{%") || text.contains("{#") ? "{% raw %}\(text){% endraw %}" : text
    }

    /// A long text as a YAML block, as a person would write it.
    private static func block(_ text: String) -> Node {
        Node(literal(text), .implicit, text.contains("\n") ? .literal : .any)
    }
}
