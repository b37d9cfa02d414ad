/// Renders Markdown a line at a time for the terminal: headings, emphasis, lists, quotes, links, inline code, and
/// fenced code blocks with their language named. A line at a time is what streaming allows: a line is final once
/// its newline arrives.
struct MarkdownRenderer {
    let style: Style
    private var fence: String?

    init(style: Style) {
        self.style = style
    }

    /// Whether the next line is inside a fenced code block.
    var inCodeBlock: Bool { fence != nil }

    /// The finished `line`, styled, without its newline.
    mutating func render(_ line: String) -> String {
        let trimmed = line.drop(while: { $0 == " " })
        if let open = fence {
            if trimmed.hasPrefix(open), trimmed.allSatisfy({ $0 == "`" || $0 == "~" }) {
                fence = nil
                return style.dim("└─")
            }
            return style.dim("│ ") + style.cyan(line)
        }
        if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
            let marker = String(trimmed.prefix(while: { $0 == "`" || $0 == "~" }))
            fence = marker
            let language = trimmed.dropFirst(marker.count).trimmingCharacters(in: .whitespaces)
            return style.dim("┌─ ") + style.bold(language.isEmpty ? "code" : language)
        }
        if let heading = Self.heading(line) {
            return heading.level == 1 ? style.bold(style.underline(inline(heading.text))) : style.bold(inline(heading.text))
        }
        if trimmed.count >= 3, Set(trimmed).count == 1, let first = trimmed.first, "-*_".contains(first) {
            return style.dim(String(repeating: "─", count: 40))
        }
        let indent = String(line.prefix(while: { $0 == " " }))
        if let rest = Self.bulletItem(trimmed) {
            return indent + style.yellow("•") + " " + inline(rest)
        }
        if trimmed.hasPrefix(">") {
            return style.dim("│ ") + style.italic(inline(String(trimmed.dropFirst().drop(while: { $0 == " " }))))
        }
        return inline(line)
    }

    /// Emphasis, inline code and links within one line.
    func inline(_ text: String) -> String {
        guard style.enabled else { return text }
        var out = ""
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "`", let close = Self.find("`", in: characters, from: index + 1) {
                out += style.cyan(String(characters[(index + 1)..<close]))
                index = close + 1
            } else if (character == "*" || character == "_"), index + 1 < characters.count,
                      characters[index + 1] == character,
                      let close = Self.find(String([character, character]), in: characters, from: index + 2),
                      close > index + 2 {
                out += style.bold(inline(String(characters[(index + 2)..<close])))
                index = close + 2
            } else if (character == "*" || character == "_"), index + 1 < characters.count,
                      characters[index + 1] != " ", Self.opensEmphasis(characters, at: index),
                      let close = Self.find(String(character), in: characters, from: index + 1), close > index + 1,
                      characters[close - 1] != " " {
                out += style.italic(String(characters[(index + 1)..<close]))
                index = close + 1
            } else if character == "[", let link = Self.link(in: characters, at: index) {
                out += style.underline(link.text) + style.dim(" (\(link.url))")
                index = link.end
            } else {
                out.append(character)
                index += 1
            }
        }
        return out
    }

    private static func heading(_ line: String) -> (level: Int, text: String)? {
        let hashes = line.prefix(while: { $0 == "#" }).count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return (hashes, String(line.dropFirst(hashes + 1)))
    }

    private static func bulletItem(_ line: Substring) -> String? {
        guard let first = line.first, "-*+".contains(first), line.dropFirst().first == " " else { return nil }
        return String(line.dropFirst(2))
    }

    /// `_` inside a word (snake_case) is not emphasis.
    private static func opensEmphasis(_ characters: [Character], at index: Int) -> Bool {
        guard characters[index] == "_", index > 0 else { return true }
        return !(characters[index - 1].isLetter || characters[index - 1].isNumber)
    }

    private static func find(_ marker: String, in characters: [Character], from start: Int) -> Int? {
        let needle = Array(marker)
        guard start <= characters.count - needle.count else { return nil }
        for index in start...(characters.count - needle.count) where Array(characters[index..<(index + needle.count)]) == needle {
            return index
        }
        return nil
    }

    private static func link(in characters: [Character], at index: Int) -> (text: String, url: String, end: Int)? {
        guard let closeText = find("]", in: characters, from: index + 1), closeText + 1 < characters.count,
              characters[closeText + 1] == "(", let closeURL = find(")", in: characters, from: closeText + 2)
        else { return nil }
        return (String(characters[(index + 1)..<closeText]), String(characters[(closeText + 2)..<closeURL]), closeURL + 1)
    }
}
