import CGanderSystem
import Foundation

/// Turns a parsed page into Markdown a model reads well: headings, paragraphs, links with absolute addresses, lists,
/// fenced code with its language, pipe tables, quotes. In `interactive` mode (the browser's view of a page) the
/// elements a page script numbered with `data-gander-id` are shown with their numbers, form fields with their values,
/// and nothing marked `data-gander-hidden` is shown.
struct MarkdownRenderer {
    var baseURL: URL?
    var interactive = false

    /// The Markdown of `node`'s contents; with a `title`, headed by it unless the contents open with a heading.
    func render(_ node: HTMLNode, title: String = "") -> String {
        var pass = RenderPass(document: node.document, baseURL: baseURL, interactive: interactive)
        pass.blocks(childrenOf: node.index, separator: .paragraph)
        let markdown = Self.tidy(&pass.output)
        guard !title.isEmpty, !markdown.starts(with: "# ".utf8) else { return String(decoding: markdown, as: UTF8.self) }
        // Written once into the string: a megabyte of Markdown is not copied again to put a line before it.
        let heading = Array("# \(title)\n\n".utf8)
        return String(unsafeUninitializedCapacity: heading.count + markdown.count) { buffer in
            let afterHeading = buffer.initialize(fromContentsOf: heading)
            let end = UnsafeMutableBufferPointer(rebasing: buffer[afterHeading...]).initialize(fromContentsOf: markdown)
            return afterHeading + end
        }
    }

    func render(_ document: HTMLDocument) -> String { render(document.root) }

    /// No runs of blank lines, no trailing spaces. Byte by byte: this runs over the whole page's Markdown.
    static func tidy(_ text: String) -> String {
        var bytes = Array(text.utf8)
        return String(decoding: tidy(&bytes), as: UTF8.self)
    }

    /// Tidies `bytes` in place (what is kept never runs ahead of what is read) and returns the part to keep.
    fileprivate static func tidy(_ bytes: inout [UInt8]) -> ArraySlice<UInt8> {
        var kept = 0
        bytes.withUnsafeMutableBufferPointer { bytes in
            var blankLines = 0
            var lineStart = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == 0x0A {
                var end = index
                while end > lineStart, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
                if end == lineStart {
                    blankLines += 1
                    if blankLines == 1, kept < bytes.count {
                        bytes[kept] = 0x0A
                        kept += 1
                    }
                } else {
                    blankLines = 0
                    for offset in lineStart..<end {
                        bytes[kept] = bytes[offset]
                        kept += 1
                    }
                    if kept < bytes.count {
                        bytes[kept] = 0x0A
                        kept += 1
                    }
                }
                lineStart = index + 1
            }
        }
        return trimmingASCIIWhitespace(bytes[..<kept])
    }

    /// `bytes` without ASCII white space at either end; the renderer collapses all other white space to ASCII.
    fileprivate static func trimmingASCIIWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return []
        }
        return bytes[first...last]
    }

    @inline(__always)
    fileprivate static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C
    }
}

/// One rendering of a document into one growing buffer. Blocks are written where they end up; what must change
/// after it is written (a quote's `> `, a list item's indent, a table cell's pipes) is rewritten in place at the end
/// of the buffer, so a page is never assembled from thousands of small strings.
private struct RenderPass {
    let document: HTMLDocument
    let baseURL: URL?
    let interactive: Bool
    var output: [UInt8] = []
    /// Addresses already resolved against the base: pages link to the same few places many times.
    private var resolved: [String: String?] = [:]

    init(document: HTMLDocument, baseURL: URL?, interactive: Bool) {
        self.document = document
        self.baseURL = baseURL
        self.interactive = interactive
        // Markdown adds markers and addresses to the text; room unused is never touched, so it costs nothing.
        output.reserveCapacity(document.text.count * 2)
    }

    enum Separator {
        case paragraph, line, space

        var bytes: StaticString {
            switch self {
            case .paragraph: "\n\n"
            case .line: "\n"
            case .space: " "
            }
        }
    }

    private static let blockElements = HTMLTagSet([
        .address, .article, .aside, .blockquote, .body, .center, .dd, .details, .dialog, .div, .dl, .dt, .fieldset,
        .figcaption, .figure, .footer, .form, .h1, .h2, .h3, .h4, .h5, .h6, .header, .hgroup, .hr, .html, .li, .main,
        .menu, .nav, .ol, .p, .pre, .section, .summary, .table, .tbody, .td, .tfoot, .th, .thead, .tr, .ul, .document,
        .caption, .legend, .search,
    ])
    /// Never shown: what a reader cannot see, or cannot use as text.
    private static let skipped = HTMLTagSet([
        .head, .script, .style, .noscript, .template, .svg, .canvas, .iframe, .object, .embed, .audio, .video, .map,
        .math, .link, .meta, .base,
    ])
    /// Form controls: shown only in interactive mode.
    private static let controls = HTMLTagSet([.input, .select, .textarea, .button, .option, .datalist, .optgroup])

    private func isBlock(_ node: Int32) -> Bool {
        !document.isText(node) && document.tag(node).map(Self.blockElements.contains) == true && !isHidden(node)
    }

    private func isHidden(_ node: Int32) -> Bool {
        interactive && document.hasAttribute(node, "data-gander-hidden")
    }

    // MARK: writing

    private mutating func write(_ literal: StaticString) {
        output.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private mutating func write(_ text: String) { output.append(contentsOf: text.utf8) }

    /// The bytes written since `start`, taken back out of the buffer.
    private mutating func take(from start: Int) -> [UInt8] {
        defer { output.removeSubrange(start...) }
        return Array(output[start...])
    }

    // MARK: blocks

    /// Each of `parent`'s children as a block, or runs of them as one paragraph of inline text, joined by
    /// `separator`; nothing is written for what has no text.
    mutating func blocks(childrenOf parent: Int32, separator: Separator) {
        blocks(from: document.firstChild(parent), single: false, separator: separator)
    }

    private mutating func blocks(from first: Int32, single: Bool, separator: Separator) {
        var wroteAny = false
        var run: InlineRun?
        var partStart = output.count
        /// Starts a part: its separator first, taken back if the part turns out to be empty.
        func beginPart(_ pass: inout RenderPass) {
            partStart = pass.output.count
            if wroteAny { pass.write(separator.bytes) }
        }
        func endPart(_ pass: inout RenderPass, contentStart: Int) {
            if pass.output.count == contentStart { pass.output.removeSubrange(partStart...) } else { wroteAny = true }
        }
        func flush(_ pass: inout RenderPass) {
            guard let open = run else { return }
            let contentStart = open.start
            open.finish(&pass.output)
            endPart(&pass, contentStart: contentStart)
            run = nil
        }
        var node = first
        while node != HTMLDocument.none {
            if isBlock(node) {
                flush(&self)
                beginPart(&self)
                let contentStart = output.count
                block(node)
                endPart(&self, contentStart: contentStart)
            } else {
                if run == nil {
                    beginPart(&self)
                    run = InlineRun(start: output.count)
                }
                inline(node, into: &run!)
            }
            node = single ? HTMLDocument.none : document.nextSibling(node)
        }
        flush(&self)
    }

    private mutating func block(_ node: Int32) {
        guard let tag = document.tag(node) else { return blocks(childrenOf: node, separator: .paragraph) }
        switch tag {
        case .h1, .h2, .h3, .h4, .h5, .h6:
            let start = output.count
            let level = Int(tag.rawValue - HTMLTag.h1.rawValue) + 1
            output.append(contentsOf: repeatElement(UInt8(ascii: "#"), count: level))
            write(" ")
            let titleStart = output.count
            inlineText(childrenOf: node)
            if output.count == titleStart {
                output.removeSubrange(start...)
            } else {
                for index in titleStart..<output.count where output[index] == 0x0A { output[index] = 0x20 }
            }
        case .ul, .ol, .menu: list(node, ordered: tag == .ol)
        case .pre: codeBlock(node)
        case .blockquote:
            let start = output.count
            blocks(childrenOf: node, separator: .paragraph)
            guard output.count > start else { return }
            let inner = take(from: start)
            var lineStart = 0
            for index in 0...inner.count where index == inner.count || inner[index] == 0x0A {
                if index > lineStart {
                    write("> ")
                    output.append(contentsOf: inner[lineStart..<index])
                } else {
                    write(">")
                }
                if index < inner.count { output.append(0x0A) }
                lineStart = index + 1
            }
        case .table: table(node)
        case .hr: write("---")
        case .dt:
            write("**")
            inlineText(childrenOf: node)
            write("**")
        case .dd:
            write(": ")
            blocks(childrenOf: node, separator: .line)
        case .li: listItems([node], ordered: false, firstNumber: 1)
        default: blocks(childrenOf: node, separator: .paragraph)
        }
    }

    private mutating func list(_ node: Int32, ordered: Bool) {
        var items: [Int32] = []
        var child = document.firstChild(node)
        while child != HTMLDocument.none {
            if !document.isText(child) || !isBlank(document.textRange(child)) { items.append(child) }
            child = document.nextSibling(child)
        }
        listItems(items, ordered: ordered, firstNumber: document.attribute(node, "start").flatMap { Int($0) } ?? 1)
    }

    /// Whether the text is all white space (Unicode's, as a reader sees it).
    private func isBlank(_ range: Range<Int>) -> Bool {
        let text = document.text[range]
        if text.allSatisfy(MarkdownRenderer.isSpace) { return true }
        return String(decoding: text, as: UTF8.self).allSatisfy(\.isWhitespace)
    }

    private mutating func listItems(_ items: [Int32], ordered: Bool, firstNumber: Int) {
        var number = firstNumber
        var wroteAny = false
        for item in items where !isHidden(item) {
            let start = output.count
            if wroteAny { output.append(0x0A) }
            let marker = ordered ? "\(number). " : "- "
            write(marker)
            let contentStart = output.count
            if document.tag(item) == .li {
                blocks(childrenOf: item, separator: .line)
            } else {
                blocks(from: item, single: true, separator: .line)
            }
            guard output.count > contentStart else {
                output.removeSubrange(start...)
                continue
            }
            wroteAny = true
            number += 1
            guard output[contentStart...].contains(0x0A) else { continue }
            // Lines after the first line up under the text, past the marker; blank lines stay blank.
            let content = take(from: contentStart)
            let indent = marker.utf8.count
            var lineStart = 0
            for index in 0...content.count where index == content.count || content[index] == 0x0A {
                if lineStart > 0, index > lineStart { output.append(contentsOf: repeatElement(0x20, count: indent)) }
                output.append(contentsOf: content[lineStart..<index])
                if index < content.count { output.append(0x0A) }
                lineStart = index + 1
            }
        }
    }

    private mutating func codeBlock(_ node: Int32) {
        var code: [UInt8] = []
        document.textBytes(node, into: &code)
        var end = code.count
        while end > 0, code[end - 1] == 0x0A { end -= 1 }
        var start = 0
        while start < end, code[start] == 0x0A { start += 1 }
        guard start < end else { return }
        let body = code[start..<end]
        var inner: Int32?
        var child = document.firstChild(node)
        while child != HTMLDocument.none, inner == nil {
            if document.tag(child) == .code { inner = child }
            child = document.nextSibling(child)
        }
        var language = language(inClassOf: node)
        if language == nil, let inner { language = self.language(inClassOf: inner) }
        let fence: StaticString = body.withContiguousStorageIfAvailable { bytes in
            gander_memmem(bytes.baseAddress, bytes.count, "```", 3) != nil
        } == true ? "~~~~" : "```"
        write(fence)
        if let language { output.append(contentsOf: language) }
        output.append(0x0A)
        output.append(contentsOf: body)
        output.append(0x0A)
        write(fence)
    }

    /// The `python` of a `language-python` or `lang-python` class, the convention code highlighters share.
    private func language(inClassOf node: Int32) -> ArraySlice<UInt8>? {
        guard let range = document.attributeRange(node, "class") else { return nil }
        let value = document.attributeBytes[range]
        for word in value.split(separator: 0x20) {
            for prefix in ["language-", "lang-"] as [StaticString] {
                let prefixBytes = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
                if word.count > prefixBytes.count, word.starts(with: prefixBytes) { return word.dropFirst(prefixBytes.count) }
            }
        }
        return nil
    }

    private mutating func table(_ node: Int32) {
        // Cells are rendered at the end of the buffer, moved to `cells`, and laid out once the widest row is known.
        var cells: [UInt8] = []
        var cellRanges: [Range<Int>] = []
        var rowEnds: [Int] = []
        var captions: [[UInt8]] = []
        func collect(_ element: Int32, _ pass: inout RenderPass) {
            var child = pass.document.firstChild(element)
            while child != HTMLDocument.none {
                defer { child = pass.document.nextSibling(child) }
                guard !pass.document.isText(child), !pass.isHidden(child) else { continue }
                switch pass.document.tag(child) {
                case .tr:
                    let rowStart = cellRanges.count
                    var nonEmpty = false
                    var cell = pass.document.firstChild(child)
                    while cell != HTMLDocument.none {
                        defer { cell = pass.document.nextSibling(cell) }
                        guard pass.document.tag(cell) == .td || pass.document.tag(cell) == .th else { continue }
                        let start = pass.output.count
                        pass.blocks(childrenOf: cell, separator: .space)
                        let cellStart = cells.count
                        for byte in pass.output[start...] {
                            if byte == UInt8(ascii: "|") { cells.append(UInt8(ascii: "\\")) }
                            cells.append(byte == 0x0A ? 0x20 : byte)
                        }
                        pass.output.removeSubrange(start...)
                        if cells.count > cellStart { nonEmpty = true }
                        cellRanges.append(cellStart..<cells.count)
                    }
                    // A row with no text in any cell is left out.
                    if nonEmpty { rowEnds.append(cellRanges.count) } else { cellRanges.removeSubrange(rowStart...) }
                case .thead, .tbody, .tfoot: collect(child, &pass)
                case .caption:
                    let start = pass.output.count
                    pass.inlineText(childrenOf: child)
                    captions.append(pass.take(from: start))
                default: break
                }
            }
        }
        collect(node, &self)
        var rowStart = 0
        var width = 0
        for end in rowEnds {
            width = max(width, end - rowStart)
            rowStart = end
        }
        guard width > 0 else { return }
        // A table of one column is layout, not data: its cells read as paragraphs.
        if width == 1 {
            var first = true
            for part in captions.map({ $0[...] }) + cellRanges.map({ cells[$0] }) {
                if !first { write("\n\n") }
                first = false
                output.append(contentsOf: part)
            }
            return
        }
        var firstLine = true
        func newLine(_ pass: inout RenderPass) {
            if !firstLine { pass.output.append(0x0A) }
            firstLine = false
        }
        for caption in captions {
            newLine(&self)
            output.append(contentsOf: caption)
        }
        rowStart = 0
        for (row, end) in rowEnds.enumerated() {
            newLine(&self)
            write("|")
            for column in 0..<width {
                write(" ")
                if rowStart + column < end { output.append(contentsOf: cells[cellRanges[rowStart + column]]) }
                write(" |")
            }
            rowStart = end
            if row == 0 {
                newLine(&self)
                write("|")
                for _ in 0..<width { write(" --- |") }
            }
        }
    }

    // MARK: inline

    /// `parent`'s children as one run of inline text, written at the end of the buffer.
    private mutating func inlineText(childrenOf parent: Int32) {
        var run = InlineRun(start: output.count)
        var child = document.firstChild(parent)
        while child != HTMLDocument.none {
            inline(child, into: &run)
            child = document.nextSibling(child)
        }
        run.finish(&output)
    }

    /// `parent`'s children as inline text, taken out of the buffer (for a link's label, or text to be wrapped).
    private mutating func inlineBytes(childrenOf parent: Int32) -> [UInt8] {
        let start = output.count
        inlineText(childrenOf: parent)
        return take(from: start)
    }

    private mutating func inline(_ node: Int32, into run: inout InlineRun) {
        guard let tag = document.tag(node) else {
            guard !isHidden(node) else { return }
            if interactive, let number = document.attribute(node, "data-gander-id") {
                let label = inlineBytes(childrenOf: node)
                run.appendRaw(Array("[\(number): ".utf8) + label + [UInt8(ascii: "]")], to: &output)
            } else {
                inlineChildren(of: node, into: &run)
            }
            return
        }
        if tag == .text {
            let range = document.textRange(node)
            run.append(document.text, range, to: &output)
            return
        }
        guard !Self.skipped.contains(tag), !isHidden(node) else { return }
        if Self.controls.contains(tag) {
            if interactive {
                run.pendingSpace = true
                run.appendRaw(Array(control(node, tag).utf8), to: &output)
                run.pendingSpace = true
            }
            return
        }
        switch tag {
        case .br: run.breakLine(&output)
        case .a: link(node, into: &run)
        case .img:
            let alt = (document.attribute(node, "alt") ?? "").trimmedWhitespace
            guard !alt.isEmpty, let source = document.attribute(node, "src").flatMap({ resolve($0) }) else { return }
            run.appendRaw(Array("![\(alt)](\(source))".utf8), to: &output)
        case .strong, .b: wrap(node, in: "**", into: &run)
        case .em, .i, .cite: wrap(node, in: "*", into: &run)
        case .del, .s, .strike: wrap(node, in: "~~", into: &run)
        case .code, .kbd, .samp, .tt:
            var code: [UInt8] = []
            document.textBytes(node, into: &code)
            for index in code.indices where code[index] == 0x0A { code[index] = 0x20 }
            guard code.contains(where: { $0 > 0x20 && $0 < 0x80 }) || !String(decoding: code, as: UTF8.self).trimmedWhitespace.isEmpty
            else { return }
            run.appendRaw(code.contains(UInt8(ascii: "`")) ? Array("`` ".utf8) + code + Array(" ``".utf8) : [0x60] + code + [0x60],
                          to: &output)
        default:
            if Self.blockElements.contains(tag) {
                // A block inside an inline element (a `<div>` in a link): its text runs on.
                run.pendingSpace = true
                inlineChildren(of: node, into: &run)
                run.pendingSpace = true
            } else if interactive, let number = document.attribute(node, "data-gander-id") {
                let label = inlineBytes(childrenOf: node)
                run.appendRaw(Array("[\(number): ".utf8) + label + [UInt8(ascii: "]")], to: &output)
            } else {
                inlineChildren(of: node, into: &run)
            }
        }
    }

    private mutating func inlineChildren(of node: Int32, into run: inout InlineRun) {
        var child = document.firstChild(node)
        while child != HTMLDocument.none {
            inline(child, into: &run)
            child = document.nextSibling(child)
        }
    }

    private mutating func wrap(_ node: Int32, in marker: StaticString, into run: inout InlineRun) {
        let inner = inlineBytes(childrenOf: node)
        guard !inner.isEmpty else { return }
        run.beginRaw(&output)
        write(marker)
        output.append(contentsOf: inner)
        write(marker)
    }

    private mutating func link(_ node: Int32, into run: inout InlineRun) {
        let label = inlineBytes(childrenOf: node)
        let number = interactive ? document.attribute(node, "data-gander-id") : nil
        guard let href = document.attribute(node, "href"), !href.isEmpty, !Self.isScript(href), let target = resolve(href)
        else {
            if let number {
                run.beginRaw(&output)
                write("[\(number): ")
                if label.isEmpty { write("link") } else { output.append(contentsOf: label) }
                write("]")
            } else {
                run.appendRaw(label, to: &output)
            }
            return
        }
        if label.isEmpty && number == nil { return }
        run.beginRaw(&output)
        write("[")
        if let number { write("\(number): ") }
        if label.isEmpty { write(target) } else { output.append(contentsOf: label) }
        write("](")
        write(target)
        write(")")
    }

    /// Whether the address is `javascript:` code (in any case), which a reader cannot follow.
    private static func isScript(_ href: String) -> Bool {
        href.utf8.count >= 11 && href.utf8.prefix(11).elementsEqual("javascript:".utf8) { ($0 | 0x20) == $1 | 0x20 }
    }

    /// A form control as the browser view shows it: its number, kind, name and current value.
    private mutating func control(_ node: Int32, _ tag: HTMLTag) -> String {
        guard let number = document.attribute(node, "data-gander-id") else { return "" }
        let attributes = document.allAttributes(node)
        func quoted(_ key: String, _ value: String?) -> String {
            guard let value, !value.isEmpty else { return "" }
            return " \(key)=\"\(value.replacing("\"", with: "'"))\""
        }
        let value = attributes["data-gander-value"] ?? attributes["value"]
        switch tag {
        case .button:
            return "[\(number): button \"\(String(decoding: inlineBytes(childrenOf: node), as: UTF8.self))\"]"
        case .select:
            let options = document.all(below: node) { $0.tag($1) == .option }.map { option in
                let label = String(decoding: inlineBytes(childrenOf: option), as: UTF8.self)
                return document.hasAttribute(option, "data-gander-selected") ? label + " (selected)" : label
            }
            return "[\(number): select\(quoted("name", attributes["name"])) options: \(options.joined(separator: ", "))]"
        case .textarea:
            return "[\(number): textarea\(quoted("name", attributes["name"]))\(quoted("placeholder", attributes["placeholder"]))"
                + "\(quoted("value", attributes["data-gander-value"] ?? document.textContent(node)))]"
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

    private mutating func resolve(_ reference: String) -> String? {
        if let known = resolved[reference] { return known }
        let trimmed = reference.trimmedWhitespace
        let result: String?
        if trimmed.hasPrefix("#") {
            result = trimmed
        } else if trimmed.lowercased().hasPrefix("data:") {
            result = nil
        } else {
            result = URL(string: trimmed, relativeTo: baseURL)?.absoluteString ?? trimmed
        }
        resolved[reference] = result
        return result
    }
}

/// A run of inline text being written at the end of the buffer, with white space collapsed as a browser shows it.
/// It copies runs of visible bytes whole: going character by character made a megabyte page take many times longer.
private struct InlineRun {
    /// Where the run's text begins in the buffer.
    let start: Int
    /// White space was seen: a space goes before the next text, unless the run is at its start or a line's.
    var pendingSpace = false

    init(start: Int) { self.start = start }

    mutating func append(_ text: [UInt8], _ range: Range<Int>, to output: inout [UInt8]) {
        text.withUnsafeBufferPointer { text in append(UnsafeBufferPointer(rebasing: text[range]), to: &output) }
    }

    private mutating func append(_ source: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        var index = 0
        while index < source.count {
            if let collapsed = Self.collapsible(source, at: index) {
                if collapsed.isSpace { pendingSpace = true }
                index += collapsed.length
                continue
            }
            let visible = index
            index += 1
            while index < source.count, Self.collapsible(source, at: index) == nil { index += 1 }
            spaceIfPending(&output)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: source[visible..<index]))
        }
    }

    /// White space (ASCII, no-break space) that collapses, or an invisible soft hyphen or zero-width space that goes:
    /// its length in bytes and whether it counts as a space.
    @inline(__always)
    private static func collapsible(_ source: UnsafeBufferPointer<UInt8>, at index: Int) -> (length: Int, isSpace: Bool)? {
        let byte = source[index]
        // Most bytes are visible ASCII: one comparison settles them.
        if byte > 0x20, byte < 0xC2 { return nil }
        switch byte {
        case 0x20, 0x0A, 0x09, 0x0D, 0x0C: return (1, true)
        case 0xC2 where index + 1 < source.count:
            if source[index + 1] == 0xA0 { return (2, true) }
            if source[index + 1] == 0xAD { return (2, false) }
            return nil
        case 0xE2 where index + 2 < source.count && source[index + 1] == 0x80 && source[index + 2] == 0x8B: return (3, false)
        default: return nil
        }
    }

    private mutating func spaceIfPending(_ output: inout [UInt8]) {
        if pendingSpace, output.count > start, output[output.count - 1] != 0x0A { output.append(0x20) }
        pendingSpace = false
    }

    /// Text that is already Markdown (a link, code): kept as it is, spaced from what comes before.
    mutating func appendRaw(_ markdown: [UInt8], to output: inout [UInt8]) {
        guard !markdown.isEmpty else { return }
        spaceIfPending(&output)
        output.append(contentsOf: markdown)
    }

    /// Before Markdown that is written straight into the buffer, never empty: the space owed to what came before.
    mutating func beginRaw(_ output: inout [UInt8]) { spaceIfPending(&output) }

    mutating func breakLine(_ output: inout [UInt8]) {
        output.append(0x0A)
        pendingSpace = false
    }

    /// Ends the run: white space at either end of it goes.
    func finish(_ output: inout [UInt8]) {
        while output.count > start, MarkdownRenderer.isSpace(output[output.count - 1]) { output.removeLast() }
        var first = start
        while first < output.count, MarkdownRenderer.isSpace(output[first]) { first += 1 }
        if first > start { output.removeSubrange(start..<first) }
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
}
