import AsyncHTTPClient
import GanderCore
import NIOCore

/// A provider that speaks one wire format over HTTP. The format knows the bytes; this type streams them.
struct HTTPModelProvider<Format: WireFormat>: ModelProvider {
    let name: String
    let model: String
    let format: Format
    let transport: HTTPTransport
    /// The window a custom provider's file declares for this model; it wins over what the server or catalogue say.
    var declaredContextLimit: ContextLimit?

    var acceptsImages: Bool { ModelCatalog.acceptsImages(model) }

    var cutOffAdvice: String {
        guard let cap = format.outputTokenCap else { return serverCapAdvice }
        return "Gander asks \(name) for at most \(cap) tokens per reply; raise \(ModelCatalog.outputTokenCapVariable), "
            + "or ask for the work in smaller steps"
    }

    func contextLimit(recorder: (any OutboundRecorder)?) async -> ContextLimit {
        if let declaredContextLimit { return declaredContextLimit }
        return await format.reportedContextLimit(transport: transport.recording(recorder)) ?? ModelCatalog.contextLimit(for: model)
    }

    func stream(_ request: ModelRequest) -> AsyncThrowingStream<ProviderEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ProviderEvent.self)
        let task = Task {
            do {
                // Every request of the call — an OAuth token fetched first, each try of the model request — goes into
                // the event stream as it leaves, and from there into the ledger.
                let transport = transport.recording(EventRecorder(continuation: continuation))
                let httpRequest = try await format.makeRequest(request, transport: transport)
                let (response, _) = try await transport.open(httpRequest) { attempt, delay, reason in
                    continuation.yield(.retrying(attempt: attempt, delaySeconds: delay, reason: reason))
                }
                var decoder = format.makeDecoder()
                var received = 0
                var watch = ReplyWatch(timeouts: transport.timeouts, provider: name)
                do {
                    for try await buffer in response.body {
                        received += buffer.readableBytes
                        let events = try decoder.feed(Array(buffer.readableBytesView))
                        for event in events { continuation.yield(event) }
                        try watch.arrived(withContent: !events.isEmpty)
                    }
                    continuation.yield(.responseReceived(bytes: received))
                } catch let error as ProviderError {
                    continuation.yield(.responseReceived(bytes: received))
                    throw error
                } catch {
                    continuation.yield(.responseReceived(bytes: received))
                    if Task.isCancelled { throw CancellationError() }
                    throw ProviderError.interrupted(provider: name, reason: HTTPTransport.describe(error))
                }
                for event in try decoder.finish() { continuation.yield(event) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// Puts each request of a model call into the call's event stream as it leaves, and its answer's size when it is
/// whole; the agent writes the ledger rows. The model request's answer is streamed, and `stream` reports its size.
struct EventRecorder: OutboundRecorder {
    let continuation: AsyncThrowingStream<ProviderEvent, any Error>.Continuation

    func leaving(_ request: OutboundRequest) -> OutboundCompletion? {
        continuation.yield(.requestSent(request))
        guard request.kind != .model else { return nil }
        return { [continuation] bytes, _ in continuation.yield(.responseReceived(bytes: bytes)) }
    }
}

extension HTTPClientRequest {
    /// A JSON POST of `body` with its `messages` member given as ready JSON text, from `MessageEncodingCache`.
    static func jsonPost(url: String, body: [String: JSONValue], messagesJSON: String, messagesKey: String = "messages",
                         headers: [(String, String)]) -> HTTPClientRequest {
        var request = jsonPost(url: url, body: .object(body), headers: headers)
        let rest = JSONValue.object(body).canonicalText.dropFirst()
        request.setBody(ByteBuffer(string: "{\"\(messagesKey)\":" + messagesJSON + (rest == "}" ? "" : ",") + rest))
        return request
    }

    /// A JSON POST with the given headers.
    static func jsonPost(url: String, body: JSONValue, headers: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "accept", value: "text/event-stream, application/x-ndjson, application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.setBody(ByteBuffer(string: body.canonicalText))
        return request
    }
}
