import Foundation

/// Why an MCP server could not be started or reached, or stopped answering. Each says what to do next.
public enum MCPStartError: Error, CustomStringConvertible, Sendable, Equatable {
    case protectedVariable(String)
    case missingVariable(String)
    case commandNotFound(String)
    case spawnFailed(String)
    /// The server went away; `how` says how it ended, `log` where its stderr is.
    case ended(how: String, log: String?)
    case timedOut(seconds: Int, what: String)
    case unsupportedProtocol(String)
    case http(String)
    case protocolError(String)
    /// The run is over, or the server was never started.
    case stopped

    public var description: String {
        switch self {
        case .protectedVariable(let name):
            "its env may not set \(name), which decides what code runs; remove it from the extension's config"
        case .missingVariable(let name):
            "env_keys names \(name), which is not set in Gander's environment; export it and start again"
        case .commandNotFound(let command):
            "the command \(command) was not found on PATH; install it or give its full path"
        case .spawnFailed(let reason):
            "it could not be started: \(reason)"
        case .ended(let how, let log):
            "its server \(how)" + (log.map { "; its stderr is in \($0)" } ?? "")
        case .timedOut(let seconds, let what):
            "it did not \(what) within \(seconds) s; raise its timeout or check the server"
        case .unsupportedProtocol(let version):
            "it speaks MCP protocol version \(version), which Gander does not support"
        case .http(let problem):
            problem
        case .protocolError(let problem):
            "it broke the protocol: \(problem)"
        case .stopped:
            "it is not running in this session"
        }
    }
}
