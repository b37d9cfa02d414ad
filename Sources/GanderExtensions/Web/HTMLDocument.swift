import Foundation

/// One node of a parsed page: an element with its attributes and children, or a run of text (`name` empty).
final class HTMLNode {
    let name: String
    let attributes: [String: String]
    var text: String
    var children: [HTMLNode] = []

    init(element name: String, attributes: [String: String] = [:]) {
        self.name = name
        self.attributes = attributes
        text = ""
    }

    init(text: String) {
        name = ""
        attributes = [:]
        self.text = text
    }

    var isText: Bool { name.isEmpty }

    /// The first element at or below this one that `matches`, depth first.
    func first(where matches: (HTMLNode) -> Bool) -> HTMLNode? {
        if matches(self) { return self }
        for child in children where !child.isText {
            if let found = child.first(where: matches) { return found }
        }
        return nil
    }

    /// Every element at or below this one that `matches`, in document order.
    func all(where matches: (HTMLNode) -> Bool) -> [HTMLNode] {
        var found: [HTMLNode] = []
        func visit(_ node: HTMLNode) {
            if matches(node) { found.append(node) }
            for child in node.children where !child.isText { visit(child) }
        }
        visit(self)
        return found
    }

    /// The text below this node as it would read, whitespace left as the page has it.
    var textContent: String {
        if isText { return text }
        var result = ""
        func collect(_ node: HTMLNode) {
            if node.isText { result += node.text } else { node.children.forEach(collect) }
        }
        collect(self)
        return result
    }
}

/// A forgiving HTML parser: it never fails, closes what the page leaves open the way browsers do for the common cases
/// (paragraphs, list items, table cells), skips scripts and styles, and decodes character references. It reads bytes,
/// not characters, because a megabyte page must parse in milliseconds.
enum HTMLDocument {
    /// The page's root element (a synthetic `#document` holding whatever the page had at the top).
    static func parse(_ data: Data) -> HTMLNode {
        var builder = TreeBuilder()
        data.withUnsafeBytes { raw in
            var tokenizer = Tokenizer(bytes: raw.bindMemory(to: UInt8.self))
            tokenizer.run(into: &builder)
        }
        return builder.root
    }

    static func parse(_ text: String) -> HTMLNode { parse(Data(text.utf8)) }

    /// Elements that never have children or an end tag.
    static let voidElements: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    ]
    /// Elements whose contents are not markup; what they hold is dropped (scripts, styles) or kept as text (title).
    static let rawTextElements: Set<String> = ["script", "style", "textarea", "title", "noscript", "template", "xmp"]
    static let droppedRawText: Set<String> = ["script", "style", "noscript", "template"]
}

// MARK: tree building

private struct TreeBuilder {
    let root = HTMLNode(element: "#document")
    private var stack: [HTMLNode]
    private static let maximumDepth = 400

    init() { stack = [root] }

    /// A start tag ends a paragraph, and some end a sibling of their own kind (`<li>` the open `<li>`).
    private static let closesParagraph: Set<String> = [
        "address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul",
    ]
    /// For each element that ends an open sibling: which open elements it ends, and which ones stop the search.
    private static let closesSibling: [String: (closes: Set<String>, boundary: Set<String>)] = [
        "li": (["li"], ["ul", "ol", "menu"]),
        "dt": (["dt", "dd"], ["dl"]),
        "dd": (["dt", "dd"], ["dl"]),
        "tr": (["tr", "td", "th"], ["table", "thead", "tbody", "tfoot"]),
        "td": (["td", "th"], ["tr", "table"]),
        "th": (["td", "th"], ["tr", "table"]),
        "thead": (["thead", "tbody", "tfoot", "tr", "td", "th"], ["table"]),
        "tbody": (["thead", "tbody", "tfoot", "tr", "td", "th"], ["table"]),
        "tfoot": (["thead", "tbody", "tfoot", "tr", "td", "th"], ["table"]),
        "option": (["option"], ["select", "datalist"]),
    ]

    mutating func start(_ name: String, attributes: [String: String], selfClosing: Bool) {
        if Self.closesParagraph.contains(name), stack.last?.name == "p" { stack.removeLast() }
        if let rule = Self.closesSibling[name] {
            // The outermost open element it ends, below the nearest boundary: a new row ends the open cell and row.
            var outermost: Int?
            for index in stack.indices.reversed() {
                let open = stack[index].name
                if rule.boundary.contains(open) { break }
                if rule.closes.contains(open) { outermost = index }
            }
            if let outermost { stack.removeSubrange(outermost...) }
        }
        let node = HTMLNode(element: name, attributes: attributes)
        stack[stack.count - 1].children.append(node)
        if !selfClosing, !HTMLDocument.voidElements.contains(name), stack.count < Self.maximumDepth {
            stack.append(node)
        }
    }

    mutating func end(_ name: String) {
        // An end tag with no open element of its name is ignored, as browsers do.
        guard let index = stack.lastIndex(where: { $0.name == name }), index > 0 else { return }
        stack.removeSubrange(index...)
    }

    mutating func text(_ text: String) {
        guard !text.isEmpty else { return }
        let parent = stack[stack.count - 1]
        if let last = parent.children.last, last.isText {
            last.text += text
        } else {
            parent.children.append(HTMLNode(text: text))
        }
    }
}

// MARK: tokenizing

private struct Tokenizer {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func run(into builder: inout TreeBuilder) {
        var textStart = 0
        while position < bytes.count {
            guard bytes[position] == UInt8(ascii: "<"), position + 1 < bytes.count else {
                position += 1
                continue
            }
            let next = bytes[position + 1]
            let tagStart = position
            if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
                builder.text(decodedText(textStart..<tagStart))
                skipDeclaration()
                textStart = position
            } else if next == UInt8(ascii: "/"), position + 2 < bytes.count, isLetter(bytes[position + 2]) {
                builder.text(decodedText(textStart..<tagStart))
                position += 2
                let name = readName()
                skip(past: UInt8(ascii: ">"))
                builder.end(name)
                textStart = position
            } else if isLetter(next) {
                builder.text(decodedText(textStart..<tagStart))
                position += 1
                let (name, attributes, selfClosing) = readStartTag()
                builder.start(name, attributes: attributes, selfClosing: selfClosing)
                if HTMLDocument.rawTextElements.contains(name), !selfClosing {
                    let contentStart = position
                    let contentEnd = findEndTag(name)
                    if !HTMLDocument.droppedRawText.contains(name) {
                        builder.text(decodedText(contentStart..<contentEnd))
                    }
                    builder.end(name)
                }
                textStart = position
            } else {
                position += 1
            }
        }
        builder.text(decodedText(textStart..<bytes.count))
    }

    private func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    private func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C
    }

    private mutating func skip(past byte: UInt8) {
        while position < bytes.count, bytes[position] != byte { position += 1 }
        position = min(position + 1, bytes.count)
    }

    /// `<!-- … -->`, `<!DOCTYPE …>`, `<![CDATA[ … ]]>`, `<? … >`.
    private mutating func skipDeclaration() {
        if matches("<!--", at: position) {
            position += 4
            while position < bytes.count, !matches("-->", at: position) { position += 1 }
            position = min(position + 3, bytes.count)
        } else {
            skip(past: UInt8(ascii: ">"))
        }
    }

    private func matches(_ literal: StaticString, at offset: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        let start = literal.utf8Start
        for index in 0..<count where bytes[offset + index] != start[index] { return false }
        return true
    }

    /// A tag or attribute name, lowercased.
    private mutating func readName() -> String {
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=") { break }
            position += 1
        }
        let name = UnsafeBufferPointer(rebasing: bytes[start..<position])
        // Names are ASCII in practice; folding bytes is many times cheaper than String.lowercased().
        guard name.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
            return String(decoding: name, as: UTF8.self)
        }
        return String(decoding: name.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private mutating func readStartTag() -> (String, [String: String], Bool) {
        let name = readName()
        var attributes: [String: String] = [:]
        while position < bytes.count {
            while position < bytes.count, isSpace(bytes[position]) { position += 1 }
            guard position < bytes.count else { break }
            let byte = bytes[position]
            if byte == UInt8(ascii: ">") {
                position += 1
                return (name, attributes, false)
            }
            if byte == UInt8(ascii: "/") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: ">") {
                    position += 1
                    return (name, attributes, true)
                }
                continue
            }
            let attribute = readName()
            if attribute.isEmpty {
                position += 1
                continue
            }
            while position < bytes.count, isSpace(bytes[position]) { position += 1 }
            var value = ""
            if position < bytes.count, bytes[position] == UInt8(ascii: "=") {
                position += 1
                while position < bytes.count, isSpace(bytes[position]) { position += 1 }
                value = readAttributeValue()
            }
            if attributes[attribute] == nil { attributes[attribute] = value }
        }
        return (name, attributes, false)
    }

    private mutating func readAttributeValue() -> String {
        guard position < bytes.count else { return "" }
        let quote = bytes[position]
        let start: Int
        if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
            position += 1
            start = position
            while position < bytes.count, bytes[position] != quote { position += 1 }
            let value = decodedText(start..<position)
            position = min(position + 1, bytes.count)
            return value
        }
        start = position
        while position < bytes.count, !isSpace(bytes[position]), bytes[position] != UInt8(ascii: ">") { position += 1 }
        return decodedText(start..<position)
    }

    /// Moves past `</name…>` and returns where the element's raw contents end (the whole rest when it never closes).
    private mutating func findEndTag(_ name: String) -> Int {
        let target = Array(name.utf8)
        var scan = position
        while scan + 1 < bytes.count {
            if bytes[scan] == UInt8(ascii: "<"), bytes[scan + 1] == UInt8(ascii: "/"), scan + 2 + target.count <= bytes.count {
                var same = true
                for (offset, byte) in target.enumerated() where (bytes[scan + 2 + offset] | 0x20) != byte {
                    same = false
                    break
                }
                if same {
                    position = scan + 2 + target.count
                    skip(past: UInt8(ascii: ">"))
                    return scan
                }
            }
            scan += 1
        }
        position = bytes.count
        return bytes.count
    }

    /// The bytes as text with character references decoded; invalid UTF-8 is replaced, never fatal.
    private func decodedText(_ range: Range<Int>) -> String {
        guard !range.isEmpty else { return "" }
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
        return CharacterReferences.decode(String(decoding: slice, as: UTF8.self))
    }
}

/// `&amp;`, `&#39;`, `&#x2014;` and the named references pages commonly use.
enum CharacterReferences {
    private static let named: [Substring: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}", "copy": "©", "reg": "®",
        "trade": "™", "mdash": "—", "ndash": "–", "hellip": "…", "laquo": "«", "raquo": "»", "lsquo": "‘",
        "rsquo": "’", "ldquo": "“", "rdquo": "”", "bull": "•", "middot": "·", "times": "×", "divide": "÷",
        "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "sect": "§", "para": "¶", "deg": "°", "plusmn": "±",
        "larr": "←", "rarr": "→", "uarr": "↑", "darr": "↓", "harr": "↔", "le": "≤", "ge": "≥", "ne": "≠",
        "shy": "\u{00AD}", "zwj": "\u{200D}", "zwnj": "\u{200C}", "thinsp": "\u{2009}", "ensp": "\u{2002}",
        "emsp": "\u{2003}", "iexcl": "¡", "iquest": "¿", "frac12": "½", "frac14": "¼", "frac34": "¾",
        "eacute": "é", "egrave": "è", "aacute": "á", "agrave": "à", "ouml": "ö", "uuml": "ü", "auml": "ä",
        "szlig": "ß", "ntilde": "ñ", "ccedil": "ç", "check": "✓", "hearts": "♥", "star": "☆",
    ]

    static func decode(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            let after = rest[rest.index(after: ampersand)...]
            let end = after.prefix(32).firstIndex(of: ";")
            let name = end.map { after[..<$0] } ?? after.prefix { $0.isLetter }
            if let decoded = reference(name) {
                result += decoded
                rest = end.map { after[after.index(after: $0)...] } ?? after[name.endIndex...]
            } else {
                result += "&"
                rest = after
            }
        }
        result += rest
        return result
    }

    private static func reference(_ name: Substring) -> String? {
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let value = digits.first == "x" || digits.first == "X"
                ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return nil }
            return String(Character(scalar))
        }
        return named[name]
    }
}
