import Foundation
import GanderCore
@testable import GanderExtensions
import GanderTestSupport
import Testing

/// Tests/Fixtures/web/web_server.py on a loopback port, for as long as the test holds it.
final class WebFixtureServer: Sendable {
    let port: Int
    private let process: Process

    init() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/web/web_server.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        process.standardError = FileHandle.nullDevice
        // Python starts slowly while the other suites run in parallel on two cores.
        port = try await LoopbackPort.announced(by: process)
        self.process = process
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    deinit { process.stopForGood() }
}

/// What the ledger was told, kept in memory.
final class RecordingLedger: OutboundLedger, @unchecked Sendable {
    private let lock = NSLock()
    private var sent: [LedgerEntry] = []
    private var received: [Int64: Int] = [:]

    var entries: [LedgerEntry] { lock.withLock { sent } }
    var bytesReceived: [Int] { lock.withLock { sent.indices.map { received[Int64($0)] ?? -1 } } }

    func recordSent(_ entry: LedgerEntry) throws -> Int64 {
        lock.withLock {
            sent.append(entry)
            return Int64(sent.count - 1)
        }
    }

    func complete(_ id: Int64, bytesReceived: Int, usage: Usage) throws {
        lock.withLock { received[id] = bytesReceived }
    }
}

@Suite("HTML to Markdown")
struct MarkdownTests {
    @Test("an article keeps its content and loses its chrome")
    func article() {
        let html = """
            <html><head><title>T</title></head><body><nav><a href="/">Home</a></nav>
            <div class="sidebar">Related</div><main><h1>Title &amp; more</h1><p>One <a href="x/y">link</a>, <b>bold</b>,
            <code>code</code>.</p><ol start="3"><li>three<li>four</ol><blockquote><p>quoted</p></blockquote></main>
            <footer>Footer text</footer></body></html>
            """
        let page = ReadablePage(html: Data(html.utf8), url: URL(string: "https://example.com/a/b"))
        #expect(page.markdown == """
            # Title & more

            One [link](https://example.com/a/x/y), **bold**, `code`.

            3. three
            4. four

            > quoted
            """)
    }

    @Test("tables, code with its language, entities and unclosed cells")
    func structures() {
        let html = "<table><tr><th>a<th>b|c<tr><td>1<td>&#x32;</table><pre class=\"lang-sh\">echo &lt;hi&gt;\n</pre>"
        let markdown = MarkdownRenderer().render(HTMLDocument.parse(html))
        #expect(markdown == "| a | b\\|c |\n| --- | --- |\n| 1 | 2 |\n\n```sh\necho <hi>\n```")
    }

    @Test("nested lists line up, custom elements close by name, the first of two attributes wins")
    func nesting() {
        let html = """
            <UL><li>one<ul><li>inner<pre><code class="x language-py">a = 1
            b = 2</code></pre></li></ul><li><my-card data-gander-id=3 DATA-GANDER-ID=4><P>card</P></my-card> after</UL>
            <a href="/first" href="/second">link</a> <a href="JavaScript:go()">not a link</a>
            """
        let markdown = MarkdownRenderer(baseURL: URL(string: "https://example.com/docs/"), interactive: true)
            .render(HTMLDocument.parse(html))
        #expect(markdown == """
            - one
              - inner
                ```py
                a = 1
                b = 2
                ```
            - [3: card] after

            [link](https://example.com/first) not a link
            """)
    }

    @Test("chrome that ends its parent goes, and what follows is still read")
    func chromeAtTheEnd() {
        let html = "<body><div><p>\(String(repeating: "Words, and more words. ", count: 20))</p><nav>menu</nav></div><p>tail</p></body>"
        let page = ReadablePage(html: Data(html.utf8), url: nil)
        #expect(!page.markdown.contains("menu"))
        #expect(page.markdown.hasPrefix("Words, and more words."))
    }

    @Test("scripts, styles and comments never show")
    func hiddenText() {
        let html = "<p>shown<!-- <p>comment</p> --></p><script>if (a<b) {}</script><style>p{}</style><p>also</p>"
        #expect(MarkdownRenderer().render(HTMLDocument.parse(html)) == "shown\n\nalso")
    }

    @Test("addresses on this machine and private networks are told from public ones")
    func localAddresses() {
        for local in ["http://127.0.0.1:8080/", "http://localhost/", "http://10.1.2.3/", "http://192.168.0.1/", "http://[::1]/",
                      "http://169.254.169.254/latest/meta-data", "http://172.20.0.1/", "http://app.localhost/"] {
            #expect(LocalAddress.target(of: URL(string: local)!) != nil, "\(local)")
        }
        for public_ in ["http://93.184.216.34/", "http://172.32.0.1/", "http://[2606:4700::1111]/"] {
            #expect(LocalAddress.target(of: URL(string: public_)!) == nil, "\(public_)")
        }
    }
}

@Suite("web__fetch", .serialized)
struct WebFetchTests {
    let context = ToolContext(workingDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))

    func fetch(_ web: WebExtension, _ url: String, ledger: RecordingLedger? = nil) async -> ToolOutput {
        var context = context
        context.ledger = ledger
        return await web.call(tool: "fetch", arguments: ["url": .string(url)], context: context)
    }

    @Test("a page comes back as its main content in Markdown, and is in the ledger")
    func article() async throws {
        let server = try await WebFixtureServer()
        let ledger = RecordingLedger()
        let web = WebExtension(environment: [:])
        let output = await fetch(web, server.url("/hop"), ledger: ledger)
        let text = ToolResult(callID: "1", toolName: "web__fetch", content: output.content, isError: output.isError).text
        #expect(!output.isError)
        #expect(text.contains("URL: \(server.url("/article")) (redirected from \(server.url("/hop")))"))
        #expect(text.contains("# How the parser works"))
        #expect(text.contains("fast & cheap. See [the parser docs](\(server.url("/docs/parser")))."))
        #expect(text.contains("```python\ndef parse(page):\n    return tree(page)\n```"))
        #expect(text.contains("| <p> | paragraph |"))
        for chrome in ["Home", "About us", "Related posts", "Copyright", "cookies", "written by script"] {
            #expect(!text.contains(chrome), "\(chrome) is navigation chrome or script output")
        }
        #expect(ledger.entries.map(\.request.path) == ["/hop", "/article"])
        #expect(ledger.entries.allSatisfy { $0.request.kind == .web && $0.request.destination == "127.0.0.1:\(server.port)" })
        #expect(ledger.bytesReceived[1] > 1000)
    }

    @Test("bad addresses, loops, binaries, missing pages and dead hosts each get one clear line")
    func failures() async throws {
        let server = try await WebFixtureServer()
        let web = WebExtension(environment: [:])
        let cases: [(String, String)] = [
            (server.url("/loop-a"), "redirects in a loop (\(server.url("/loop-a")) → \(server.url("/loop-b")) → \(server.url("/loop-a")))"),
            (server.url("/binary"), "is application/zip, 2.0 KB, not a page of text"),
            (server.url("/status404"), "answered HTTP 404."),
            ("http://127.0.0.1:1/", "the connection to 127.0.0.1:1 was refused"),
            ("file:///etc/passwd", "is not an http or https address"),
            ("https://no-such-host.invalid/", "could not be resolved"),
        ]
        for (url, expected) in cases {
            let output = await fetch(web, url)
            #expect(output.isError, "\(url)")
            #expect(output.content.first.map { "\($0)" }?.contains(expected) == true, "\(url): \(output.content)")
        }
    }

    @Test("a 10 MB page is read up to the cap and shown head and tail; the whole text is on disk")
    func bigPage() async throws {
        let server = try await WebFixtureServer()
        let outputs = try TemporaryDirectory(prefix: "gander-web")
        defer { outputs.remove() }
        let web = WebExtension(environment: [:], outputRoot: outputs.url)
        guard case .text(let text) = await fetch(web, server.url("/big")).content.first else {
            Issue.record("no text")
            return
        }
        #expect(text.contains("[the page is larger than 5.0 MB; only its start was read]"))
        #expect(text.contains("# Big page"))
        #expect(text.utf8.count < 120 * 1024)
        #expect(text.contains("cut; the whole output"))
        let saved = try FileManager.default.contentsOfDirectory(atPath: outputs.path)
        #expect(saved.count == 1)
    }

    @Test("a page that trickles in is cut at the time limit with what came")
    func slowPage() async throws {
        let server = try await WebFixtureServer()
        let web = WebExtension(environment: [:], timeout: .seconds(2))
        let started = ContinuousClock.now
        let output = await fetch(web, server.url("/slow"))
        #expect(ContinuousClock.now - started < .seconds(20))
        guard case .text(let text) = output.content.first else {
            Issue.record("the page came back as no text: \(output.content)")
            return
        }
        #expect(text.contains("[the page did not finish arriving within 2 s; this is what came]"))
        #expect(text.contains("the start arrived"))
    }

    @Test("offline, nothing is fetched; local addresses are named for the permission check")
    func offlineAndLocal() async throws {
        let web = WebExtension(environment: ["GANDER_OFFLINE": "1"])
        let output = await fetch(web, "https://example.com/")
        #expect(output.isError)
        #expect(output.content == [.text("Not fetched: refused to send a request to https://example.com/: Gander runs offline "
            + "(--offline or GANDER_OFFLINE=1), so nothing may leave the machine.")])
        #expect(WebExtension.footprint(["url": "http://127.0.0.1:9/"]).localNetworkTarget == "127.0.0.1")
        #expect(WebExtension.footprint(["url": "https://93.184.216.34/"]).localNetworkTarget == nil)
    }
}
