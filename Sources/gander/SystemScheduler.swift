import Foundation
import GanderHost
import GanderRecipes

/// The system's own scheduler, which fires `gander schedule fire ID` with no Gander process open and after a reboot:
/// a systemd user timer where the user's systemd runs, else the user's crontab. `GANDER_SCHEDULER=systemd|cron`
/// chooses one.
enum SystemScheduler: String {
    case systemd, cron

    /// The scheduler this machine offers, or why none.
    static func available(environment: [String: String]) throws -> SystemScheduler {
        if let chosen = environment["GANDER_SCHEDULER"], !chosen.isEmpty {
            guard let scheduler = SystemScheduler(rawValue: chosen) else {
                throw InputError("GANDER_SCHEDULER must be systemd or cron, not \"\(chosen)\"")
            }
            return scheduler
        }
        if let state = try? Self.capture(["systemctl", "--user", "is-system-running"], environment: environment).output,
           ["running", "degraded"].contains(state.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return .systemd
        }
        if ProcessLauncher.find("crontab", path: environment["PATH"]) != nil { return .cron }
        throw InputError("no scheduler to hand jobs to: the user's systemd is not running and cron is not installed "
            + "(sudo apt-get install cron)")
    }

    /// Checks that `cron` can be said in this scheduler's words; the line or calendar it will use.
    func timing(_ cron: CronExpression) throws -> String {
        switch self {
        case .systemd: try cron.onCalendar()
        case .cron: try cron.crontabFields()
        }
    }

    /// Hands the job to the scheduler: `command` (already absolute) runs at each time `cron` names, with `variables`
    /// set (the directories Gander uses; cron starts jobs with almost no environment).
    func install(id: String, cron: CronExpression, command: [String], variables: [(String, String)],
                 environment: [String: String]) throws {
        switch self {
        case .cron:
            let line = try cron.crontabFields() + " " + (["env"] + variables.map { "\($0)=\($1)" } + command)
                .map(Self.quoted).joined(separator: " ").replacingOccurrences(of: "%", with: "\\%") + " " + Self.marker(id)
            try Self.writeCrontab(Self.crontabLines(environment: environment).filter { !$0.hasSuffix(Self.marker(id)) } + [line],
                                  environment: environment)
        case .systemd:
            let folder = Self.unitFolder(environment: environment)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let service = """
                [Unit]
                Description=Gander schedule \(id)

                [Service]
                Type=oneshot
                \(variables.map { "Environment=\(Self.quoted("\($0)=\($1)"))" }.joined(separator: "\n"))
                ExecStart=\(command.map(Self.quoted).joined(separator: " "))

                """
            let timer = """
                [Unit]
                Description=Gander schedule \(id)

                [Timer]
                OnCalendar=\(try cron.onCalendar())
                Persistent=true

                [Install]
                WantedBy=timers.target

                """
            try Data(service.utf8).write(to: folder.appendingPathComponent("\(Self.unit(id)).service"), options: .atomic)
            try Data(timer.utf8).write(to: folder.appendingPathComponent("\(Self.unit(id)).timer"), options: .atomic)
            try Self.systemctl(["daemon-reload"], environment: environment)
            try Self.systemctl(["enable", "--now", "\(Self.unit(id)).timer"], environment: environment)
        }
    }

    /// Takes the job back from the scheduler; a job that is not there is no error.
    func uninstall(id: String, environment: [String: String]) throws {
        switch self {
        case .cron:
            let lines = try Self.crontabLines(environment: environment)
            let kept = lines.filter { !$0.hasSuffix(Self.marker(id)) }
            if kept.count != lines.count { try Self.writeCrontab(kept, environment: environment) }
        case .systemd:
            _ = try? Self.systemctl(["disable", "--now", "\(Self.unit(id)).timer"], environment: environment)
            let folder = Self.unitFolder(environment: environment)
            for suffix in ["service", "timer"] { try? FileManager.default.removeItem(at: folder.appendingPathComponent("\(Self.unit(id)).\(suffix)")) }
            _ = try? Self.systemctl(["daemon-reload"], environment: environment)
        }
    }

    /// What the scheduler holds for the job: its crontab line, or its timer unit's path.
    func entry(id: String, environment: [String: String]) -> String? {
        switch self {
        case .cron: (try? Self.crontabLines(environment: environment))?.first { $0.hasSuffix(Self.marker(id)) }
        case .systemd: Self.unitFolder(environment: environment).appendingPathComponent("\(Self.unit(id)).timer").path
        }
    }

    // MARK: cron

    private static func marker(_ id: String) -> String { "# gander-schedule:\(id)" }

    private static func crontabLines(environment: [String: String]) throws -> [String] {
        let result = try capture(["crontab", "-l"], environment: environment)
        // "no crontab for USER" is an empty crontab.
        guard result.status == 0 else { return [] }
        return result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    private static func writeCrontab(_ lines: [String], environment: [String: String]) throws {
        let result = try capture(["crontab", "-"], input: lines.joined(separator: "\n") + "\n", environment: environment)
        guard result.status == 0 else { throw InputError("crontab refused the new entry: \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))") }
    }

    // MARK: systemd

    private static func unit(_ id: String) -> String { "gander-schedule-\(id)" }

    private static func unitFolder(environment: [String: String]) -> URL {
        let home = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory())
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) } ?? home.appendingPathComponent(".config")
        return config.appendingPathComponent("systemd/user")
    }

    @discardableResult
    private static func systemctl(_ arguments: [String], environment: [String: String]) throws -> String {
        let result = try capture(["systemctl", "--user"] + arguments, environment: environment)
        guard result.status == 0 else {
            throw InputError("systemctl --user \(arguments.joined(separator: " ")) failed: \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.output
    }

    // MARK: Processes

    /// `text` as one shell word (and one systemd word: both take single quotes literally).
    static func quoted(_ text: String) -> String {
        text.allSatisfy { $0.isLetter || $0.isNumber || "/._-=:,+@".contains($0) } ? text
            : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    private static func capture(_ command: [String], input: String? = nil, environment: [String: String])
        throws -> (status: Int32, output: String, errors: String) {
        guard let program = ProcessLauncher.find(command[0], path: environment["PATH"]) else {
            throw InputError("\(command[0]) is not installed")
        }
        let finished = try ProcessLauncher.runBlocking(program, Array(command.dropFirst()), environment: environment,
                                                       input: input.map { Data($0.utf8) }, timeout: .seconds(60))
        return (finished.status, String(decoding: finished.output, as: UTF8.self), String(decoding: finished.errors, as: UTF8.self))
    }
}
