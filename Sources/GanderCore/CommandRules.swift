/// The user's standing rules for shell commands, from config.yaml's `commands:` (`allow: ["git status*"]`,
/// `ask: ["git push*"]`, `deny: ["rm -rf /*"]`). They are checked before anything runs, in every permission mode, and
/// they outrank the mode: `deny` refuses even in `auto`, `ask` asks even in `auto`, and `allow` runs without asking
/// even in `smart` or `approve`.
///
/// A command line is judged by its parts: `git status && rm -rf /` is two commands. Any part that matches `deny`
/// refuses the whole line and any that matches `ask` makes it ask; `allow` applies only when every part matches an
/// allow rule, and never to a line that substitutes commands (`$(…)`, backticks), whose inner commands cannot be seen.
public struct CommandRules: Sendable, Equatable {
    public var allow: [String]
    public var ask: [String]
    public var deny: [String]

    public init(allow: [String] = [], ask: [String] = [], deny: [String] = []) {
        self.allow = allow
        self.ask = ask
        self.deny = deny
    }

    public var isEmpty: Bool { allow.isEmpty && ask.isEmpty && deny.isEmpty }

    /// What the rules say about one command line; nil when no rule speaks to it and the mode decides.
    public func verdict(for commandLine: String) -> Verdict? {
        let parts = Self.commands(in: commandLine)
        for part in parts {
            if let rule = deny.first(where: { Self.matches(part, pattern: $0) }) { return .deny(rule: rule, command: part) }
        }
        for part in parts {
            if let rule = ask.first(where: { Self.matches(part, pattern: $0) }) { return .ask(rule: rule) }
        }
        let substitutes = commandLine.contains("$(") || commandLine.contains("`") || commandLine.contains("<(")
        if !parts.isEmpty, !substitutes, parts.allSatisfy({ part in allow.contains { Self.matches(part, pattern: $0) } }) {
            return .allow
        }
        return nil
    }

    public enum Verdict: Sendable, Equatable {
        case allow
        case ask(rule: String)
        case deny(rule: String, command: String)
    }

    /// The simple commands of a line, split at `;`, `&`, `|`, `&&`, `||`, newlines and parentheses, each trimmed, with
    /// quoted text kept whole so `echo "a;b"` stays one command.
    static func commands(in line: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { parts.append(trimmed) }
            current = ""
        }
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if character == "\\", quote != "'" {
                current.append(character)
                escaped = true
                continue
            }
            if let open = quote {
                if character == open { quote = nil }
                current.append(character)
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                current.append(character)
            case ";", "&", "|", "\n", "(", ")":
                flush()
            default:
                current.append(character)
            }
        }
        flush()
        return parts
    }

    /// Whether `command` fits `pattern`, where `*` stands for any run of characters (spaces too) and everything else
    /// is literal. Runs of spaces count as one, so `git  push` is still `git push*`.
    static func matches(_ command: String, pattern: String) -> Bool {
        let text = Array(collapsingSpaces(command))
        let pattern = Array(collapsingSpaces(pattern))
        // Classic wildcard matching with one backtrack point: linear for the patterns people write.
        var t = 0, p = 0
        var star = -1, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if p < pattern.count, pattern[p] == text[t] {
                t += 1
                p += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    private static func collapsingSpaces(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
