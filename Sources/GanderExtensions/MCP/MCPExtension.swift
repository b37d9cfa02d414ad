import Foundation
import GanderCore
import MCP

/// Where an MCP extension stands, for `/extensions` and `gander extensions list`.
public struct MCPExtensionStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case starting, ready, failed, stopped
    }

    public var name: String
    public var state: State
    public var toolCount: Int
    /// Why it failed, when it did.
    public var problem: String?
}

/// An MCP server as a Gander extension. It starts in the background and never holds up the model: until it is up,
/// the tools it offered last time are on offer, and a call to one of them waits for it, up to its timeout. A server
/// that fails, crashes or hangs turns into a tool error and one notice; its next use starts it again.
public final class MCPExtension: Extension {
    public let name: String
    public let instructions: String
    private let supervisor: MCPSupervisor

    /// Offers the tools `cache` remembers for this server at once; nothing starts until `start(in:)`.
    public init(config: ExtensionConfig, cache: MCPToolCache) {
        name = config.name
        let remembered = cache.load(name: config.name, fingerprint: config.fingerprint)
        instructions = remembered?.instructions ?? ""
        supervisor = MCPSupervisor(config: config, cache: cache, remembered: remembered?.tools ?? [])
    }

    /// Starts the server in the background and returns at once; restarts later happen in the same `context`.
    public func start(in context: MCPLaunchContext) async {
        await supervisor.start(in: context)
    }

    public func tools() async throws -> [ToolSpec] {
        await supervisor.offeredTools()
    }

    public func call(tool: String, arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        await supervisor.call(tool, arguments: arguments)
    }

    public func notices() async -> [String] {
        await supervisor.takeNotices()
    }

    public func status() async -> MCPExtensionStatus {
        await supervisor.status()
    }

    /// Ends the server.
    public func shutdown() async {
        await supervisor.shutdown()
    }
}

/// The life of one server: starting, up, failed or stopped, and what it offers.
actor MCPSupervisor {
    private enum Phase {
        case idle
        case starting(Task<MCPConnection, any Error>)
        case ready(MCPConnection)
        case failed(String)
        case stopped
    }

    private let config: ExtensionConfig
    private var context: MCPLaunchContext?
    private let cache: MCPToolCache
    private var phase: Phase = .idle
    /// The server's tools by the name the model sees (a server's own names may hold characters providers refuse).
    private var tools: [String: Tool] = [:]
    private var order: [String] = []
    private var notices: [String] = []

    init(config: ExtensionConfig, cache: MCPToolCache, remembered: [Tool]) {
        self.config = config
        self.cache = cache
        (tools, order) = Self.index(remembered)
    }

    func start(in context: MCPLaunchContext) {
        guard case .idle = phase else { return }
        self.context = context
        _ = start(context)
    }

    func offeredTools() -> [ToolSpec] {
        order.compactMap { name in tools[name].map { Self.spec(for: $0, named: name) } }
    }

    func takeNotices() -> [String] {
        defer { notices = [] }
        return notices
    }

    func status() -> MCPExtensionStatus {
        switch phase {
        case .idle, .starting: MCPExtensionStatus(name: config.name, state: .starting, toolCount: order.count)
        case .ready: MCPExtensionStatus(name: config.name, state: .ready, toolCount: order.count)
        case .failed(let problem): MCPExtensionStatus(name: config.name, state: .failed, toolCount: order.count, problem: problem)
        case .stopped: MCPExtensionStatus(name: config.name, state: .stopped, toolCount: order.count)
        }
    }

    func call(_ tool: String, arguments: [String: JSONValue]) async -> ToolOutput {
        guard let original = tools[tool]?.name else {
            return .error("The \(config.name) extension has no tool \(tool) any more; its tools are: \(order.joined(separator: ", ")).")
        }
        do {
            let connection = try await usableConnection()
            let result = try await connection.call(original, arguments: arguments.mapValues(MCPValueMapping.value))
            return MCPValueMapping.output(result)
        } catch is CancellationError {
            return .error("The call was interrupted.")
        } catch {
            if case .ready(let connection) = phase, await !connection.isAlive { phase = .failed(String(describing: error)) }
            return .error("The \(config.name) extension failed: \(error). It starts again on its next use.")
        }
    }

    func shutdown() async {
        let previous = phase
        phase = .stopped
        switch previous {
        case .ready(let connection): await connection.close()
        case .starting(let task): task.cancel(); if let connection = try? await task.value { await connection.close() }
        default: break
        }
    }

    /// The connection to use now: the live one, the one starting, or a new one when it failed or died.
    private func usableConnection() async throws -> MCPConnection {
        switch phase {
        case .ready(let connection) where await connection.isAlive:
            return connection
        case .starting(let task):
            return try await task.value
        case .stopped:
            throw MCPStartError.stopped
        default:
            guard let context else { throw MCPStartError.stopped }
            return try await start(context).value
        }
    }

    private func start(_ context: MCPLaunchContext) -> Task<MCPConnection, any Error> {
        let config = config
        let task = Task {
            try await MCPConnection.open(config, context: context, onToolsChanged: { [weak self] in
                Task { await self?.toolsChanged() }
            })
        }
        phase = .starting(task)
        Task { await self.finishStart(task) }
        return task
    }

    private func finishStart(_ task: Task<MCPConnection, any Error>) async {
        do {
            let connection = try await task.value
            guard case .starting = phase else { return await connection.close() }
            phase = .ready(connection)
            adopt(await connection.tools)
            cache.save(MCPToolCache.Entry(fingerprint: config.fingerprint, instructions: connection.instructions,
                                          tools: await connection.tools), name: config.name)
        } catch {
            guard case .starting = phase else { return }
            let problem = String(describing: error)
            phase = .failed(problem)
            notices.append("extension \(config.name) did not start: \(problem)")
        }
    }

    private func toolsChanged() async {
        guard case .ready(let connection) = phase else { return }
        do {
            try await connection.refreshTools()
            adopt(await connection.tools)
        } catch {
            notices.append("extension \(config.name) changed its tools but could not list them: \(error)")
        }
    }

    private func adopt(_ listed: [Tool]) {
        (tools, order) = Self.index(listed)
    }

    private static func index(_ listed: [Tool]) -> ([String: Tool], [String]) {
        var tools: [String: Tool] = [:]
        var order: [String] = []
        for tool in listed {
            var name = modelSafeName(tool.name)
            while tools[name] != nil { name += "_" }
            tools[name] = tool
            order.append(name)
        }
        return (tools, order)
    }

    /// Providers accept tool names of letters, digits, `_` and `-`, up to 64 characters in all.
    private static func modelSafeName(_ name: String) -> String {
        let safe = String(name.unicodeScalars.map { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_") ? Character(scalar) : "_"
        })
        return String(safe.prefix(48))
    }

    private static func spec(for tool: Tool, named name: String) -> ToolSpec {
        let readOnly = tool.annotations.readOnlyHint == true
        var schema = MCPValueMapping.json(tool.inputSchema)
        if schema.objectValue == nil { schema = .object(["type": .string("object")]) }
        return ToolSpec(name: name, description: tool.description ?? tool.title ?? tool.name, inputSchema: schema,
                        isReadOnly: readOnly,
                        // MCP's default: a tool that is not read-only may destroy, unless it says otherwise.
                        isDestructive: !readOnly && tool.annotations.destructiveHint != false)
    }
}
