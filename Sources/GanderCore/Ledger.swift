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
        /// A page the browser extension opened (the navigation; what the page then loads is the browser's).
        case browser
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
