import Foundation

/// A page reduced to what a reader came for: its title and its main content as Markdown, without the navigation,
/// banners, sidebars and footers around it. The main content is the page's `<main>` or single `<article>` when it
/// marks one, else the element that holds the most paragraph text.
struct ReadablePage {
    let title: String
    let markdown: String

    init(html: Data, url: URL?) {
        var document = HTMLDocument.parse(html)
        let root = HTMLDocument.rootIndex
        let title = document.first(below: root) { $0.tag($1) == .title }.map {
            document.textContent($0).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        } ?? ""
        var landmarks = Landmarks()
        Self.removeChrome(root, of: &document, insideContent: false, noting: &landmarks)
        let base = landmarks.base.flatMap { document.attribute($0, "href") }.flatMap { URL(string: $0, relativeTo: url) } ?? url
        let content = Self.mainContent(of: document, landmarks: landmarks)
        self.title = title
        markdown = MarkdownRenderer(baseURL: base).render(HTMLNode(document: document, index: content), title: title)
    }

    /// What the walk that removes the chrome notes on its way, in document order, so that no other walk of the
    /// whole tree has to look for it: the `<base>`, the `<body>` (a page may have none), and the first `<main>`
    /// and the articles, in the body when there is one.
    private struct Landmarks {
        var base: Int32?
        var body: Int32?
        var main: Int32?
        var firstArticle: Int32?
        var articles = 0

        /// Notes `element`, which is `inBody` when it is below the body noted.
        mutating func note(_ element: Int32, inBody: Bool, in document: HTMLDocument) {
            let tag = document.tag(element)
            if tag == .base, base == nil { base = element }
            if tag == .body, body == nil {
                // What was noted before the body is not in it.
                body = element
                (main, firstArticle, articles) = (nil, nil, 0)
            }
            guard inBody || body == nil else { return }
            if tag == .article {
                if firstArticle == nil { firstArticle = element }
                articles += 1
            }
            if main == nil, tag == .main || (document.hasAttributes(element) && document.attribute(element, "role") == "main") {
                main = element
            }
        }
    }

    // MARK: chrome

    private static let chromeElements = HTMLTagSet([.nav, .aside, .button, .dialog])
    private static let chromeRoles: Set<String> = ["navigation", "banner", "contentinfo", "complementary", "search", "dialog", "menu", "menubar"]
    /// Words in a class or id that mark navigation chrome, matched as whole words of the attribute.
    private static let chromeWords: Set<String> = [
        "nav", "navbar", "navigation", "menu", "sidebar", "breadcrumb", "breadcrumbs", "cookie", "cookies", "banner",
        "share", "sharing", "social", "related", "advert", "advertisement", "ads", "ad", "promo", "subscribe",
        "newsletter", "comments", "footer", "masthead", "popup", "modal", "consent",
    ]

    /// Drops the page's navigation chrome in place. A `<header>` or `<footer>` inside the content (an article's own
    /// byline) stays; the page's own do not.
    private static func removeChrome(_ node: Int32, of document: inout HTMLDocument, insideContent: Bool,
                                     noting landmarks: inout Landmarks, inBody: Bool = false) {
        var previous = HTMLDocument.none
        var child = document.firstChild(node)
        while child != HTMLDocument.none {
            let next = document.nextSibling(child)
            if document.isText(child) {
                previous = child
            } else if isChrome(child, of: document, insideContent: insideContent) {
                document.remove(child, from: node, after: previous)
            } else {
                landmarks.note(child, inBody: inBody, in: document)
                removeChrome(child, of: &document, insideContent: insideContent || isContent(child, of: document),
                             noting: &landmarks, inBody: inBody || child == landmarks.body)
                previous = child
            }
            child = next
        }
    }

    private static func isChrome(_ element: Int32, of document: HTMLDocument, insideContent: Bool) -> Bool {
        let tag = document.tag(element)
        if let tag, chromeElements.contains(tag) { return true }
        if !insideContent, tag == .header || tag == .footer { return true }
        guard document.hasAttributes(element) else { return false }
        if let role = document.attribute(element, "role"), chromeRoles.contains(role.lowercased()) { return true }
        if document.hasAttribute(element, "hidden") || document.attribute(element, "aria-hidden") == "true" { return true }
        let marked = hasChromeWord(document.attributeRange(element, "class"), in: document)
            || hasChromeWord(document.attributeRange(element, "id"), in: document)
        return marked && !isContent(element, of: document)
    }

    /// Whether a word of the attribute (split at white space, `-` and `_`, in any case) marks chrome.
    private static func hasChromeWord(_ range: Range<Int>?, in document: HTMLDocument) -> Bool {
        guard let range else { return false }
        let value = document.attributeBytes[range]
        var wordStart = value.startIndex
        for index in value.startIndex...value.endIndex {
            guard index == value.endIndex || isWordBreak(value[index]) else { continue }
            // No chrome word is longer than 13 letters; longer words need no String to be ruled out.
            if index > wordStart, index - wordStart <= 13,
               chromeWords.contains(String(decoding: value[wordStart..<index], as: UTF8.self).lowercased()) {
                return true
            }
            wordStart = index + 1
        }
        return false
    }

    private static func isWordBreak(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0C, 0x0D, UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }

    private static func isContent(_ node: Int32, of document: HTMLDocument) -> Bool {
        document.tag(node) == .main || document.tag(node) == .article || document.attribute(node, "role") == "main"
    }

    // MARK: main content

    /// The bytes of text below `node`, and how many of them are commas, without building the text.
    private static func textMeasure(of node: Int32, in document: HTMLDocument) -> (length: Int, commas: Int) {
        var length = 0
        var commas = 0
        let text = document.text
        document.forEachText(below: node) { range in
            length += range.count
            for index in range where text[index] == UInt8(ascii: ",") { commas += 1 }
        }
        return (length, commas)
    }

    private static func mainContent(of document: HTMLDocument, landmarks: Landmarks) -> Int32 {
        let body = landmarks.body ?? HTMLDocument.rootIndex
        if let main = landmarks.main { return main }
        if landmarks.articles == 1, let article = landmarks.firstArticle { return article }
        if landmarks.articles > 1 { return body }
        // Score each container by the paragraph text directly inside it, and half of that for its parent, so the
        // element that wraps the article's paragraphs wins over the page around it.
        var scores = [Int32](repeating: 0, count: document.nodes.count)
        var scored: [Int32] = []
        func add(_ score: Int32, to node: Int32) {
            if scores[Int(node)] == 0 { scored.append(node) }
            scores[Int(node)] &+= score
        }
        func visit(_ node: Int32, parent: Int32?) {
            var child = document.firstChild(node)
            while child != HTMLDocument.none {
                defer { child = document.nextSibling(child) }
                guard !document.isText(child) else { continue }
                let tag = document.tag(child)
                if tag == .p || tag == .pre {
                    let (length, commas) = Self.textMeasure(of: child, in: document)
                    guard length >= 25 else { continue }
                    let score = Int32(clamping: length + 100 * commas)
                    add(score, to: node)
                    if let parent { add(score / 2, to: parent) }
                } else {
                    visit(child, parent: node)
                }
            }
        }
        visit(body, parent: nil)
        // The first of equal scores, in document order, so the same page always reads the same.
        guard let best = scored.max(by: { scores[Int($0)] < scores[Int($1)] }), scores[Int(best)] >= 200 else { return body }
        return best
    }
}
