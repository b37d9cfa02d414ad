import Foundation
import GanderCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A model server on 127.0.0.1 that plays a script: each chat request gets the next scripted reply in the wire
/// format of a real provider, over real HTTP. Every request is recorded so tests can check what Gander sent.
public final class ScriptedModelServer: Sendable {
    /// A request as it arrived.
    public struct RecordedRequest: Sendable {
        public let method: String
        public let path: String
        public let headers: [String: String]
        /// The body as sent.
        public let rawBody: String

        /// The body as JSON; parsed on demand so that serving a long session stays cheap.
        public var body: JSONValue? { try? JSONValue(parsing: rawBody) }
    }

    public let format: ScriptedWireFormat
    public let port: Int
    private let channel: any Channel
    private let state: ScriptState

    /// Starts a server that plays `replies` in order, on a free port.
    ///
    /// With a `contextLimit` it plays a model with that window: it counts a token per four bytes of each request's
    /// body, reports that count as the prompt's usage, and answers a request past the limit with the provider's own
    /// overflow error instead of a reply. It also answers Gander's requests to summarize a conversation by itself
    /// (`summaryText`), so a script holds only the turns of the task.
    public init(format: ScriptedWireFormat, replies: [ScriptedReply], port: Int = 0, contextLimit: Int? = nil) async throws {
        self.format = format
        let state = ScriptState(replies: replies.flatMap { Array(repeating: $0, count: max(1, $0.repeat ?? 1)) },
                                contextLimit: contextLimit)
        self.state = state
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptedHandler(format: format, state: state))
                }
            }
        channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        self.port = channel.localAddress?.port ?? 0
    }

    /// The base URL to give Gander: with `/v1` for OpenAI, bare for the others.
    public var baseURL: String {
        "http://127.0.0.1:\(port)" + (format == .openai || format == .openaiResponses ? "/v1" : "")
    }

    /// Every request received so far, in order.
    public var requests: [RecordedRequest] { state.recorded }

    /// The chat requests only (not Ollama's `/api/show`, not OAuth token requests), in order.
    public var chatRequests: [RecordedRequest] {
        state.recorded.filter { !$0.path.hasSuffix("/api/show") && !$0.path.hasSuffix("/token") && $0.method != "GET" }
    }

    /// Replies not yet played.
    public var remainingReplies: Int { state.remaining }

    /// What a server with a context limit saw: the largest request it counted, how many it refused as too long, and
    /// how many summaries it wrote.
    public var contextStatistics: ContextStatistics { state.statistics }

    public struct ContextStatistics: Sendable {
        public var largestRequestTokens = 0
        public var overflows = 0
        public var summaries = 0
    }

    /// The summary the server writes for its `number`th summary request.
    public static func summaryText(_ number: Int) -> String {
        "## Goal\nScripted summary number \(number).\n## State of the work\nEverything before this point is done."
    }

    /// A token per four bytes, the rule of thumb the server counts by.
    public static func tokens(inBody body: String) -> Int { body.utf8.count / 4 }

    /// Adds replies to the end of the script, for scripts that need what the test made after the server started.
    public func append(_ replies: [ScriptedReply]) {
        state.append(replies)
    }

    public func shutdown() async {
        try? await channel.close()
    }
}

/// The script and the log, shared by every connection.
final class ScriptState: Sendable {
    private let storage: Mutex<(replies: [ScriptedReply], next: Int, recorded: [ScriptedModelServer.RecordedRequest])>
    let contextLimit: Int?
    private let context = Mutex(ScriptedModelServer.ContextStatistics())

    init(replies: [ScriptedReply], contextLimit: Int?) {
        storage = Mutex((replies, 0, []))
        self.contextLimit = contextLimit
    }

    var statistics: ScriptedModelServer.ContextStatistics { context.withLock { $0 } }

    /// Counts a request against the window: whether it fits, and the number of this summary request if it is one.
    func admit(tokens: Int, isSummary: Bool) -> (fits: Bool, summary: Int?) {
        context.withLock { statistics in
            statistics.largestRequestTokens = max(statistics.largestRequestTokens, tokens)
            if let contextLimit, tokens > contextLimit {
                statistics.overflows += 1
                return (false, nil)
            }
            guard isSummary else { return (true, nil) }
            statistics.summaries += 1
            return (true, statistics.summaries)
        }
    }

    var recorded: [ScriptedModelServer.RecordedRequest] { storage.withLock { $0.recorded } }
    var remaining: Int { storage.withLock { $0.replies.count - $0.next } }

    func append(_ replies: [ScriptedReply]) {
        storage.withLock { $0.replies += replies }
    }

    func record(_ request: ScriptedModelServer.RecordedRequest) {
        storage.withLock { $0.recorded.append(request) }
    }

    /// The next reply and its turn number, or nil when the script is over.
    func nextReply() -> (ScriptedReply, Int)? {
        storage.withLock { state in
            guard state.next < state.replies.count else { return nil }
            defer { state.next += 1 }
            return (state.replies[state.next], state.next + 1)
        }
    }
}

private final class ScriptedHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let format: ScriptedWireFormat
    let state: ScriptState
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(format: ScriptedWireFormat, state: ScriptState) {
        self.format = format
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            respond(to: head, body: String(buffer: body), context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, body: String, context: ChannelHandlerContext) {
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        state.record(.init(method: "\(head.method)", path: head.uri, headers: headers, rawBody: body))

        if head.uri.hasSuffix("/api/show") {
            return send(status: .ok, contentType: "application/json",
                        chunks: [#"{"model_info":{"general.architecture":"qwen3","qwen3.context_length":32768}}"#],
                        context: context)
        }
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        if head.method == .GET, path.hasSuffix("/models") {
            // An OpenAI-compatible model list, for `gander configure`.
            return send(status: .ok, contentType: "application/json",
                        chunks: [#"{"object":"list","data":[{"id":"scripted-large","object":"model"},{"id":"scripted-small","object":"model"}]}"#],
                        context: context)
        }
        if path.hasSuffix("/token") {
            // An OAuth token endpoint: Databricks' for a service principal, Google's for a service account.
            return send(status: .ok, contentType: "application/json",
                        chunks: [#"{"access_token":"scripted-oauth-token","token_type":"Bearer","expires_in":3600}"#],
                        context: context)
        }
        // Chat Completions at OpenAI's path, Azure's deployment path, or a Databricks serving endpoint.
        if format == .openai, !path.hasSuffix("/chat/completions"), !path.hasSuffix("/invocations")
            || format == .openaiResponses && !path.hasSuffix("/responses") {
            // Only chat requests play the script; a client asking for its model list must not use up a reply.
            return send(status: .notFound, contentType: "application/json",
                        chunks: [#"{"error":{"message":"the scripted server only answers chat completions"}}"#], context: context)
        }
        var promptTokens: Int?
        if let limit = state.contextLimit {
            let tokens = ScriptedModelServer.tokens(inBody: body)
            promptTokens = tokens
            let admitted = state.admit(tokens: tokens, isSummary: body.contains(Compactor.summaryMarker))
            if !admitted.fits {
                let (status, error) = ScriptedStreamEncoder.overflowError(format: format, tokens: tokens, limit: limit)
                return send(status: HTTPResponseStatus(statusCode: status), contentType: "application/json",
                            chunks: [error], context: context)
            }
            if let number = admitted.summary {
                let encoder = ScriptedStreamEncoder(format: format, turn: 10_000 + number, promptTokens: tokens)
                let summary = ScriptedReply.text(ScriptedModelServer.summaryText(number))
                return send(status: .ok, contentType: encoder.contentType, chunks: encoder.chunks(for: summary),
                            context: context)
            }
        }
        guard let (scripted, turn) = state.nextReply() else {
            return send(status: .badRequest, contentType: "application/json",
                        chunks: [#"{"error":{"message":"the scripted server has no more replies"}}"#], context: context)
        }
        var reply = scripted
        if reply.drop == true {
            context.close(promise: nil)
            return
        }
        if let prefix = reply.echoPrefix {
            let said = (try? JSONValue(parsing: body))?["messages"]?.arrayValue?.last { $0["role"] == "user" }?["content"]
            reply.text = prefix + (said?.stringValue ?? said?.arrayValue?.compactMap { $0["text"]?.stringValue }.joined() ?? "")
        }
        if let status = reply.status {
            return send(status: HTTPResponseStatus(statusCode: status), contentType: "application/json",
                        chunks: [reply.body ?? ""], extraHeaders: reply.headers ?? [:], context: context)
        }
        let encoder = ScriptedStreamEncoder(format: format, turn: turn, promptTokens: promptTokens)
        // A substring test rather than a parse: bodies grow with the conversation, and the bench times this server too.
        if format == .openai, !body.contains(#""stream":true"#), !body.contains(#""stream": true"#) {
            // Chat Completions answers in one JSON object unless the client asked for a stream.
            return send(status: .ok, contentType: "application/json", chunks: [encoder.openAICompletion(reply)], context: context)
        }
        var chunks = reply.rawStream.map { [$0] } ?? encoder.chunks(for: reply)
        if let limit = reply.breakAfterChunks ?? reply.stallAfterChunks ?? reply.keepAliveAfterChunks {
            chunks = Array(chunks.prefix(limit))
        }
        let ending: Ending = reply.breakAfterChunks != nil ? .close : reply.stallAfterChunks != nil ? .stall
            : reply.keepAliveAfterChunks != nil ? .keepAlive : .complete
        guard let delay = reply.delayMilliseconds, delay > 0 else {
            return send(status: .ok, contentType: encoder.contentType, chunks: chunks, ending: ending, context: context)
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let delayed = chunks
        context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) {
            let (handler, context) = bound.value
            handler.send(status: .ok, contentType: encoder.contentType, chunks: delayed, ending: ending, context: context)
        }
    }

    private enum Ending { case complete, close, stall, keepAlive }

    private func send(status: HTTPResponseStatus, contentType: String, chunks: [String], extraHeaders: [String: String] = [:],
                      ending: Ending = .complete, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("content-type", contentType)])
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if ending == .complete, chunks.count == 1 {
            headers.add(name: "content-length", value: String(chunks[0].utf8.count))
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        for chunk in chunks {
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: chunk)))), promise: nil)
        }
        switch ending {
        case .complete: context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .close: context.close(promise: nil)
        case .stall: break
        case .keepAlive:
            let channel = context.channel
            let keepAlive = ByteBuffer(string: ": keep-alive\n\n")
            channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { task in
                guard channel.isActive else { return task.cancel() }
                channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(keepAlive)), promise: nil)
            }
        }
    }
}
