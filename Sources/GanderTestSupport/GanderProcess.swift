import Foundation

/// Runs the built `gander` executable the way a user's shell would, and captures what it did.
public struct GanderProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        /// The process was killed by the test's watchdog.
        public var hung: Bool { status == SIGKILL }

        /// stderr's non-empty lines.
        public var stderrLines: [String] {
            stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
    }

    /// The executable beside the test bundle, as SwiftPM lays out its build folder.
    public static var executable: URL {
        if let override = ProcessInfo.processInfo.environment["GANDER_BINARY"] { return URL(fileURLWithPath: override) }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("gander")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent("gander")
    }

    /// The environment tests run Gander in: no provider keys from the developer's shell, a private HOME.
    public static func isolatedEnvironment(home: URL, extra: [String: String] = [:]) -> [String: String] {
        var environment: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home.path,
            "XDG_CONFIG_HOME": home.appendingPathComponent(".config").path,
            "TMPDIR": home.appendingPathComponent("tmp").path,
            "LANG": "C.UTF-8",
        ]
        try? FileManager.default.createDirectory(at: home.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Runs `gander` with `arguments` in `directory`, feeding `stdin`, and waits for it to exit.
    /// `afterLaunch` runs once the process has started, e.g. to send it a signal.
    public static func run(_ arguments: [String], in directory: URL, environment: [String: String],
                           stdin: String? = nil, timeout: Duration = .seconds(120), afterLaunch: (@Sendable (Int32) async -> Void)? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
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
        // A hung Gander must fail the test, not hang the suite.
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        if let afterLaunch { await afterLaunch(pid) }
        for await _ in exited.stream {}
        watchdog.cancel()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
    }
}
