import Foundation

/// One remembered fact: its text and the tags it can be found by.
struct Memory: Equatable, Sendable {
    var text: String
    var tags: [String]
}

/// Remembered facts in plain Markdown the user can read and edit: one file per category, `CATEGORY.md`, each entry a
/// list item with its tags at the end of its first line.
///
///     # build
///
///     - Run `make test` before every commit. #testing #ci
///     - The release build needs libcurl's -dev package.
///       Continuation lines are indented by two spaces.
struct MemoryStore: Sendable {
    let directory: URL

    /// Category names become file names: letters, digits, `-` and `_`.
    static func isValidCategory(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 60
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }

    /// The categories there are, sorted.
    func categories() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".md") }.map { String($0.dropLast(3)) }.filter(Self.isValidCategory).sorted()
    }

    func memories(in category: String) -> [Memory] {
        guard let text = try? String(contentsOf: file(category), encoding: .utf8) else { return [] }
        return Self.parse(text)
    }

    func add(_ memory: Memory, to category: String) throws {
        try write(memories(in: category) + [memory], to: category)
    }

    /// Removes the entries of `category` whose text contains `matching` (all of them when nil); returns how many.
    func remove(from category: String, matching: String?) throws -> Int {
        let all = memories(in: category)
        let kept = matching.map { needle in all.filter { !$0.text.localizedCaseInsensitiveContains(needle) } } ?? []
        if kept.isEmpty {
            try? FileManager.default.removeItem(at: file(category))
        } else {
            try write(kept, to: category)
        }
        return all.count - kept.count
    }

    private func write(_ memories: [Memory], to category: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var text = "# \(category)\n\n"
        for memory in memories {
            let lines = memory.text.split(separator: "\n", omittingEmptySubsequences: false)
            let tags = memory.tags.map { " #\($0)" }.joined()
            text += "- \(lines.first ?? "")\(tags)\n"
            for line in lines.dropFirst() { text += "  \(line)\n" }
        }
        try Data(text.utf8).write(to: file(category), options: .atomic)
    }

    private func file(_ category: String) -> URL {
        directory.appendingPathComponent("\(category).md")
    }

    /// Reads entries back, tolerant of hand edits: any `- ` or `* ` line starts an entry, indented lines continue it,
    /// headings and blank lines are skipped.
    static func parse(_ text: String) -> [Memory] {
        var memories: [Memory] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("- ") || line.hasPrefix("* ") {
                var words = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
                var tags: [String] = []
                while let last = words.last, last.hasPrefix("#"), last.count > 1 {
                    tags.insert(String(last.dropFirst()), at: 0)
                    words.removeLast()
                }
                memories.append(Memory(text: words.joined(separator: " "), tags: tags))
            } else if line.hasPrefix("  "), !memories.isEmpty {
                memories[memories.count - 1].text += "\n" + line.dropFirst(2)
            }
        }
        return memories
    }
}
