import Foundation
import GanderCore
import GanderTestSupport
import Testing

/// `gander schedule` against the user's real crontab (cron from Debian) and a scripted model server. Each test takes
/// the crontab as it was and puts it back, and only ever adds lines of its own.
@Suite("gander schedule, through the real crontab", .serialized)
struct ScheduleTests {
    /// A world whose configured provider is the scripted server, as a scheduled run finds it: no flags, only files.
    private func world(_ replies: [ScriptedReply]) async throws -> Scenario {
        let scenario = try await Scenario(.openai, replies)
        try scenario.home.write(".config/gander/providers/scripted.yaml", "engine: openai\nbase_url: \(scenario.server.baseURL)\n")
        try scenario.home.write(".config/gander/config.yaml", "provider: scripted\nmodel: scripted-model\n")
        try scenario.workspace.write("hello.yaml", """
            title: Hello
            description: says hello
            prompt: "Say hello to {{ who }}. {% include 'sign-off.txt' %}"
            parameters:
              - key: who
                input_type: string
                requirement: required
                description: whom to greet
            """)
        try scenario.workspace.write("sign-off.txt", "Then stop.")
        return scenario
    }

    private func crontab(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/crontab")
        process.arguments = arguments
        let output = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("add writes a crontab line that runs the copied recipe as cron would; run-now runs it; a run still going makes the next skip; remove takes the line out")
    func cronJob() async throws {
        let scenario = try await world([.text("Hello, Ada!"), .text("Hello again, Ada!"), .text("Something else it is.")])
        defer { Task { await scenario.finish() } }
        let original = try crontab(["-l"])
        defer { _ = try? original.status == 0 ? crontab(["-"], input: original.output) : crontab(["-r"]) }
        let theirs = "17 4 * * * /bin/true # a line of the user's own"
        _ = try crontab(["-"], input: (original.status == 0 ? original.output : "") + theirs + "\n")
        let id = "gander-test-\(UUID().uuidString.prefix(8).lowercased())"
        let environment = ["GANDER_SCHEDULER": "cron"]

        let added = try await scenario.gander(["schedule", "add", "--schedule-id", id, "--cron", "0 3 * * 1-5",
                                               "--recipe-source", "hello.yaml", "--params", "who=Ada"], environment: environment)
        #expect(added.status == 0, "stderr: \(added.stderr)")
        let table = try crontab(["-l"]).output
        let line = try #require(table.split(separator: "\n").first { $0.hasSuffix("# gander-schedule:\(id)") }.map(String.init))
        #expect(line.hasPrefix("0 3 * * 1,2,3,4,5 env "), "\(line)")
        #expect(line.contains("schedule fire \(id)"))
        #expect(table.contains(theirs), "the user's own lines stay")
        #expect(!line.contains("test-key"), "no secret goes into the crontab")

        // Later edits of the recipe do not change the job: it runs its copy.
        _ = try scenario.workspace.write("hello.yaml", """
            title: Changed
            description: changed
            prompt: "Something else for {{ who }}."
            parameters: [{key: who, input_type: string, requirement: required, description: whom}]
            """)
        // The line as cron runs it: sh -c, with next to no environment.
        let command = String(line.split(separator: " ", maxSplits: 5)[5].dropLast("# gander-schedule:\(id)".count))
        let cron = Process()
        cron.executableURL = URL(fileURLWithPath: "/bin/sh")
        cron.arguments = ["-c", command]
        cron.environment = ["PATH": "/usr/bin:/bin", "SHELL": "/bin/sh"]
        cron.currentDirectoryURL = URL(fileURLWithPath: "/")
        cron.standardOutput = FileHandle.nullDevice
        cron.standardError = FileHandle.nullDevice
        try cron.run()
        cron.waitUntilExit()
        #expect(cron.terminationStatus == 0)
        #expect(scenario.server.chatRequests.first?.body?["messages"]?.arrayValue?.last?["content"]?.stringValue
            == "Say hello to Ada. Then stop.", "the copy, with the file it includes from the original's folder")

        let now = try await scenario.gander(["schedule", "run-now", "--id", id])
        #expect(now.status == 0, "stderr: \(now.stderr)")
        #expect(now.stdout == "Hello again, Ada!\n")

        // A run that fires while the last still holds the job's lock is recorded as skipped, not run.
        let lock = open(scenario.home.file(".local/share/gander/schedules/\(id).lock").path, O_RDWR)
        #expect(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
        let skipped = try await scenario.gander(["schedule", "fire", id])
        close(lock)
        #expect(skipped.status == 0)
        #expect(scenario.server.chatRequests.count == 2, "the skipped run asked the model nothing")

        let updated = try await scenario.gander(["schedule", "update", "--id", id], environment: environment)
        #expect(updated.status == 0, "stderr: \(updated.stderr)")
        let again = try await scenario.gander(["schedule", "run-now", "--id", id])
        #expect(again.stdout == "Something else it is.\n", "update took a new copy")
        #expect(scenario.server.chatRequests.last?.body?["messages"]?.arrayValue?.last?["content"]?.stringValue == "Something else for Ada.")

        let sessions = try await scenario.gander(["schedule", "sessions", "--id", id])
        let rows = sessions.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 4, "\(sessions.stdout)")
        #expect(rows.dropFirst().first?.contains("skipped") == true)
        let ran = rows.filter { !$0.contains("skipped") }
        #expect(ran.count == 3 && ran.allSatisfy { $0.contains(" ok") }, "\(sessions.stdout)")
        let recorded = try await scenario.sessions().compactMap { $0["id"]?.stringValue }
        #expect(ran.allSatisfy { row in recorded.contains { row.hasSuffix($0) } }, "each run is a session")

        let list = try await scenario.gander(["schedule", "list"])
        #expect(list.stdout.contains(id) && list.stdout.contains("0 3 * * 1-5") && list.stdout.contains(" ok"), "\(list.stdout)")
        let removed = try await scenario.gander(["schedule", "remove", "--id", id], environment: environment)
        #expect(removed.status == 0, "stderr: \(removed.stderr)")
        let after = try crontab(["-l"]).output
        #expect(!after.contains(id) && after.contains(theirs))
    }

    /// This machine runs no user systemd, so `systemctl` is a stand-in that records what it is asked; the unit files
    /// are the real thing.
    @Test("with a user systemd, add writes a persistent timer and its service and enables it; remove disables and deletes them")
    func systemdTimer() async throws {
        let scenario = try await world([])
        defer { Task { await scenario.finish() } }
        let bin = try scenario.home.write("bin/systemctl", "#!/bin/sh\necho \"$*\" >> \"$HOME/systemctl.log\"\n")
        chmod(bin.path, 0o755)
        let environment = ["GANDER_SCHEDULER": "systemd", "PATH": scenario.home.file("bin").path + ":/usr/bin:/bin"]

        let added = try await scenario.gander(["schedule", "add", "--id", "weekdays", "--cron", "0 9 * * 1-5",
                                               "--recipe", "hello.yaml", "--params", "who=Ada"], environment: environment)
        #expect(added.status == 0, "stderr: \(added.stderr)")
        let timer = try scenario.home.read(".config/systemd/user/gander-schedule-weekdays.timer")
        #expect(timer.contains("OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 09:00:00") && timer.contains("Persistent=true"), "\(timer)")
        let service = try scenario.home.read(".config/systemd/user/gander-schedule-weekdays.service")
        #expect(service.contains("Type=oneshot") && service.contains("schedule fire weekdays"), "\(service)")
        #expect(service.contains("Environment=HOME=\(scenario.home.url.path)") && !service.contains("test-key"), "\(service)")
        #expect(try scenario.home.read("systemctl.log") == "--user daemon-reload\n--user enable --now gander-schedule-weekdays.timer\n")

        let removed = try await scenario.gander(["schedule", "remove", "--id", "weekdays"], environment: environment)
        #expect(removed.status == 0, "stderr: \(removed.stderr)")
        #expect(try scenario.home.read("systemctl.log").contains("--user disable --now gander-schedule-weekdays.timer"))
        #expect(!FileManager.default.fileExists(atPath: scenario.home.file(".config/systemd/user/gander-schedule-weekdays.timer").path))
    }

    @Test("bad schedules, ids, parameters and jobs each get one line saying what to do, and change nothing")
    func badInput() async throws {
        let scenario = try await world([])
        defer { Task { await scenario.finish() } }
        let before = try crontab(["-l"])
        let environment = ["GANDER_SCHEDULER": "cron"]
        func add(_ arguments: [String]) async throws -> GanderProcess.Result {
            try await scenario.gander(["schedule", "add", "--recipe", "hello.yaml"] + arguments, environment: environment)
        }
        let cases: [([String], String)] = [
            (["--id", "x1", "--cron", "61 * * * *", "--params", "who=Ada"], "the minute field \"61\" has 61, outside 0–59"),
            (["--id", "x1", "--cron", "* * *", "--params", "who=Ada"], "cron takes five fields"),
            (["--id", "x1", "--cron", "30 0 9 * * *", "--params", "who=Ada"], "cron runs at whole minutes only"),
            (["--id", "x1", "--cron", "@daily"], "needs --params who="),
            (["--id", "../x", "--cron", "@daily", "--params", "who=Ada"], "--id must be letters, digits"),
        ]
        for (arguments, message) in cases {
            let result = try await add(arguments)
            #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let missing = try await scenario.gander(["schedule", "run-now", "--id", "nothing-here"])
        #expect(missing.status == 1 && missing.stderr.contains("no schedule with the id nothing-here"), "\(missing.stderr)")
        let bogus = try await scenario.gander(["schedule", "add", "--recipe", "hello.yaml", "--id", "x1", "--cron", "@daily",
                                               "--params", "who=Ada"], environment: ["GANDER_SCHEDULER": "at"])
        #expect(bogus.status != 0 && bogus.stderr.contains("GANDER_SCHEDULER must be systemd or cron"), "\(bogus.stderr)")
        #expect(try crontab(["-l"]).output == before.output, "nothing was written to the crontab")
        let listed = try await scenario.gander(["schedule", "list"])
        #expect(listed.stdout.hasPrefix("No scheduled jobs."), "\(listed.stdout)")
    }
}
