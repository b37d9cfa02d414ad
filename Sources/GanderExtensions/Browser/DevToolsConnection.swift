import Foundation
import GanderCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A Chrome DevTools Protocol client over one WebSocket to the browser. Commands are JSON messages with an id; the
/// answer with the same id completes the call. Events (a page finished loading) are counted by method and target
/// session, which is all the browser tools need to wait for one. When the socket closes — the browser crashed or
/// was closed — every waiting call fails at once.
actor DevToolsConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    private var nextID = 1
    private var pending: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
    private var eventCounts: [String: Int] = [:]
    private var lastEvents: [String: JSONValue] = [:]
    /// The requests of each session still loading (a redirect keeps its request's id), and when one last started
    /// or ended: how quiet a page's network is.
    private var loading: [String: Set<String>] = [:]
    private var lastNetworkChange: [String: ContinuousClock.Instant] = [:]
    /// Hears about every request a page makes, from the Network domain: Chromium's traffic does not pass Gander's
    /// outbound gate, so this is how it reaches the ledger.
    private var recorder: (any OutboundRecorder)?
    /// The ledger rows of requests under way, by request id.
    private var recorded: [String: OutboundCompletion] = [:]
    private(set) var closedReason: String?

    private init(outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) {
        self.outbound = outbound
    }

    private enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    /// Connects to `ws://127.0.0.1:PORT/PATH`, the browser's own endpoint.
    static func connect(port: Int, path: String) async throws -> DevToolsConnection {
        let upgrade: EventLoopFuture<Upgrade> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Screenshots arrive as one message of several megabytes.
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 27) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
                        }
                    }
                    var headers = HTTPHeaders()
                    // The browser accepts only a Host that names the loopback address, against DNS rebinding.
                    headers.add(name: "Host", value: "127.0.0.1:\(port)")
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { .refused } })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
        guard case .websocket(let channel) = try await upgrade.get() else {
            throw Failure(description: "the browser refused the DevTools connection")
        }
        let ready = AsyncStream<DevToolsConnection>.makeStream()
        Task {
            do {
                try await channel.executeThenClose { inbound, outbound in
                    let connection = DevToolsConnection(outbound: outbound)
                    ready.continuation.yield(connection)
                    ready.continuation.finish()
                    var message = ByteBuffer()
                    do {
                        for try await frame in inbound {
                            switch frame.opcode {
                            case .text, .binary, .continuation:
                                var data = frame.unmaskedData
                                message.writeBuffer(&data)
                                if frame.fin {
                                    await connection.received(Data(message.readableBytesView))
                                    message.clear()
                                }
                            case .ping:
                                try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData))
                            case .connectionClose:
                                await connection.close(because: "the browser closed the DevTools connection")
                                return
                            default:
                                break
                            }
                        }
                        await connection.close(because: "the browser's DevTools connection ended")
                    } catch {
                        await connection.close(because: "the DevTools connection broke (\(error))")
                    }
                }
            } catch {
                ready.continuation.finish()
            }
        }
        for await connection in ready.stream { return connection }
        throw Failure(description: "the DevTools connection closed as it opened")
    }

    /// Sends one command and waits for its answer, up to `timeout`. A protocol error comes back as `Failure` with the
    /// browser's own message.
    func send(_ method: String, _ params: [String: JSONValue] = [:], session: String? = nil,
              timeout: Duration = .seconds(30)) async throws -> JSONValue {
        if let closedReason { throw Failure(description: closedReason) }
        let id = nextID
        nextID += 1
        var message: [String: JSONValue] = ["id": .number(Double(id)), "method": .string(method), "params": .object(params)]
        if let session { message["sessionId"] = .string(session) }
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: JSONValue.object(message).canonicalText))
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.fail(id, Failure(description: "the browser did not answer \(method) within \(timeout.components.seconds) s"))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            pending[id] = continuation
            Task {
                do {
                    try await outbound.write(frame)
                } catch {
                    fail(id, Failure(description: "could not reach the browser (\(error))"))
                }
            }
        }
    }

    /// Where the page's requests are recorded from now on.
    func record(with recorder: (any OutboundRecorder)?) {
        self.recorder = recorder
    }

    /// A ledger row for each request as Chromium sends it (a redirect is a request of its own), completed with the
    /// bytes that came over the wire.
    private func recordNetwork(_ method: String, _ params: JSONValue?) {
        guard let params, let id = params["requestId"]?.stringValue else { return }
        switch method {
        case "Network.requestWillBeSent":
            if params["redirectResponse"] != nil {
                recorded.removeValue(forKey: id)?(params["redirectResponse"]?["encodedDataLength"]?.intValue ?? 0, Usage())
            }
            guard let recorder, let request = params["request"], let address = request["url"]?.stringValue,
                  let scheme = URLComponents(string: address)?.scheme, ["http", "https", "ws", "wss"].contains(scheme)
            else { return }
            // The request line and headers Chromium reports, and the body of a POST.
            let headers = request["headers"]?.objectValue ?? [:]
            let line = OutboundRequest.parts(of: address).target.utf8.count + 16
            let head = headers.reduce(line) { $0 + $1.key.utf8.count + ($1.value.stringValue?.utf8.count ?? 0) + 4 }
            let body = request["postData"]?.stringValue?.utf8.count ?? 0
            let outbound = OutboundRequest(address: address, kind: .browser, bytesSent: head + body)
            if let completion = recorder.leaving(outbound) { recorded[id] = completion }
        case "Network.loadingFinished":
            recorded.removeValue(forKey: id)?(params["encodedDataLength"]?.intValue ?? 0, Usage())
        case "Network.loadingFailed":
            recorded.removeValue(forKey: id)?(0, Usage())
        default:
            break
        }
    }

    /// How many `method` events the target `session` has sent so far.
    func eventCount(_ method: String, session: String?) -> Int {
        eventCounts[Self.key(method, session)] ?? 0
    }

    /// Waits until `session` has sent more than `count` `method` events; false when `timeout` passed first or the
    /// connection closed.
    func waitForEvent(_ method: String, session: String?, after count: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while eventCount(method, session: session) <= count {
            guard closedReason == nil, ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    func close(because reason: String) {
        guard closedReason == nil else { return }
        closedReason = reason
        let waiting = pending
        pending = [:]
        for continuation in waiting.values { continuation.resume(throwing: Failure(description: reason)) }
        outbound.finish()
    }

    private func fail(_ id: Int, _ error: Failure) {
        pending.removeValue(forKey: id)?.resume(throwing: error)
    }

    private func received(_ data: Data) {
        guard let message = try? JSONValue(parsing: data) else { return }
        if let id = message["id"]?.intValue {
            guard let continuation = pending.removeValue(forKey: id) else { return }
            if let error = message["error"] {
                continuation.resume(throwing: Failure(description: error["message"]?.stringValue ?? error.canonicalText))
            } else {
                continuation.resume(returning: message["result"] ?? .object([:]))
            }
        } else if var method = message["method"]?.stringValue {
            // Lifecycle events are told apart by their name: `Page.lifecycleEvent.networkIdle`.
            if method == "Page.lifecycleEvent", let name = message["params"]?["name"]?.stringValue { method += "." + name }
            let session = message["sessionId"]?.stringValue
            let key = Self.key(method, session)
            eventCounts[key, default: 0] += 1
            lastEvents[key] = message["params"]
            if method.hasPrefix("Network."), let request = message["params"]?["requestId"]?.stringValue {
                recordNetwork(method, message["params"])
                switch method {
                case "Network.requestWillBeSent": loading[session ?? "", default: []].insert(request)
                case "Network.loadingFinished", "Network.loadingFailed": loading[session ?? ""]?.remove(request)
                default: return
                }
                lastNetworkChange[session ?? ""] = .now
            }
        }
    }

    /// Whether `session` has had no request loading for at least `quiet` (it needs the Network domain enabled).
    func networkIsQuiet(session: String?, for quiet: Duration) -> Bool {
        guard loading[session ?? "", default: []].isEmpty else { return false }
        guard let last = lastNetworkChange[session ?? ""] else { return true }
        return ContinuousClock.now - last >= quiet
    }

    /// The parameters of the latest `method` event of `session`.
    func lastEvent(_ method: String, session: String?) -> JSONValue? {
        lastEvents[Self.key(method, session)]
    }

    private static func key(_ method: String, _ session: String?) -> String {
        (session ?? "") + "|" + method
    }
}
