import AsyncHTTPClient
import Foundation
import GanderCore
import NIOCore

/// The headers that prove who is asking, worked out for each request: fixed for a key, fetched and renewed for an
/// OAuth token.
protocol RequestAuthorization: Sendable {
    func headers(transport: HTTPTransport) async throws -> [(String, String)]
}

/// The same headers every time: an API key.
struct FixedHeaders: RequestAuthorization {
    let fixed: [(String, String)]

    init(_ fixed: [(String, String)]) {
        self.fixed = fixed
    }

    func headers(transport: HTTPTransport) async throws -> [(String, String)] { fixed }
}

/// OAuth's client-credentials grant (machine to machine): a token fetched from `tokenURL` with the client's id and
/// secret, kept until a minute before it expires, then fetched again. Databricks service principals sign in this way.
actor ClientCredentialsToken: RequestAuthorization {
    private let provider: String
    private let tokenURL: String
    private let clientID: String
    private let clientSecret: String
    private let scope: String
    private var current: (token: String, renewAt: Date)?

    init(provider: String, tokenURL: String, clientID: String, clientSecret: String, scope: String) {
        self.provider = provider
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
    }

    func headers(transport: HTTPTransport) async throws -> [(String, String)] {
        if let current, current.renewAt > Date() { return [("authorization", "Bearer \(current.token)")] }
        // Form encoding leaves RFC 3986's unreserved characters as they are.
        let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let credentials = Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
        let token = try await OAuthToken.fetch(
            from: tokenURL, form: "grant_type=client_credentials&scope=" + (scope.addingPercentEncoding(withAllowedCharacters: unreserved) ?? scope),
            headers: [("authorization", "Basic \(credentials)")], transport: transport, provider: provider)
        current = token
        return [("authorization", "Bearer \(token.token)")]
    }
}

/// OAuth 2.0's token endpoint, which every grant Gander uses ends at: a form POSTed, an `access_token` and its
/// `expires_in` back.
enum OAuthToken {
    /// The token and when to fetch the next one: a minute before it expires.
    static func fetch(from url: String, form: String, headers: [(String, String)] = [], transport: HTTPTransport,
                      provider: String) async throws -> (token: String, renewAt: Date) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.setBody(ByteBuffer(string: form))
        let body = try await transport.fetch(request, kind: .auth, upTo: 1 << 20)
        guard let json = try? JSONValue(parsing: String(buffer: body)), let token = json["access_token"]?.stringValue else {
            throw ProviderError.malformed(provider: provider, detail: "the OAuth token endpoint answered without an access_token")
        }
        let lifetime = Double(json["expires_in"]?.intValue ?? 3600)
        return (token, Date().addingTimeInterval(max(0, lifetime - 60)))
    }
}
