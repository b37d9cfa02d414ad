import Foundation

/// A parsed page, stored flat: one array of nodes linked by index, the decoded text of every text node in one byte
/// buffer and every attribute in another. A megabyte page is some hundred thousand nodes; as objects they cost more
/// to allocate, count and free than to parse, so the tree is a few arrays instead and a node is its index.
///
/// The parser is forgiving: it never fails, closes what the page leaves open the way browsers do for the common
/// cases (paragraphs, list items, table cells), skips scripts and styles, and decodes character references.
struct HTMLDocument {
    struct Node {
        /// An index into `names`: a known tag's raw value, `HTMLTag.text` for a run of text, or a name the page made up.
        var name: Int32
        var parent: Int32
        var firstChild: Int32 = HTMLDocument.none
        var lastChild: Int32 = HTMLDocument.none
        var nextSibling: Int32 = HTMLDocument.none
        /// A text node's bytes in `text`; an element's attributes in `attributes`.
        var start: Int32
        var end: Int32
    }

    /// One attribute: its lowercased name and its decoded value, both in `attributeBytes`.
    struct Attribute {
        var nameStart: Int32
        var nameEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
    }

    static let none: Int32 = -1
    /// The synthetic `#document` element that holds whatever the page had at the top.
    static let rootIndex: Int32 = 0

    // Written only by the parser below.
    fileprivate(set) var nodes: [Node]
    fileprivate(set) var text: [UInt8] = []
    fileprivate(set) var attributes: [Attribute] = []
    fileprivate(set) var attributeBytes: [UInt8] = []
    private var names = NameTable.known

    /// Room for more than a page of `size` bytes holds, so the arrays are not copied as they grow. Room that is never
    /// written costs nothing: the kernel gives a large allocation its pages when they are first touched.
    private init(size: Int) {
        nodes = [Node(name: HTMLTag.document.rawValue, parent: Self.none, start: 0, end: 0)]
        nodes.reserveCapacity(size / 8)
        text.reserveCapacity(size)
        attributes.reserveCapacity(size / 32)
        attributeBytes.reserveCapacity(size / 4)
    }

    static func parse(_ data: Data) -> HTMLDocument {
        data.withUnsafeBytes { raw in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self), document: HTMLDocument(size: raw.count))
            parser.run()
            return parser.document
        }
    }

    static func parse(_ text: String) -> HTMLDocument { parse(Data(text.utf8)) }

    var root: HTMLNode { HTMLNode(document: self, index: Self.rootIndex) }

    // MARK: reading

    /// The node's tag when it is one Gander knows (`.text` for a run of text), else nil.
    @inline(__always)
    func tag(_ node: Int32) -> HTMLTag? { HTMLTag(rawValue: nodes[Int(node)].name) }

    @inline(__always)
    func isText(_ node: Int32) -> Bool { nodes[Int(node)].name == HTMLTag.text.rawValue }

    /// The element's name as the page wrote it, lowercased; empty for text.
    func name(_ node: Int32) -> String { string(forName: nodes[Int(node)].name) }

    @inline(__always)
    func firstChild(_ node: Int32) -> Int32 { nodes[Int(node)].firstChild }

    @inline(__always)
    func nextSibling(_ node: Int32) -> Int32 { nodes[Int(node)].nextSibling }

    /// A text node's bytes.
    @inline(__always)
    func textRange(_ node: Int32) -> Range<Int> { Int(nodes[Int(node)].start)..<Int(nodes[Int(node)].end) }

    func hasAttributes(_ node: Int32) -> Bool {
        !isText(node) && nodes[Int(node)].end > nodes[Int(node)].start
    }

    /// Where the value of the attribute `name` (lowercase) is in `attributeBytes`, if the element has it.
    func attributeRange(_ node: Int32, _ name: StaticString) -> Range<Int>? {
        let element = nodes[Int(node)]
        guard element.name != HTMLTag.text.rawValue, element.end > element.start else { return nil }
        let wanted = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return attributeBytes.withUnsafeBufferPointer { bytes in
            for index in Int(element.start)..<Int(element.end) {
                let attribute = attributes[index]
                if Int(attribute.nameEnd - attribute.nameStart) == wanted.count,
                   memcmp(bytes.baseAddress! + Int(attribute.nameStart), wanted.baseAddress!, wanted.count) == 0 {
                    return Int(attribute.valueStart)..<Int(attribute.valueEnd)
                }
            }
            return nil
        }
    }

    func attribute(_ node: Int32, _ name: StaticString) -> String? {
        attributeRange(node, name).map { String(decoding: attributeBytes[$0], as: UTF8.self) }
    }

    func hasAttribute(_ node: Int32, _ name: StaticString) -> Bool { attributeRange(node, name) != nil }

    /// Every attribute of the element, by name.
    func allAttributes(_ node: Int32) -> [String: String] {
        let element = nodes[Int(node)]
        guard element.name != HTMLTag.text.rawValue else { return [:] }
        var result: [String: String] = [:]
        for attribute in attributes[Int(element.start)..<Int(element.end)] {
            let name = String(decoding: attributeBytes[Int(attribute.nameStart)..<Int(attribute.nameEnd)], as: UTF8.self)
            result[name] = String(decoding: attributeBytes[Int(attribute.valueStart)..<Int(attribute.valueEnd)], as: UTF8.self)
        }
        return result
    }

    /// The node after `node` in document order that is still below `root`: its first child, else its next sibling
    /// or the next sibling of the nearest ancestor that has one. Walking this way needs no recursion and no closure
    /// over the document.
    @inline(__always)
    func following(_ node: Int32, within root: Int32) -> Int32 {
        if nodes[Int(node)].firstChild != Self.none { return nodes[Int(node)].firstChild }
        var current = node
        while current != root {
            let sibling = nodes[Int(current)].nextSibling
            if sibling != Self.none { return sibling }
            current = nodes[Int(current)].parent
        }
        return Self.none
    }

    /// Calls `body` with the bytes of each text node at or below `node`, in document order.
    func forEachText(below node: Int32, _ body: (Range<Int>) -> Void) {
        var current = node
        while current != Self.none {
            if isText(current) { body(textRange(current)) }
            current = following(current, within: node)
        }
    }

    /// The text at or below `node` as it would read, white space left as the page has it.
    func textBytes(_ node: Int32, into output: inout [UInt8]) {
        let text = text
        forEachText(below: node) { output.append(contentsOf: text[$0]) }
    }

    func textContent(_ node: Int32) -> String {
        if isText(node) { return String(decoding: text[textRange(node)], as: UTF8.self) }
        var bytes: [UInt8] = []
        textBytes(node, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first element at or below `node` that `matches`, depth first. `matches` is given the document, so that
    /// it need not capture it.
    func first(below node: Int32, where matches: (borrowing HTMLDocument, Int32) -> Bool) -> Int32? {
        var current = node
        while current != Self.none {
            if !isText(current), matches(self, current) { return current }
            current = following(current, within: node)
        }
        return nil
    }

    /// Every element at or below `node` that `matches`, in document order.
    func all(below node: Int32, where matches: (borrowing HTMLDocument, Int32) -> Bool) -> [Int32] {
        var found: [Int32] = []
        var current = node
        while current != Self.none {
            if !isText(current), matches(self, current) { found.append(current) }
            current = following(current, within: node)
        }
        return found
    }

    // MARK: changing

    /// Takes `child` out of `parent`'s children; `previous` is the sibling before it, or `none` when it is the first.
    mutating func remove(_ child: Int32, from parent: Int32, after previous: Int32) {
        let next = nodes[Int(child)].nextSibling
        if previous == Self.none { nodes[Int(parent)].firstChild = next } else { nodes[Int(previous)].nextSibling = next }
        if nodes[Int(parent)].lastChild == child { nodes[Int(parent)].lastChild = previous }
    }

    // MARK: building (for the parser)

    fileprivate mutating func appendElement(name: Int32, parent: Int32, attributes range: Range<Int>) -> Int32 {
        append(Node(name: name, parent: parent, start: Int32(range.lowerBound), end: Int32(range.upperBound)))
    }

    /// Text for `parent`, joined to the text before it when that is the parent's last child. The bytes are already
    /// at the end of `text` (from `start`): no other node's text can have been added since the last child's.
    fileprivate mutating func appendText(from start: Int, parent: Int32) {
        guard text.count > start else { return }
        let last = nodes[Int(parent)].lastChild
        if last != Self.none, nodes[Int(last)].name == HTMLTag.text.rawValue, Int(nodes[Int(last)].end) == start {
            nodes[Int(last)].end = Int32(text.count)
        } else {
            _ = append(Node(name: HTMLTag.text.rawValue, parent: parent, start: Int32(start), end: Int32(text.count)))
        }
    }

    private mutating func append(_ node: Node) -> Int32 {
        let index = Int32(nodes.count)
        nodes.append(node)
        let parent = Int(node.parent)
        if nodes[parent].lastChild == Self.none {
            nodes[parent].firstChild = index
        } else {
            nodes[Int(nodes[parent].lastChild)].nextSibling = index
        }
        nodes[parent].lastChild = index
        return index
    }

    fileprivate mutating func intern(_ name: UnsafeBufferPointer<UInt8>) -> Int32 { names.intern(name) }

    fileprivate func string(forName id: Int32) -> String { names.name(id) }

}

/// A node of a parsed document, for code that walks a small tree by hand (Office XML, tests); the renderer works on
/// indices.
struct HTMLNode {
    let document: HTMLDocument
    let index: Int32

    var name: String { document.name(index) }
    var isText: Bool { document.isText(index) }
    var attributes: [String: String] { document.allAttributes(index) }
    var textContent: String { document.textContent(index) }

    var children: [HTMLNode] {
        var result: [HTMLNode] = []
        var child = document.firstChild(index)
        while child != HTMLDocument.none {
            result.append(HTMLNode(document: document, index: child))
            child = document.nextSibling(child)
        }
        return result
    }

    func first(where matches: (HTMLNode) -> Bool) -> HTMLNode? {
        document.first(below: index) { matches(HTMLNode(document: copy $0, index: $1)) }
            .map { HTMLNode(document: document, index: $0) }
    }

    func all(where matches: (HTMLNode) -> Bool) -> [HTMLNode] {
        document.all(below: index) { matches(HTMLNode(document: copy $0, index: $1)) }
            .map { HTMLNode(document: document, index: $0) }
    }
}

/// The elements Gander treats specially, numbered so that a node's name is its tag's raw value. Names a page makes
/// up (custom elements, XML) are numbered after these.
enum HTMLTag: Int32, CaseIterable {
    case text, document
    case a, address, area, article, aside, audio, b, base, blockquote, body, br, button, canvas, caption, center, cite
    case code, col, datalist, dd, del, details, dialog, div, dl, dt, em, embed, fieldset, figcaption, figure, footer
    case form, h1, h2, h3, h4, h5, h6, head, header, hgroup, hr, html, i, iframe, img, input, kbd, legend, li, link
    case main, map, math, menu, meta, nav, noscript, object, ol, optgroup, option, p, param, pre, s, samp, script
    case search, section, select, source, strike, strong, style, summary, svg, table, tbody, td, template, textarea
    case tfoot, th, thead, title, tr, track, tt, ul, video, wbr, xmp

    var name: String {
        switch self {
        case .text: ""
        case .document: "#document"
        default: String(describing: self)
        }
    }
}

/// A set of known tags as bits, so asking whether a node is a block or a void element is a shift and a mask.
struct HTMLTagSet {
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    init(_ tags: [HTMLTag]) {
        for tag in tags {
            if tag.rawValue < 64 { low |= 1 << UInt64(tag.rawValue) } else { high |= 1 << UInt64(tag.rawValue - 64) }
        }
    }

    @inline(__always)
    func contains(_ tag: HTMLTag) -> Bool {
        tag.rawValue < 64 ? low & (1 << UInt64(tag.rawValue)) != 0 : high & (1 << UInt64(tag.rawValue - 64)) != 0
    }

    /// Whether the name is a known tag in the set (a name the page made up never is).
    @inline(__always)
    func contains(name: Int32) -> Bool {
        guard name >= 0, name < 128 else { return false }
        return name < 64 ? low & (1 << UInt64(name)) != 0 : high & (1 << UInt64(name - 64)) != 0
    }
}

extension HTMLDocument {
    /// Elements that never have children or an end tag.
    static let voidElements = HTMLTagSet([.area, .base, .br, .col, .embed, .hr, .img, .input, .link, .meta, .param,
                                          .source, .track, .wbr])
    /// Elements whose contents are not markup; what they hold is dropped (scripts, styles) or kept as text (title).
    static let rawTextElements = HTMLTagSet([.script, .style, .textarea, .title, .noscript, .template, .xmp])
    static let droppedRawText = HTMLTagSet([.script, .style, .noscript, .template])
}

/// Element names to numbers: open addressing over a hash of the lowercased bytes. Every tag in a page is looked up
/// here, so it must cost a few nanoseconds, not a String and a dictionary.
private struct NameTable {
    private var names: [[UInt8]] = []
    private var strings: [String] = []
    private var slots: [Int32]
    private var mask: Int

    static let known: NameTable = {
        var table = NameTable(capacity: 512)
        for tag in HTMLTag.allCases {
            let bytes = Array(tag.name.utf8)
            _ = bytes.withUnsafeBufferPointer { table.intern($0) }
        }
        return table
    }()

    private init(capacity: Int) {
        slots = Array(repeating: HTMLDocument.none, count: capacity)
        mask = capacity - 1
    }

    func name(_ id: Int32) -> String { strings[Int(id)] }

    mutating func intern(_ name: UnsafeBufferPointer<UInt8>) -> Int32 {
        var slot = Self.hash(name) & mask
        while true {
            let id = slots[slot]
            if id == HTMLDocument.none { break }
            if names[Int(id)].count == name.count,
               names[Int(id)].withUnsafeBufferPointer({ memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }) {
                return id
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(names.count)
        names.append(Array(name))
        strings.append(String(decoding: name, as: UTF8.self))
        slots[slot] = id
        if names.count * 2 > slots.count { grow() }
        return id
    }

    private mutating func grow() {
        slots = Array(repeating: HTMLDocument.none, count: slots.count * 2)
        mask = slots.count - 1
        for (id, name) in names.enumerated() {
            var slot = name.withUnsafeBufferPointer(Self.hash) & mask
            while slots[slot] != HTMLDocument.none { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash)
    }
}

// MARK: parsing

private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var document: HTMLDocument
    var position = 0
    /// The open elements, innermost last, and their names.
    private var stack: [Int32] = [HTMLDocument.rootIndex]
    private var stackNames: [Int32] = [HTMLTag.document.rawValue]
    private static let maximumDepth = 400
    /// Scratch space for a name being read, lowercased.
    private var nameBuffer: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, document: HTMLDocument) {
        self.bytes = bytes
        self.document = document
    }

    mutating func run() {
        var textStart = 0
        while position < bytes.count {
            // Text runs to the next `<`; memchr finds it many times faster than a loop over bytes.
            guard let found = memchr(bytes.baseAddress! + position, Int32(UInt8(ascii: "<")), bytes.count - position) else {
                position = bytes.count
                break
            }
            position = bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
            guard position + 1 < bytes.count else {
                position += 1
                break
            }
            let next = bytes[position + 1]
            let tagStart = position
            if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
                addText(textStart..<tagStart)
                skipDeclaration()
                textStart = position
            } else if next == UInt8(ascii: "/"), position + 2 < bytes.count, Self.isLetter(bytes[position + 2]) {
                addText(textStart..<tagStart)
                position += 2
                let name = readName()
                skip(past: UInt8(ascii: ">"))
                end(name)
                textStart = position
            } else if Self.isLetter(next) {
                addText(textStart..<tagStart)
                position += 1
                let (name, selfClosing) = readStartTag()
                if HTMLDocument.rawTextElements.contains(name: name), !selfClosing {
                    let contentStart = position
                    let contentEnd = findEndTag(name)
                    if !HTMLDocument.droppedRawText.contains(name: name) { addText(contentStart..<contentEnd) }
                    end(name)
                }
                textStart = position
            } else {
                position += 1
            }
        }
        addText(textStart..<bytes.count)
    }

    // MARK: tree building

    /// A start tag ends a paragraph, and some end a sibling of their own kind (`<li>` the open `<li>`).
    private static let closesParagraph = HTMLTagSet([
        .address, .article, .aside, .blockquote, .details, .div, .dl, .fieldset, .figure, .footer, .form, .h1, .h2, .h3,
        .h4, .h5, .h6, .header, .hr, .main, .nav, .ol, .p, .pre, .section, .table, .ul,
    ])

    /// For an element that ends an open sibling: which open elements it ends, and which ones stop the search.
    private typealias SiblingRule = (closes: HTMLTagSet, boundary: HTMLTagSet)
    private static let listItemRule: SiblingRule = (HTMLTagSet([.li]), HTMLTagSet([.ul, .ol, .menu]))
    private static let definitionRule: SiblingRule = (HTMLTagSet([.dt, .dd]), HTMLTagSet([.dl]))
    private static let rowRule: SiblingRule = (HTMLTagSet([.tr, .td, .th]), HTMLTagSet([.table, .thead, .tbody, .tfoot]))
    private static let cellRule: SiblingRule = (HTMLTagSet([.td, .th]), HTMLTagSet([.tr, .table]))
    private static let sectionRule: SiblingRule = (HTMLTagSet([.thead, .tbody, .tfoot, .tr, .td, .th]), HTMLTagSet([.table]))
    private static let optionRule: SiblingRule = (HTMLTagSet([.option]), HTMLTagSet([.select, .datalist]))

    private static func siblingRule(_ name: Int32) -> SiblingRule? {
        guard let tag = HTMLTag(rawValue: name) else { return nil }
        switch tag {
        case .li: return listItemRule
        case .dt, .dd: return definitionRule
        case .tr: return rowRule
        case .td, .th: return cellRule
        case .thead, .tbody, .tfoot: return sectionRule
        case .option: return optionRule
        default: return nil
        }
    }

    private mutating func start(_ name: Int32, attributes: Range<Int>, selfClosing: Bool) {
        if Self.closesParagraph.contains(name: name), stackNames.last == HTMLTag.p.rawValue { pop(to: stack.count - 1) }
        if let rule = Self.siblingRule(name) {
            // The outermost open element it ends, below the nearest boundary: a new row ends the open cell and row.
            var outermost: Int?
            for index in stackNames.indices.reversed() {
                let open = stackNames[index]
                if rule.boundary.contains(name: open) { break }
                if rule.closes.contains(name: open) { outermost = index }
            }
            if let outermost { pop(to: outermost) }
        }
        let node = document.appendElement(name: name, parent: stack[stack.count - 1], attributes: attributes)
        if !selfClosing, !HTMLDocument.voidElements.contains(name: name), stack.count < Self.maximumDepth {
            stack.append(node)
            stackNames.append(name)
        }
    }

    private mutating func end(_ name: Int32) {
        // An end tag with no open element of its name is ignored, as browsers do.
        guard let index = stackNames.lastIndex(of: name), index > 0 else { return }
        pop(to: index)
    }

    private mutating func pop(to depth: Int) {
        stack.removeSubrange(depth...)
        stackNames.removeSubrange(depth...)
    }

    /// The bytes as text of the open element, character references decoded.
    private mutating func addText(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let start = document.text.count
        CharacterReferences.decode(bytes, range, into: &document.text)
        document.appendText(from: start, parent: stack[stack.count - 1])
    }

    // MARK: tokenizing

    @inline(__always)
    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C
    }

    @inline(__always)
    private static func endsName(_ byte: UInt8) -> Bool {
        isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
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

    /// A tag name, lowercased and numbered.
    private mutating func readName() -> Int32 {
        let start = position
        var folded = false
        while position < bytes.count, !Self.endsName(bytes[position]) {
            if bytes[position] >= UInt8(ascii: "A"), bytes[position] <= UInt8(ascii: "Z") { folded = true }
            position += 1
        }
        let name = UnsafeBufferPointer(rebasing: bytes[start..<position])
        guard folded else { return document.intern(name) }
        nameBuffer.removeAll(keepingCapacity: true)
        for byte in name { nameBuffer.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) }
        return nameBuffer.withUnsafeBufferPointer { document.intern($0) }
    }

    /// Reads the rest of a start tag and adds its element; returns its name and whether it closed itself (`<br/>`).
    private mutating func readStartTag() -> (Int32, Bool) {
        let name = readName()
        let firstAttribute = document.attributes.count
        var selfClosing = false
        while position < bytes.count {
            while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
            guard position < bytes.count else { break }
            let byte = bytes[position]
            if byte == UInt8(ascii: ">") {
                position += 1
                break
            }
            if byte == UInt8(ascii: "/") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: ">") {
                    position += 1
                    selfClosing = true
                    break
                }
                continue
            }
            if !readAttribute(firstAttribute: firstAttribute) { position += 1 }
        }
        start(name, attributes: firstAttribute..<document.attributes.count, selfClosing: selfClosing)
        return (name, selfClosing)
    }

    /// One `name=value` of a start tag, unless its name is empty; the first of two with one name wins, as in browsers.
    private mutating func readAttribute(firstAttribute: Int) -> Bool {
        let nameStartPosition = position
        while position < bytes.count, !Self.endsName(bytes[position]) { position += 1 }
        guard position > nameStartPosition else { return false }
        let rawName = UnsafeBufferPointer(rebasing: bytes[nameStartPosition..<position])
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
        var valueRange = position..<position
        if position < bytes.count, bytes[position] == UInt8(ascii: "=") {
            position += 1
            while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
            valueRange = readAttributeValue()
        }
        let nameStart = document.attributeBytes.count
        for byte in rawName {
            document.attributeBytes.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
        }
        let nameEnd = document.attributeBytes.count
        let repeated = document.attributes[firstAttribute...].contains { other in
            document.attributeBytes[Int(other.nameStart)..<Int(other.nameEnd)]
                .elementsEqual(document.attributeBytes[nameStart..<nameEnd])
        }
        if repeated {
            document.attributeBytes.removeSubrange(nameStart...)
        } else {
            CharacterReferences.decode(bytes, valueRange, into: &document.attributeBytes)
            document.attributes.append(HTMLDocument.Attribute(nameStart: Int32(nameStart), nameEnd: Int32(nameEnd),
                                                              valueStart: Int32(nameEnd), valueEnd: Int32(document.attributeBytes.count)))
        }
        return true
    }

    /// Where the value is (without its quotes), and moves past it.
    private mutating func readAttributeValue() -> Range<Int> {
        guard position < bytes.count else { return position..<position }
        let quote = bytes[position]
        if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
            position += 1
            let start = position
            while position < bytes.count, bytes[position] != quote { position += 1 }
            let value = start..<position
            position = min(position + 1, bytes.count)
            return value
        }
        let start = position
        while position < bytes.count, !Self.isSpace(bytes[position]), bytes[position] != UInt8(ascii: ">") { position += 1 }
        return start..<position
    }

    /// Moves past `</name…>` and returns where the element's raw contents end (the whole rest when it never closes).
    private mutating func findEndTag(_ name: Int32) -> Int {
        let target = Array(document.string(forName: name).utf8)
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
}

/// `&amp;`, `&#39;`, `&#x2014;` and the named references pages commonly use.
enum CharacterReferences {
    private static let named: [String: String] = [
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

    /// Appends `source[range]` to `output` with its references decoded; what is not a reference stays as written.
    static func decode(_ source: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into output: inout [UInt8]) {
        var index = range.lowerBound
        while index < range.upperBound {
            guard let found = memchr(source.baseAddress! + index, Int32(UInt8(ascii: "&")), range.upperBound - index) else {
                break
            }
            let ampersand = source.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
            output.append(contentsOf: UnsafeBufferPointer(rebasing: source[index..<ampersand]))
            let nameStart = ampersand + 1
            // The name runs to a `;` within 32 bytes, or else over the letters that follow.
            let window = nameStart..<min(nameStart + 32, range.upperBound)
            let semicolon = window.first { source[$0] == UInt8(ascii: ";") }
            var nameEnd = nameStart
            if let semicolon {
                nameEnd = semicolon
            } else {
                while nameEnd < range.upperBound, Self.isLetter(source[nameEnd]) { nameEnd += 1 }
            }
            if appendReference(UnsafeBufferPointer(rebasing: source[nameStart..<nameEnd]), to: &output) {
                index = semicolon.map { $0 + 1 } ?? nameEnd
            } else {
                output.append(UInt8(ascii: "&"))
                index = nameStart
            }
        }
        if index < range.upperBound { output.append(contentsOf: UnsafeBufferPointer(rebasing: source[index..<range.upperBound])) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    private static func appendReference(_ name: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) -> Bool {
        guard let first = name.first else { return false }
        if first == UInt8(ascii: "#") {
            let digits = name.dropFirst()
            let hex = digits.first == UInt8(ascii: "x") || digits.first == UInt8(ascii: "X")
            let text = String(decoding: hex ? digits.dropFirst() : digits, as: UTF8.self)
            guard let value = UInt32(text, radix: hex ? 16 : 10), value != 0, let scalar = Unicode.Scalar(value) else {
                return false
            }
            output.append(contentsOf: String(Character(scalar)).utf8)
            return true
        }
        guard name.count <= 8, let decoded = named[String(decoding: name, as: UTF8.self)] else { return false }
        output.append(contentsOf: decoded.utf8)
        return true
    }
}
