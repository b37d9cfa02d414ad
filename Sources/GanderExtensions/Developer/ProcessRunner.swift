import CGanderSystem
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a command ended.
struct ProcessOutcome: Sendable {
    enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    let termination: Termination
    /// The command ran past its timeout and its process group was killed.
    let timedOut: Bool
    /// The command wrote more than Gander keeps and its process group was killed.
    let outputLimitHit: Bool
    let stdoutFile: URL
    let stderrFile: URL
}

/// Runs `bash -c` in its own process group with stdin closed and stdout and stderr going straight to files, so a
/// command can print any amount without growing Gander's memory, and a timeout or interruption can kill the whole
/// group, children included.
struct ProcessRunner: Sendable {
    /// A command that writes more than this in all is stopped; a runaway `yes` must not fill the disk.
    var maxSavedOutputBytes: Int64 = 1 << 30

    func run(_ command: String, in directory: URL, environment: [String: String], sandbox: CommandSandbox = .off,
             protected: [ProtectedFiles.Entry] = [], timeout: Duration, outputDirectory: URL) async throws -> ProcessOutcome {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let stdoutFile = outputDirectory.appendingPathComponent("stdout")
        let stderrFile = outputDirectory.appendingPathComponent("stderr")
        let pid = try spawn(sandbox.invocation(of: command, in: directory, protected: protected), in: directory, environment: environment,
                            stdout: stdoutFile.path, stderr: stderrFile.path)
        let watchdog = Watchdog(pid: pid)

        let monitor = Task {
            let deadline = ContinuousClock.now + timeout
            while !Task.isCancelled {
                if ContinuousClock.now >= deadline { return watchdog.kill(reason: .timeout) }
                if Self.size(of: stdoutFile) + Self.size(of: stderrFile) > maxSavedOutputBytes {
                    return watchdog.kill(reason: .outputLimit)
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let status = await withTaskCancellationHandler {
            await Self.waitForExit(pid)
        } onCancel: {
            watchdog.kill(reason: .cancelled)
        }
        monitor.cancel()
        try Task.checkCancellation()

        let termination: ProcessOutcome.Termination =
            status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        return ProcessOutcome(termination: termination, timedOut: watchdog.reason == .timeout,
                              outputLimitHit: watchdog.reason == .outputLimit,
                              stdoutFile: stdoutFile, stderrFile: stderrFile)
    }

    private func spawn(_ invocation: (executable: String, arguments: [String]), in directory: URL,
                       environment: [String: String], stdout: String, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        gander_spawn_file_actions_addchdir(&actions, directory.path)

        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw ShellError.missingDirectory(directory.path)
        }
        var cArguments = invocation.arguments.map { strdup($0) } + [nil]
        var cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let result = withProcessGroupSpawnAttributes { attributes in
            posix_spawn(&pid, invocation.executable, &actions, &attributes, &cArguments, &cEnvironment)
        }
        guard result == 0 else { throw ShellError.spawnFailed(String(cString: strerror(result))) }
        return pid
    }

    private static func waitForExit(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            reapChild(pid) { continuation.resume(returning: $0) }
        }
    }

    private static func size(of file: URL) -> Int64 {
        var info = stat()
        return stat(file.path, &info) == 0 ? Int64(info.st_size) : 0
    }
}

/// Kills a command's process group once, remembering why.
private final class Watchdog: @unchecked Sendable {
    enum Reason { case timeout, outputLimit, cancelled }

    private let pid: pid_t
    private let lock = NSLock()
    private var recorded: Reason?

    init(pid: pid_t) {
        self.pid = pid
    }

    var reason: Reason? { lock.withLock { recorded } }

    func kill(reason: Reason) {
        lock.withLock {
            guard recorded == nil else { return }
            recorded = reason
            _ = Glibc.kill(-pid, SIGKILL)
        }
    }
}

enum ShellError: Error, CustomStringConvertible {
    case missingDirectory(String)
    case spawnFailed(String)

    var description: String {
        switch self {
        case .missingDirectory(let path): "the working directory \(path) does not exist"
        case .spawnFailed(let reason): "the command could not be started: \(reason)"
        }
    }
}
