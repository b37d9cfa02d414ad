import Foundation
import GanderCore

/// `browser__*`: a real headless Chromium driven over the DevTools protocol, for pages that need JavaScript, forms
/// and clicks. One browser per session, started on the first call and closed with the session.
public struct BrowserExtension: Extension {
    public let name = "browser"
    private let session: BrowserSession
    private let screenshots: URL
    private let protected: ProtectedFiles
    /// Long pages reach the model head and tail, the whole text saved beside the fetched pages.
    private let pages = PageExcerpt(limits: OutputLimits(),
                                    directory: FileManager.default.temporaryDirectory.appendingPathComponent("gander-\(getuid())/web"))

    /// - Parameters:
    ///   - environment: Gander's own: `GANDER_BROWSER`, the proxy variables, `GANDER_OFFLINE`, and what Chromium needs.
    ///   - navigationTimeout: how long a page may take to load before the tools show what it has so far.
    ///   - protected: the files the browser may not open (`file:` addresses), as for the developer tools.
    public init(environment: [String: String], navigationTimeout: Duration = .seconds(30), protected: ProtectedFiles = .none,
                screenshots: URL = FileManager.default.temporaryDirectory.appendingPathComponent("gander-\(getuid())/screenshots")) {
        session = BrowserSession(environment: environment, navigationTimeout: navigationTimeout)
        self.screenshots = screenshots
        self.protected = protected
    }

    public var instructions: String {
        """
        The browser tools drive a real headless Chromium. `browser__navigate` opens a page and shows it as Markdown in \
        which every link, button and field has a number like [3: button "Send"]; pass that number as `element` to \
        click, type or select (or a CSS `selector`). After a click or a submit you get the new page. Use \
        `browser__wait_for` for content that appears later and `browser__screenshot` to see the page.
        """
    }

    private static func schema(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        ["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) }),
         "additionalProperties": false]
    }

    private static let element: JSONValue = ["type": "integer", "minimum": 1, "description": "The element's number in the last page view."]
    private static let selector: JSONValue = ["type": "string", "description": "A CSS selector, when the element has no number."]

    static let specs: [ToolSpec] = [
        ToolSpec(name: "navigate", description: "Open a URL in the browser and return the page as Markdown with numbered elements.",
                 inputSchema: schema(["url": ["type": "string", "description": "http, https or file address."]], required: ["url"]),
                 isReadOnly: true),
        ToolSpec(name: "read", description: "Return the current page again as Markdown with numbered elements (after it changed).",
                 inputSchema: schema([:]), isReadOnly: true),
        ToolSpec(name: "click", description: "Click an element (a real mouse click at its middle) and return the page afterwards.",
                 inputSchema: schema(["element": element, "selector": selector])),
        ToolSpec(name: "type", description: "Type text into a field, replacing what it held; `submit` presses Enter afterwards.",
                 inputSchema: schema(["element": element, "selector": selector, "text": ["type": "string"],
                                      "submit": ["type": "boolean", "description": "Press Enter after typing."]],
                                     required: ["text"])),
        ToolSpec(name: "select", description: "Choose an option of a select element by its value or its label.",
                 inputSchema: schema(["element": element, "selector": selector, "option": ["type": "string"]], required: ["option"])),
        ToolSpec(name: "scroll", description: "Scroll the page by windowfuls (negative goes up), or bring an element into view.",
                 inputSchema: schema(["pages": ["type": "number", "description": "Windowfuls to scroll; default 1."],
                                      "element": element, "selector": selector]), isReadOnly: true),
        ToolSpec(name: "wait_for", description: "Wait until an element matching a CSS selector exists, then return the page.",
                 inputSchema: schema(["selector": ["type": "string"],
                                      "timeout": ["type": "number", "description": "Seconds to wait; default 10."]],
                                     required: ["selector"]), isReadOnly: true),
        ToolSpec(name: "run_script", description: "Run a short JavaScript expression in the page and return its value as JSON (promises are awaited).",
                 inputSchema: schema(["script": ["type": "string"]], required: ["script"])),
        ToolSpec(name: "screenshot", description: "Take a PNG screenshot of the window, the whole page, or one element.",
                 inputSchema: schema(["element": element, "selector": selector,
                                      "full_page": ["type": "boolean", "description": "The whole page, not just the window."]]),
                 isReadOnly: true),
        ToolSpec(name: "back", description: "Go back to the previous page and return it.", inputSchema: schema([:]), isReadOnly: true),
    ]

    public func tools() async throws -> [any ToolHandler] {
        Self.specs.map { spec in
            InlineTool(spec, footprint: { arguments, context in
                spec.name == "navigate" ? navigationFootprint(arguments, context: context)
                    : CallFootprint(readsOnly: spec.isReadOnly, reach: Self.reach)
            }, run: { arguments, context in await call(spec.name, arguments, context: context) })
        }
    }

    /// What the browser is given (an address, text typed into a page) goes to the pages it has open.
    private static let reach = ToolReach.offMachine("the web pages the browser has open")

    /// Opening an address on this machine or its network asks in every mode but `auto`; a local file is read like
    /// the editor's `view`, so `smart` mode asks outside the workspace.
    private func navigationFootprint(_ arguments: [String: JSONValue], context: ToolContext) -> CallFootprint {
        var footprint = CallFootprint(readsOnly: true, reach: Self.reach)
        guard let text = arguments["url"]?.stringValue else { return footprint }
        footprint.localNetworkTarget = WebAddress.parse(text).flatMap(LocalAddress.target)
        if let url = Self.address(text, context: context), url.isFileURL { footprint.pathsRead = [url] }
        return footprint
    }

    public func shutdown() async {
        await session.close()
    }

    private func call(_ tool: String, _ arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        do {
            await session.record(with: context.recorder(provider: "browser", model: "chromium"))
            return try await run(tool, arguments, context: context)
        } catch let failure as BrowserSession.Failure {
            return .error(failure.description)
        } catch {
            return .error(String(describing: error))
        }
    }

    private func run(_ tool: String, _ arguments: [String: JSONValue], context: ToolContext) async throws -> ToolOutput {
        let reference = ElementReference(number: arguments["element"]?.intValue, selector: arguments["selector"]?.stringValue)
        let named = reference.number != nil || !(reference.selector ?? "").isEmpty
        func needElement() throws -> ElementReference {
            guard named else { throw BrowserSession.Failure(description: "Pass `element` (its number in the page view) or `selector`.") }
            return reference
        }
        switch tool {
        case "navigate":
            guard let text = arguments["url"]?.stringValue, let url = Self.address(text, context: context) else {
                return .error("Pass `url`, an http, https or file address (a path is opened as a local file).")
            }
            if url.isFileURL, let refusal = protected.refusal(for: url) { return .error(refusal) }
            return page(try await session.navigate(to: url))
        case "read": return page(try await session.snapshot())
        case "click": return page(try await session.click(try needElement()))
        case "type":
            guard let text = arguments["text"]?.stringValue else { return .error("Pass `text`, what to type.") }
            return .text(pages.text(try await session.type(text, into: try needElement(), submit: arguments["submit"]?.boolValue ?? false), name: "page"))
        case "select":
            guard let option = arguments["option"]?.stringValue else { return .error("Pass `option`, the value or label to choose.") }
            return .text(try await session.select(option, in: try needElement()))
        case "scroll":
            return .text(try await session.scroll(pages: arguments["pages"]?.numberValue ?? 1, to: named ? reference : nil))
        case "wait_for":
            guard let selector = arguments["selector"]?.stringValue, !selector.isEmpty else { return .error("Pass `selector`.") }
            let seconds = min(max(arguments["timeout"]?.numberValue ?? 10, 0.1), 120)
            return page(try await session.waitFor(selector: selector, timeout: .milliseconds(Int(seconds * 1000))))
        case "run_script":
            guard let script = arguments["script"]?.stringValue, !script.isEmpty else { return .error("Pass `script`.") }
            let value = try await session.evaluate(script)
            let text = value.canonicalText
            return .text(text.count > 20_000 ? String(text.prefix(20_000)) + " … [cut at 20000 characters]" : text)
        case "screenshot":
            let png = try await session.screenshot(of: named ? reference : nil, fullPage: arguments["full_page"]?.boolValue ?? false)
            return try await ImageFile.screenshotOutput(png, savedIn: screenshots, what: named ? "\(reference)" : "the page")
        case "back": return page(try await session.back())
        default: return .error("The browser extension has no tool named \(tool).")
        }
    }

    private func page(_ snapshot: BrowserSession.Snapshot) -> ToolOutput {
        .text(pages.text(snapshot.text, name: URL(string: snapshot.url)?.host ?? "page"))
    }

    /// http and https as given; `file:` URLs and paths as local files.
    private static func address(_ text: String, context: ToolContext) -> URL? {
        if let url = WebAddress.parse(text) { return url }
        if text.hasPrefix("file://") { return URL(string: text) }
        if text.contains("://") { return nil }
        let file = context.resolve(text)
        return FileManager.default.fileExists(atPath: file.path) ? file : nil
    }
}
