import AsyncHTTPClient
import Foundation
import NIOSSL
import Synchronization

/// How one HTTP client is set up: its timeouts, the proxy it goes through and the extra authorities it trusts.
struct HTTPClientSetup: Hashable, Sendable {
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

/// One HTTP client per setup for the whole process, for the outbound gate alone: nothing outside this module can get
/// one. They live as long as the process does, which is what AsyncHTTPClient asks of a client that is never shut down.
enum SharedHTTPClients {
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
