import Foundation
import GanderCore

/// `web__fetch`: a page from the web as Markdown the model can read. HTML is reduced to its main content; JSON and
/// plain text come as they are; images come as images; other kinds of file are named, not dumped.
public struct WebExtension: Extension {
    public let name = "web"
    private let fetcher: WebFetcher
    private let limits: OutputLimits
    private let outputRoot: URL

    /// - Parameters:
    ///   - environment: Gander's own, for the proxy variables, `SSL_CERT_FILE` and `GANDER_OFFLINE`.
    ///   - timeout: the longest a whole fetch may take.
    public init(environment: [String: String], timeout: Duration = .seconds(30), limits: OutputLimits = OutputLimits(),
                outputRoot: URL = FileManager.default.temporaryDirectory.appendingPathComponent("gander-\(getuid())/web")) {
        fetcher = WebFetcher(environment: environment, timeout: timeout)
        self.limits = limits
        self.outputRoot = outputRoot
    }

    public var instructions: String {
        """
        `web__fetch` reads a web page (http or https) as Markdown: use it for documentation, issues, articles and \
        APIs that answer JSON. For pages that need JavaScript, a login or clicks, use the browser tools if offered.
        """
    }

    static let fetchSpec = ToolSpec(
        name: "fetch",
        description: """
            Fetch a web page over http or https and return its main content as Markdown (headings, links, code, \
            tables); JSON and plain text are returned as they are, images as images. Redirects are followed. Long \
            pages are cut in the middle; the whole text is saved to a file named in the result.
            """,
        inputSchema: [
            "type": "object",
            "properties": ["url": ["type": "string", "description": "The address, starting with http:// or https://."]],
            "required": ["url"],
            "additionalProperties": false,
        ],
        isReadOnly: true)

    public func tools() async throws -> [any ToolHandler] {
        [InlineTool(Self.fetchSpec, footprint: { arguments, _ in Self.footprint(arguments) },
                    run: { arguments, context in await fetch(arguments, context: context) })]
    }

    /// Everything a fetch is given goes into its address, to whatever server that names; an address on this machine
    /// or its network asks in every mode but `auto`.
    static func footprint(_ arguments: [String: JSONValue]) -> CallFootprint {
        let url = arguments["url"]?.stringValue.flatMap(WebAddress.parse)
        return CallFootprint(readsOnly: true, reach: .offMachine(url?.host.map { "the web server \($0)" } ?? "a web server"),
                             localNetworkTarget: url.flatMap(LocalAddress.target))
    }

    private func fetch(_ arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        guard let text = arguments["url"]?.stringValue, !text.isEmpty else { return .error("Pass `url`, the address to fetch.") }
        guard let url = WebAddress.parse(text) else {
            return .error("\(text) is not an http or https address; web__fetch reads web pages only "
                + "(a local file is read with developer__text_editor view).")
        }
        do {
            let page = try await fetcher.fetch(url, recorder: context.recorder(provider: "web", model: "fetch"), reads: PageContent.isReadable)
            return await present(page, asked: url)
        } catch {
            return .error(error.description)
        }
    }

    private func present(_ page: WebFetcher.Page, asked: URL) async -> ToolOutput {
        var header = "URL: \(page.url.absoluteString)"
        if !page.redirects.isEmpty { header += " (redirected from \(asked.absoluteString))" }
        let content = PageContent(page: page)
        guard (200..<300).contains(page.status) else {
            let excerpt = String(content.text.prefix(800))
            return .error("\(page.url.absoluteString) answered HTTP \(page.status)." + (excerpt.isEmpty ? "" : "\n\n" + excerpt))
        }
        switch content.kind {
        case .image(let mimeType):
            guard let image = ImageFile(data: page.body) else {
                return .error("\(page.url.absoluteString) says it is \(mimeType), but it is not a picture Gander can read.")
            }
            return await image.output(describing: header)
        case .unreadable(let kind):
            let size = page.declaredLength.map { ", \(OutputExcerpt.formatBytes($0))" } ?? ""
            return .error("\(page.url.absoluteString) is \(kind)\(size), not a page of text, so it was not downloaded. "
                + "To keep the file, download it with the shell (curl -L -o FILE URL).")
        case .text:
            var notes: [String] = []
            if page.cutAtLimit { notes.append("[the page is larger than \(OutputExcerpt.formatBytes(fetcher.maxDownload)); only its start was read]") }
            if page.timedOut { notes.append("[the page did not finish arriving within \(fetcher.timeout.components.seconds) s; this is what came]") }
            let body = ([header] + notes + ["", content.text]).joined(separator: "\n")
            return .text(PageExcerpt(limits: limits, directory: outputRoot).text(body, name: page.url.host ?? "page"))
        }
    }
}

/// An address the model gave, if it is one `web__fetch` may take: http or https with a host.
enum WebAddress {
    static func parse(_ text: String) -> URL? {
        guard let url = URL(string: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else { return nil }
        return url
    }
}

/// What a fetched body is, and its text when it has one.
struct PageContent {
    enum Kind: Equatable {
        case text
        case image(String)
        case unreadable(String)
    }

    let kind: Kind
    let text: String

    static let imageTypes: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    /// The media type without parameters, lowercased.
    static func mediaType(_ contentType: String) -> String {
        contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    static func isReadable(_ contentType: String) -> Bool {
        let type = mediaType(contentType)
        return type.isEmpty || isText(type) || isHTML(type) || imageTypes.contains(type)
    }

    private static func isHTML(_ type: String) -> Bool { type == "text/html" || type == "application/xhtml+xml" }

    private static func isText(_ type: String) -> Bool {
        type.hasPrefix("text/") || type.hasSuffix("+json") || type.hasSuffix("+xml")
            || ["application/json", "application/xml", "application/javascript", "application/x-yaml", "application/yaml",
                "application/toml", "application/x-ndjson", "application/ld+json"].contains(type)
    }

    init(page: WebFetcher.Page) {
        let type = Self.mediaType(page.contentType)
        if Self.imageTypes.contains(type) {
            kind = .image(type)
            text = ""
            return
        }
        let body = Self.utf8(page.body, contentType: page.contentType)
        let looksLikeHTML = type.isEmpty && String(decoding: body.prefix(512), as: UTF8.self).lowercased().contains("<html")
        if Self.isHTML(type) || looksLikeHTML {
            kind = .text
            text = ReadablePage(html: body, url: page.url).markdown
        } else if Self.isText(type) || (type.isEmpty && !body.prefix(4096).contains(0)) {
            kind = .text
            text = String(decoding: body, as: UTF8.self)
        } else {
            kind = .unreadable(type.isEmpty ? "binary data" : type)
            text = ""
        }
    }

    /// The body as UTF-8: pages in Latin-1 or Windows-1252 are converted; anything else is read as UTF-8.
    private static func utf8(_ body: Data, contentType: String) -> Data {
        let charset = contentType.lowercased().components(separatedBy: "charset=").dropFirst().first?
            .trimmingCharacters(in: CharacterSet(charactersIn: "\"' ;")) ?? ""
        let encoding: String.Encoding? = switch charset {
        case "iso-8859-1", "latin1", "latin-1": .isoLatin1
        case "windows-1252", "cp1252": .windowsCP1252
        default: nil
        }
        guard let encoding, let text = String(data: body, encoding: encoding) else { return body }
        return Data(text.utf8)
    }
}

/// A long page for the model: whole when it fits the limits, else its head and tail with the whole text saved to a
/// file the model can read on.
struct PageExcerpt {
    var limits: OutputLimits
    var directory: URL

    func text(_ text: String, name: String) -> String {
        var text = text
        // The bytes are read where the string keeps them, not copied: a page's text can be megabytes.
        let outcome = text.withUTF8 { bytes -> Outcome in
            guard let base = bytes.baseAddress else { return .whole }
            let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none)
            guard data.count > limits.maxBytes || OutputExcerpt.lineCount(data) > limits.maxLines else { return .whole }
            return save(data, name: name)
        }
        switch outcome {
        case .whole: return text
        case .excerpt(let excerpt): return excerpt
        case .unsaved: return String(text.prefix(limits.maxBytes)) + "\n[… cut at \(OutputExcerpt.formatBytes(limits.maxBytes))]"
        }
    }

    private enum Outcome {
        case whole
        case excerpt(String)
        /// Too long, and the whole could not be saved: only its start is shown.
        case unsaved
    }

    /// Saves the whole text and returns its excerpt.
    private func save(_ data: Data, name: String) -> Outcome {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let slug = name.filter { $0.isLetter || $0.isNumber || $0 == "." }
            let file = directory.appendingPathComponent("\(slug)-\(UUID().uuidString.prefix(8)).md")
            // Past the page cache: this file can be a megabyte, and the cache's copy was a tenth of a fetch.
            try UncachedFileWriter.create(file, with: data)
            return .excerpt(OutputExcerpt(data: data, savedAt: file, limits: limits).text)
        } catch {
            return .unsaved
        }
    }
}
