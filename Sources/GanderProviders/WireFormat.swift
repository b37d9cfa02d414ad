import AsyncHTTPClient
import GanderCore

/// One model API's wire format: how a request is written and how the streamed reply is read.
protocol WireFormat: Sendable {
    associatedtype Decoder: StreamDecoder
    /// Builds the HTTP request for one model call.
    func makeRequest(_ request: ModelRequest, transport: HTTPTransport) async throws -> HTTPClientRequest
    /// A fresh reader for one streamed reply.
    func makeDecoder() -> Decoder
    /// The model's context window as the server reports it; nil when the API has no way to say.
    func reportedContextLimit(transport: HTTPTransport) async -> ContextLimit?
    /// The most output tokens each request asks for, when the API makes Gander name a figure; nil when the server's
    /// own cap applies.
    var outputTokenCap: Int? { get }
}

extension WireFormat {
    func reportedContextLimit(transport: HTTPTransport) async -> ContextLimit? { nil }
    var outputTokenCap: Int? { nil }
}

/// Reads a streamed reply piece by piece.
protocol StreamDecoder {
    /// Turns the bytes that just arrived into provider events; throws on an error the provider reported in-stream.
    mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent]
    /// Called when the server closed the stream; throws when the reply was cut short.
    mutating func finish() throws -> [ProviderEvent]
}
