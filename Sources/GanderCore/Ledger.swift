import Foundation

/// A request that left the machine, as the provider sent it: where to, what for, and how many bytes of body.
public struct OutboundRequest: Sendable, Equatable, Codable {
    /// What the request was for.
    public enum Kind: String, Sendable, Codable {
        /// A model call.
        case model
        /// A credential exchange (an OAuth token, say) made to be able to call the model.
        case auth
        /// A message to a remote MCP server.
        case mcp
        /// A page the web extension fetched.
        case web
        /// A request of a page the browser has open: the navigation and everything the page then loads.
        case browser
        /// A question about the model rather than to it: its context window (Ollama's `/api/show`), its list.
        case probe
        /// A model download or a search of the Hugging Face Hub.
        case download
    }

    /// The host, with its port when it is not the scheme's own.
    public var destination: String
    public var path: String
    public var kind: Kind
    public var bytesSent: Int

    public init(destination: String, path: String, kind: Kind, bytesSent: Int) {
        self.destination = destination
        self.path = path
        self.kind = kind
        self.bytesSent = bytesSent
    }

    /// A request to `address` as the ledger keeps it: the host with its port, and the path with its query, secrets
    /// in it shown as `«secret»`.
    public init(address: String, kind: Kind, bytesSent: Int) {
        let (destination, target) = Self.parts(of: address)
        self.init(destination: destination, path: SecretRedactor.masked(target), kind: kind, bytesSent: bytesSent)
    }

    /// The host with its port, and the path with its query as sent (`/` when there is none).
    public static func parts(of address: String) -> (destination: String, target: String) {
        let components = URLComponents(string: address)
        var destination = components?.host ?? address
        if let port = components?.port { destination += ":\(port)" }
        var target = components?.percentEncodedPath ?? "/"
        if target.isEmpty { target = "/" }
        if let query = components?.percentEncodedQuery { target += "?" + query }
        return (destination, target)
    }
}

/// A stretch of a local file that went into a tool's result, by byte offsets (`end` exclusive).
public struct FileSpan: Sendable, Equatable, Codable, Hashable {
    public var path: String
    public var start: Int
    public var end: Int

    public init(path: String, start: Int, end: Int) {
        self.path = path
        self.start = start
        self.end = end
    }
}

/// One ledger row: a request that left the machine and what of the user's went into it.
public struct LedgerEntry: Sendable, Equatable {
    public var request: OutboundRequest
    public var provider: String
    public var model: String
    /// The local files whose contents this request carried for the first time in its run.
    public var files: [FileSpan]
    /// The tool outputs this request carried for the first time in its run: the call's id, the tool, the bytes.
    public var toolOutputs: [ToolOutputRecord]
    /// How many secrets of each kind were replaced by placeholders before the request left.
    public var redactions: [String: Int]

    public init(request: OutboundRequest, provider: String, model: String, files: [FileSpan] = [],
                toolOutputs: [ToolOutputRecord] = [], redactions: [String: Int] = [:]) {
        self.request = request
        self.provider = provider
        self.model = model
        self.files = files
        self.toolOutputs = toolOutputs
        self.redactions = redactions
    }

    public struct ToolOutputRecord: Sendable, Equatable, Codable {
        public var callID: String
        public var tool: String
        public var bytes: Int

        public init(callID: String, tool: String, bytes: Int) {
            self.callID = callID
            self.tool = tool
            self.bytes = bytes
        }

        enum CodingKeys: String, CodingKey { case callID = "call_id", tool, bytes }
    }
}

/// Where the ledger is kept: the session database. An entry is written when its request is sent and completed when
/// the answer has arrived, so a request whose answer never came is on record too.
public protocol OutboundLedger: Sendable {
    /// Records a request as it leaves; returns the entry's id for `complete`.
    func recordSent(_ entry: LedgerEntry) throws -> Int64
    /// Adds what came back: the body's bytes and the tokens the provider counted.
    func complete(_ id: Int64, bytesReceived: Int, usage: Usage) throws
}

/// What a recorder does once a request's answer is whole: the body's bytes and the tokens counted.
public typealias OutboundCompletion = @Sendable (_ bytesReceived: Int, _ usage: Usage) -> Void

/// Hears about each request the outbound gate lets out, before a byte of it goes.
public protocol OutboundRecorder: Sendable {
    /// `request` is leaving; what is returned hears about its answer.
    func leaving(_ request: OutboundRequest) -> OutboundCompletion?
}

/// Writes each request straight into the ledger as one row of its own, under `provider` and `model` (`web`/`fetch`,
/// `mcp`/the server, `huggingface`/the repository): for requests that carry no conversation. Model requests are
/// recorded by the agent, which knows the files and tool outputs they carry.
public struct LedgerRecorder: OutboundRecorder {
    public let ledger: any OutboundLedger
    public let provider: String
    public let model: String
    /// The session's secrets, so an address that carries one shows its placeholder.
    public let redactor: SecretRedactor?

    public init(ledger: any OutboundLedger, provider: String, model: String, redactor: SecretRedactor? = nil) {
        self.ledger = ledger
        self.provider = provider
        self.model = model
        self.redactor = redactor
    }

    public func leaving(_ request: OutboundRequest) -> OutboundCompletion? {
        var request = request
        if let redactor { request.path = redactor.mask(request.path) }
        // A ledger that cannot write must not stop what the user asked for; the model call path, which must, is the
        // agent's.
        guard let id = try? ledger.recordSent(LedgerEntry(request: request, provider: provider, model: model)) else { return nil }
        return { [ledger] bytes, usage in try? ledger.complete(id, bytesReceived: bytes, usage: usage) }
    }
}
