import Foundation
import GanderHost
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

/// Runs `bash -c` (through the launcher, in the sandbox) in its own process group with stdin closed and stdout and stderr going straight to files, so a
/// command can print any amount without growing Gander's memory, and a timeout or interruption can kill the whole
/// group, children included.
struct ProcessRunner: Sendable {
    /// A command that writes more than this in all is stopped; a runaway `yes` must not fill the disk.
    var maxSavedOutputBytes: Int64 = 1 << 30

    func run(_ command: String, in directory: URL, environment: [String: String], sandbox: CommandSandbox = .off,
             protected: [CommandSandbox.Cover] = [], timeout: Duration, outputDirectory: URL) async throws -> ProcessOutcome {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let stdoutFile = outputDirectory.appendingPathComponent("stdout")
        let stderrFile = outputDirectory.appendingPathComponent("stderr")
        let invocation = sandbox.invocation(of: command, in: directory, covering: protected)
        var launch = ProcessLauncher.Launch(invocation.executable, Array(invocation.arguments.dropFirst()),
                                            environment: environment, directory: directory)
        // Settings.commandEnvironment applied the user's `command_env:` already.
        launch.environmentIsJudged = true
        launch.stdout = .file(stdoutFile.path, append: false)
        launch.stderr = .file(stderrFile.path, append: false)
        let child = try ProcessLauncher.spawn(launch)
        let watchdog = Watchdog(child: child)

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
            await child.waitForExit()
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

    private static func size(of file: URL) -> Int64 {
        var info = stat()
        return stat(file.path, &info) == 0 ? Int64(info.st_size) : 0
    }
}

/// Kills a command's process group once, remembering why.
private final class Watchdog: @unchecked Sendable {
    enum Reason { case timeout, outputLimit, cancelled }

    private let child: ChildProcess
    private let lock = NSLock()
    private var recorded: Reason?

    init(child: ChildProcess) {
        self.child = child
    }

    var reason: Reason? { lock.withLock { recorded } }

    func kill(reason: Reason) {
        lock.withLock {
            guard recorded == nil else { return }
            recorded = reason
            child.signalGroup(SIGKILL)
        }
    }
}
