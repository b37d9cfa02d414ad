import Foundation

/// One MCP server the user configured, as config.yaml's `extensions:` or a `--with-extension` flag describes it.
public struct ExtensionConfig: Sendable, Equatable {
    /// How Gander reaches the server.
    public enum Transport: Sendable, Equatable {
        /// A program Gander starts, speaking JSON-RPC over its stdin and stdout.
        /// `environment` is set for it; `environmentKeys` name variables passed through from Gander's environment.
        case stdio(command: String, arguments: [String], environment: [String: String], environmentKeys: [String])
        /// A server already running, reached over MCP's streamable HTTP.
        case streamableHTTP(url: URL, headers: [String: String])
    }

    /// How long a tool call, or the start of the server, may take unless config says otherwise.
    public static let defaultTimeout: Duration = .seconds(300)
    /// How long the first request waits for a server whose tools Gander has never seen, unless its entry or
    /// `GANDER_STARTUP_WAIT` says otherwise.
    public static let defaultStartupWait: Duration = .seconds(10)

    /// The namespace of its tools: the model sees `name__tool`.
    public var name: String
    public var transport: Transport
    public var timeout: Duration
    /// How long the first model request waits for this server's tool list when no earlier start left one to offer
    /// at once; nil for the run's default. Servers with remembered tools never hold up a request.
    public var startupWait: Duration?
    public var enabled: Bool
    /// The user lets this local (stdio) server receive the real values of secrets the model knows only by their
    /// placeholders (`receives_secrets: true`); a server is a program that may use the network, so by default it
    /// does not.
    public var receivesSecrets: Bool

    public init(name: String, transport: Transport, timeout: Duration = ExtensionConfig.defaultTimeout,
                startupWait: Duration? = nil, enabled: Bool = true, receivesSecrets: Bool = false) {
        self.receivesSecrets = receivesSecrets
        self.name = name
        self.transport = transport
        self.timeout = timeout
        self.startupWait = startupWait
        self.enabled = enabled
    }

    /// What identifies the server itself, so remembered tool lists are dropped when the command or address changes.
    public var fingerprint: String {
        switch transport {
        case .stdio(let command, let arguments, _, _): (["stdio", command] + arguments).joined(separator: "\u{1f}")
        case .streamableHTTP(let url, _): "http\u{1f}" + url.absoluteString
        }
    }

    /// A short description for listings: the command line or the address. Values of `env` and `headers` may be
    /// secrets and are never shown.
    public var summary: String {
        switch transport {
        case .stdio(let command, let arguments, _, _): ([command] + arguments).joined(separator: " ")
        case .streamableHTTP(let url, _): url.absoluteString
        }
    }

    /// Whether `name` can namespace tools: letters, digits, `-` and `_`, without the `__` separator.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 40 && !name.contains(ToolRouter.separator)
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "_" }
    }
}
