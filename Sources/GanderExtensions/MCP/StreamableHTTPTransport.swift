import AsyncHTTPClient
import Foundation
import GanderCore
import GanderHost
import Logging
import MCP
import NIOCore
import NIOHTTP1

/// MCP's streamable HTTP transport, on AsyncHTTPClient: the SDK's own HTTP transport streams through parts of
/// URLSession that Linux does not have.
///
/// Every message is a POST; the answer comes back as one JSON body or as a server-sent-event stream that may carry
/// requests and notifications before the response. After initialization a GET stream, where the server offers one,
/// carries what the server sends unprompted, `notifications/tools/list_changed` among it.
actor StreamableHTTPTransport: Transport {
    nonisolated let logger = Logger(label: "gander.mcp.http", factory: { _ in SwiftLogNoOpLogHandler() })
    private let url: URL
    private let headers: [String: String]
    private let timeout: Duration
    private let gate: OutboundGate
    private let messages: AsyncThrowingStream<Data, any Error>
    private let delivery: AsyncThrowingStream<Data, any Error>.Continuation
    private var sessionID: String?
    private var protocolVersion: String?
    private var streams: [Task<Void, Never>] = []
    private var closed = false
    /// Every message, the server's own stream and the closing DELETE are told to it as they leave.
    private let recorder: (any OutboundRecorder)?
    /// The server's own stream stays open between messages, so its reads may idle for a day.
    private static let streamTiming = OutboundGate.Timing(read: 86_400)

    init(url: URL, headers: [String: String], timeout: Duration, gate: OutboundGate, recorder: (any OutboundRecorder)?) {
        self.url = url
        self.headers = headers
        self.timeout = timeout
        self.gate = gate
        self.recorder = recorder
        (messages, delivery) = AsyncThrowingStream.makeStream(of: Data.self, throwing: (any Error).self)
    }

    func connect() async throws {}

    func receive() -> AsyncThrowingStream<Data, any Error> {
        messages
    }

    /// Called once the protocol version is agreed: later requests carry it, and the server's own stream opens.
    func didInitialize(protocolVersion: String) {
        self.protocolVersion = protocolVersion
        streams.append(Task { await self.listenForServerMessages() })
    }

    func send(_ message: Data) async throws {
        guard !closed else { throw MCPError.connectionClosed }
        var request = makeRequest(method: .POST)
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.headers.replaceOrAdd(name: "Accept", value: "application/json, text/event-stream")
        request.setBody(ByteBuffer(bytes: message))
        let response: HTTPClientResponse
        let receipt: OutboundReceipt
        do {
            (response, receipt) = try await gate.send(request, kind: .mcp, recorder: recorder, timing: Self.streamTiming,
                                                      deadline: .now() + .seconds(Int64(timeout.components.seconds)))
        } catch let refusal as OutboundGate.Refusal {
            throw MCPStartError.http("not connecting: \(refusal)")
        } catch {
            throw MCPStartError.http("\(url.absoluteString) could not be reached: \(Self.describe(error))")
        }
        if let session = response.headers.first(name: "Mcp-Session-Id") { sessionID = session }
        guard (200..<300).contains(response.status.code) else {
            let body = try? await response.body.collect(upTo: 4096)
            receipt.complete(bytesReceived: body?.readableBytes ?? 0)
            let text = body.map { String(buffer: $0) }.map { $0.isEmpty ? "" : ": \($0.prefix(200))" } ?? ""
            if response.status == .notFound, sessionID != nil {
                throw MCPStartError.http("the server at \(url.absoluteString) ended the session (404); it starts anew on its next use")
            }
            throw MCPStartError.http("the server at \(url.absoluteString) answered \(response.status.code) \(response.status.reasonPhrase)\(text)")
        }
        if response.status == .accepted { return receipt.complete(bytesReceived: 0) }
        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        if contentType.hasPrefix("text/event-stream") {
            // The response arrives later on this stream; the send itself is done.
            streams.append(Task { [delivery] in
                let received = (try? await Self.forwardEvents(of: response.body, to: delivery)) ?? 0
                receipt.complete(bytesReceived: received)
            })
        } else {
            let body = try await response.body.collect(upTo: LineTransport.maxMessageBytes)
            receipt.complete(bytesReceived: body.readableBytes)
            if body.readableBytes > 0 { delivery.yield(Data(body.readableBytesView)) }
        }
    }

    func disconnect() async {
        guard !closed else { return }
        closed = true
        streams.forEach { $0.cancel() }
        streams = []
        if sessionID != nil {
            // Tells the server it may forget the session; a server that does not allow it answers 405, which is fine.
            if let (_, receipt) = try? await gate.send(makeRequest(method: .DELETE), kind: .mcp, recorder: recorder,
                                                       deadline: .now() + .seconds(2)) {
                receipt.complete(bytesReceived: 0)
            }
        }
        delivery.finish(throwing: MCPTransportEnd.closed)
    }

    private func makeRequest(method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let sessionID { request.headers.replaceOrAdd(name: "Mcp-Session-Id", value: sessionID) }
        if let protocolVersion { request.headers.replaceOrAdd(name: "MCP-Protocol-Version", value: protocolVersion) }
        return request
    }

    /// The GET stream of messages the server sends on its own. A server without one answers 405.
    private func listenForServerMessages() async {
        var request = makeRequest(method: .GET)
        request.headers.replaceOrAdd(name: "Accept", value: "text/event-stream")
        guard let (response, receipt) = try? await gate.send(request, kind: .mcp, recorder: recorder,
                                                             timing: Self.streamTiming, deadline: .distantFuture)
        else { return }
        guard response.status == .ok else { return receipt.complete(bytesReceived: 0) }
        let received = (try? await Self.forwardEvents(of: response.body, to: delivery)) ?? 0
        receipt.complete(bytesReceived: received)
    }

    /// Forwards the stream's messages; returns how many bytes it carried.
    @discardableResult
    private static func forwardEvents(of body: HTTPClientResponse.Body,
                                      to delivery: AsyncThrowingStream<Data, any Error>.Continuation) async throws -> Int {
        var parser = ServerSentEventParser()
        var received = 0
        for try await buffer in body {
            received += buffer.readableBytes
            for event in parser.feed(buffer.readableBytesView) where !event.data.isEmpty {
                delivery.yield(Data(event.data.utf8))
            }
        }
        for event in parser.finish() where !event.data.isEmpty { delivery.yield(Data(event.data.utf8)) }
        return received
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "the connection timed out"
            case .deadlineExceeded: return "no answer in time"
            default: break
            }
        }
        return String(describing: error)
    }
}

