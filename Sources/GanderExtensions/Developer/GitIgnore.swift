import Foundation
import GanderCore

/// The ignore rules in force at one directory: its own `.gitignore`, its parents' up to the git root, and the
/// repository's `.git/info/exclude`. The last rule that matches decides, as in git.
struct GitIgnore: Sendable {
    struct Rule: Sendable {
        let pattern: GlobPattern
        let negated: Bool
        let directoryOnly: Bool
        /// A pattern with a slash in it matches the path from its file's directory, not any name at any depth.
        let anchored: Bool
        /// The absolute directory the rule's file sits in, with a trailing slash.
        let base: String
        /// The rule as written and where, for telling the model why a path is off limits.
        let text: String
        let source: String
    }

    private(set) var rules: [Rule] = []

    static let empty = GitIgnore()

    /// The rules that apply at `directory` before its own `.gitignore` is read: those of its parents up to the git
    /// root, so a search that starts deep in a repository still honours the root's rules.
    static func inherited(at directory: URL) -> GitIgnore {
        guard let chain = GitRoot.chain(from: directory), let root = chain.first else { return GitIgnore() }
        var rules = GitIgnore().adding(file: root.appendingPathComponent(".git/info/exclude"), base: root.path)
        // The directory's own .gitignore is read by the walker as it enters it.
        for parent in chain.dropLast() {
            rules = rules.adding(file: parent.appendingPathComponent(".gitignore"), base: parent.path)
        }
        return rules
    }

    /// These rules plus those in `file`, whose patterns are relative to `base`.
    func adding(file: URL, base: String) -> GitIgnore {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return self }
        return adding(text: text, base: base, source: file.path)
    }

    /// These rules plus those written in `text`, relative to `base`; `source` names where they came from.
    func adding(text: String, base: String, source: String) -> GitIgnore {
        var copy = self
        let basePath = base.hasSuffix("/") ? base : base + "/"
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = String(rawLine)
            while line.hasSuffix(" "), !line.hasSuffix("\\ ") { line.removeLast() }
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            var negated = false
            if line.hasPrefix("!") {
                negated = true
                line.removeFirst()
            } else if line.hasPrefix("\\!") || line.hasPrefix("\\#") {
                line.removeFirst()
            }
            var directoryOnly = false
            if line.hasSuffix("/") {
                directoryOnly = true
                line.removeLast()
            }
            guard !line.isEmpty else { continue }
            let anchored = line.contains("/")
            if line.hasPrefix("/") { line.removeFirst() }
            copy.rules.append(Rule(pattern: GlobPattern(line), negated: negated, directoryOnly: directoryOnly,
                                   anchored: anchored, base: basePath, text: String(rawLine), source: source))
        }
        return copy
    }

    /// Whether git would ignore the entry at `path` (absolute).
    func ignores(_ path: String, name: String, isDirectory: Bool) -> Bool {
        decidingRule(path, name: name, isDirectory: isDirectory).map { !$0.negated } ?? false
    }

    /// The last rule that matches the entry at `path`, which decides whether it is ignored.
    func decidingRule(_ path: String, name: String, isDirectory: Bool) -> Rule? {
        for rule in rules.reversed() {
            if rule.directoryOnly, !isDirectory { continue }
            guard path.hasPrefix(rule.base) else { continue }
            let subject = rule.anchored ? String(path.dropFirst(rule.base.count)) : name
            if rule.pattern.matches(subject) { return rule }
        }
        return nil
    }
}
