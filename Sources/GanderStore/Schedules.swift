import Foundation
import GRDB

/// A recipe the system's scheduler runs (`gander schedule add`).
public struct ScheduledJob: Sendable, Equatable {
    public let id: String
    public var cron: String
    /// Where the recipe came from, as the user named it.
    public let recipeSource: String
    /// The copy that runs.
    public var recipeCopy: String
    /// The original's folder, where the copy finds the files it names by relative path; nil for a deeplink's.
    public var recipeDirectory: String?
    public let params: [String: String]
    public let workingDirectory: String
    /// `systemd` or `cron`: which scheduler fires it.
    public let scheduler: String
    public let createdAt: Date

    public init(id: String, cron: String, recipeSource: String, recipeCopy: String, recipeDirectory: String?,
                params: [String: String], workingDirectory: String, scheduler: String, createdAt: Date = Date()) {
        self.id = id
        self.cron = cron
        self.recipeSource = recipeSource
        self.recipeCopy = recipeCopy
        self.recipeDirectory = recipeDirectory
        self.params = params
        self.workingDirectory = workingDirectory
        self.scheduler = scheduler
        self.createdAt = createdAt
    }
}

/// One firing of a schedule.
public struct ScheduledRun: Sendable, Equatable {
    public let number: Int64
    public let startedAt: Date
    public let finishedAt: Date?
    public let exitStatus: Int?
    public let sessionID: String?
    /// Why it ended as it did, when that is not the exit status alone ("skipped: …", the error's last line).
    public let note: String?
}

extension SessionStore {
    // MARK: Schedules

    public func addSchedule(_ job: ScheduledJob) throws {
        let params = String(decoding: try JSONEncoder().encode(job.params), as: UTF8.self)
        do {
            try database.write { db in
                try db.execute(sql: """
                    INSERT INTO schedule (id, cron, recipe_source, recipe_copy, recipe_directory, params, working_directory, scheduler,
                        created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [job.id, job.cron, job.recipeSource, job.recipeCopy, job.recipeDirectory, params, job.workingDirectory,
                                     job.scheduler, job.createdAt.timeIntervalSince1970])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError.duplicate("a schedule with the id \(job.id) exists; remove it first, or update it")
        }
    }

    public func schedules() throws -> [ScheduledJob] {
        try database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM schedule ORDER BY id").map(Self.job) }
    }

    public func schedule(_ id: String) throws -> ScheduledJob {
        guard let job = try database.read({ db in try Row.fetchOne(db, sql: "SELECT * FROM schedule WHERE id = ?", arguments: [id]) })
        else { throw StoreError.notFound("no schedule with the id \(id); `gander schedule list` shows them") }
        return Self.job(job)
    }

    public func updateSchedule(_ job: ScheduledJob) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE schedule SET cron = ?, recipe_copy = ?, recipe_directory = ? WHERE id = ?",
                           arguments: [job.cron, job.recipeCopy, job.recipeDirectory, job.id])
        }
    }

    public func removeSchedule(_ id: String) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM schedule WHERE id = ?", arguments: [id]) }
    }

    /// Records that a schedule fired; returns the run's number, for `finishRun`.
    public func startRun(of id: String, note: String? = nil, finished: Bool = false) throws -> Int64 {
        try database.write { db in
            let now = Date().timeIntervalSince1970
            try db.execute(sql: "INSERT INTO schedule_run (schedule_id, started_at, finished_at, exit_status, note) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, now, finished ? now : nil, finished ? 0 : nil, note])
            return db.lastInsertedRowID
        }
    }

    public func finishRun(_ number: Int64, exitStatus: Int32, sessionID: String?, note: String?) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE schedule_run SET finished_at = ?, exit_status = ?, session_id = ?, note = ? WHERE id = ?",
                           arguments: [Date().timeIntervalSince1970, Int(exitStatus), sessionID, note, number])
        }
    }

    /// A schedule's runs, newest first.
    public func runs(of id: String, limit: Int = 50) throws -> [ScheduledRun] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM schedule_run WHERE schedule_id = ? ORDER BY started_at DESC, id DESC LIMIT ?",
                             arguments: [id, limit]).map { row in
                ScheduledRun(number: row["id"], startedAt: Date(timeIntervalSince1970: row["started_at"]),
                             finishedAt: (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                             exitStatus: row["exit_status"], sessionID: row["session_id"], note: row["note"])
            }
        }
    }

    private static func job(_ row: Row) -> ScheduledJob {
        let params = (try? JSONDecoder().decode([String: String].self, from: Data((row["params"] as String).utf8))) ?? [:]
        return ScheduledJob(id: row["id"], cron: row["cron"], recipeSource: row["recipe_source"], recipeCopy: row["recipe_copy"],
                            recipeDirectory: row["recipe_directory"], params: params, workingDirectory: row["working_directory"], scheduler: row["scheduler"],
                            createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }
}
