import Foundation
import GanderCore
import MCP
import Synchronization

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

/// An MCP server as a Gander extension. It starts in the background. A server Gander has seen before never holds up
/// the model: until it is up, the tools it offered last time are on offer, and a call to one of them waits for it, up
/// to its timeout. A server never seen before holds up only the first request, for its tool list, up to its
/// `startupWait`. A server that fails, crashes or hangs turns into a tool error and one notice; its next use starts
/// it again.
public final class MCPExtension: Extension {
    public let name: String
    private let supervisor: MCPSupervisor
    private let transport: ExtensionConfig.Transport
    private let receivesSecrets: Bool
    /// What the server tells the model about its tools: remembered at first, then what it said when it started.
    private let latestInstructions: LatestInstructions

    /// Offers the tools `cache` remembers for this server at once; nothing starts until `start(in:)`.
    public init(config: ExtensionConfig, cache: MCPToolCache) {
        name = config.name
        transport = config.transport
        receivesSecrets = config.receivesSecrets
        let remembered = cache.load(name: config.name, fingerprint: config.fingerprint)
        let instructions = LatestInstructions(remembered?.instructions ?? "")
        latestInstructions = instructions
        supervisor = MCPSupervisor(config: config, cache: cache, remembered: remembered?.tools,
                                   onInstructions: { instructions.set($0) })
    }

    public var instructions: String {
        latestInstructions.get()
    }

    /// Starts the server in the background and returns at once; restarts later happen in the same `context`.
    public func start(in context: MCPLaunchContext) async {
        await supervisor.start(in: context)
    }

    /// The server's tools as it listed them. Gander cannot see what they read or write: each is read-only only when
    /// the server annotates it so (`spec.isReadOnly`), and its reach is the server's.
    public func tools() async throws -> [any ToolHandler] {
        let reach = reach
        return await supervisor.offeredTools().map { spec in
            InlineTool(spec, footprint: { _, _ in CallFootprint(readsOnly: spec.isReadOnly, reach: reach) },
                       run: { [supervisor] arguments, _ in await supervisor.call(spec.name, arguments: arguments) })
        }
    }

    /// A remote server is off the machine; a local one is a program that may use the network, trusted with secrets
    /// only when its entry says `receives_secrets: true`.
    private var reach: ToolReach {
        switch transport {
        case .streamableHTTP(let url, _):
            .offMachine("the remote MCP server \(name) at \(url.host ?? url.absoluteString)")
        case .stdio where receivesSecrets:
            .thisMachine
        case .stdio:
            .offMachine("the MCP server \(name), a program that may use the network (its config entry can say "
                + "receives_secrets: true)")
        }
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

/// The instructions a server gave, read by each request's system prompt while the server may be starting.
private final class LatestInstructions: Sendable {
    private let text: Mutex<String>

    init(_ text: String) {
        self.text = Mutex(text)
    }

    func get() -> String { text.withLock { $0 } }
    func set(_ newText: String) { text.withLock { $0 = newText } }
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
    private let onInstructions: @Sendable (String) -> Void
    private var phase: Phase = .idle
    /// The server's tools by the name the model sees (a server's own names may hold characters providers refuse).
    private var tools: [String: Tool] = [:]
    private var order: [String] = []
    private var notices: [String] = []
    private let hadRememberedTools: Bool
    /// Until when the first tool listing may wait for the first start; nil once it no longer waits.
    private var firstListingDeadline: ContinuousClock.Instant?
    /// Requests waiting for the first start to end, each with the timer that gives up on it.
    private var startWaiters: [UUID: (continuation: CheckedContinuation<Void, Never>, timer: Task<Void, Never>)] = [:]

    init(config: ExtensionConfig, cache: MCPToolCache, remembered: [Tool]?,
         onInstructions: @escaping @Sendable (String) -> Void) {
        self.config = config
        self.cache = cache
        self.onInstructions = onInstructions
        hadRememberedTools = remembered != nil
        (tools, order) = Self.index(remembered ?? [])
    }

    func start(in context: MCPLaunchContext) {
        guard case .idle = phase else { return }
        self.context = context
        if !hadRememberedTools { firstListingDeadline = .now + startupWait }
        _ = start(context)
    }

    /// The tools to offer now. The first listing of a server Gander has never seen waits for it to start, up to its
    /// `startupWait`; every later one, and every listing of a remembered server, answers at once.
    func offeredTools() async -> [ToolSpec] {
        if let deadline = firstListingDeadline {
            firstListingDeadline = nil
            if case .starting = phase {
                await waitForStart(until: deadline)
                if case .starting = phase {
                    let seconds = String(format: "%g", startupWait / .seconds(1))
                    notices.append("extension \(config.name) did not list its tools within \(seconds) s; they are "
                        + "offered once it is up (to wait longer, set startup_wait: in its config.yaml entry, or "
                        + "GANDER_STARTUP_WAIT)")
                }
            }
        }
        return order.compactMap { name in tools[name].map { Self.spec(for: $0, named: name) } }
    }

    /// Returns when the start under way ends, at `deadline`, or when the caller is cancelled, whichever comes first.
    private func waitForStart(until deadline: ContinuousClock.Instant) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // The start may have ended while this call was on its way here.
                guard case .starting = phase else { return continuation.resume() }
                let timer = Task {
                    try? await Task.sleep(until: deadline)
                    self.releaseWaiter(id)
                }
                startWaiters[id] = (continuation, timer)
                if Task.isCancelled { releaseWaiter(id) }
            }
        } onCancel: {
            Task { await self.releaseWaiter(id) }
        }
    }

    private var startupWait: Duration {
        config.startupWait ?? ExtensionConfig.defaultStartupWait
    }

    private func releaseWaiter(_ id: UUID) {
        guard let waiter = startWaiters.removeValue(forKey: id) else { return }
        waiter.timer.cancel()
        waiter.continuation.resume()
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
        defer { startWaiters.keys.forEach(releaseWaiter) }
        do {
            let connection = try await task.value
            // Remembered even when the run is ending, so the next run offers these tools at once.
            remember(connection, tools: await connection.tools)
            guard case .starting = phase else { return await connection.close() }
            phase = .ready(connection)
            adopt(await connection.tools)
            onInstructions(connection.instructions ?? "")
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
            remember(connection, tools: await connection.tools)
        } catch {
            notices.append("extension \(config.name) changed its tools but could not list them: \(error)")
        }
    }

    private func remember(_ connection: MCPConnection, tools: [Tool]) {
        cache.save(MCPToolCache.Entry(fingerprint: config.fingerprint, instructions: connection.instructions,
                                      tools: tools), name: config.name)
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
