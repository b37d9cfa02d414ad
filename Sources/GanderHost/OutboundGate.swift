import AsyncHTTPClient
import Foundation
import Synchronization
import GanderCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// The one way out. Every byte Gander sends off the machine — model requests, OAuth token exchanges, MCP over HTTP,
/// `web__fetch`, model downloads and Hub searches, provider probes — goes through `send`, which refuses everything
/// when the run is offline, picks the HTTP client for the proxy the environment names for that host, and tells the
/// caller's recorder what is leaving (the whole address with its secrets masked, the bytes of the request) before a
/// byte of it goes, so the ledger has the row even when the answer never comes. It is the only code of Gander that
/// calls an HTTP client's `execute`.
public struct OutboundGate: Sendable {
    public let network: NetworkEnvironment

    public init(network: NetworkEnvironment) {
        self.network = network
    }

    public init(environment: [String: String]) {
        network = NetworkEnvironment(environment: environment)
    }

    /// The request was not sent: the run is offline.
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        /// Where it would have gone.
        public let url: String

        public init(url: String) {
            self.url = url
        }

        public var description: String {
            "refused to send a request to \(url): Gander runs offline (--offline or GANDER_OFFLINE=1), so nothing may leave the machine"
        }
    }

    /// How the client is set up for one kind of request.
    public struct Timing: Sendable {
        public var connect: Double
        /// The longest the server may stay silent mid-answer.
        public var read: Double
        /// Whether the client follows redirects itself (callers that decide which host sees what follow them by hand).
        public var followsRedirects: Bool

        public init(connect: Double = 10, read: Double = 300, followsRedirects: Bool = true) {
            self.connect = connect
            self.read = read
            self.followsRedirects = followsRedirects
        }
    }

    /// Sends `request` unless the run is offline; `recorder` hears about it as it leaves and about the answer's
    /// bytes through the returned receipt, which the caller completes once it has read the body.
    public func send(_ request: HTTPClientRequest, kind: OutboundRequest.Kind, recorder: (any OutboundRecorder)?,
                     timing: Timing = Timing(), deadline: NIODeadline) async throws -> (HTTPClientResponse, OutboundReceipt) {
        let (client, outbound) = try admit(request, kind: kind, timing: timing)
        let receipt = OutboundReceipt(recorder?.leaving(outbound))
        do {
            return (try await client.execute(request, deadline: deadline), receipt)
        } catch {
            receipt.complete(bytesReceived: 0)
            throw error
        }
    }

    /// Gander's own work for one request before it goes, apart from the recorder: the offline check, the client
    /// for its proxy, and the ledger's view of it. Public for the benchmark of the gate's cost.
    public func admit(_ request: HTTPClientRequest, kind: OutboundRequest.Kind,
                      timing: Timing) throws(Refusal) -> (HTTPClient, OutboundRequest) {
        if network.offline { throw Refusal(url: Self.shown(request.url)) }
        let client = SharedHTTPClients.client(for: HTTPClientSetup(
            connectTimeout: timing.connect, readTimeout: timing.read, proxy: network.proxy(for: request.url),
            extraCertificates: network.extraCertificates, followsRedirects: timing.followsRedirects))
        return (client, Self.describe(request, kind: kind))
    }

    /// The ledger's view of a request: host and port, the path with its query (secrets masked), and the bytes sent —
    /// the body's length, or for a request without one (a GET) its head, which is all it sends.
    static func describe(_ request: HTTPClientRequest, kind: OutboundRequest.Kind) -> OutboundRequest {
        var bytes = request.bodyByteCount
        if bytes == 0 {
            let (destination, target) = OutboundRequest.parts(of: request.url)
            var head = "\(request.method.rawValue) \(target) HTTP/1.1\r\nhost: \(destination)\r\n"
            for header in request.headers { head += "\(header.name): \(header.value)\r\n" }
            bytes = head.utf8.count + 2
        }
        return OutboundRequest(address: request.url, kind: kind, bytesSent: bytes)
    }

    /// An address as an error line may show it: without its query, where credentials travel.
    static func shown(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }
}

/// Completes a request's ledger row once its answer is whole; completing twice does nothing.
public final class OutboundReceipt: Sendable {
    private let completion: OutboundCompletion?
    private let done = Atomic<Bool>(false)

    init(_ completion: OutboundCompletion?) {
        self.completion = completion
    }

    public func complete(bytesReceived: Int, usage: Usage = Usage()) {
        guard !done.exchange(true, ordering: .relaxed) else { return }
        completion?(bytesReceived, usage)
    }
}

extension HTTPClientRequest {
    /// Sets the body and says its length in `content-length`, which the ledger reads back (AsyncHTTPClient keeps no
    /// public record of it); AsyncHTTPClient replaces the header by its own count of the same bytes.
    public mutating func setBody(_ bytes: ByteBuffer) {
        headers.replaceOrAdd(name: "content-length", value: String(bytes.readableBytes))
        body = .bytes(bytes)
    }

    /// The body's length as `setBody` recorded it.
    public var bodyByteCount: Int { headers.first(name: "content-length").flatMap(Int.init) ?? 0 }
}

// MARK: The gate's clients

/// How one HTTP client is set up: its timeouts, the proxy it goes through and the extra authorities it trusts.
private struct HTTPClientSetup: Hashable, Sendable {
    var connectTimeout: Double
    /// The longest a server may stay silent mid-answer before the call fails.
    var readTimeout: Double
    var proxy: NetworkEnvironment.Proxy?
    var extraCertificates: String?
    /// Whether the client follows redirects itself; a caller that must decide which host sees a credential
    /// follows them on its own.
    var followsRedirects: Bool

    init(connectTimeout: Double, readTimeout: Double, proxy: NetworkEnvironment.Proxy? = nil,
                extraCertificates: String? = nil, followsRedirects: Bool = true) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.proxy = proxy
        self.extraCertificates = extraCertificates
        self.followsRedirects = followsRedirects
    }
}

/// One HTTP client per setup for the whole process, for the outbound gate alone: nothing outside this file can get
/// one. They live as long as the process does, which is what AsyncHTTPClient asks of a client that is never shut down.
private enum SharedHTTPClients {
    private static let clients = Mutex<[HTTPClientSetup: HTTPClient]>([:])

    static func client(for setup: HTTPClientSetup) -> HTTPClient {
        clients.withLock { clients in
            if let existing = clients[setup] { return existing }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(
                connect: .milliseconds(Int64(setup.connectTimeout * 1000)),
                read: .milliseconds(Int64(setup.readTimeout * 1000)))
            configuration.decompression = .disabled
            if !setup.followsRedirects { configuration.redirectConfiguration = .disallow }
            // Gander's own retry policy decides about failed connections; a refused one should fail at once.
            configuration.connectionPool.retryConnectionEstablishment = false
            if let proxy = setup.proxy {
                let credentials = proxy.user.map { HTTPClient.Authorization.basic(username: $0, password: proxy.password ?? "") }
                configuration.proxy = .server(host: proxy.host, port: proxy.port, authorization: credentials)
            }
            if let file = setup.extraCertificates {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.additionalTrustRoots = [.file(file)]
                configuration.tlsConfiguration = tls
            }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[setup] = client
            return client
        }
    }
}
