import Foundation

/// A page reduced to what a reader came for: its title and its main content as Markdown, without the navigation,
/// banners, sidebars and footers around it. The main content is the page's `<main>` or single `<article>` when it
/// marks one, else the element that holds the most paragraph text.
struct ReadablePage {
    let title: String
    let markdown: String

    init(html: Data, url: URL?) {
        let document = HTMLDocument.parse(html)
        title = document.first { $0.name == "title" }.map {
            $0.textContent.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        } ?? ""
        let base = document.first { $0.name == "base" }?.attributes["href"].flatMap { URL(string: $0, relativeTo: url) } ?? url
        Self.removeChrome(document, insideContent: false)
        let content = Self.mainContent(of: document)
        var markdown = MarkdownRenderer(baseURL: base).render(content)
        if !title.isEmpty, !markdown.hasPrefix("# ") { markdown = "# \(title)\n\n" + markdown }
        self.markdown = markdown
    }

    // MARK: chrome

    private static let chromeElements: Set<String> = ["nav", "aside", "button", "dialog"]
    private static let chromeRoles: Set<String> = ["navigation", "banner", "contentinfo", "complementary", "search", "dialog", "menu", "menubar"]
    /// Words in a class or id that mark navigation chrome, matched as whole words of the attribute.
    private static let chromeWords: Set<String> = [
        "nav", "navbar", "navigation", "menu", "sidebar", "breadcrumb", "breadcrumbs", "cookie", "cookies", "banner",
        "share", "sharing", "social", "related", "advert", "advertisement", "ads", "ad", "promo", "subscribe",
        "newsletter", "comments", "footer", "masthead", "skip-link", "toc-mobile", "popup", "modal", "consent",
    ]

    /// Drops the page's navigation chrome in place. A `<header>` or `<footer>` inside the content (an article's own
    /// byline) stays; the page's own do not.
    private static func removeChrome(_ node: HTMLNode, insideContent: Bool) {
        node.children.removeAll { child in
            guard !child.isText else { return false }
            if chromeElements.contains(child.name) { return true }
            if !insideContent, child.name == "header" || child.name == "footer" { return true }
            if let role = child.attributes["role"], chromeRoles.contains(role.lowercased()) { return true }
            if child.attributes.isEmpty { return false }
            if child.attributes["hidden"] != nil || child.attributes["aria-hidden"] == "true" { return true }
            let marked = [child.attributes["class"], child.attributes["id"]].contains { value in
                value?.lowercased().split(whereSeparator: { $0 == " " || $0 == "_" || $0 == "-" })
                    .contains { chromeWords.contains(String($0)) } == true
            }
            return marked && !isContent(child)
        }
        for child in node.children where !child.isText {
            removeChrome(child, insideContent: insideContent || isContent(child))
        }
    }

    private static func isContent(_ node: HTMLNode) -> Bool {
        node.name == "main" || node.name == "article" || node.attributes["role"] == "main"
    }

    // MARK: main content

    /// The bytes of text below `node`, and how many of them are commas, without building the text.
    private static func textMeasure(of node: HTMLNode) -> (length: Int, commas: Int) {
        if node.isText {
            var text = node.text
            return text.withUTF8 { bytes in (bytes.count, bytes.reduce(0) { $0 + ($1 == UInt8(ascii: ",") ? 1 : 0) }) }
        }
        return node.children.reduce((0, 0)) { total, child in
            let measure = textMeasure(of: child)
            return (total.0 + measure.length, total.1 + measure.commas)
        }
    }

    private static func mainContent(of document: HTMLNode) -> HTMLNode {
        let body = document.first { $0.name == "body" } ?? document
        if let main = body.first(where: { $0.name == "main" || $0.attributes["role"] == "main" }) { return main }
        let articles = body.all { $0.name == "article" }
        if articles.count == 1 { return articles[0] }
        if articles.count > 1 { return body }
        // Score each container by the paragraph text directly inside it, and half of that for its parent, so the
        // element that wraps the article's paragraphs wins over the page around it.
        var scores: [ObjectIdentifier: (node: HTMLNode, score: Int)] = [:]
        func visit(_ node: HTMLNode, parent: HTMLNode?) {
            for child in node.children where !child.isText {
                if child.name == "p" || child.name == "pre" {
                    let (length, commas) = Self.textMeasure(of: child)
                    guard length >= 25 else { continue }
                    let score = length + 100 * commas
                    scores[ObjectIdentifier(node), default: (node, 0)].score += score
                    if let parent { scores[ObjectIdentifier(parent), default: (parent, 0)].score += score / 2 }
                } else {
                    visit(child, parent: node)
                }
            }
        }
        visit(body, parent: nil)
        guard let best = scores.values.max(by: { $0.score < $1.score }), best.score >= 200 else { return body }
        return best.node
    }
}
