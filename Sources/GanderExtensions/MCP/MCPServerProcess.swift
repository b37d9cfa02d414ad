import CGanderSystem
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stdio MCP server Gander started: its own process group (so one signal reaches every child it forks), pipes for
/// stdin and stdout, and stderr appended to a log file, never the terminal.
final class MCPServerProcess: Sendable {
    let pid: pid_t
    /// Messages to and from the server.
    let transport: LineTransport
    let logFile: URL
    private let exit: ExitRecord

    /// Starts `command` (looked up on PATH) in `directory`. `onEnd` hears once why its stdout ended.
    init(command: String, arguments: [String], environment: [String: String], directory: URL, logFile: URL,
         onEnd: @escaping @Sendable (MCPTransportEnd) -> Void) throws(MCPStartError) {
        var toServer: [Int32] = [0, 0]
        var fromServer: [Int32] = [0, 0]
        guard pipe(&toServer) == 0, pipe(&fromServer) == 0 else { throw .spawnFailed(String(cString: strerror(errno))) }
        // Gander's ends must not leak into this or any later child.
        for fd in [toServer[1], fromServer[0]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        try? FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toServer[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromServer[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, logFile.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_addclose(&actions, toServer[0])
        posix_spawn_file_actions_addclose(&actions, fromServer[1])
        gander_spawn_file_actions_addchdir(&actions, directory.path)

        let resolved = Self.resolve(command, path: environment["PATH"] ?? "/usr/bin:/bin")
        let (pid, result) = spawnProcessGroupLeader(resolved, arguments: [command] + arguments, environment: environment,
                                              actions: &actions)
        close(toServer[0])
        close(fromServer[1])
        guard result == 0 else {
            close(toServer[1])
            close(fromServer[0])
            throw result == ENOENT ? .commandNotFound(command) : .spawnFailed("\(command): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        self.logFile = logFile
        self.exit = ExitRecord()
        self.transport = LineTransport(input: fromServer[0], output: toServer[1], onEnd: onEnd)
        reapChild(pid) { [exit] in exit.status = $0 }
    }

    /// How the process ended, waiting up to `patience` for it to end.
    func termination(waiting patience: Duration) async -> String? {
        await waitForExit(upTo: patience)
        return exit.status.map(ExitRecord.describe)
    }

    var hasExited: Bool { exit.status != nil }

    /// Ends the server and every process it started, the way MCP's stdio transport asks: with its input closed, the
    /// server gets `patience` to finish what it was reading (a `notifications/cancelled`, say) and exit on its own;
    /// then SIGTERM goes to its group, and SIGKILL after `grace` if the server is still there.
    func terminate(patience: Duration = .zero, grace: Duration = .seconds(2)) async {
        await waitForExit(upTo: patience)
        // Sent even when the server has exited: children it left in its group end with it.
        _ = Glibc.kill(-pid, SIGTERM)
        guard !hasExited else { return }
        await waitForExit(upTo: grace)
        if !hasExited { _ = Glibc.kill(-pid, SIGKILL) }
    }

    private func waitForExit(upTo patience: Duration) async {
        let deadline = ContinuousClock.now + patience
        while !hasExited, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// The program's path: as given when it has a slash, else the first executable of that name on `path`, which is
    /// the PATH the server itself gets.
    private static func resolve(_ command: String, path: String) -> String {
        if command.contains("/") { return command }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return command
    }
}
