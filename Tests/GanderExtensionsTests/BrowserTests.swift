import Foundation
import GanderCore
@testable import GanderExtensions
import GanderTestSupport
import Testing

/// Headless Chromium, really running, against the fixture pages.
@Suite("browser__*", .serialized)
struct BrowserTests {
    let context = ToolContext(workingDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))

    func text(_ output: ToolOutput) -> String {
        output.content.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined(separator: "\n")
    }

    @Test("fill and submit a form, read script-rendered content, go back, wait for what a script fetches")
    func form() async throws {
        let server = try await WebFixtureServer()
        let browser = BrowserExtension(environment: ProcessInfo.processInfo.environment)
        defer { Task { await browser.shutdown() } }

        let page = text(await browser.call(tool: "navigate", arguments: ["url": .string(server.url("/form"))], context: context))
        #expect(page.contains("Title: Sign up"))
        #expect(page.contains("[1: input text name=\"email\" placeholder=\"Email address\"]"))
        #expect(page.contains("[2: select name=\"plan\" options: Free (selected), Pro]"))
        #expect(page.contains("[3: button \"Create account\"]"))

        let typed = await browser.call(tool: "type", arguments: ["element": 1, "text": "ada@example.com"], context: context)
        #expect(text(typed) == "Typed 15 characters into element [1].")
        let selected = await browser.call(tool: "select", arguments: ["element": 2, "option": "Pro"], context: context)
        #expect(text(selected) == "Selected \"Pro\" in element [2].")
        let submitted = text(await browser.call(tool: "click", arguments: ["element": 3], context: context))
        #expect(submitted.contains("URL: \(server.url("/form"))?email=ada%40example.com&plan=pro"))
        #expect(submitted.contains("Welcome ada@example.com on the pro plan"))

        let back = text(await browser.call(tool: "back", arguments: [:], context: context))
        #expect(back.contains("URL: \(server.url("/form"))\n"))
        #expect(!back.contains("Welcome"))

        let missing = await browser.call(tool: "click", arguments: ["element": 42], context: context)
        #expect(missing.isError)
        #expect(text(missing) == "There is no element [42] on the page now; call browser__read to see the current page and its numbers.")

        let rendered = await browser.call(tool: "navigate", arguments: ["url": .string(server.url("/script"))], context: context)
        let waited = text(await browser.call(tool: "wait_for", arguments: ["selector": "#late"], context: context))
        #expect(text(rendered).contains("Title: Rendered later"))
        #expect(waited.contains("Rendered by JavaScript after a pause"))
        let script = await browser.call(tool: "run_script", arguments: ["script": "document.querySelectorAll('p').length * 7"], context: context)
        #expect(text(script) == "7")
        let thrown = await browser.call(tool: "run_script", arguments: ["script": "nosuchname.x"], context: context)
        #expect(thrown.isError)
        #expect(text(thrown).contains("ReferenceError: nosuchname is not defined"))

        // A navigation waits for the requests a page's script makes as it loads, however long they take (here
        // 0.8 s, longer than the quiet it waits for once nothing is loading).
        let fetched = text(await browser.call(tool: "navigate", arguments: ["url": .string(server.url("/fetching"))], context: context))
        #expect(fetched.contains("Fetched after the page had loaded"), "\(fetched)")
    }

    @Test("every request a page makes is a ledger row of its own, completed with the bytes that came")
    func pageRequestsInTheLedger() async throws {
        let server = try await WebFixtureServer()
        let browser = BrowserExtension(environment: ProcessInfo.processInfo.environment)
        defer { Task { await browser.shutdown() } }
        let ledger = MemoryLedger()
        let recorded = ToolContext(workingDirectory: URL(fileURLWithPath: NSTemporaryDirectory()), ledger: ledger)
        let fetched = text(await browser.call(tool: "navigate", arguments: ["url": .string(server.url("/fetching"))], context: recorded))
        #expect(fetched.contains("Fetched after the page had loaded"), "\(fetched)")
        let rows = ledger.rows
        #expect(rows.allSatisfy { $0.entry.request.kind == .browser && $0.entry.provider == "browser" })
        let paths = rows.map(\.entry.request.path)
        #expect(paths.contains("/fetching") && paths.count >= 2, "the page and what its script fetched: \(paths)")
        #expect(rows.contains { $0.entry.request.path == "/fetching" && ($0.received ?? 0) > 0 }, "\(rows)")
    }

    @Test("a screenshot is a PNG of the page's real pixels")
    func screenshot() async throws {
        let server = try await WebFixtureServer()
        let shots = try TemporaryDirectory(prefix: "gander-shots")
        defer { shots.remove() }
        let browser = BrowserExtension(environment: ProcessInfo.processInfo.environment, screenshots: shots.url)
        defer { Task { await browser.shutdown() } }
        _ = await browser.call(tool: "navigate", arguments: ["url": .string(server.url("/color"))], context: context)

        let window = await browser.call(tool: "screenshot", arguments: [:], context: context)
        let element = await browser.call(tool: "screenshot", arguments: ["selector": "#box"], context: context)
        #expect(text(window).contains("PNG image, 1280×800 px"))
        #expect(text(element).contains("PNG image, 200×100 px"))
        guard case .image(let mimeType, let data)? = window.content.last else {
            Issue.record("no image in \(window.content)")
            return
        }
        #expect(mimeType == "image/png")
        let file = shots.file("window.png")
        try Data(base64Encoded: data)!.write(to: file)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/web/png_pixel.py")
        let blue = try await run(["python3", script.path, file.path, "50", "50"])
        let white = try await run(["python3", script.path, file.path, "600", "400"])
        #expect(blue == "1280 800 0 128 255")
        #expect(white == "1280 800 255 255 255")
    }

    @Test("a page that never finishes loading still shows what it has; a dead server is one line")
    func slowAndDead() async throws {
        let server = try await WebFixtureServer()
        let browser = BrowserExtension(environment: ProcessInfo.processInfo.environment, navigationTimeout: .seconds(2))
        defer { Task { await browser.shutdown() } }
        let never = text(await browser.call(tool: "navigate", arguments: ["url": .string(server.url("/never"))], context: context))
        #expect(never.contains("[the page had not finished loading after 2 s; this is what it shows so far]"))
        #expect(never.contains("# Still loading"))
        // The fixture's port plus one: nothing listens there.
        let deadURL = "http://127.0.0.1:\(server.port + 1)/"
        let dead = await browser.call(tool: "navigate", arguments: ["url": .string(deadURL)], context: context)
        #expect(dead.isError)
        #expect(text(dead) == "Could not open \(deadURL): the connection was refused; nothing is listening there (net::ERR_CONNECTION_REFUSED).")
    }

    @Test("a crashed browser is one tool error, and the next call starts a new one")
    func crash() async throws {
        let server = try await WebFixtureServer()
        let browser = BrowserExtension(environment: ProcessInfo.processInfo.environment)
        defer { Task { await browser.shutdown() } }
        _ = await browser.call(tool: "navigate", arguments: ["url": .string(server.url("/article"))], context: context)
        // Every Chromium of this test's profile, killed as a crash would.
        _ = try? await run(["pkill", "-9", "-f", "gander-browser-\(getpid())"])
        try await Task.sleep(for: .milliseconds(500))
        let lost = await browser.call(tool: "read", arguments: [:], context: context)
        #expect(lost.isError)
        #expect(text(lost).contains("The browser stopped"))
        let again = await browser.call(tool: "navigate", arguments: ["url": .string(server.url("/article"))], context: context)
        #expect(text(again).contains("# How the parser works"))
    }

    @Test("no browser installed: one line that says how to get one")
    func missingBrowser() async {
        let browser = BrowserExtension(environment: ["GANDER_BROWSER": "/nonexistent/chromium"])
        let output = await browser.call(tool: "navigate", arguments: ["url": "https://example.com/"], context: context)
        #expect(output.isError)
        #expect(text(output) == BrowserProcess.installAdvice)
    }

    private func run(_ arguments: [String]) async throws -> String {
        try await ChildCommand.run(arguments).text
    }
}

/// A ledger kept in memory, for tests that look at what a tool recorded.
final class MemoryLedger: OutboundLedger, @unchecked Sendable {
    struct Row {
        var entry: LedgerEntry
        var received: Int?
    }

    private let lock = NSLock()
    private var stored: [Row] = []

    var rows: [Row] { lock.withLock { stored } }

    func recordSent(_ entry: LedgerEntry) throws -> Int64 {
        lock.withLock {
            stored.append(Row(entry: entry))
            return Int64(stored.count - 1)
        }
    }

    func complete(_ id: Int64, bytesReceived: Int, usage: Usage) throws {
        lock.withLock { stored[Int(id)].received = bytesReceived }
    }
}
