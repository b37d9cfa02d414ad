import Foundation

/// Runs a helper program (git, openssl, a Python fixture) to completion without blocking a thread.
///
/// Swift Testing runs suites in parallel on the cooperative pool, which has one thread per core — two on CI. A test
/// that sits in `waitUntilExit()` or `readDataToEndOfFile()` holds one of them for as long as its child runs, and two
/// such tests stall every other test in the process, so deadlines elsewhere pass while nothing runs. Output goes to
/// files and the exit is awaited through the termination handler instead.
public enum ChildCommand {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        /// stdout without surrounding white space.
        public var text: String { stdout.trimmingCharacters(in: .whitespacesAndNewlines) }

        /// The process was killed by the watchdog.
        public var hung: Bool { status == SIGKILL }

        /// stderr's non-empty lines.
        public var stderrLines: [String] {
            stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
    }

    /// Runs `arguments[0]` (looked up on PATH unless it is a path) with the rest as its arguments.
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil,
                           stdin: String? = nil, timeout: Duration = .seconds(300)) async throws -> Output {
        let process = Process()
        let program = arguments[0]
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        return try await run(process, stdin: stdin, timeout: timeout)
    }

    /// Runs a configured but not yet started `process`; its standard streams are set here. `afterLaunch` runs once the
    /// process has started, e.g. to send it a signal.
    public static func run(_ process: Process, stdin: String? = nil, timeout: Duration = .seconds(300),
                           afterLaunch: (@Sendable (Int32) async -> Void)? = nil) async throws -> Output {
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("gander-test-\(UUID().uuidString)")
        let outputFile = capture.appendingPathExtension("stdout")
        let errorFile = capture.appendingPathExtension("stderr")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        let input = Pipe()
        process.standardInput = input
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.finish() }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let pid = process.processIdentifier
        // A hung child must fail the test, not hang the suite.
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        if let afterLaunch { await afterLaunch(pid) }
        for await _ in exited.stream {}
        watchdog.cancel()
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
    }

    /// Starts `process` with its stdout on a pipe and returns the first line it prints (nil if it ends first). The
    /// line is read on a thread of its own, so the parallel suites' few pool threads keep running meanwhile; a
    /// process that says nothing within `timeout` is killed, which ends the read.
    public static func firstLine(of process: Process, within timeout: Duration = .seconds(120)) async throws -> String? {
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let reader = output.fileHandleForReading
        let answered = NSCondition()
        nonisolated(unsafe) var done = false
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var text = ""
                while !text.contains("\n") {
                    let data = reader.availableData
                    if data.isEmpty { break }
                    text += String(decoding: data, as: UTF8.self)
                }
                answered.withLock {
                    done = true
                    answered.signal()
                }
                continuation.resume(returning: text.isEmpty ? nil : text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init))
            }
            Thread.detachNewThread {
                let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds))
                let silent = answered.withLock {
                    while !done, answered.wait(until: deadline) {}
                    return !done
                }
                if silent { kill(process.processIdentifier, SIGKILL) }
            }
        }
    }
}

extension Process {
    /// Ends a helper process for certain and reaps it. Foundation starts children with the test runner's signal
    /// mask, in which SIGTERM may be blocked, so `terminate()` can leave a fixture server running after the tests.
    public func stopForGood() {
        guard isRunning else { return }
        kill(processIdentifier, SIGKILL)
        waitUntilExit()
    }
}
