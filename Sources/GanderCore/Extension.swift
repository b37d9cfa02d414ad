import Foundation

/// A source of tools and of instructions for the system prompt. Built-in extensions are Swift types; an MCP
/// server becomes one through an adapter. Each tool answers for itself (`ToolHandler`).
public protocol Extension: Sendable {
    /// The namespace of the extension's tools; the model sees `name__tool`.
    var name: String { get }
    /// Text for the system prompt telling the model how to use these tools well.
    var instructions: String { get }
    /// The tools offered now, with names local to the extension.
    func tools() async throws -> [any ToolHandler]
    /// Closes what the extension keeps running for the session (a browser); called once, when the session ends.
    func shutdown() async
    /// Lines for the user about the extension itself (a server that did not start), each given once.
    func notices() async -> [String]
}

extension Extension {
    public func notices() async -> [String] {
        []
    }

    public func shutdown() async {}

    /// Runs the tool named `tool` (its local name) outside the agent: for `gander mcp serve` and tests.
    public func call(tool: String, arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        guard let handler = try? await tools().first(where: { $0.spec.name == tool }) else {
            return .error("The \(name) extension has no tool named \(tool).")
        }
        return await handler.run(arguments, context: context)
    }
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
    /// Where a tool that runs an agent of its own (a sub-agent) streams that agent's events, nested in the run's.
    public var events: (@Sendable (AgentEvent) -> Void)?
    /// Where the editor reads and writes text files when a client holds them (an editor's buffers); nil: the disk.
    public var documents: (any TextDocuments)?

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
    /// Model tokens the tool itself spent (a sub-agent's), which count towards the run's.
    public var usage: Usage

    public init(content: [ToolContent], isError: Bool = false, sources: [FileSpan] = [], usage: Usage = Usage()) {
        self.content = content
        self.isError = isError
        self.sources = sources
        self.usage = usage
    }

    public static func text(_ text: String) -> ToolOutput { ToolOutput(content: [.text(text)]) }
    public static func error(_ text: String) -> ToolOutput { ToolOutput(content: [.text(text)], isError: true) }
}

/// Where the text editor reads and writes text files. An editor that drives Gander (over ACP's `fs/*`) holds files
/// in buffers: reading through it sees unsaved changes, and edits land in the buffer the user is looking at.
/// A client may offer reading, writing or both; what it does not offer, the editor does on disk.
public protocol TextDocuments: Sendable {
    /// The file's text as the client has it; nil when the client does not read files (the disk is read instead).
    func read(_ url: URL) async throws -> String?
    /// Replaces the file's text in the client, which creates it if need be; false when the client does not write
    /// files (the disk is written instead).
    func write(_ text: String, to url: URL) async throws -> Bool
}
