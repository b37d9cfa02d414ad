import Foundation
import GanderCore
import GanderHost
import GanderRecipes
import GanderStore

/// What `gander schedule` works with: the jobs in the session database, their recipe copies and locks beside it,
/// and the runs they make.
struct Schedules {
    let environment = ProcessInfo.processInfo.environment
    let store: SessionStore
    /// Recipe copies and run locks.
    let folder: URL

    init() throws {
        let directories = GanderDirectories(environment: environment)
        store = try SessionStore(url: directories.sessionDatabase)
        folder = directories.data.appendingPathComponent("schedules")
    }

    /// Checks the recipe with `values` as a headless run would (every required parameter given) and copies it beside
    /// the database: the job runs the copy. Returns the copy and the original's folder.
    func copy(_ reference: String, values: [String: String], id: String,
              from workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws -> (copy: URL, directory: String?) {
        let file = try RecipeLibrary(workingDirectory: workingDirectory, environment: environment).locate(reference)
        _ = try RecipeLoader().load(file, given: values, workingDirectory: workingDirectory, ask: nil)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let copy = folder.appendingPathComponent("\(id).\(file.url?.pathExtension.lowercased() == "json" ? "json" : "yaml")")
        try Data(file.text.utf8).write(to: copy, options: .atomic)
        return (copy, file.directory?.path)
    }

    /// Hands `job` to its scheduler: `gander schedule fire ID`, with the variables that say where Gander keeps its
    /// files and the PATH the job was added with (cron starts jobs with almost none), never a secret.
    func install(_ job: ScheduledJob) throws {
        guard let scheduler = SystemScheduler(rawValue: job.scheduler) else { throw InputError("\(job.id) names no known scheduler") }
        let kept = ["HOME", "PATH", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "GANDER_DATA_DIR", "GANDER_RUNTIME_DIR"]
        let variables = kept.compactMap { name in environment[name].flatMap { $0.isEmpty ? nil : (name, $0) } }
        try scheduler.install(id: job.id, cron: try CronExpression(job.cron), command: [Self.executable, "schedule", "fire", job.id],
                              variables: variables, environment: environment)
    }

    /// Runs `job` once as a headless `gander run --recipe` in its directory, unless its last run is still going
    /// (then the run is recorded as skipped). Returns the exit status; `showing` prints the answer or the error.
    func fire(_ job: ScheduledJob, showing: Bool) -> Int32 {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let lock = open(folder.appendingPathComponent("\(job.id).lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard lock >= 0 else { throw InputError("cannot open the lock of \(job.id): \(String(cString: strerror(errno)))") }
            // Held until this process ends, whatever way it ends.
            guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                _ = try store.startRun(of: job.id, note: "skipped: the previous run was still going", finished: true)
                if showing { FileHandle.standardError.write(Data("gander: \(job.id) is running already; skipped\n".utf8)) }
                return ExitStatus.success
            }
            let number = try store.startRun(of: job.id)
            let (status, session, answer, error) = run(job)
            try store.finishRun(number, exitStatus: status, sessionID: session, note: status == 0 ? nil : error)
            if showing {
                if status == 0 { print(answer) } else { FileHandle.standardError.write(Data("gander: \(job.id): \(error ?? "failed")\n".utf8)) }
            }
            return status
        } catch {
            FileHandle.standardError.write(Data("gander: \(error)\n".utf8))
            return ExitStatus.failure
        }
    }

    private func run(_ job: ScheduledJob) -> (status: Int32, session: String?, answer: String, error: String?) {
        guard FileManager.default.fileExists(atPath: job.workingDirectory) else {
            return (ExitStatus.failure, nil, "", "its directory \(job.workingDirectory) is gone")
        }
        // The copy finds what its original names by relative path (sub-recipes, includes) where the original is.
        let directory = job.recipeDirectory.map { ["--recipe-directory", $0] } ?? []
        let arguments = ["run", "--recipe", job.recipeCopy] + directory
            + job.params.keys.sorted().flatMap { ["--params", "\($0)=\(job.params[$0]!)"] } + ["--output-format", "json"]
        let finished: ProcessLauncher.Finished
        do {
            finished = try ProcessLauncher.runBlocking(Self.executable, arguments, directory: URL(fileURLWithPath: job.workingDirectory))
        } catch {
            return (ExitStatus.failure, nil, "", "gander could not start: \(error)")
        }
        let stderr = String(decoding: finished.errors, as: UTF8.self)
        let outputData = finished.output
        let summary = try? JSONValue(parsing: outputData)
        let lastError = stderr.split(separator: "\n").last.map { String($0).replacingOccurrences(of: "gander: ", with: "") }
        return (finished.status, summary?["session_id"]?.stringValue, summary?["final_text"]?.stringValue ?? "",
                summary?["error"]?.stringValue ?? lastError)
    }

    /// This program's own path, for the scheduler to run.
    static var executable: String { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// How a run ended, in a few words.
    static func describe(_ run: ScheduledRun) -> String {
        guard let finished = run.finishedAt, let status = run.exitStatus else { return "\(time(run.startedAt)) running" }
        if let note = run.note, note.hasPrefix("skipped") { return "\(time(finished)) \(note)" }
        return "\(time(finished)) " + (status == 0 ? "ok" : "exit \(status)" + (run.note.map { ": \($0)" } ?? ""))
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $0.offset == row.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
