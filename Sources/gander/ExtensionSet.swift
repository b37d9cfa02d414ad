import Foundation
import GanderCore
import GanderExtensions

/// The MCP servers of one run: the enabled entries of config.yaml and those the flags add. They start together in
/// the background and stop together when the run ends.
struct ExtensionSet: Sendable {
    let servers: [MCPExtension]
    private let directories: GanderDirectories
    private let environment: [String: String]

    init(settings: Settings, options: ExtensionOptions?, adding more: [ExtensionConfig] = []) throws {
        let configured = settings.config.extensions.filter(\.enabled)
        let flagged = try options?.configs(besides: settings.config.extensions) ?? []
        try self.init(settings: settings, configs: configured + flagged + more)
    }

    /// Exactly these servers (a recipe's).
    init(settings: Settings, configs: [ExtensionConfig]) throws {
        let cache = MCPToolCache(directory: settings.directories.data.appendingPathComponent("mcp"))
        let startupWait = try Self.defaultStartupWait(settings.environment)
        servers = configs.map { config in
            var config = config
            config.startupWait = config.startupWait ?? startupWait
            return MCPExtension(config: config, cache: cache)
        }
        directories = settings.directories
        environment = settings.environment
    }

    /// Starts every server at once, without waiting for any; each one's stderr goes to a log named after the session.
    /// `ledger` records the requests to remote servers.
    func start(workingDirectory: URL, logName: String, ledger: (any OutboundLedger)? = nil) async {
        let context = MCPLaunchContext(workingDirectory: workingDirectory, environment: environment,
                                       logDirectory: directories.data.appendingPathComponent("logs/\(logName)"),
                                       ledger: ledger)
        for server in servers { await server.start(in: context) }
    }

    /// Stops every server, together.
    func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for server in servers { group.addTask { await server.shutdown() } }
        }
    }

    /// `GANDER_STARTUP_WAIT`: seconds a new server may hold up the first request when its entry does not say.
    private static func defaultStartupWait(_ environment: [String: String]) throws -> Duration? {
        guard let text = environment["GANDER_STARTUP_WAIT"], !text.isEmpty else { return nil }
        guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
            throw InputError("GANDER_STARTUP_WAIT=\(text) is not a number of seconds; use e.g. GANDER_STARTUP_WAIT=30")
        }
        return .milliseconds(Int(seconds * 1000))
    }

    /// A log name for a run kept in no session.
    static func unsavedRunLogName() -> String {
        "run-\(Int(Date().timeIntervalSince1970))-\(getpid())"
    }
}
