import Foundation
import GanderCore

/// How Gander's tool calls look to an ACP client: a kind, a title a person reads, the files they touch, and what they
/// returned — for edits, a diff of the file as it was when the call was asked for and as it is after.
struct ACPToolCalls {
    let workingDirectory: URL
    /// Whether edits come with diffs: not for a conversation replayed, whose files have moved on since.
    let showsDiffs: Bool
    /// The text of each file an edit is about to change, by call id, taken when the call is requested.
    private var before: [String: (path: String, text: String?)] = [:]

    init(workingDirectory: URL, showsDiffs: Bool = true) {
        self.workingDirectory = workingDirectory
        self.showsDiffs = showsDiffs
    }

    /// The `tool_call` update for a call the model made.
    mutating func started(_ call: ToolCall) -> JSONValue {
        let arguments = (try? JSONValue(parsing: call.arguments)) ?? .object([:])
        if showsDiffs, let path = editedPath(call.name, arguments) {
            before[call.id] = (path, try? String(contentsOf: url(path), encoding: .utf8))
        }
        var update: [String: JSONValue] = [
            "sessionUpdate": "tool_call", "toolCallId": .string(call.id), "title": .string(title(call.name, arguments)),
            "kind": .string(kind(call.name, arguments)), "status": "pending", "rawInput": arguments,
        ]
        if let path = arguments["path"]?.stringValue, call.name == "developer__text_editor" {
            update["locations"] = [["path": .string(url(path).path)]]
        }
        return .object(update)
    }

    /// The `tool_call_update` that says a call is running.
    func running(_ callID: String) -> JSONValue {
        ["sessionUpdate": "tool_call_update", "toolCallId": .string(callID), "status": "in_progress"]
    }

    /// The `tool_call_update` for a finished call: its output, and a diff for an edit that worked.
    mutating func finished(_ result: ToolResult) -> JSONValue {
        var content: [JSONValue] = result.content.map { part in
            switch part {
            case .text(let text): ["type": "content", "content": ["type": "text", "text": .string(text)]]
            case .image(let mimeType, let data): ["type": "content", "content": ["type": "image", "mimeType": .string(mimeType), "data": .string(data)]]
            }
        }
        if let edit = before.removeValue(forKey: result.callID), !result.isError,
           let after = try? String(contentsOf: url(edit.path), encoding: .utf8) {
            var diff: [String: JSONValue] = ["type": "diff", "path": .string(url(edit.path).path), "newText": .string(after)]
            if let old = edit.text { diff["oldText"] = .string(old) }
            content.insert(.object(diff), at: 0)
        }
        return ["sessionUpdate": "tool_call_update", "toolCallId": .string(result.callID),
                "status": result.isError ? "failed" : "completed", "content": .array(content)]
    }

    /// A call as `session/request_permission` shows it.
    func asked(_ call: ToolCall) -> JSONValue {
        let arguments = (try? JSONValue(parsing: call.arguments)) ?? .object([:])
        return ["toolCallId": .string(call.id), "title": .string(title(call.name, arguments)),
                "kind": .string(kind(call.name, arguments)), "rawInput": arguments]
    }

    func kind(_ tool: String, _ arguments: JSONValue) -> String {
        switch (tool, arguments["command"]?.stringValue) {
        case ("developer__text_editor", "view"): "read"
        case ("developer__text_editor", _): "edit"
        case ("developer__shell", _): "execute"
        case ("developer__search", _): "search"
        case (let name, _) where name.hasPrefix("web__") || name.hasPrefix("browser__"): "fetch"
        case (let name, _) where name.hasPrefix("todo__") || name.hasPrefix("memory__"): "think"
        default: "other"
        }
    }

    func title(_ tool: String, _ arguments: JSONValue) -> String {
        let path = arguments["path"]?.stringValue ?? ""
        switch (tool, arguments["command"]?.stringValue) {
        case ("developer__text_editor", "view"): return "Read \(path)"
        case ("developer__text_editor", "create"): return "Write \(path)"
        case ("developer__text_editor", "undo_edit"): return "Undo the last edit of \(path)"
        case ("developer__text_editor", _): return "Edit \(path)"
        case ("developer__shell", let command?): return "Run `\(command.count > 80 ? String(command.prefix(79)) + "…" : command)`"
        case ("developer__search", _): return "Search for \(arguments["pattern"]?.stringValue ?? "text")"
        default: return tool
        }
    }

    private func editedPath(_ tool: String, _ arguments: JSONValue) -> String? {
        guard tool == "developer__text_editor", let command = arguments["command"]?.stringValue,
              ["create", "str_replace", "insert", "undo_edit"].contains(command) else { return nil }
        return arguments["path"]?.stringValue
    }

    private func url(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : workingDirectory.appendingPathComponent(path)
    }
}
