import Foundation

/// What the user typed at the prompt, kept per user across sessions in a JSON-lines file (one JSON string per
/// entry, so multi-line entries survive).
final class InputHistory {
    private(set) var entries: [String] = []
    private let file: URL?
    static let capacity = 1000

    init(file: URL?) {
        self.file = file
        guard let file, let text = try? String(contentsOf: file, encoding: .utf8) else { return }
        entries = text.split(separator: "\n").compactMap { line in
            try? JSONDecoder().decode(String.self, from: Data(line.utf8))
        }
        if entries.count > Self.capacity {
            entries.removeFirst(entries.count - Self.capacity)
            rewrite()
        }
    }

    /// Remembers an entry, unless it repeats the last one, and appends it to the file at once.
    func add(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, entry != entries.last else { return }
        entries.append(entry)
        guard let file, let line = Self.line(entry) else { return }
        if let handle = try? FileHandle(forWritingTo: file) {
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: line)
        } else {
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: file.path, contents: line, attributes: [.posixPermissions: 0o600])
        }
    }

    private func rewrite() {
        guard let file else { return }
        let data = entries.compactMap(Self.line).reduce(Data(), +)
        try? data.write(to: file, options: .atomic)
    }

    private static func line(_ entry: String) -> Data? {
        (try? JSONEncoder().encode(entry)).map { $0 + Data("\n".utf8) }
    }
}
