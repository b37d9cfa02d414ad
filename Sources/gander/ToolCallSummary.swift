import GanderCore

/// A tool call's arguments in one short line: `command=ls -la path=src/main.swift`.
enum ToolCallSummary {
    static func line(_ arguments: String, valueLimit: Int = 80) -> String {
        guard let object = (try? JSONValue(parsing: arguments))?.objectValue else { return String(arguments.prefix(100)) }
        let parts = object.keys.sorted().compactMap { key -> String? in
            guard let value = object[key] else { return nil }
            let text = value.stringValue ?? value.canonicalText
            let line = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            return "\(key)=\(line.prefix(valueLimit))\(line.count > valueLimit || text.contains("\n") ? "…" : "")"
        }
        return parts.joined(separator: " ")
    }
}
