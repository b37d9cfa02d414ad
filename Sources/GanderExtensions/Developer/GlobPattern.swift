/// A shell-style pattern as .gitignore and `search` use them: `*` and `?` stay within one path segment, `[a-z]`
/// and `[!a-z]` are classes, `**` crosses segments, and a backslash escapes the next character.
struct GlobPattern: Sendable {
    private let pattern: [UInt8]

    init(_ pattern: String) {
        self.pattern = Array(pattern.utf8)
    }

    func matches(_ path: String) -> Bool {
        let text = Array(path.utf8)
        return Self.match(pattern[...], text[...])
    }

    private static let slash = UInt8(ascii: "/")
    private static let star = UInt8(ascii: "*")

    private static func match(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        while p < pattern.endIndex {
            let symbol = pattern[p]
            if symbol == star {
                let isDouble = p + 1 < pattern.endIndex && pattern[p + 1] == star
                if isDouble {
                    var rest = p + 2
                    // `**/` also matches no directories at all.
                    if rest < pattern.endIndex, pattern[rest] == slash {
                        rest += 1
                        if match(pattern[rest...], text[t...]) { return true }
                    }
                    var position = t
                    while position < text.endIndex {
                        position += 1
                        if match(pattern[rest...], text[position...]) { return true }
                    }
                    return match(pattern[rest...], text[text.endIndex...])
                }
                let rest = p + 1
                var position = t
                while true {
                    if match(pattern[rest...], text[position...]) { return true }
                    guard position < text.endIndex, text[position] != slash else { return false }
                    position += 1
                }
            }
            guard t < text.endIndex else { return false }
            switch symbol {
            case UInt8(ascii: "?"):
                guard text[t] != slash else { return false }
                p += 1
            case UInt8(ascii: "["):
                guard let (matched, next) = matchClass(pattern, from: p, byte: text[t]) else {
                    guard text[t] == symbol else { return false }
                    p += 1
                    t += 1
                    continue
                }
                guard matched, text[t] != slash else { return false }
                p = next
            case UInt8(ascii: "\\") where p + 1 < pattern.endIndex:
                guard text[t] == pattern[p + 1] else { return false }
                p += 2
            default:
                guard text[t] == symbol else { return false }
                p += 1
            }
            t += 1
        }
        return t == text.endIndex
    }

    /// Matches one byte against the class opening at `start`; nil when the class never closes (then `[` is literal).
    private static func matchClass(_ pattern: ArraySlice<UInt8>, from start: Int, byte: UInt8) -> (Bool, Int)? {
        var index = start + 1
        var negated = false
        if index < pattern.endIndex, pattern[index] == UInt8(ascii: "!") || pattern[index] == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var matched = false
        var first = true
        while index < pattern.endIndex {
            let current = pattern[index]
            if current == UInt8(ascii: "]"), !first { return (matched != negated, index + 1) }
            first = false
            if index + 2 < pattern.endIndex, pattern[index + 1] == UInt8(ascii: "-"), pattern[index + 2] != UInt8(ascii: "]") {
                if (current...pattern[index + 2]).contains(byte) { matched = true }
                index += 3
            } else {
                if current == byte { matched = true }
                index += 1
            }
        }
        return nil
    }
}
