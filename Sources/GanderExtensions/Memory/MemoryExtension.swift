import Foundation
import GanderCore

/// `memory`: facts the model keeps across sessions, by category and tags, for this project (`.gander/memory/` at the
/// project's root) or for every project (`memory/` in Gander's config directory). What is remembered is offered to
/// the model at the start of each session, in its instructions.
public struct MemoryExtension: Extension {
    public let name = "memory"
    private let project: MemoryStore
    private let global: MemoryStore
    public let instructions: String

    /// At most this much remembered text goes into the instructions; the rest is a `retrieve` away.
    static let offeredBytes = 6000

    /// - Parameters:
    ///   - projectRoot: the git root around the working directory, else the working directory.
    ///   - configDirectory: Gander's config directory, which holds the global memories.
    public init(projectRoot: URL, configDirectory: URL) {
        project = MemoryStore(directory: projectRoot.appendingPathComponent(".gander/memory"))
        global = MemoryStore(directory: configDirectory.appendingPathComponent("memory"))
        instructions = Self.instructions(project: project, global: global)
    }

    /// Its files stay on this machine; calls that change one store run in the order they were made.
    public func tools() async throws -> [any ToolHandler] {
        [Self.rememberSpec, Self.retrieveSpec, Self.forgetSpec].map { spec in
            InlineTool(spec, footprint: { arguments, _ in
                spec.name == "retrieve" ? .reads()
                    : .changesThisMachine(serializationKey: "memory-" + (arguments["scope"]?.stringValue ?? "project"))
            }, run: { arguments, _ in call(spec.name, arguments) })
        }
    }

    private func call(_ tool: String, _ arguments: [String: JSONValue]) -> ToolOutput {
        let scope = arguments["scope"]?.stringValue ?? "project"
        guard let store = scope == "global" ? global : scope == "project" ? project : nil else {
            return .error("`scope` must be project or global, not \(scope).")
        }
        switch tool {
        case "remember": return remember(arguments, in: store, scope: scope)
        case "retrieve": return retrieve(arguments, scope: arguments["scope"]?.stringValue)
        case "forget": return forget(arguments, in: store, scope: scope)
        default: return .error("The memory extension has no tool named \(tool).")
        }
    }

    private func remember(_ arguments: [String: JSONValue], in store: MemoryStore, scope: String) -> ToolOutput {
        guard let category = arguments["category"]?.stringValue, MemoryStore.isValidCategory(category) else {
            return .error("`category` must be a short name of letters, digits, - and _, like build or preferences.")
        }
        let text = (arguments["data"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return .error("`data` is empty; pass the fact to remember.") }
        let tags = (arguments["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "# ")) }.filter { !$0.isEmpty && !$0.contains(" ") }
        do {
            try store.add(Memory(text: text, tags: tags), to: category)
            return .text("Remembered in \(category) (\(scope)): \(text)")
        } catch {
            return .error("Could not write \(store.directory.path): \(error.localizedDescription)")
        }
    }

    private func retrieve(_ arguments: [String: JSONValue], scope: String?) -> ToolOutput {
        let category = arguments["category"]?.stringValue.flatMap { $0 == "*" || $0.isEmpty ? nil : $0 }
        let tags = Set((arguments["tags"]?.arrayValue ?? []).compactMap(\.stringValue))
        var stores: [(String, MemoryStore)] = []
        if scope != "global" { stores.append(("project", project)) }
        if scope != "project" { stores.append(("global", global)) }
        var lines: [String] = []
        for (scopeName, store) in stores {
            for name in store.categories() where category == nil || name == category {
                let found = store.memories(in: name).filter { tags.isEmpty || !tags.isDisjoint(with: $0.tags) }
                if found.isEmpty { continue }
                lines.append("\(name) (\(scopeName)):")
                lines += found.map { "- " + $0.text + $0.tags.map { " #\($0)" }.joined() }
            }
        }
        if lines.isEmpty { return .text("Nothing is remembered\(category.map { " in \($0)" } ?? "")\(tags.isEmpty ? "" : " with those tags").") }
        return .text(lines.joined(separator: "\n"))
    }

    private func forget(_ arguments: [String: JSONValue], in store: MemoryStore, scope: String) -> ToolOutput {
        guard let category = arguments["category"]?.stringValue, MemoryStore.isValidCategory(category) else {
            return .error("`category` must name the category to forget from.")
        }
        let matching = arguments["matching"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        do {
            let removed = try store.remove(from: category, matching: matching)
            guard removed > 0 else { return .text("Nothing in \(category) (\(scope)) matched; nothing was forgotten.") }
            return .text("Forgot \(removed) entr\(removed == 1 ? "y" : "ies") from \(category) (\(scope)).")
        } catch {
            return .error("Could not write \(store.directory.path): \(error.localizedDescription)")
        }
    }

    private static func instructions(project: MemoryStore, global: MemoryStore) -> String {
        var text = """
            Use `memory__remember` when the user tells you something to keep for later sessions (a preference, a \
            command, a fact about the project), or when you learn something that will save work next time; \
            `memory__retrieve` to look things up; `memory__forget` when the user asks. Memories are kept for this \
            project unless `scope` is global.
            """
        var remembered = ""
        for (scope, store) in [("project", project), ("global", global)] {
            for category in store.categories() {
                let entries = store.memories(in: category)
                if entries.isEmpty { continue }
                remembered += "\n\(category) (\(scope)):\n" + entries.map { "- \($0.text)" }.joined(separator: "\n") + "\n"
            }
        }
        if !remembered.isEmpty {
            if remembered.utf8.count > offeredBytes {
                remembered = String(decoding: remembered.utf8.prefix(offeredBytes), as: UTF8.self)
                    + "\n[more is remembered; use memory__retrieve]\n"
            }
            text += "\n\nWhat is remembered so far:\n" + remembered
        }
        return text
    }

    static let rememberSpec = ToolSpec(
        name: "remember",
        description: "Remember a fact across sessions, under a category and optional tags.",
        inputSchema: [
            "type": "object",
            "properties": [
                "category": ["type": "string", "description": "A short name: letters, digits, - and _ (e.g. build)."],
                "data": ["type": "string", "description": "The fact to remember."],
                "tags": ["type": "array", "items": ["type": "string"], "description": "Words to find it by."],
                "scope": ["type": "string", "enum": ["project", "global"], "description": "Default: project."],
            ],
            "required": ["category", "data"],
            "additionalProperties": false,
        ])

    static let retrieveSpec = ToolSpec(
        name: "retrieve",
        description: "Look up remembered facts: one category or all (\"*\"), optionally only those with given tags.",
        inputSchema: [
            "type": "object",
            "properties": [
                "category": ["type": "string", "description": "A category, or * for all."],
                "tags": ["type": "array", "items": ["type": "string"]],
                "scope": ["type": "string", "enum": ["project", "global"], "description": "Default: both."],
            ],
            "additionalProperties": false,
        ],
        isReadOnly: true)

    static let forgetSpec = ToolSpec(
        name: "forget",
        description: "Forget the facts of a category that contain `matching`, or the whole category.",
        inputSchema: [
            "type": "object",
            "properties": [
                "category": ["type": "string"],
                "matching": ["type": "string", "description": "Text the entries to forget contain; omit to forget all."],
                "scope": ["type": "string", "enum": ["project", "global"], "description": "Default: project."],
            ],
            "required": ["category"],
            "additionalProperties": false,
        ],
        isDestructive: true)
}
