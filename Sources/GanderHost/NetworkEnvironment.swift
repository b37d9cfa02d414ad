import Foundation

/// The network as the user's environment describes it, the way curl and most tools read it: `HTTPS_PROXY` and
/// `HTTP_PROXY` (or their lower-case forms) name a proxy for each scheme, `NO_PROXY` the hosts to reach directly, and
/// `SSL_CERT_FILE` extra certificate authorities to trust (a company's TLS-inspecting proxy, say).
public struct NetworkEnvironment: Sendable, Hashable {
    /// A proxy to go through: host, port, and the credentials from its URL, if any.
    public struct Proxy: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var user: String?
        public var password: String?

        public init(host: String, port: Int, user: String? = nil, password: String? = nil) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
        }
    }

    public var httpsProxy: Proxy?
    public var httpProxy: Proxy?
    /// Host patterns reached without a proxy: `*`, a host, or a domain (`.example.com` and `example.com` both take
    /// its subdomains in).
    public var noProxy: [String]
    /// A PEM file of certificate authorities to trust beside the system's.
    public var extraCertificates: String?
    /// Nothing may leave the machine (`--offline`, `GANDER_OFFLINE=1`): every outbound request is refused.
    public var offline: Bool

    public init(environment: [String: String]) {
        func value(_ name: String) -> String? {
            (environment[name] ?? environment[name.lowercased()]).flatMap { $0.isEmpty ? nil : $0 }
        }
        httpsProxy = value("HTTPS_PROXY").flatMap(Self.parse)
        httpProxy = value("HTTP_PROXY").flatMap(Self.parse)
        noProxy = (value("NO_PROXY") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        extraCertificates = value("SSL_CERT_FILE")
        offline = ["1", "true", "yes"].contains(environment["GANDER_OFFLINE"]?.lowercased() ?? "")
    }

    /// The proxy a request to `url` goes through, or nil for a direct connection.
    public func proxy(for url: String) -> Proxy? {
        guard let components = URLComponents(string: url), let host = components.host?.lowercased() else { return nil }
        let proxy = components.scheme == "https" ? httpsProxy : httpProxy
        guard let proxy, !bypasses(host) else { return nil }
        return proxy
    }

    private func bypasses(_ host: String) -> Bool {
        noProxy.contains { pattern in
            if pattern == "*" { return true }
            // A port in the pattern does not narrow it: tools disagree on it, and leaving it out is the safe reading.
            let name = pattern.split(separator: ":").first.map(String.init) ?? pattern
            let domain = name.hasPrefix(".") ? String(name.dropFirst()) : name
            return host == domain || host.hasSuffix("." + domain)
        }
    }

    /// `http://user:secret@proxy.example.com:3128` → its parts; a bare `host:port` is taken as http.
    static func parse(_ text: String) -> Proxy? {
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let components = URLComponents(string: withScheme), let host = components.host, !host.isEmpty else { return nil }
        let port = components.port ?? (components.scheme == "https" ? 443 : 80)
        return Proxy(host: host, port: port, user: components.user?.removingPercentEncoding,
                     password: components.password?.removingPercentEncoding)
    }
}
