import Foundation

/// Runs the built `gander` executable the way a user's shell would, and captures what it did.
public struct GanderProcess {
    public typealias Result = ChildCommand.Output

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
        return try await ChildCommand.run(process, stdin: stdin, timeout: timeout, afterLaunch: afterLaunch)
    }
}
