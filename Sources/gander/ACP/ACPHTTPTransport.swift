import Foundation
import GanderCore
import HTTPTypes
import Hummingbird

/// ACP over plain HTTP at `/acp`, the protocol's streamable-HTTP transport as its Python SDK speaks it: `initialize`
/// is POSTed and answered in the response, with an `Acp-Connection-Id`; every later message is POSTed with that id
/// and answered 202; what the agent sends arrives on server-sent event streams the client GETs — one for the
/// connection, one per session (`Acp-Session-Id`). DELETE ends the connection.
///
/// Each HTTP connection is one ACP client with its own `ACPAgent`, as a WebSocket connection is.
actor ACPHTTPConnections {
    static let connectionHeader = HTTPField.Name("Acp-Connection-Id")!
    static let sessionHeader = HTTPField.Name("Acp-Session-Id")!

    private var connections: [String: ACPHTTPConnection] = [:]
    private let options: ACPOptions
    private let board: ServerBoard

    init(options: ACPOptions, board: ServerBoard) {
        self.options = options
        self.board = board
    }

    /// Adds `POST`, `GET` and `DELETE /acp` to `router`, behind `gate`.
    nonisolated func register(on router: Router<BasicRequestContext>, gate: ServerGate<BasicRequestContext>) {
        let group = router.group("/acp").add(middleware: gate)
        group.post { request, _ in try await self.post(request) }
        group.get { request, _ in await self.stream(request) }
        group.delete { request, _ in await self.close(request) }
    }

    private func post(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: ACPConnection.maximumMessageBytes)
        let text = String(buffer: body)
        guard let id = request.headers[Self.connectionHeader] else {
            // Only `initialize` opens a connection.
            guard let message = try? JSONValue(parsing: text), message["method"] == "initialize", let requestID = message["id"] else {
                return Self.json(.badRequest, ["jsonrpc": "2.0", "id": .null, "error": [
                    "code": -32600, "message": "the first message must be initialize; later ones carry the Acp-Connection-Id header"]])
            }
            let connection = ACPHTTPConnection(options: options)
            connections[connection.id] = connection
            await board.opened()
            let answer = await connection.start(initialize: text, id: requestID) { [weak self] in
                await self?.forget(connection.id)
            }
            var response = Self.json(.ok, answer)
            response.headers[Self.connectionHeader] = connection.id
            return response
        }
        guard let connection = connections[id] else { return Self.unknownConnection(id) }
        await connection.receive(text)
        return Response(status: .accepted)
    }

    private func stream(_ request: Request) async -> Response {
        guard let id = request.headers[Self.connectionHeader] else {
            return Self.json(.badRequest, ["error": "GET /acp needs the Acp-Connection-Id header from initialize"])
        }
        guard let connection = connections[id] else { return Self.unknownConnection(id) }
        let session = request.headers[Self.sessionHeader]
        guard let messages = await connection.takeStream(for: session) else {
            return Self.json(.conflict, ["error": "that stream is already open"])
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
            // A comment now and then finds out when the client has gone, which ends a connection's stream.
            let heartbeat = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(15))
                    await connection.keepAlive(session)
                }
            }
            defer { heartbeat.cancel() }
            do {
                for await message in messages {
                    try await writer.write(ByteBuffer(string: message.isEmpty ? ": alive\n\n" : "data: \(message)\n\n"))
                }
                try await writer.finish(nil)
            } catch {
                await connection.streamClosed(session)
            }
        })
    }

    private func close(_ request: Request) async -> Response {
        guard let id = request.headers[Self.connectionHeader], let connection = connections[id] else {
            return Self.unknownConnection(request.headers[Self.connectionHeader] ?? "")
        }
        await connection.end()
        return Response(status: .noContent)
    }

    private func forget(_ id: String) async {
        if connections.removeValue(forKey: id) != nil { await board.closed() }
    }

    private static func unknownConnection(_ id: String) -> Response {
        json(.notFound, ["error": .string("no ACP connection \(id); initialize opens one")])
    }

    private static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: value.canonicalText)))
    }
}

/// One ACP client over HTTP: its agent, the messages it POSTs, and the event streams the agent's messages go out on.
actor ACPHTTPConnection {
    let id = UUID().uuidString.lowercased()
    private let agent: ACPAgent
    private let feed: AsyncStream<ACPConnection.Incoming>.Continuation
    private let incoming: AsyncStream<ACPConnection.Incoming>
    /// The agent's messages waiting for, or flowing to, a stream: the connection's (key "") and each session's.
    private var outboxes: [String: Outbox] = [:]
    /// Requests of the client's that act on a session, whose answers go out on that session's stream.
    private var sessionOfRequest: [String: String] = [:]
    private var initialize: (id: JSONValue, answer: CheckedContinuation<JSONValue, Never>)?
    private var ended = false

    private struct Outbox {
        let stream: AsyncStream<String>
        let feed: AsyncStream<String>.Continuation
        var taken = false

        init() {
            (stream, feed) = AsyncStream.makeStream(of: String.self)
        }
    }

    /// Methods whose answers belong to the session they name, as the transport's draft routes them.
    private static let sessionScoped: Set<String> = ["session/prompt", "session/cancel", "session/set_mode",
                                                     "session/set_config_option", "session/set_model"]

    init(options: ACPOptions) {
        agent = ACPAgent(options: options)
        (incoming, feed) = AsyncStream.makeStream(of: ACPConnection.Incoming.self)
    }

    /// Starts serving with the client's `initialize` and returns its answer; `onEnd` runs when the connection ends.
    func start(initialize text: String, id: JSONValue, onEnd: @escaping @Sendable () async -> Void) async -> JSONValue {
        let connection = ACPConnection { [weak self] message in await self?.route(message) }
        let agent = self.agent
        let incoming = self.incoming
        Task {
            await connection.serve(incoming, onClose: { await agent.cancelAll() }) { method, params, connection in
                try await agent.handle(method, params, connection)
            }
            await agent.stopAll()
            self.finishStreams()
            await onEnd()
        }
        return await withCheckedContinuation { continuation in
            initialize = (id, continuation)
            feed.yield(.message(text))
        }
    }

    func receive(_ text: String) {
        if let message = try? JSONValue(parsing: text), let method = message["method"]?.stringValue, Self.sessionScoped.contains(method),
           let id = message["id"], let session = message["params"]?["sessionId"]?.stringValue {
            sessionOfRequest[id.canonicalText] = session
        }
        feed.yield(.message(text))
    }

    /// The stream for the connection (nil) or a session, once: nil when it is already open.
    func takeStream(for session: String?) -> AsyncStream<String>? {
        let key = session ?? ""
        var outbox = outboxes[key] ?? Outbox()
        guard !outbox.taken, !ended else { return nil }
        outbox.taken = true
        outboxes[key] = outbox
        return outbox.stream
    }

    func keepAlive(_ session: String?) {
        outboxes[session ?? ""]?.feed.yield("")
    }

    /// A stream's client went away: a session's may be opened again (what comes meanwhile waits for it); the
    /// connection's was the client itself, whose turns stop.
    func streamClosed(_ session: String?) {
        guard let session else { return end() }
        outboxes[session] = Outbox()
    }

    func end() {
        guard !ended else { return }
        ended = true
        feed.finish()
    }

    private func finishStreams() {
        for outbox in outboxes.values { outbox.feed.finish() }
    }

    /// Sends one of the agent's messages where the client listens for it.
    private func route(_ text: String) {
        guard let message = try? JSONValue(parsing: text) else { return }
        if let pending = initialize, message["method"] == nil, message["id"] == pending.id {
            initialize = nil
            pending.answer.resume(returning: message)
            return
        }
        var session = message["params"]?["sessionId"]?.stringValue
        if message["method"] == nil, let id = message["id"] { session = sessionOfRequest.removeValue(forKey: id.canonicalText) }
        let key = session ?? ""
        if outboxes[key] == nil { outboxes[key] = Outbox() }
        outboxes[key]?.feed.yield(text)
    }
}
