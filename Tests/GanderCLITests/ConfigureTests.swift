import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("gander configure", .serialized)
struct ConfigureTests {
    static let key = "sk-configure-0123456789abcdef"

    /// Everything the key must never be found in: config.yaml, the session database, logs, exports.
    private func files(in home: TemporaryDirectory) -> [URL] {
        let enumerator = FileManager.default.enumerator(at: home.url, includingPropertiesForKeys: nil)
        return (enumerator?.allObjects as? [URL] ?? []).filter { !$0.hasDirectoryPath && $0.lastPathComponent != "secrets.yaml" }
    }

    @Test("driven under tmux: provider, hidden key, a model from the server's list, mode; the key lands 0600 only there")
    func interactive() async throws {
        let scenario = try await Scenario(.openai, [.text("OK"), .text("configured and working")])
        defer { Task { await scenario.finish() } }
        var environment = scenario.environment
        environment["OPENAI_API_KEY"] = ""
        environment["OPENAI_BASE_URL"] = scenario.server.baseURL
        environment["TERM"] = "xterm-256color"
        let terminal = try TmuxSession(["\(GanderProcess.executable.path)", "configure"], in: scenario.workspace.url,
                                       environment: environment)
        defer { terminal.close() }

        #expect(await terminal.waitFor("Choose a number or a name"), "\(terminal.screen())")
        try terminal.enter("openai")
        #expect(await terminal.waitFor("OPENAI_API_KEY (typing is hidden"), "\(terminal.screen())")
        try terminal.enter(Self.key)
        #expect(await terminal.waitFor("2. scripted-small"), "the server's models are listed: \(terminal.screen())")
        #expect(!terminal.screen().contains(Self.key), "the key is never shown")
        try terminal.enter("2")
        #expect(await terminal.waitFor("Mode of sessions"))
        try terminal.enter("auto")
        #expect(await terminal.waitFor("Add an MCP server?"))
        try terminal.enter("")
        #expect(await terminal.waitFor("✓ openai answered"), "\(terminal.screen())")
        #expect(await terminal.waitForExit())

        let secrets = scenario.home.file(".config/gander/secrets.yaml")
        let mode = try FileManager.default.attributesOfItem(atPath: secrets.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(try String(contentsOf: secrets, encoding: .utf8).contains("OPENAI_API_KEY: \(Self.key)"))
        let config = try String(contentsOf: scenario.home.file(".config/gander/config.yaml"), encoding: .utf8)
        #expect(config.contains("provider: openai") && config.contains("model: scripted-small") && config.contains("mode: auto"))
        #expect(scenario.server.chatRequests.first?.headers["authorization"] == "Bearer \(Self.key)", "checked before saving")

        // A run with no key in the environment uses the saved one, and the key is found nowhere else.
        let run = try await scenario.gander(["run", "-t", "hi"],
                                            environment: ["OPENAI_API_KEY": "", "OPENAI_BASE_URL": scenario.server.baseURL])
        #expect(run.status == 0 && run.stdout == "configured and working\n", "stderr: \(run.stderr)")
        #expect(scenario.server.chatRequests.last?.headers["authorization"] == "Bearer \(Self.key)")
        _ = try await scenario.gander(["sessions", "export", try #require(try await scenario.sessions().first?["id"]?.stringValue),
                                       "--format", "json", "-o", scenario.home.file("export.json").path])
        for file in files(in: scenario.home) {
            let data = (try? Data(contentsOf: file)) ?? Data()
            #expect(data.range(of: Data(Self.key.utf8)) == nil, "the key leaked into \(file.path)")
        }
    }

    @Test("headless: the key piped on stdin; a provider that does not answer saves nothing; bad input is one line")
    func headless() async throws {
        let scenario = try await Scenario(.openai, [.text("OK"), .text("OK"),
                                                    .status(401, body: #"{"error":{"message":"Incorrect API key provided"}}"#)])
        defer { Task { await scenario.finish() } }
        let environment = ["OPENAI_API_KEY": "", "OPENAI_BASE_URL": scenario.server.baseURL]

        let saved = try await GanderProcess.run(["configure", "--provider", "openai", "--model", "scripted-large"],
                                                in: scenario.workspace.url,
                                                environment: scenario.environment.merging(environment) { $1 },
                                                stdin: Self.key + "\n")
        #expect(saved.status == 0, "stderr: \(saved.stderr)")
        #expect(saved.stdout.contains("✓ openai answered; saved provider openai, model scripted-large"))
        let secrets = scenario.home.file(".config/gander/secrets.yaml")
        #expect(try String(contentsOf: secrets, encoding: .utf8).contains(Self.key))

        let info = try await scenario.gander(["info", "--check"],
                                             environment: environment.merging(["ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": ""]) { $1 })
        #expect(info.status == 0, "stderr: \(info.stderr)")
        #expect(info.stdout.contains("providers:     openai (OPENAI_API_KEY from secrets.yaml)"), "\(info.stdout)")
        #expect(info.stdout.contains("check openai/scripted-large: ✓ answers"), "\(info.stdout)")
        #expect(!info.stdout.contains(Self.key))

        try FileManager.default.removeItem(at: secrets)
        let refused = try await GanderProcess.run(["configure", "--provider", "openai"], in: scenario.workspace.url,
                                                  environment: scenario.environment.merging(environment) { $1 },
                                                  stdin: "sk-wrong\n")
        #expect(refused.status == 1 && refused.stderrLines.count == 1)
        #expect(refused.stderr.contains("openai did not answer, so nothing was saved: openai returned HTTP 401"))
        #expect(!FileManager.default.fileExists(atPath: secrets.path))

        let noProvider = try await GanderProcess.run(["configure"], in: scenario.workspace.url,
                                                     environment: scenario.environment, stdin: "")
        #expect(noProvider.status == 2 && noProvider.stderr.contains("give --provider"))
    }
    @Test("with a Secret Service on the session bus the key goes to the keyring, is used from there, and moves back on request")
    func keyring() async throws {
        let keyring = try await SecretServiceSession()
        defer { keyring.close() }
        let scenario = try await Scenario(.openai, [.text("OK"), .text("from the keyring"), .text("OK"), .text("OK")])
        defer { Task { await scenario.finish() } }
        let environment = keyring.environment.merging(["OPENAI_API_KEY": "", "OPENAI_BASE_URL": scenario.server.baseURL]) { $1 }
        let secrets = scenario.home.file(".config/gander/secrets.yaml")
        let index = scenario.home.file(".config/gander/keyring.yaml")

        let saved = try await GanderProcess.run(["configure", "--provider", "openai", "--model", "scripted-large"],
                                                in: scenario.workspace.url,
                                                environment: scenario.environment.merging(environment) { $1 },
                                                stdin: Self.key + "\n")
        #expect(saved.status == 0, "stderr: \(saved.stderr)")
        #expect(saved.stdout.contains("; OPENAI_API_KEY in the system keyring (Secret Service)"), "\(saved.stdout)")
        #expect(!FileManager.default.fileExists(atPath: secrets.path))
        #expect(try String(contentsOf: index, encoding: .utf8) == "- OPENAI_API_KEY\n")
        #expect(try await keyring.lookup("OPENAI_API_KEY") == Self.key)

        let info = try await scenario.gander(["info"], environment: environment.merging(["ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": ""]) { $1 })
        #expect(info.stdout.contains("openai (OPENAI_API_KEY from the system keyring (Secret Service))"), "\(info.stdout)")
        let run = try await scenario.gander(["run", "-t", "hi"], environment: environment)
        #expect(run.status == 0 && run.stdout == "from the keyring\n", "stderr: \(run.stderr)")
        #expect(scenario.server.chatRequests.last?.headers["authorization"] == "Bearer \(Self.key)")
        for file in files(in: scenario.home) {
            let data = (try? Data(contentsOf: file)) ?? Data()
            #expect(data.range(of: Data(Self.key.utf8)) == nil, "the key leaked into \(file.path)")
        }

        // Without the session bus the saved key cannot be asked for: one line says so and what to do.
        let noBus = try await scenario.gander(["info"], environment: ["OPENAI_API_KEY": "", "DBUS_SESSION_BUS_ADDRESS": ""])
        #expect(noBus.stderrLines == ["gander: OPENAI_API_KEY is saved in the system keyring (Secret Service), which could not be asked: "
                                      + "no Secret Service is reachable (secret-tool and a D-Bus session are needed); unlock it, or export OPENAI_API_KEY"],
                "\(noBus.stderr)")

        // --key-store file moves it to secrets.yaml and out of the keyring.
        let moved = try await GanderProcess.run(["configure", "--provider", "openai", "--model", "scripted-large", "--key-store", "file"],
                                                in: scenario.workspace.url,
                                                environment: scenario.environment.merging(environment) { $1 },
                                                stdin: Self.key + "\n")
        #expect(moved.status == 0, "stderr: \(moved.stderr)")
        #expect(try String(contentsOf: secrets, encoding: .utf8).contains(Self.key))
        #expect(!FileManager.default.fileExists(atPath: index.path))
        #expect(try await keyring.lookup("OPENAI_API_KEY") == nil)

        // --key-store keyring with no keyring to reach changes nothing.
        let refused = try await GanderProcess.run(["configure", "--provider", "openai", "--key-store", "keyring"],
                                                  in: scenario.workspace.url,
                                                  environment: scenario.environment.merging(["OPENAI_BASE_URL": scenario.server.baseURL]) { $1 },
                                                  stdin: "sk-other\n")
        #expect(refused.status == 1 && refused.stderrLines.count == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("OPENAI_API_KEY could not be saved in the system keyring (Secret Service), so nothing was saved"))
        #expect(!(try String(contentsOf: secrets, encoding: .utf8)).contains("sk-other"))
    }
}

/// A D-Bus session bus with GNOME Keyring's Secret Service on it, as a desktop session has, with an unlocked login
/// keyring in a home of its own (an empty password leaves that keyring's file unencrypted, so it is kept apart from
/// the home whose files the test searches for the key). Both daemons run in the foreground as children of the test:
/// a daemon that forks keeps Foundation's exit watch open and its start would never seem to end.
private final class SecretServiceSession: Sendable {
    let environment: [String: String]
    private let base: [String: String]
    private let daemons: [Process]
    private let home: TemporaryDirectory
    private let runtime: TemporaryDirectory

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    init() async throws {
        home = try TemporaryDirectory(prefix: "gander-keyring-home")
        runtime = try TemporaryDirectory(prefix: "gander-keyring-run")
        let address = "unix:path=\(runtime.path)/bus"
        environment = ["DBUS_SESSION_BUS_ADDRESS": address, "XDG_RUNTIME_DIR": runtime.path]
        base = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home.path]
            .merging(environment) { $1 }

        let bus = Self.daemon(["dbus-daemon", "--session", "--nofork", "--address=\(address)"], environment: base)
        try bus.run()
        let keyring = Self.daemon(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"], environment: base)
        let password = Pipe()
        keyring.standardInput = password
        daemons = [bus, keyring]
        try await Self.waitFor("the session bus") { FileManager.default.fileExists(atPath: "\(self.runtime.path)/bus") }
        try keyring.run()
        // --unlock reads the login keyring's password, a line: an empty one.
        try password.fileHandleForWriting.write(contentsOf: Data("\n".utf8))
        try password.fileHandleForWriting.close()
        let probe = ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                     "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"]
        try await Self.waitFor("GNOME Keyring on the bus") { [base] in
            (try? await ChildCommand.run(probe, environment: base, timeout: .seconds(30)))?.stdout.contains("boolean true") == true
        }
    }

    private static func daemon(_ arguments: [String], environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return process
    }

    private static func waitFor(_ what: String, _ ready: @Sendable () async -> Bool) async throws {
        for _ in 0..<600 {
            if await ready() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure("\(what) was not up within a minute")
    }

    /// What the keyring holds for Gander under `variable`, asked with secret-tool as a user would.
    func lookup(_ variable: String) async throws -> String? {
        let found = try await ChildCommand.run(["secret-tool", "lookup", "application", "gander", "variable", variable],
                                               environment: base, timeout: .seconds(60))
        return found.status == 0 ? found.stdout : nil
    }

    func close() {
        for daemon in daemons.reversed() { daemon.stopForGood() }
        home.remove()
        runtime.remove()
    }
}
