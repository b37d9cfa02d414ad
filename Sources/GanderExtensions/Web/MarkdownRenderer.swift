import CGanderSystem
import Foundation

/// Turns a parsed page into Markdown a model reads well: headings, paragraphs, links with absolute addresses, lists,
/// fenced code with its language, pipe tables, quotes. In `interactive` mode (the browser's view of a page) the
/// elements a page script numbered with `data-gander-id` are shown with their numbers, form fields with their values,
/// and nothing marked `data-gander-hidden` is shown.
struct MarkdownRenderer {
    var baseURL: URL?
    var interactive = false

    private static let blockElements: Set<String> = [
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
        "hr", "html", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul", "#document", "caption", "legend", "search",
    ]
    /// Never shown: what a reader cannot see, or cannot use as text.
    private static let skipped: Set<String> = [
        "head", "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "audio", "video",
        "map", "math", "link", "meta", "base",
    ]
    /// Form controls: shown only in interactive mode.
    private static let controls: Set<String> = ["input", "select", "textarea", "button", "option", "optgroup", "datalist"]

    func render(_ node: HTMLNode) -> String {
        Self.tidy(blocks(node.children, separator: "\n\n"))
    }

    // MARK: blocks

    private func blocks(_ nodes: [HTMLNode], separator: String) -> String {
        var parts: [String] = []
        var line = InlineText()
        func flush() {
            let text = line.finish()
            if !text.isEmpty { parts.append(text) }
        }
        for node in nodes {
            if !node.isText, Self.blockElements.contains(node.name), !isHidden(node) {
                flush()
                let block = self.block(node)
                if !block.isEmpty { parts.append(block) }
            } else {
                inline(node, into: &line)
            }
        }
        flush()
        return parts.joined(separator: separator)
    }

    private func block(_ node: HTMLNode) -> String {
        switch node.name {
        case "h1", "h2", "h3", "h4", "h5", "h6":
            let level = Int(String(node.name.last!))!
            let title = inlineText(node.children)
            return title.isEmpty ? "" : String(repeating: "#", count: level) + " " + title.onOneLine
        case "ul", "ol", "menu": return list(node, ordered: node.name == "ol")
        case "pre": return codeBlock(node)
        case "blockquote":
            let inner = blocks(node.children, separator: "\n\n")
            return inner.isEmpty ? "" : inner.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.isEmpty ? ">" : "> " + $0 }.joined(separator: "\n")
        case "table": return table(node)
        case "hr": return "---"
        case "dt": return "**" + inlineText(node.children) + "**"
        case "dd": return ": " + blocks(node.children, separator: "\n")
        case "li": return list(HTMLNode(element: "ul"), items: [node], ordered: false)
        default: return blocks(node.children, separator: "\n\n")
        }
    }

    private func list(_ node: HTMLNode, ordered: Bool) -> String {
        list(node, items: node.children.filter { !$0.isText || !$0.text.allSatisfy(\.isWhitespace) }, ordered: ordered)
    }

    private func list(_ node: HTMLNode, items: [HTMLNode], ordered: Bool) -> String {
        var number = Int(node.attributes["start"] ?? "") ?? 1
        var lines: [String] = []
        for item in items where !isHidden(item) {
            let content = item.name == "li" ? blocks(item.children, separator: "\n") : blocks([item], separator: "\n")
            guard !content.isEmpty else { continue }
            let marker = ordered ? "\(number). " : "- "
            number += 1
            guard content.utf8.contains(0x0A) else {
                lines.append(marker + content)
                continue
            }
            let indent = String(repeating: " ", count: marker.count)
            let body = content.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, line in
                index == 0 ? marker + line : (line.isEmpty ? "" : indent + line)
            }
            lines.append(body.joined(separator: "\n"))
        }
        return lines.joined(separator: "\n")
    }

    private func codeBlock(_ node: HTMLNode) -> String {
        var code = node.textContent
        while code.hasSuffix("\n") { code.removeLast() }
        while code.hasPrefix("\n") { code.removeFirst() }
        guard !code.isEmpty else { return "" }
        let inner = node.children.first { $0.name == "code" }
        let classes = ((node.attributes["class"] ?? "") + " " + (inner?.attributes["class"] ?? "")).split(separator: " ")
        let language = classes.lazy.compactMap { word -> Substring? in
            for prefix in ["language-", "lang-"] where word.hasPrefix(prefix) { return word.dropFirst(prefix.count) }
            return nil
        }.first ?? ""
        let fence = code.containsBytes("```") ? "~~~~" : "```"
        return fence + language + "\n" + code + "\n" + fence
    }

    private func table(_ node: HTMLNode) -> String {
        var rows: [[String]] = []
        var captions: [String] = []
        func collect(_ element: HTMLNode) {
            for child in element.children where !child.isText && !isHidden(child) {
                switch child.name {
                case "tr":
                    rows.append(child.children.filter { $0.name == "td" || $0.name == "th" }.map { cell in
                        blocks(cell.children, separator: " ").onOneLine.escapingPipes
                    })
                case "thead", "tbody", "tfoot": collect(child)
                case "caption": captions.append(inlineText(child.children))
                default: break
                }
            }
        }
        collect(node)
        rows = rows.filter { !$0.allSatisfy(\.isEmpty) }
        let width = rows.map(\.count).max() ?? 0
        guard width > 0 else { return "" }
        // A table of one column is layout, not data: its cells read as paragraphs.
        if width == 1 { return (captions + rows.map { $0[0] }).joined(separator: "\n\n") }
        let padded = rows.map { $0 + Array(repeating: "", count: width - $0.count) }
        var lines = captions
        lines.append("| " + padded[0].joined(separator: " | ") + " |")
        lines.append("|" + Array(repeating: " --- |", count: width).joined())
        for row in padded.dropFirst() { lines.append("| " + row.joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n")
    }

    // MARK: inline

    private func inlineText(_ nodes: [HTMLNode]) -> String {
        var line = InlineText()
        for node in nodes { inline(node, into: &line) }
        return line.finish()
    }

    private func inline(_ node: HTMLNode, into line: inout InlineText) {
        if node.isText {
            line.append(node.text)
            return
        }
        guard !Self.skipped.contains(node.name), !isHidden(node) else { return }
        if Self.controls.contains(node.name) {
            if interactive {
                line.append(" ")
                line.appendRaw(control(node))
                line.append(" ")
            }
            return
        }
        switch node.name {
        case "br": line.breakLine()
        case "a":
            let label = inlineText(node.children)
            let number = interactive ? node.attributes["data-gander-id"] : nil
            guard let href = node.attributes["href"], !href.isEmpty, !href.lowercased().hasPrefix("javascript:"),
                  let target = resolve(href)
            else {
                if let number { line.appendRaw("[\(number): \(label.isEmpty ? "link" : label)]") } else { line.appendRaw(label) }
                return
            }
            if label.isEmpty && number == nil { return }
            line.appendRaw("[" + (number.map { "\($0): " } ?? "") + (label.isEmpty ? target : label) + "](" + target + ")")
        case "img":
            let alt = (node.attributes["alt"] ?? "").trimmedWhitespace
            guard !alt.isEmpty, let source = node.attributes["src"].flatMap(resolve) else { return }
            line.appendRaw("![\(alt)](\(source))")
        case "strong", "b": line.wrap(inlineText(node.children), in: "**")
        case "em", "i", "cite": line.wrap(inlineText(node.children), in: "*")
        case "del", "s", "strike": line.wrap(inlineText(node.children), in: "~~")
        case "code", "kbd", "samp", "tt":
            let code = node.textContent.onOneLine
            guard !code.trimmedWhitespace.isEmpty else { return }
            line.appendRaw(code.utf8.contains(UInt8(ascii: "`")) ? "`` " + code + " ``" : "`" + code + "`")
        default:
            if Self.blockElements.contains(node.name) {
                // A block inside an inline element (a `<div>` in a link): its text runs on.
                line.append(" ")
                for child in node.children { inline(child, into: &line) }
                line.append(" ")
            } else if interactive, let number = node.attributes["data-gander-id"] {
                line.appendRaw("[\(number): " + inlineText(node.children) + "]")
            } else {
                for child in node.children { inline(child, into: &line) }
            }
        }
    }

    /// A form control as the browser view shows it: its number, kind, name and current value.
    private func control(_ node: HTMLNode) -> String {
        guard let number = node.attributes["data-gander-id"] else { return "" }
        let attributes = node.attributes
        func quoted(_ key: String, _ value: String?) -> String {
            guard let value, !value.isEmpty else { return "" }
            return " \(key)=\"\(value.replacing("\"", with: "'"))\""
        }
        let value = attributes["data-gander-value"] ?? attributes["value"]
        switch node.name {
        case "button":
            return "[\(number): button \"\(inlineText(node.children))\"]"
        case "select":
            let options = node.all { $0.name == "option" }.map { option in
                let label = inlineText(option.children)
                return option.attributes["data-gander-selected"] != nil ? label + " (selected)" : label
            }
            return "[\(number): select\(quoted("name", attributes["name"])) options: \(options.joined(separator: ", "))]"
        case "textarea":
            return "[\(number): textarea\(quoted("name", attributes["name"]))\(quoted("placeholder", attributes["placeholder"]))"
                + "\(quoted("value", attributes["data-gander-value"] ?? node.textContent))]"
        default:
            let type = (attributes["type"] ?? "text").lowercased()
            switch type {
            case "hidden": return ""
            case "submit", "button", "reset":
                return "[\(number): button \"\(value ?? type)\"]"
            case "checkbox", "radio":
                let checked = attributes["data-gander-checked"] != nil ? " checked" : ""
                return "[\(number): \(type)\(quoted("name", attributes["name"]))\(quoted("value", attributes["value"]))\(checked)]"
            default:
                return "[\(number): input \(type)\(quoted("name", attributes["name"]))"
                    + "\(quoted("placeholder", attributes["placeholder"]))\(quoted("value", value))]"
            }
        }
    }

    private func isHidden(_ node: HTMLNode) -> Bool {
        interactive && node.attributes["data-gander-hidden"] != nil
    }

    private func resolve(_ reference: String) -> String? {
        let trimmed = reference.trimmedWhitespace
        if trimmed.hasPrefix("#") || trimmed.lowercased().hasPrefix("data:") { return trimmed.hasPrefix("#") ? trimmed : nil }
        guard let url = URL(string: trimmed, relativeTo: baseURL) else { return trimmed }
        return url.absoluteString
    }

    /// No runs of blank lines, no trailing spaces. Byte by byte: this runs over the whole page's Markdown.
    static func tidy(_ text: String) -> String {
        var text = text
        var output: [UInt8] = []
        text.withUTF8 { bytes in
            output.reserveCapacity(bytes.count)
            var blankLines = 0
            var lineStart = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == 0x0A {
                var end = index
                while end > lineStart, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
                if end == lineStart {
                    blankLines += 1
                    if blankLines == 1 { output.append(0x0A) }
                } else {
                    blankLines = 0
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[lineStart..<end]))
                    output.append(0x0A)
                }
                lineStart = index + 1
            }
        }
        return String(decoding: Self.trimmingASCIIWhitespace(output), as: UTF8.self)
    }

    /// `bytes` without ASCII white space at either end; the renderer collapses all other white space to ASCII.
    fileprivate static func trimmingASCIIWhitespace(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return []
        }
        return bytes[first...last]
    }
}

extension String {
    /// Without white space and newlines at either end. Foundation's `trimmingCharacters(in:)` converts the whole text
    /// to UTF-16 first, which on a page's worth of text costs more than rendering it.
    var trimmedWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    /// Whether `needle` occurs in the text, byte for byte (Foundation's `contains` bridges to NSString first).
    func containsBytes(_ needle: String) -> Bool {
        var text = self
        var needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { wanted in
                !wanted.isEmpty && haystack.count >= wanted.count
                    && gander_memmem(haystack.baseAddress, haystack.count, wanted.baseAddress, wanted.count) != nil
            }
        }
    }

    /// Newlines turned into spaces (a heading, a table cell or inline code must stay on its line).
    var onOneLine: String {
        utf8.contains(0x0A) ? String(decoding: utf8.map { $0 == 0x0A ? 0x20 : $0 }, as: UTF8.self) : self
    }

    /// `|` escaped, for a table cell.
    var escapingPipes: String {
        guard utf8.contains(UInt8(ascii: "|")) else { return self }
        var escaped: [UInt8] = []
        for byte in utf8 {
            if byte == UInt8(ascii: "|") { escaped.append(UInt8(ascii: "\\")) }
            escaped.append(byte)
        }
        return String(decoding: escaped, as: UTF8.self)
    }
}

/// A run of inline text with whitespace collapsed as a browser shows it. It works on UTF-8 bytes and copies runs of
/// visible text whole: going scalar by scalar made a megabyte page take many times longer.
private struct InlineText {
    private var bytes: [UInt8] = []
    private var pendingSpace = false

    mutating func append(_ raw: String) {
        var raw = raw
        raw.withUTF8 { source in
            var index = 0
            while index < source.count {
                if let collapsed = Self.collapsible(source, at: index) {
                    if collapsed.isSpace { pendingSpace = true }
                    index += collapsed.length
                    continue
                }
                let start = index
                index += 1
                while index < source.count, Self.collapsible(source, at: index) == nil { index += 1 }
                spaceIfPending()
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[start..<index]))
            }
        }
    }

    /// White space (ASCII, no-break space) that collapses, or an invisible soft hyphen or zero-width space that goes:
    /// its length in bytes and whether it counts as a space.
    private static func collapsible(_ source: UnsafeBufferPointer<UInt8>, at index: Int) -> (length: Int, isSpace: Bool)? {
        switch source[index] {
        case 0x20, 0x0A, 0x09, 0x0D, 0x0C: return (1, true)
        case 0xC2 where index + 1 < source.count:
            if source[index + 1] == 0xA0 { return (2, true) }
            if source[index + 1] == 0xAD { return (2, false) }
            return nil
        case 0xE2 where index + 2 < source.count && source[index + 1] == 0x80 && source[index + 2] == 0x8B: return (3, false)
        default: return nil
        }
    }

    private mutating func spaceIfPending() {
        if pendingSpace, let last = bytes.last, last != 0x0A { bytes.append(0x20) }
        pendingSpace = false
    }

    /// Text that is already Markdown (a link, code): kept as it is, spaced from what comes before.
    mutating func appendRaw(_ markdown: String) {
        guard !markdown.isEmpty else { return }
        spaceIfPending()
        bytes.append(contentsOf: markdown.utf8)
    }

    mutating func wrap(_ inner: String, in marker: String) {
        guard !inner.isEmpty else { return }
        appendRaw(marker + inner + marker)
    }

    mutating func breakLine() {
        bytes.append(0x0A)
        pendingSpace = false
    }

    mutating func finish() -> String {
        defer {
            bytes.removeAll(keepingCapacity: true)
            pendingSpace = false
        }
        return String(decoding: MarkdownRenderer.trimmingASCIIWhitespace(bytes), as: UTF8.self)
    }
}
