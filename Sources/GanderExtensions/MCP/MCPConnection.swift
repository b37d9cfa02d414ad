import AsyncHTTPClient
import Foundation
import GanderCore
import GanderHost
import MCP

/// Where and for whom servers start: the working directory, Gander's environment and the session's log folder.
public struct MCPLaunchContext: Sendable {
    public var workingDirectory: URL
    public var environment: [String: String]
    /// Each stdio server's stderr is appended to `<name>.log` here.
    public var logDirectory: URL
    /// Where the requests to remote servers are recorded, as they leave the machine.
    public var ledger: (any OutboundLedger)?

    public init(workingDirectory: URL, environment: [String: String], logDirectory: URL,
                ledger: (any OutboundLedger)? = nil) {
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.logDirectory = logDirectory
        self.ledger = ledger
    }
}

/// One live session with an MCP server through the SDK's client: started, initialized on an agreed protocol version,
/// its tools listed page by page, each request bounded by the extension's timeout and by the server's end.
///
/// The SDK's client does not give up on a request when its transport ends, and its requests do not answer task
/// cancellation, so every request here races the timeout and the end of the server, and the loser is abandoned
/// through the SDK (a `notifications/cancelled`, or a disconnect that fails what is pending).
actor MCPConnection {
    let instructions: String?
    let protocolVersion: String
    private(set) var tools: [Tool] = []
    private let client: Client
    private let transport: any Transport
    private let process: MCPServerProcess?
    private let ending: EndRelay
    private let config: ExtensionConfig

    /// Starts the server and initializes it. `onToolsChanged` runs when the server says its tools changed.
    static func open(_ config: ExtensionConfig, context: MCPLaunchContext,
                     onToolsChanged: @escaping @Sendable () -> Void) async throws -> MCPConnection {
        let ending = EndRelay()
        let transport: any Transport
        var process: MCPServerProcess?
        switch config.transport {
        case .stdio(let command, let arguments, let values, let keys):
            let environment = try MCPServerEnvironment.build(setting: values, passing: keys, from: context.environment)
            let started = try MCPServerProcess(
                command: command, arguments: arguments, environment: environment,
                directory: context.workingDirectory,
                logFile: context.logDirectory.appendingPathComponent("\(config.name).log"),
                onEnd: { ending.fire($0) })
            process = started
            transport = started.transport
        case .streamableHTTP(let url, let headers):
            transport = StreamableHTTPTransport(
                url: url, headers: headers, timeout: config.timeout, gate: OutboundGate(environment: context.environment),
                recorder: context.ledger.map { LedgerRecorder(ledger: $0, provider: "mcp", model: config.name) })
        }

        let client = Client(name: "gander", version: GanderVersion.current)
        await client.onNotification(ToolListChangedNotification.self) { _ in onToolsChanged() }
        do {
            // Starting includes launching an interpreter, or `uvx` fetching the server, which has nothing to do with
            // how long its calls take: a short call timeout never cuts a start below a minute.
            let result = try await bounded(max(config.timeout, .seconds(60)), what: "start and answer initialize", client: client,
                                           ending: ending, process: process) {
                try await client.connect(transport: transport)
            }
            guard Version.supported.contains(result.protocolVersion) else {
                throw MCPStartError.unsupportedProtocol(result.protocolVersion)
            }
            if let http = transport as? StreamableHTTPTransport { await http.didInitialize(protocolVersion: result.protocolVersion) }
            let connection = MCPConnection(config: config, client: client, transport: transport, process: process,
                                           ending: ending, instructions: result.instructions,
                                           protocolVersion: result.protocolVersion)
            if result.capabilities.tools != nil { try await connection.refreshTools() }
            return connection
        } catch {
            await client.disconnect()
            await process?.terminate(grace: .milliseconds(200))
            throw error
        }
    }

    private init(config: ExtensionConfig, client: Client, transport: any Transport, process: MCPServerProcess?,
                 ending: EndRelay, instructions: String?, protocolVersion: String) {
        self.config = config
        self.client = client
        self.transport = transport
        self.process = process
        self.ending = ending
        self.instructions = instructions?.isEmpty == false ? instructions : nil
        self.protocolVersion = protocolVersion
    }

    /// Whether the server can still take requests.
    var isAlive: Bool { ending.end == nil }

    /// Lists every tool, following `nextCursor` page by page.
    func refreshTools() async throws {
        var listed: [Tool] = []
        var cursor: String?
        var seen: Set<String> = []
        repeat {
            let page = try await Self.bounded(config.timeout, what: "list its tools", client: client, ending: ending,
                                              process: process) { [client, cursor] in
                try await client.listTools(cursor: cursor)
            }
            listed += page.tools
            cursor = page.nextCursor
            // A server that hands out the same cursor twice would page forever.
            if let next = cursor, !seen.insert(next).inserted { break }
        } while cursor != nil
        tools = listed
    }

    /// Calls one tool. Cancelling the calling task sends `notifications/cancelled` to the server. A server that
    /// lets the call time out is presumed stuck and is stopped; the next use starts it again.
    func call(_ name: String, arguments: [String: Value]) async throws -> CallTool.Result {
        let context: RequestContext<CallTool.Result> = try await client.callTool(name: name, arguments: arguments)
        do {
            return try await Self.bounded(config.timeout, what: "answer", client: client, ending: ending,
                                          process: process, request: context.requestID) {
                try await context.value
            }
        } catch let error as MCPStartError {
            if case .timedOut = error { await close() }
            throw error
        }
    }

    /// Ends the session and the server with it. Disconnecting closes a stdio server's input, which is how MCP asks it
    /// to exit; a second is enough for any server that is still reading.
    func close() async {
        ending.fire(.closed)
        await client.disconnect()
        await process?.terminate(patience: .seconds(1))
    }

    private enum Race<T: Sendable>: Sendable {
        case finished(Result<T, any Error>)
        case timedOut
        case ended(MCPTransportEnd)
        case cancelled
    }

    /// Runs `operation` until it finishes, the server ends, `timeout` passes or the caller is cancelled. In every
    /// case but the first the operation is abandoned through the SDK, so that it returns: a pending `request` is
    /// cancelled with `notifications/cancelled`; otherwise, or if the SDK still waits a moment later, the client is
    /// disconnected, which fails everything pending.
    private static func bounded<T: Sendable>(
        _ timeout: Duration, what: String, client: Client, ending: EndRelay, process: MCPServerProcess?,
        request: ID? = nil, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Race<T>.self) { group in
            group.addTask {
                do { return .finished(.success(try await operation())) } catch { return .finished(.failure(error)) }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return .cancelled }
                return .timedOut
            }
            group.addTask {
                guard let end = await ending.wait() else { return .cancelled }
                return .ended(end)
            }
            let outcome = try await group.next()!
            if case .finished(let result) = outcome {
                group.cancelAll()
                return try result.get()
            }
            group.cancelAll()
            let ended: MCPTransportEnd? = if case .ended(let end) = outcome { end } else { nil }
            if ended == nil, let request {
                try? await client.cancelRequest(request, reason: "Gander stopped waiting for this call")
            } else {
                await client.disconnect()
            }
            // The request may not have been registered yet when it was cancelled; a disconnect ends that wait too.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(2))
                await client.disconnect()
            }
            while let _ = try? await group.next() {}
            watchdog.cancel()

            switch outcome {
            case .ended(let end): throw await failure(for: end, process: process)
            case .timedOut: throw MCPStartError.timedOut(seconds: Int(timeout.components.seconds), what: what)
            default: throw CancellationError()
            }
        }
    }

    private static func failure(for end: MCPTransportEnd, process: MCPServerProcess?) async -> MCPStartError {
        switch end {
        case .closed:
            let how = await process?.termination(waiting: .milliseconds(500)) ?? "closed the connection"
            return .ended(how: how, log: process?.logFile.path)
        case .notJSON, .oversized, .readFailed:
            await process?.terminate(grace: .milliseconds(200))
            return .protocolError(end.description)
        }
    }
}

/// Tells every waiter, once, that the server's side of the connection ended.
final class EndRelay: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: MCPTransportEnd?
    private var waiters: [UUID: CheckedContinuation<MCPTransportEnd?, Never>] = [:]

    var end: MCPTransportEnd? { lock.withLock { recorded } }

    func fire(_ end: MCPTransportEnd) {
        let woken: [CheckedContinuation<MCPTransportEnd?, Never>] = lock.withLock {
            guard recorded == nil else { return [] }
            recorded = end
            defer { waiters = [:] }
            return Array(waiters.values)
        }
        woken.forEach { $0.resume(returning: end) }
    }

    /// The end, once it comes; nil when the waiting task is cancelled first.
    func wait() async -> MCPTransportEnd? {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate: MCPTransportEnd?? = lock.withLock {
                    if let recorded { return .some(recorded) }
                    if Task.isCancelled { return .some(nil) }
                    waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            lock.withLock { waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}

