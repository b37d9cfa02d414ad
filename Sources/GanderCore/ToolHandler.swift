import Foundation

/// One tool: its spec, what a given call to it would touch, and how to run one. An extension hands these to the
/// router, and the agent asks the tool itself — as codex's `ToolHandler` does — instead of asking its extension
/// questions keyed by the tool's name.
public protocol ToolHandler: Sendable {
    /// The schema and description the model sees, with the name local to the extension.
    var spec: ToolSpec { get }
    /// What this call would touch, judged before it runs: for the permission check, the secrets check, and the order
    /// calls run in.
    func footprint(of arguments: [String: JSONValue], context: ToolContext) -> CallFootprint
    /// Runs one call. Failures the model should see are returned as an error output, not thrown.
    func run(_ arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput
}

/// What one call of a tool touches.
public struct CallFootprint: Sendable, Equatable {
    /// It only reads; nothing is changed.
    public var readsOnly: Bool
    /// The files and directories it reads, so `smart` mode can ask before a read outside the working directory.
    /// Empty for tools that read nothing Gander can name (an MCP server's).
    public var pathsRead: [URL]
    /// Where its arguments end up. A secret the model knows only by its placeholder is put back into a call that
    /// stays on this machine, and never into one that would carry it away.
    public var reach: ToolReach
    /// The address on this machine or its private network it would reach (a fetch of `http://127.0.0.1:8080/`), so
    /// every mode but `auto` asks first.
    public var localNetworkTarget: String?
    /// The command line it would run, so the user's `commands:` rules can judge it.
    public var commandLine: String?
    /// Calls that share a key run one after another, in the order the model made them; others may run at once.
    public var serializationKey: String?
    /// What the user should know before approving it that its arguments do not show; nil when nothing.
    public var approvalNote: String?

    public init(readsOnly: Bool, pathsRead: [URL] = [], reach: ToolReach, localNetworkTarget: String? = nil,
                commandLine: String? = nil, serializationKey: String? = nil, approvalNote: String? = nil) {
        self.readsOnly = readsOnly
        self.pathsRead = pathsRead
        self.reach = reach
        self.localNetworkTarget = localNetworkTarget
        self.commandLine = commandLine
        self.serializationKey = serializationKey
        self.approvalNote = approvalNote
    }

    /// A call that reads `paths` (or nothing nameable) and keeps everything on this machine.
    public static func reads(_ paths: [URL] = []) -> CallFootprint {
        CallFootprint(readsOnly: true, pathsRead: paths, reach: .thisMachine)
    }

    /// A call that may change something on this machine.
    public static func changesThisMachine(serializationKey: String? = nil) -> CallFootprint {
        CallFootprint(readsOnly: false, reach: .thisMachine, serializationKey: serializationKey)
    }
}

/// A tool made of its spec and two functions: for extensions whose tools are small enough not to need a type each.
public struct InlineTool: ToolHandler {
    public let spec: ToolSpec
    private let footprintOf: @Sendable ([String: JSONValue], ToolContext) -> CallFootprint
    private let body: @Sendable ([String: JSONValue], ToolContext) async -> ToolOutput

    public init(_ spec: ToolSpec,
                footprint: @escaping @Sendable ([String: JSONValue], ToolContext) -> CallFootprint,
                run: @escaping @Sendable ([String: JSONValue], ToolContext) async -> ToolOutput) {
        self.spec = spec
        footprintOf = footprint
        body = run
    }

    public func footprint(of arguments: [String: JSONValue], context: ToolContext) -> CallFootprint {
        footprintOf(arguments, context)
    }

    public func run(_ arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        await body(arguments, context)
    }
}
