/// A template's parts, as the scanner cuts them: text and the insides of `{{ … }}` and `{% … %}`, with Jinja's
/// whitespace control applied (`-` inside a tag, and the `trim_blocks`/`lstrip_blocks` options).
enum TemplatePart {
    case text(String)
    case output(String, line: Int)
    case statement(String, line: Int)
}

struct TemplateScanner {
    let trimBlocks: Bool
    let lstripBlocks: Bool

    func parts(of source: String) throws -> [TemplatePart] {
        var parts: [TemplatePart] = []
        // As jinja2 does by default (keep_trailing_newline=False), one newline at the very end is not output.
        let characters = Array(source.hasSuffix("\n") ? source.dropLast() : Substring(source))
        var index = 0
        var line = 1
        var text = ""
        var trimNextLeading = false
        var trimNextNewline = false
        /// Whether the pending text starts at the start of a line in the source (for lstrip_blocks).
        var textStartsLine = true

        func flushText() {
            if !text.isEmpty { parts.append(.text(text)) }
            text = ""
            textStartsLine = false
        }

        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : "\0"
            guard character == "{", next == "{" || next == "%" || next == "#" else {
                if trimNextLeading {
                    if character.isWhitespace {
                        if character.isNewline { line += 1; textStartsLine = true }
                        index += 1
                        continue
                    }
                    trimNextLeading = false
                }
                if trimNextNewline {
                    trimNextNewline = false
                    if character == "\n" { line += 1; index += 1; textStartsLine = true; continue }
                }
                if character.isNewline { line += 1 }
                text.append(character)
                index += 1
                continue
            }
            trimNextLeading = false
            trimNextNewline = false
            let kind = next
            let tagLine = line
            var start = index + 2
            let stripBefore = start < characters.count && characters[start] == "-"
            let keepBefore = start < characters.count && characters[start] == "+"
            if stripBefore || keepBefore { start += 1 }
            if stripBefore {
                while let last = text.last, last.isWhitespace { text.removeLast() }
            } else if lstripBlocks, !keepBefore, kind != "{" {
                // Only spaces and tabs between the line's start and the tag: they go.
                let tail = text.reversed().prefix { $0 == " " || $0 == "\t" }
                let before = text.dropLast(tail.count)
                if before.last == "\n" || (before.isEmpty && textStartsLine) { text = String(before) }
            }
            let closer: [Character] = kind == "{" ? ["}", "}"] : kind == "%" ? ["%", "}"] : ["#", "}"]
            var end = start
            var quote: Character?
            while end + 1 < characters.count {
                let current = characters[end]
                if kind != "#" {
                    if let open = quote {
                        if current == "\\" { end += 2; continue }
                        if current == open { quote = nil }
                    } else if current == "'" || current == "\"" {
                        quote = current
                    }
                }
                if quote == nil, current == closer[0], characters[end + 1] == closer[1] { break }
                if current.isNewline { line += 1 }
                end += 1
            }
            guard end + 1 < characters.count else {
                throw JinjaError.syntax("a tag opened here is never closed", line: tagLine)
            }
            var bodyEnd = end
            let stripAfter = bodyEnd > start && characters[bodyEnd - 1] == "-"
            if stripAfter || (bodyEnd > start && characters[bodyEnd - 1] == "+") { bodyEnd -= 1 }
            let body = String(characters[start..<bodyEnd]).trimmingCharacters(in: .whitespacesAndNewlines)
            index = end + 2
            flushText()
            switch kind {
            case "{": parts.append(.output(body, line: tagLine))
            case "%":
                if body == "raw" {
                    // Everything up to {% endraw %} is text, tags included.
                    var rawText = ""
                    var found = false
                    while index < characters.count {
                        if characters[index] == "{", index + 1 < characters.count, characters[index + 1] == "%" {
                            var probe = index + 2
                            while probe < characters.count, characters[probe] == "-" || characters[probe] == " " { probe += 1 }
                            if String(characters[probe..<min(characters.count, probe + 6)]) == "endraw" {
                                while probe + 1 < characters.count, !(characters[probe] == "%" && characters[probe + 1] == "}") { probe += 1 }
                                index = probe + 2
                                found = true
                                break
                            }
                        }
                        if characters[index].isNewline { line += 1 }
                        rawText.append(characters[index])
                        index += 1
                    }
                    guard found else { throw JinjaError.syntax("{% raw %} is never closed with {% endraw %}", line: tagLine) }
                    parts.append(.text(rawText))
                } else {
                    parts.append(.statement(body, line: tagLine))
                }
            default: break
            }
            if stripAfter { trimNextLeading = true } else if trimBlocks, kind != "{" { trimNextNewline = true }
        }
        flushText()
        return parts
    }
}

/// One token of an expression inside a tag.
enum ExpressionToken: Equatable {
    case name(String)
    case string(String)
    case int(Int)
    case double(Double)
    case symbol(String)
}

struct ExpressionLexer {
    static let symbols = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]",
                          "{", "}", ",", ":", ".", "|", "="]

    static func tokens(of source: String, line: Int) throws -> [ExpressionToken] {
        var tokens: [ExpressionToken] = []
        let characters = Array(source)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace { index += 1; continue }
            if character.isLetter || character == "_" {
                var name = ""
                while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" {
                    name.append(characters[index])
                    index += 1
                }
                tokens.append(.name(name))
                continue
            }
            if character.isNumber {
                var digits = ""
                var isFloat = false
                while index < characters.count, characters[index].isNumber || characters[index] == "_"
                        || (characters[index] == "." && !isFloat && index + 1 < characters.count && characters[index + 1].isNumber) {
                    if characters[index] == "." { isFloat = true }
                    if characters[index] != "_" { digits.append(characters[index]) }
                    index += 1
                }
                if isFloat, let value = Double(digits) { tokens.append(.double(value)) }
                else if let value = Int(digits) { tokens.append(.int(value)) }
                else { throw JinjaError.syntax("the number \(digits) is out of range", line: line) }
                continue
            }
            if character == "'" || character == "\"" {
                var text = ""
                index += 1
                var closed = false
                while index < characters.count {
                    let current = characters[index]
                    if current == character { closed = true; index += 1; break }
                    if current == "\\", index + 1 < characters.count {
                        index += 1
                        switch characters[index] {
                        case "n": text += "\n"
                        case "t": text += "\t"
                        case "r": text += "\r"
                        case "0": text += "\0"
                        case "u" where index + 4 < characters.count:
                            let hex = String(characters[(index + 1)...(index + 4)])
                            if let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) {
                                text.unicodeScalars.append(scalar)
                                index += 4
                            } else {
                                text += "\\u"
                            }
                        case "\n": break
                        case let other where other == "\\" || other == "'" || other == "\"": text.append(other)
                        case let other: text += "\\" + String(other)
                        }
                        index += 1
                        continue
                    }
                    text.append(current)
                    index += 1
                }
                guard closed else { throw JinjaError.syntax("a string is never closed", line: line) }
                tokens.append(.string(text))
                continue
            }
            guard let symbol = symbols.first(where: { symbol in
                index + symbol.count <= characters.count && String(characters[index..<(index + symbol.count)]) == symbol
            }) else {
                throw JinjaError.syntax("unexpected character '\(character)'", line: line)
            }
            tokens.append(.symbol(symbol))
            index += symbol.count
        }
        return tokens
    }
}
