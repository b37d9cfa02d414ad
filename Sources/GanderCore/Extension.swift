import Foundation

/// A source of tools and of instructions for the system prompt. Built-in extensions are Swift types; an MCP
/// server becomes one through an adapter.
public protocol Extension: Sendable {
    /// The namespace of the extension's tools; the model sees `name__tool`.
    var name: String { get }
    /// Text for the system prompt telling the model how to use these tools well.
    var instructions: String { get }
    /// The tools offered, with names local to the extension.
    func tools() async throws -> [ToolSpec]
    /// Runs one tool. Failures the model should see are returned as an error output, not thrown.
    func call(tool: String, arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput
    /// Calls that share a key run one after another in the order the model made them; calls with different keys,
    /// or none, may run at the same time.
    func serializationKey(tool: String, arguments: [String: JSONValue], context: ToolContext) -> String?
    /// Whether this one call only reads, for tools whose spec cannot say so for every call (an editor that views
    /// and writes). A spec marked read-only needs no answer here.
    func isReadOnly(tool: String, arguments: [String: JSONValue]) -> Bool
    /// The files and directories a read-only call reads, so `smart` mode can ask before a read outside the working
    /// directory. Tools that read nothing Gander can name (an MCP server's) return none.
    func pathsRead(tool: String, arguments: [String: JSONValue], context: ToolContext) -> [URL]
    /// The address on this machine or its private network that a call would reach (a fetch of
    /// `http://127.0.0.1:8080/`), so every mode but `auto` asks first.
    func localNetworkTarget(tool: String, arguments: [String: JSONValue]) -> String?
    /// Where a call's arguments end up: on this machine only, or off it. A secret the model knows only by its
    /// placeholder is put back into a call that stays here, and never into one that would carry it away.
    func reach(tool: String, arguments: [String: JSONValue]) -> ToolReach
    /// What the user should know before approving this call that its arguments do not show (a command that runs
    /// outside the sandbox can read the protected files); nil when nothing.
    func approvalNote(tool: String, arguments: [String: JSONValue]) -> String?
    /// Closes what the extension keeps running for the session (a browser); called once, when the session ends.
    func shutdown() async
    /// The command line a call would run, for tools that run shell commands, so the user's `commands:` rules can
    /// judge it before it runs.
    func commandLine(tool: String, arguments: [String: JSONValue]) -> String?
    /// Lines for the user about the extension itself (a server that did not start), each given once.
    func notices() async -> [String]
}

extension Extension {
    public func notices() async -> [String] {
        []
    }

    public func isReadOnly(tool: String, arguments: [String: JSONValue]) -> Bool {
        false
    }

    public func serializationKey(tool: String, arguments: [String: JSONValue], context: ToolContext) -> String? {
        nil
    }

    public func pathsRead(tool: String, arguments: [String: JSONValue], context: ToolContext) -> [URL] {
        []
    }

    public func commandLine(tool: String, arguments: [String: JSONValue]) -> String? {
        nil
    }

    public func localNetworkTarget(tool: String, arguments: [String: JSONValue]) -> String? {
        nil
    }

    /// What Gander cannot see into may send what it is given anywhere.
    public func reach(tool: String, arguments: [String: JSONValue]) -> ToolReach {
        .offMachine("\(name)__\(tool), whose reach Gander cannot see")
    }

    public func approvalNote(tool: String, arguments: [String: JSONValue]) -> String? {
        nil
    }

    public func shutdown() async {}
}

/// Where a tool call's arguments end up.
public enum ToolReach: Sendable, Equatable {
    /// The call acts on this machine and sends nothing away (the editor, a command without network).
    case thisMachine
    /// The call may send its arguments off the machine; the text says where, for the user and the model.
    case offMachine(String)
}

/// Where a tool runs.
public struct ToolContext: Sendable {
    public let workingDirectory: URL
    /// The working directory with its symlinks resolved, for telling reads inside it from reads outside.
    public let boundary: WorkspaceBoundary
    /// Where a tool that sends something off the machine itself (a web fetch) records it; nil when nothing records.
    public var ledger: (any OutboundLedger)?
    /// The session's secrets, for tools that record what they send: a ledger row shows a placeholder, never a value.
    public var redactor: SecretRedactor?

    /// Where a tool's own requests off the machine are recorded, as rows of `provider` and `model`.
    public func recorder(provider: String, model: String) -> LedgerRecorder? {
        ledger.map { LedgerRecorder(ledger: $0, provider: provider, model: model, redactor: redactor) }
    }

    public init(workingDirectory: URL, ledger: (any OutboundLedger)? = nil) {
        self.workingDirectory = workingDirectory
        boundary = WorkspaceBoundary(workingDirectory: workingDirectory)
        self.ledger = ledger
    }

    /// Resolves a path the model gave: absolute paths stay, `~/…` is under `$HOME` as a shell would have it, relative
    /// ones hang off the working directory.
    public func resolve(_ path: String) -> URL {
        // Foundation's own expansion reads the password file on Linux, not HOME; it stays for `~user`.
        var expanded = (path as NSString).expandingTildeInPath
        if path == "~" || path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty {
            expanded = home + path.dropFirst()
        }
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL }
        return workingDirectory.appendingPathComponent(expanded).standardizedFileURL
    }
}

/// What a tool produced.
public struct ToolOutput: Sendable, Equatable {
    public var content: [ToolContent]
    public var isError: Bool
    /// The local files whose contents are in `content`, for the ledger.
    public var sources: [FileSpan]

    public init(content: [ToolContent], isError: Bool = false, sources: [FileSpan] = []) {
        self.content = content
        self.isError = isError
        self.sources = sources
    }

    public static func text(_ text: String) -> ToolOutput { ToolOutput(content: [.text(text)]) }
    public static func error(_ text: String) -> ToolOutput { ToolOutput(content: [.text(text)], isError: true) }
}
