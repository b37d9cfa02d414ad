import Foundation
import GanderCore
import Synchronization

/// `todo`: the checklist the model keeps for the task at hand, so a long task's plan survives compaction and the
/// user can see where it stands. `todo__write` replaces the list; `todo__read` shows it.
public final class TodoExtension: Extension {
    public let name = "todo"
    private let list = Mutex<[Item]>([])

    public init() {}

    struct Item: Equatable {
        enum Status: String, CaseIterable { case pending, inProgress = "in_progress", done }

        var text: String
        var status: Status

        var line: String {
            switch status {
            case .pending: "[ ] \(text)"
            case .inProgress: "[~] \(text)"
            case .done: "[x] \(text)"
            }
        }
    }

    public let instructions = """
        For a task of several steps, write a checklist with `todo__write` before you start and update it as each step \
        is done (one step in_progress at a time). The user sees it. Skip it for a one-step task.
        """

    /// The list stays on this machine; writes run in the order the model made them.
    public func tools() async throws -> [any ToolHandler] {
        [
            InlineTool(Self.writeSpec, footprint: { _, _ in .changesThisMachine(serializationKey: "todo") },
                       run: { [self] arguments, _ in write(arguments) }),
            InlineTool(Self.readSpec, footprint: { _, _ in .reads() },
                       run: { [self] _, _ in .text(Self.render(list.withLock { $0 })) }),
        ]
    }

    private func write(_ arguments: [String: JSONValue]) -> ToolOutput {
        var items: [Item] = []
        for entry in arguments["items"]?.arrayValue ?? [] {
            let text = (entry["text"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return .error("Every item needs a non-empty `text`.") }
            let status = entry["status"]?.stringValue.flatMap(Item.Status.init) ?? .pending
            items.append(Item(text: text, status: status))
        }
        list.withLock { $0 = items }
        return .text(Self.render(items))
    }

    static func render(_ items: [Item]) -> String {
        guard !items.isEmpty else { return "The checklist is empty." }
        let done = items.filter { $0.status == .done }.count
        return "Checklist (\(done) of \(items.count) done):\n" + items.map(\.line).joined(separator: "\n")
    }

    /// Read-only in the sense permission modes care about: it changes nothing but the agent's own checklist.
    static let writeSpec = ToolSpec(
        name: "write",
        description: "Replace the task's checklist. Send every item each time, with its status.",
        inputSchema: [
            "type": "object",
            "properties": [
                "items": [
                    "type": "array",
                    "items": [
                        "type": "object",
                        "properties": [
                            "text": ["type": "string"],
                            "status": ["type": "string", "enum": ["pending", "in_progress", "done"]],
                        ],
                        "required": ["text", "status"],
                        "additionalProperties": false,
                    ],
                ],
            ],
            "required": ["items"],
            "additionalProperties": false,
        ],
        isReadOnly: true)

    static let readSpec = ToolSpec(
        name: "read",
        description: "Show the task's checklist.",
        inputSchema: ["type": "object", "properties": [:], "additionalProperties": false],
        isReadOnly: true)
}
