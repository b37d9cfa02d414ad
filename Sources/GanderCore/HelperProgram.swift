import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program Gander runs for one answer — pdftotext, ImageMagick's convert, a screenshot tool, gcloud — run to its end
/// without holding a thread of Swift's cooperative pool. That pool has one thread per core, so a tool call sitting in
/// `waitUntilExit()` would stall the rest of the agent (its other tool calls, MCP servers, the display) for as long as
/// the program runs. The blocking reads and the wait happen on a thread of their own instead.
public enum HelperProgram {
    public struct Result: Sendable {
        public let status: Int32
        public let output: Data
        public let errors: Data
        /// It ran past its time and was killed.
        public let timedOut: Bool

        public var succeeded: Bool { status == 0 && !timedOut }

        /// The first line it wrote to stderr: what to tell the user when it failed.
        public var firstErrorLine: String? {
            String(decoding: errors, as: UTF8.self).split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        }
    }

    /// Runs `executable` with `arguments`, feeding it `input` on stdin (else /dev/null), and kills it after `timeout`.
    /// Throws only when the program cannot be started.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           input: Data? = nil, timeout: Duration? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Swift.Result {
                    try runToEnd(executable, arguments, environment: environment, input: input, timeout: timeout)
                })
            }.start()
        }
    }

    /// The same, waiting on the calling thread: only for a command's start, before the agent or anything else that
    /// shares the cooperative pool is running.
    public static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                                   input: Data? = nil, timeout: Duration? = nil) throws -> Result {
        try runToEnd(executable, arguments, environment: environment, input: input, timeout: timeout)
    }

    /// Where `name` is on `path` (a PATH value), as an executable file; nil when it is on none of it.
    public static func find(_ name: String, path: String?) -> String? {
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static func runToEnd(_ executable: String, _ arguments: [String], environment: [String: String]?,
                                 input: Data?, timeout: Duration?) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        let stdin = input.map { _ in Pipe() }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()

        // stdin and stderr have threads of their own, so no pipe fills up while another one is being waited on.
        let finished = DispatchGroup()
        let errorText = ErrorText()
        finished.enter()
        Thread {
            errorText.data = errors.fileHandleForReading.readDataToEndOfFile()
            finished.leave()
        }.start()
        if let stdin, let input {
            Thread {
                // A program that stops reading early closes its end; the write then fails, which is fine.
                try? stdin.fileHandleForWriting.write(contentsOf: input)
                try? stdin.fileHandleForWriting.close()
            }.start()
        }
        let timer = timeout.map { timeout in
            let pid = process.processIdentifier
            let item = DispatchWorkItem {
                errorText.timedOut = true
                kill(pid, SIGKILL)
            }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: item)
            return item
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        finished.wait()
        process.waitUntilExit()
        timer?.cancel()
        return Result(status: process.terminationStatus, output: data, errors: errorText.data, timedOut: errorText.timedOut)
    }
}

/// What the stderr reader and the timer leave for the waiting thread.
private final class ErrorText: @unchecked Sendable {
    private let lock = NSLock()
    private var storedData = Data()
    private var storedTimedOut = false

    var data: Data {
        get { lock.withLock { storedData } }
        set { lock.withLock { storedData = newValue } }
    }

    var timedOut: Bool {
        get { lock.withLock { storedTimedOut } }
        set { lock.withLock { storedTimedOut = newValue } }
    }
}
