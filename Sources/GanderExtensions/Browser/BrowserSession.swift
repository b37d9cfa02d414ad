import Foundation
import GanderCore
import GanderHost

/// The one browser of a session: started on first use, with one tab the tools drive, and closed with the session. A
/// browser that crashed or was killed is reported once as a tool error; the next call starts a new one.
actor BrowserSession {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A page as the model reads it.
    struct Snapshot {
        var title: String
        var url: String
        var markdown: String
        var note: String?

        var text: String {
            ["Title: \(title)", "URL: \(url)"].joined(separator: "\n") + (note.map { "\n\($0)" } ?? "") + "\n\n" + markdown
        }
    }

    private struct Running {
        let process: BrowserProcess
        let connection: DevToolsConnection
        /// The DevTools session of the tab.
        let tab: String
    }

    private let environment: [String: String]
    let navigationTimeout: Duration
    private var running: Running?
    private var pageRecorder: (any OutboundRecorder)?

    init(environment: [String: String], navigationTimeout: Duration = .seconds(30)) {
        self.environment = environment
        self.navigationTimeout = navigationTimeout
    }

    var isRunning: Bool { running != nil }

    // MARK: life

    private func browser() async throws(Failure) -> Running {
        if let running {
            if let reason = await lostReason(running) {
                self.running = nil
                await running.process.terminate()
                throw Failure(description: "The browser stopped (\(reason)); the page it showed is gone. The next browser call starts a new one.")
            }
            return running
        }
        guard let executable = BrowserProcess.locate(environment: environment) else {
            throw Failure(description: BrowserProcess.installAdvice)
        }
        let process: BrowserProcess
        do {
            process = try await BrowserProcess(executable: executable, environment: environment)
        } catch {
            throw Failure(description: "The browser did not start: \(error.description)")
        }
        do {
            let connection = try await DevToolsConnection.connect(port: process.port, path: process.path)
            let target = try await connection.send("Target.createTarget", ["url": "about:blank"])
            guard let targetID = target["targetId"]?.stringValue else { throw DevToolsConnection.Failure(description: "no tab was made") }
            let attached = try await connection.send("Target.attachToTarget", ["targetId": .string(targetID), "flatten": true])
            guard let tab = attached["sessionId"]?.stringValue else { throw DevToolsConnection.Failure(description: "could not attach to the tab") }
            _ = try await connection.send("Page.enable", session: tab)
            _ = try await connection.send("Page.setLifecycleEventsEnabled", ["enabled": true], session: tab)
            // For when the page's own requests are done (`settle`), and for the ledger.
            await connection.record(with: pageRecorder)
            _ = try await connection.send("Network.enable", session: tab)
            // The window's size, whatever a headless window's frame takes: screenshots are 1280×800.
            _ = try await connection.send("Emulation.setDeviceMetricsOverride",
                                          ["width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false], session: tab)
            let started = Running(process: process, connection: connection, tab: tab)
            running = started
            return started
        } catch {
            await process.terminate()
            throw Failure(description: "The browser started but could not be driven: \(error)")
        }
    }

    private func lostReason(_ running: Running) async -> String? {
        if let exit = running.process.exitDescription { return "Chromium \(exit)" }
        return await running.connection.closedReason
    }

    /// Closes the browser, if one is running.
    func close() async {
        guard let running else { return }
        self.running = nil
        await running.connection.close(because: "the session ended")
        await running.process.terminate()
    }

    // MARK: commands

    /// One DevTools command to the tab; a browser lost on the way is a `Failure` that says so, and is let go.
    @discardableResult
    private func command(_ method: String, _ params: [String: JSONValue] = [:], timeout: Duration = .seconds(30)) async throws(Failure) -> JSONValue {
        let running = try await browser()
        do {
            return try await running.connection.send(method, params, session: running.tab, timeout: timeout)
        } catch {
            if let reason = await lostReason(running) {
                self.running = nil
                await running.process.terminate()
                throw Failure(description: "The browser stopped (\(reason)); the next browser call starts a new one.")
            }
            throw Failure(description: "\(method) failed: \(error)")
        }
    }

    /// Runs `expression` in the page and returns its value; a script's exception is a `Failure` with its message.
    func evaluate(_ expression: String, timeout: Duration = .seconds(10)) async throws(Failure) -> JSONValue {
        let result = try await command("Runtime.evaluate", [
            "expression": .string(expression), "returnByValue": true, "awaitPromise": true, "userGesture": true,
            "timeout": .number(Double(timeout.components.seconds * 1000)),
        ], timeout: timeout + .seconds(5))
        if let exception = result["exceptionDetails"] {
            let message = exception["exception"]?["description"]?.stringValue ?? exception["text"]?.stringValue ?? "the script threw"
            throw Failure(description: "The script failed: \(message.split(separator: "\n").prefix(3).joined(separator: " "))")
        }
        return result["result"]?["value"] ?? .null
    }

    private func counts() async throws(Failure) -> (loads: Int, starts: Int, idle: Int, connection: DevToolsConnection, tab: String) {
        let running = try await browser()
        let connection = running.connection
        return (await connection.eventCount("Page.loadEventFired", session: running.tab),
                await connection.eventCount("Page.frameStartedLoading", session: running.tab),
                await connection.eventCount("Page.lifecycleEvent.networkIdle", session: running.tab),
                connection, running.tab)
    }

    /// Waits for the load that follows a navigation, then briefly for the network to go quiet so scripts that fetch
    /// content have run: no request of the page loading for `networkQuiet`, or Chromium's own networkIdle, for at
    /// most 3 s. (networkIdle alone cost a second on every page: Chromium waits 500 ms of quiet and checks on a
    /// timer.) Returns a note when the page had not finished loading in time.
    private func settle(loadsBefore loads: Int, idleBefore idle: Int, connection: DevToolsConnection, tab: String) async -> String? {
        guard await connection.waitForEvent("Page.loadEventFired", session: tab, after: loads, timeout: navigationTimeout) else {
            return "[the page had not finished loading after \(navigationTimeout.components.seconds) s; this is what it shows so far]"
        }
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            if await connection.networkIsQuiet(session: tab, for: Self.networkQuiet) { break }
            if await connection.eventCount("Page.lifecycleEvent.networkIdle", session: tab) > idle { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// How long a loaded page's network must rest before it is read: long enough for the requests a script makes
    /// as the page loads to start.
    private static let networkQuiet: Duration = .milliseconds(300)

    /// Where the pages' requests are recorded: the session's ledger, as the tools' context says.
    func record(with recorder: (any OutboundRecorder)?) async {
        pageRecorder = recorder
        await running?.connection.record(with: recorder)
    }

    func navigate(to url: URL) async throws(Failure) -> Snapshot {
        // Offline, Chromium's requests go to a proxy that is not there (`BrowserProcess`); this says so plainly.
        if NetworkEnvironment(environment: environment).offline, LocalAddress.target(of: url) == nil {
            throw Failure(description: "Not opened: \(OutboundGate.Refusal(url: url.absoluteString)).")
        }
        let before = try await counts()
        let result = try await command("Page.navigate", ["url": .string(url.absoluteString)], timeout: navigationTimeout)
        if let error = result["errorText"]?.stringValue, !error.isEmpty {
            throw Failure(description: "Could not open \(url.absoluteString): \(Self.explain(error))")
        }
        let note = await settle(loadsBefore: before.loads, idleBefore: before.idle, connection: before.connection, tab: before.tab)
        var page = try await snapshot()
        page.note = note
        return page
    }

    /// After a click or a key that may have started a navigation: waits for it when one began.
    private func afterAction(startsBefore starts: Int, loadsBefore loads: Int, idleBefore idle: Int,
                             connection: DevToolsConnection, tab: String) async -> String? {
        guard await connection.waitForEvent("Page.frameStartedLoading", session: tab, after: starts, timeout: .milliseconds(400)) else {
            try? await Task.sleep(for: .milliseconds(100))
            return nil
        }
        return await settle(loadsBefore: loads, idleBefore: idle, connection: connection, tab: tab)
    }

    func snapshot() async throws(Failure) -> Snapshot {
        let value = try await evaluate(PageScripts.snapshot)
        let url = value["url"]?.stringValue ?? ""
        let document = HTMLDocument.parse(value["html"]?.stringValue ?? "")
        let markdown = MarkdownRenderer(baseURL: URL(string: url), interactive: true).render(document)
        return Snapshot(title: value["title"]?.stringValue ?? "", url: url, markdown: markdown.isEmpty ? "(the page shows no text)" : markdown)
    }

    func click(_ target: ElementReference) async throws(Failure) -> Snapshot {
        let before = try await counts()
        let point = try await evaluate(PageScripts.center(of: target.finder))
        guard let x = point["x"]?.numberValue, let y = point["y"]?.numberValue else { throw target.missing }
        guard (point["width"]?.numberValue ?? 0) > 0 else {
            throw Failure(description: "\(target) has no size on the page (it is hidden); call browser__read to see what can be clicked.")
        }
        for type in ["mouseMoved", "mousePressed", "mouseReleased"] {
            var event: [String: JSONValue] = ["type": .string(type), "x": .number(x), "y": .number(y)]
            if type != "mouseMoved" {
                event["button"] = "left"
                event["clickCount"] = 1
            }
            try await command("Input.dispatchMouseEvent", event)
        }
        var page = try await snapshotAfterAction(before)
        page.note = ([page.note].compactMap { $0 } + ["[clicked \(target)]"]).joined(separator: "\n")
        return page
    }

    private func snapshotAfterAction(_ before: (loads: Int, starts: Int, idle: Int, connection: DevToolsConnection, tab: String)) async throws(Failure) -> Snapshot {
        let note = await afterAction(startsBefore: before.starts, loadsBefore: before.loads, idleBefore: before.idle,
                                     connection: before.connection, tab: before.tab)
        var page = try await snapshot()
        page.note = note
        return page
    }

    /// Types `text` into a field, replacing what it held; `submit` presses Enter afterwards.
    func type(_ text: String, into target: ElementReference, submit: Bool) async throws(Failure) -> String {
        let focused = try await evaluate(PageScripts.focusAndClear(target.finder))
        if focused == .null { throw target.missing }
        guard focused.boolValue == true else { throw Failure(description: "\(target) is not a field one can type into.") }
        try await command("Input.insertText", ["text": .string(text)])
        guard submit else { return "Typed \(text.count) characters into \(target)." }
        let before = try await counts()
        for type in ["keyDown", "keyUp"] {
            try await command("Input.dispatchKeyEvent", [
                "type": .string(type), "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13,
                "nativeVirtualKeyCode": 13, "text": type == "keyDown" ? "\r" : "",
            ])
        }
        let page = try await snapshotAfterAction(before)
        return "Typed into \(target) and pressed Enter.\n\n" + page.text
    }

    func select(_ option: String, in target: ElementReference) async throws(Failure) -> String {
        let result = try await evaluate(PageScripts.select(target.finder, option: option))
        if result == .null { throw target.missing }
        if let error = result["error"]?.stringValue {
            let options = result["options"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ")
            throw Failure(description: "Could not select in \(target): \(error)" + (options.map { "; its options are \($0)" } ?? "") + ".")
        }
        return "Selected \"\(result["selected"]?.stringValue ?? option)\" in \(target)."
    }

    func scroll(pages: Double, to target: ElementReference?) async throws(Failure) -> String {
        if let target {
            let point = try await evaluate(PageScripts.center(of: target.finder))
            if point == .null { throw target.missing }
            return "Scrolled \(target) into view."
        }
        let position = try await evaluate(PageScripts.scroll(by: pages))
        let y = position["y"]?.intValue ?? 0
        let height = position["height"]?.intValue ?? 0
        let view = position["view"]?.intValue ?? 0
        return "Scrolled to \(y) px of a page \(height) px tall (the window shows \(view) px)."
    }

    func waitFor(selector: String, timeout: Duration) async throws(Failure) -> Snapshot {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await evaluate(PageScripts.exists(selector)).boolValue == true { return try await snapshot() }
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "Nothing on the page matched \(selector) within \(timeout.components.seconds) s.")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    func back() async throws(Failure) -> Snapshot {
        let history = try await command("Page.getNavigationHistory")
        guard let index = history["currentIndex"]?.intValue, let entries = history["entries"]?.arrayValue, index > 0,
              let entry = entries[index - 1]["id"]
        else { throw Failure(description: "There is no earlier page in this tab to go back to.") }
        let before = try await counts()
        try await command("Page.navigateToHistoryEntry", ["entryId": entry])
        return try await snapshotAfterAction(before)
    }

    /// A PNG of the window, the whole page, or one element.
    func screenshot(of target: ElementReference?, fullPage: Bool) async throws(Failure) -> Data {
        var params: [String: JSONValue] = ["format": "png"]
        if let target {
            let box = try await evaluate(PageScripts.box(of: target.finder))
            guard let x = box["x"]?.numberValue, let y = box["y"]?.numberValue, let width = box["width"]?.numberValue,
                  let height = box["height"]?.numberValue
            else { throw target.missing }
            guard width >= 1, height >= 1 else { throw Failure(description: "\(target) has no size on the page (it is hidden).") }
            params["clip"] = ["x": .number(x), "y": .number(y), "width": .number(width), "height": .number(min(height, 8000)), "scale": 1]
            params["captureBeyondViewport"] = true
        } else if fullPage {
            let metrics = try await command("Page.getLayoutMetrics")
            let size = metrics["cssContentSize"] ?? metrics["contentSize"]
            let width = size?["width"]?.numberValue ?? 1280
            let height = min(size?["height"]?.numberValue ?? 800, 8000)
            params["clip"] = ["x": 0, "y": 0, "width": .number(width), "height": .number(height), "scale": 1]
            params["captureBeyondViewport"] = true
        }
        let result = try await command("Page.captureScreenshot", params)
        guard let encoded = result["data"]?.stringValue, let data = Data(base64Encoded: encoded) else {
            throw Failure(description: "The browser returned no picture.")
        }
        return data
    }

    /// Chromium's network error names, said plainly.
    static func explain(_ error: String) -> String {
        let plain: [String: String] = [
            "net::ERR_CONNECTION_REFUSED": "the connection was refused; nothing is listening there",
            "net::ERR_NAME_NOT_RESOLVED": "the host name could not be resolved (no such host, or no network)",
            "net::ERR_INTERNET_DISCONNECTED": "there is no network connection",
            "net::ERR_CONNECTION_TIMED_OUT": "the connection timed out",
            "net::ERR_TOO_MANY_REDIRECTS": "the page redirects in a loop",
            "net::ERR_ADDRESS_UNREACHABLE": "the address cannot be reached",
            "net::ERR_UNSAFE_PORT": "browsers refuse that port, which belongs to another protocol",
            "net::ERR_ABORTED": "the page stopped loading (a download, or a navigation the page cancelled)",
        ]
        if let text = plain[error] { return "\(text) (\(error))." }
        if error.hasPrefix("net::ERR_CERT") || error.contains("SSL") {
            return "the site's TLS certificate was not accepted (\(error))."
        }
        return error + "."
    }
}

/// An element the model named: a number from the last page view, or a CSS selector.
struct ElementReference: CustomStringConvertible {
    var number: Int?
    var selector: String?

    var finder: String { PageScripts.find(element: number, selector: selector) }

    var description: String { number.map { "element [\($0)]" } ?? "the element \(selector ?? "")" }

    var missing: BrowserSession.Failure {
        BrowserSession.Failure(description: "There is no \(self) on the page now; call browser__read to see the current page and its numbers.")
    }
}
