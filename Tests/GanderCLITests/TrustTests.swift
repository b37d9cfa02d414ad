import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("trust: the ledger, protected files, redaction and --offline")
struct TrustTests {
    @Test("the ledger records each request with the bytes the server received, and the files viewed in it")
    func ledgerMatchesTheServer() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(editor(["command": "view", "path": "notes.txt"])),
            .tools(shell("echo listed")),
            .text("done"),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("notes.txt", "line one\nline two\n")
        try scenario.workspace.write("untouched.txt", "never viewed\n")
        let result = try await scenario.run(["-t", "read the notes"])
        #expect(result.status == 0, "stderr: \(result.stderr)")

        let audit = try await scenario.gander(["audit", "--format", "json"])
        #expect(audit.status == 0, "stderr: \(audit.stderr)")
        let rows = try JSONValue(parsing: audit.stdout).arrayValue ?? []
        let received = scenario.server.chatRequests.map(\.rawBody.utf8.count)
        #expect(rows.count == 3)
        // Newest first in the ledger, oldest first at the server.
        #expect(rows.reversed().map { $0["bytes_sent"]?.intValue ?? -1 } == received)
        #expect(rows.allSatisfy { $0["destination"]?.stringValue == "127.0.0.1:\(scenario.server.port)" })
        #expect(rows.allSatisfy { ($0["bytes_received"]?.intValue ?? 0) > 0 })
        let carried = rows.flatMap { $0["files"]?.arrayValue ?? [] }.compactMap { $0["path"]?.stringValue }
        #expect(carried.count == 1 && carried[0].hasSuffix("/notes.txt"), "files: \(carried)")
        let span = rows.flatMap { $0["files"]?.arrayValue ?? [] }.first
        #expect(span?["start"]?.intValue == 0 && span?["end"]?.intValue == 18)

        let found = try await scenario.gander(["audit", "--file", "notes.txt"])
        #expect(found.stdout.contains("was sent in 1 request, to 127.0.0.1:\(scenario.server.port)"), "\(found.stdout)")
        let never = try await scenario.gander(["audit", "--file", "untouched.txt"])
        #expect(never.stdout.contains("was never sent off this machine"), "\(never.stdout)")
    }

    @Test("protected files cannot be viewed, searched, listed or named in a command, and never reach the server")
    func protectedFiles() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(editor(["command": "view", "path": ".env"]), editor(["command": "view", "path": "link-to-env"]),
                   ScriptedToolCall("developer__search", #"{"pattern":"BEGIN","mode":"grep"}"#),
                   editor(["command": "view", "path": "."]), shell("cat .env"),
                   editor(["command": "view", "path": ".env.example"])),
            .text("done"),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write(".env", "DATABASE_PASSWORD=hunter2-very-secret\n")
        try scenario.workspace.write(".env.example", "DATABASE_PASSWORD=\n")
        try scenario.workspace.write("server.pem", "-----BEGIN CERTIFICATE-----\nnot a secret but protected\n")
        try scenario.workspace.write("readme.md", "BEGIN here\n")
        try scenario.workspace.write(".ganderignore", "!.env.example\n")
        try FileManager.default.createSymbolicLink(atPath: scenario.workspace.url.appendingPathComponent("link-to-env").path,
                                                   withDestinationPath: ".env")
        let result = try await scenario.run(["-t", "look around"])
        #expect(result.status == 0, "stderr: \(result.stderr)")

        let results = scenario.toolResultsSent(inRequest: 1).map(\.text)
        #expect(results[0].contains("is protected by the rule \".env\" in Gander's defaults"), "\(results[0])")
        #expect(results[1].contains("where") && results[1].contains("is protected"), "\(results[1])")
        #expect(results[2].contains("readme.md") && !results[2].contains("server.pem"))
        #expect(results[2].contains("protected entry was left out"), "\(results[2])")
        #expect(!results[3].contains("server.pem") && results[3].contains("readme.md"), "\(results[3])")
        #expect(results[4].contains("Not run: the command names a protected file"), "\(results[4])")
        #expect(results[5].contains("DATABASE_PASSWORD="), "the ! rule lets .env.example through: \(results[5])")
        #expect(!scenario.server.requests.contains { $0.rawBody.contains("hunter2-very-secret") })

        // The ledger knows the file that went and that the protected one never did.
        let sent = try await scenario.gander(["audit", "--file", ".env.example"])
        #expect(sent.stdout.contains("was sent in 1 request"), "\(sent.stdout)")
        let kept = try await scenario.gander(["audit", "--file", ".env"])
        #expect(kept.stdout.contains("was never sent off this machine"), "\(kept.stdout)")
    }

    /// Secrets of each kind the redactor knows, as they sit in a project's files.
    static let planted: [(kind: String, line: String, secret: String)] = [
        ("openai", "client = OpenAI(api_key=\"sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB\")", "sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB"),
        ("anthropic", "ANTHROPIC=sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg", "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg"),
        ("aws", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ("github", "token: ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        ("url", "DATABASE_URL=postgres://admin:Tr0ub4dor-and-3@db.internal:5432/app", "Tr0ub4dor-and-3"),
        ("query", "curl https://api.example.com/v1/items?access_token=9f8e7d6c5b4a39281706&page=2", "9f8e7d6c5b4a39281706"),
        ("env", "STRIPE_SECRET=rk_live_51HqLyjWDarjtT1zdp7dc", "rk_live_51HqLyjWDarjtT1zdp7dc"),
        ("google", "const key = \"AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW\";", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"),
    ]

    @Test("planted secrets never reach the server, and a call that uses a placeholder writes the real value")
    func redaction() async throws {
        let privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----"
        let scenario = try await Scenario(.openai, [
            .tools(editor(["command": "view", "path": "config.txt"])),
            // The first secret in the file is the first placeholder the redactor hands out.
            .tools(editor(["command": "create", "path": "copy.txt", "file_text": "key=«secret:1»\n"])),
            .text("copied «secret:1»"),
        ])
        defer { Task { await scenario.finish() } }
        let text = Self.planted.map(\.line).joined(separator: "\n") + "\n" + privateKey + "\n"
        try scenario.workspace.write("config.txt", text)
        let result = try await scenario.run(["-t", "copy the key"])
        #expect(result.status == 0, "stderr: \(result.stderr)")

        let sent = scenario.server.requests.map(\.rawBody).joined(separator: "\n")
        for planted in Self.planted {
            #expect(!sent.contains(planted.secret), "the \(planted.kind) secret reached the server")
        }
        #expect(!sent.contains("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"), "the private key reached the server")
        #expect(sent.contains("«secret:1»"))
        let copy = try String(contentsOf: scenario.workspace.url.appendingPathComponent("copy.txt"), encoding: .utf8)
        #expect(copy == "key=\(Self.planted[0].secret)\n")
        #expect(result.stdout.contains("copied \(Self.planted[0].secret)"), "the answer is shown with the real value")

        let audit = try await scenario.gander(["audit", "--format", "json"])
        let redactions = (try JSONValue(parsing: audit.stdout).arrayValue ?? []).compactMap { $0["redactions"] }
        #expect(redactions.contains { ($0["private_key"]?.intValue ?? 0) == 1 && ($0["aws_access_key_id"]?.intValue ?? 0) == 1 },
                "\(redactions)")
        #expect(!audit.stdout.contains(Self.planted[0].secret), "the ledger never holds a value")
    }

    @Test("redact: off in config.yaml sends the file as it is")
    func redactionOff() async throws {
        let scenario = try await Scenario(.openai, [.tools(editor(["command": "view", "path": "config.txt"])), .text("ok")])
        defer { Task { await scenario.finish() } }
        try scenario.home.write(".config/gander/config.yaml", "redact: off\n")
        try scenario.workspace.write("config.txt", Self.planted[0].line + "\n")
        let result = try await scenario.run(["-t", "read it"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(scenario.server.requests.contains { $0.rawBody.contains(Self.planted[0].secret) })
    }

    @Test("--offline refuses the first request to a provider and says which one; nothing reaches the server")
    func offline() async throws {
        let scenario = try await Scenario(.openai, [.text("never")])
        defer { Task { await scenario.finish() } }
        let result = try await scenario.run(["--offline", "-t", "hi"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("refused to send a request to openai at \(scenario.server.baseURL)"), "\(result.stderr)")
        #expect(result.stderr.contains("--offline"))
        #expect(scenario.server.requests.isEmpty)
    }
}

@Suite("the command sandbox and the rules for commands", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap")))
struct SandboxTests {
    /// A place outside the workspace and the temporary directories, where only the user's own rights let one write.
    static let outside = OutsideTheFence.path("gander-sandbox-probe")

    @Test("workspace-write refuses writes outside and reads of ~/.ssh; writing inside the workspace works")
    func workspaceWrite() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(shell("echo made > inside.txt && cat inside.txt")),
            .tools(shell("touch \(Self.outside.path)")),
            .tools(shell("cat \"$HOME/.ssh/id_rsa\"")),
            .text("done"),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.home.write(".ssh/id_rsa", "PRIVATE-KEY-MATERIAL\n")
        let result = try await scenario.run(["-t", "try the fence"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let results = (1...3).map { scenario.toolResultsSent(inRequest: $0).last?.text ?? "" }
        #expect(results[0].contains("exit code: 0") && results[0].contains("made"), "\(results[0])")
        #expect(FileManager.default.fileExists(atPath: scenario.workspace.url.appendingPathComponent("inside.txt").path))
        #expect(results[1].contains("Read-only file system") && results[1].contains("sandbox (workspace-write) refused writing outside"),
                "\(results[1])")
        #expect(!FileManager.default.fileExists(atPath: Self.outside.path))
        #expect(!results[2].contains("PRIVATE-KEY-MATERIAL") && results[2].contains("exit code: 1"), "\(results[2])")
    }

    @Test("the sandbox keeps the network off: a connection to a listening loopback port fails, and --sandbox-network allows it")
    func network() async throws {
        for allowed in [false, true] {
            let listener = try await ScriptedModelServer(format: .openai, replies: [])
            let scenario = try await Scenario(.openai, [
                .tools(shell("exec 3<>/dev/tcp/127.0.0.1/\(listener.port) && echo connected")), .text("done"),
            ])
            let result = try await scenario.run((allowed ? ["--sandbox-network"] : []) + ["-t", "connect"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let output = scenario.toolResultsSent(inRequest: 1).last?.text ?? ""
            #expect(output.contains("connected") == allowed, "network allowed: \(allowed): \(output)")
            await listener.shutdown()
            await scenario.finish()
        }
    }

    @Test("read-only refuses writes in the workspace too, and says so")
    func readOnly() async throws {
        let scenario = try await Scenario(.openai, [.tools(shell("echo x > inside.txt")), .text("done")])
        defer { Task { await scenario.finish() } }
        let result = try await scenario.run(["--sandbox", "read-only", "-t", "write here"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let output = scenario.toolResultsSent(inRequest: 1).last?.text ?? ""
        #expect(output.contains("sandbox (read-only) refused writing anywhere"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: scenario.workspace.file("inside.txt").path))
    }

    @Test("--sandbox off lets a command write outside the workspace")
    func off() async throws {
        let outside = Self.outside.appendingPathExtension("off")
        let scenario = try await Scenario(.openai, [.tools(shell("touch \(outside.path)")), .text("done")])
        defer {
            try? FileManager.default.removeItem(at: outside)
            Task { await scenario.finish() }
        }
        let result = try await scenario.run(["--sandbox", "off", "-t", "write outside"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: outside.path))
    }

    @Test("commands: deny refuses in auto mode, ask refuses headless, allow runs in smart mode without asking")
    func commandRules() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(shell("echo start && rm -rf build"), shell("git push origin main"), shell("echo allowed")),
            .text("done"),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.home.write(".config/gander/config.yaml", """
            commands:
              allow: ["echo *"]
              ask: ["git push*"]
              deny: ["rm -rf *"]
            """)
        let result = try await scenario.run(["--mode", "smart", "-t", "go"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let results = scenario.toolResultsSent(inRequest: 1).map(\.text)
        #expect(results[0].contains("denies commands matching \"rm -rf *\" (`rm -rf build`)"), "\(results[0])")
        #expect(results[1].contains("asks before commands matching \"git push*\""), "\(results[1])")
        #expect(results[2].contains("allowed") && results[2].contains("exit code: 0"), "\(results[2])")
    }

    @Test("a malformed commands: or sandbox: is one clear line and exit 1")
    func badConfig() async throws {
        for (config, expected) in [("commands:\n  allow: git status\n", "commands must be a mapping"),
                                   ("sandbox: sometimes\n", "sandbox must be one of workspace-write, read-only, off")] {
            let scenario = try await Scenario(.openai, [.text("never")])
            try scenario.home.write(".config/gander/config.yaml", config)
            let result = try await scenario.run(["-t", "hi"])
            #expect(result.status == 1)
            #expect(result.stderrLines.count == 1 && result.stderr.contains(expected), "\(result.stderr)")
            await scenario.finish()
        }
    }
}
