import Foundation
import GanderHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stdio MCP server Gander started: its own process group (so one signal reaches every child it forks), pipes for
/// stdin and stdout, and stderr appended to a log file, never the terminal.
final class MCPServerProcess: Sendable {
    var pid: pid_t { child.pid }
    /// Messages to and from the server.
    let transport: LineTransport
    let logFile: URL
    private let child: ChildProcess

    /// Starts `command` (looked up on the PATH the server itself gets) in `directory`. `onEnd` hears once why its
    /// stdout ended.
    init(command: String, arguments: [String], environment: [String: String], directory: URL, logFile: URL,
         onEnd: @escaping @Sendable (MCPTransportEnd) -> Void) throws(MCPStartError) {
        let toServer = ChildPipe.make()
        let fromServer = ChildPipe.make()
        try? FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        var launch = ProcessLauncher.Launch(command, arguments, environment: environment, directory: directory)
        // MCPServerEnvironment applied the entry's `env:` and `env_keys:` already.
        launch.environmentIsJudged = true
        launch.stdin = .descriptor(toServer.read)
        launch.stdout = .descriptor(fromServer.write)
        launch.stderr = .file(logFile.path, append: true)
        let started = Result { () throws(ProcessLauncher.LaunchError) -> ChildProcess in try ProcessLauncher.spawn(launch) }
        close(toServer.read)
        close(fromServer.write)
        switch started {
        case .success(let child):
            self.child = child
        case .failure(let error):
            close(toServer.write)
            close(fromServer.read)
            if case .notFound = error { throw .commandNotFound(command) }
            throw .spawnFailed(error.description)
        }
        self.logFile = logFile
        self.transport = LineTransport(input: fromServer.read, output: toServer.write, onEnd: onEnd)
    }

    /// How the process ended, waiting up to `patience` for it to end.
    func termination(waiting patience: Duration) async -> String? {
        await child.waitForExit(upTo: patience)
        return child.status.map(ChildProcess.describe)
    }

    var hasExited: Bool { child.hasExited }

    /// Ends the server and every process it started, the way MCP's stdio transport asks: with its input closed, the
    /// server gets `patience` to finish what it was reading (a `notifications/cancelled`, say) and exit on its own;
    /// then SIGTERM goes to its group, and SIGKILL after `grace` if the server is still there.
    func terminate(patience: Duration = .zero, grace: Duration = .seconds(2)) async {
        await child.waitForExit(upTo: patience)
        // Sent even when the server has exited: children it left in its group end with it.
        child.signalGroup(SIGTERM)
        guard !hasExited else { return }
        await child.waitForExit(upTo: grace)
        if !hasExited { child.signalGroup(SIGKILL) }
    }
}
