import Foundation
import GRDB
import GanderCore

/// The only thing that touches the session database: sessions and their append-only messages in SQLite (WAL), safe
/// to share between several Gander processes.
public final class SessionStore: Sendable {
    public let path: String
    let database: DatabaseQueue

    /// How long a write waits for another process's write before it gives up.
    public static let busyTimeout: TimeInterval = 5

    /// How long opening waits for other Gander processes that are opening the same database. Each holds the setup
    /// lock for milliseconds, but six processes starting together on a busy machine can queue for seconds.
    static let setupLockTimeout: TimeInterval = 60

    /// Opens (or creates) the database at `url` and brings its schema up to date.
    public init(url: URL, busyTimeout: TimeInterval = SessionStore.busyTimeout) throws {
        path = url.path
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            configuration.journalMode = .wal
            configuration.foreignKeysEnabled = true
            configuration.prepareDatabase { db in
                // In WAL mode, NORMAL makes each commit durable against a crash or kill of the process (what
                // sessions promise) without an fsync per message; only a power loss may take the last commits.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            database = try Self.withSetupLock(in: directory, databasePath: url.path) {
                try Self.createPrivately(url.path)
                let database = try DatabaseQueue(path: url.path, configuration: configuration)
                try SessionSchema.migrator.migrate(database)
                return database
            }
        } catch {
            throw StoreError.from(error, path: url.path)
        }
    }

    /// Runs the opening of the database with its directory locked, so Gander processes open it one at a time.
    /// Opening writes: switching a new database to WAL answers SQLITE_BUSY at once, without waiting out the busy
    /// timeout, when another connection is doing the same, and GRDB's migrator reads which migrations are applied
    /// before it takes SQLite's write lock, so processes opening a new database together would each try to create it.
    /// Taking turns, each later process finds the work done.
    private static func withSetupLock<Value>(
        in directory: URL, databasePath: String, _ body: () throws -> Value
    ) throws -> Value {
        // The directory, not the database file: closing any descriptor of a file drops the POSIX locks SQLite holds
        // on it, and SQLite never locks the directory. The lock goes with the descriptor, also when a process dies.
        let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StoreError.unwritable(path: directory.path, detail: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let deadline = Date(timeIntervalSinceNow: setupLockTimeout)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                throw StoreError.locked(path: databasePath)
            }
            usleep(5_000)
        }
        return try body()
    }

    /// Creates the database file readable and writable by its owner alone (SQLite gives its journal files the same
    /// mode), and takes that mode back from a file an older Gander created with the umask's.
    private static func createPrivately(_ path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError.unwritable(path: path, detail: String(cString: strerror(errno))) }
        fchmod(descriptor, 0o600)
        close(descriptor)
        for journal in ["-wal", "-shm"] { chmod(path + journal, 0o600) }
    }

    // MARK: Sessions

    /// Starts a new, empty session.
    public func create(_ draft: SessionDraft) throws -> SessionInfo {
        let now = Date()
        let session = SessionInfo(
            id: Self.newID(at: now), name: draft.name, workingDirectory: draft.workingDirectory,
            provider: draft.provider, model: draft.model, createdAt: now, updatedAt: now, inputTokens: 0,
            outputTokens: 0, messageCount: 0, conversation: 1)
        try write { db in try SessionSchema.insert(session, into: db) }
        return session
    }

    /// Sessions, most recently used first; only those of `workingDirectory` when given.
    public func sessions(in workingDirectory: String? = nil, limit: Int? = nil) throws -> [SessionInfo] {
        var sql = "SELECT * FROM session"
        var arguments: StatementArguments = []
        if let workingDirectory {
            sql += " WHERE working_directory = ?"
            arguments += [workingDirectory]
        }
        sql += " ORDER BY updated_at DESC, rowid DESC"
        if let limit { sql += " LIMIT \(limit)" }
        return try read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(SessionSchema.session) }
    }

    /// The session `key` names: its id, a unique beginning of its id, or its name (the latest with that name).
    public func session(matching key: String) throws -> SessionInfo {
        try read { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM session WHERE id = ?", arguments: [key]) {
                return SessionSchema.session(row)
            }
            let prefixed = try Row.fetchAll(
                db, sql: "SELECT * FROM session WHERE substr(id, 1, ?) = ? ORDER BY updated_at DESC",
                arguments: [key.count, key])
            if prefixed.count == 1 { return SessionSchema.session(prefixed[0]) }
            if prefixed.count > 1 { throw StoreError.ambiguous(key, matches: prefixed.map { $0["id"] }) }
            if let row = try Row.fetchOne(
                db, sql: "SELECT * FROM session WHERE name = ? ORDER BY updated_at DESC LIMIT 1", arguments: [key]) {
                return SessionSchema.session(row)
            }
            throw StoreError.sessionNotFound(key)
        }
    }

    /// The most recently used session of `workingDirectory`, if there is one.
    public func latestSession(in workingDirectory: String) throws -> SessionInfo? {
        try sessions(in: workingDirectory, limit: 1).first
    }

    /// Records which provider and model the session talks to from now on.
    public func setModel(of sessionID: String, provider: String, model: String) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE session SET provider = ?, model = ? WHERE id = ?", arguments: [provider, model, sessionID])
        }
    }

    /// Starts a new conversation in the session (`/clear`); earlier ones stay for show and export.
    @discardableResult
    public func startNewConversation(in sessionID: String) throws -> Int {
        try write { db in
            try db.execute(sql: "UPDATE session SET conversation = conversation + 1 WHERE id = ?", arguments: [sessionID])
            guard let next = try Int.fetchOne(db, sql: "SELECT conversation FROM session WHERE id = ?", arguments: [sessionID])
            else { throw StoreError.sessionNotFound(sessionID) }
            return next
        }
    }

    /// Deletes the session and its messages.
    public func remove(_ sessionID: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM session WHERE id = ?", arguments: [sessionID])
            if db.changesCount == 0 { throw StoreError.sessionNotFound(sessionID) }
        }
    }

    /// A copy of the session, messages and all, to take in another direction.
    public func fork(_ sessionID: String, name: String?) throws -> SessionInfo {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM session WHERE id = ?", arguments: [sessionID])
            else { throw StoreError.sessionNotFound(sessionID) }
            let original = SessionSchema.session(row)
            var copy = original
            let now = Date()
            copy.id = Self.newID(at: now)
            copy.name = name ?? "\(original.label) (fork)"
            copy.createdAt = now
            copy.updatedAt = now
            try SessionSchema.insert(copy, into: db)
            try db.execute(
                sql: """
                    INSERT INTO message (session_id, sequence, conversation, role, content, interrupted, created_at)
                    SELECT ?, sequence, conversation, role, content, interrupted, created_at
                    FROM message WHERE session_id = ? ORDER BY sequence
                    """,
                arguments: [copy.id, sessionID])
            try db.execute(
                sql: "INSERT INTO session_secret (session_id, number, value) SELECT ?, number, value FROM session_secret WHERE session_id = ?",
                arguments: [copy.id, sessionID])
            // A fork goes on from what the model saw last, as the original would.
            try db.execute(
                sql: """
                    INSERT INTO compaction (session_id, conversation, kept_from, summary, tokens_before, tokens_after,
                        created_at)
                    SELECT ?, conversation, kept_from, summary, tokens_before, tokens_after, created_at
                    FROM compaction WHERE session_id = ? ORDER BY rowid
                    """,
                arguments: [copy.id, sessionID])
            return copy
        }
    }

    // MARK: Secrets

    /// The values the session's redactor replaced, in the order of their numbers.
    public func secrets(of sessionID: String) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT value FROM session_secret WHERE session_id = ? ORDER BY number",
                                arguments: [sessionID])
        }
    }

    /// Keeps value `number` of the session's redactor.
    public func rememberSecret(_ value: String, number: Int, in sessionID: String) throws {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO session_secret (session_id, number, value) VALUES (?, ?, ?)",
                           arguments: [sessionID, number, value])
        }
    }

    /// A redactor that starts with the session's known secrets and keeps each new one. A value that cannot be kept
    /// is still redacted in this process; the next resume would miss only that one.
    public func redactor(for sessionID: String) throws -> SecretRedactor {
        SecretRedactor(known: try secrets(of: sessionID)) { [self] number, value in
            try? rememberSecret(value, number: number, in: sessionID)
        }
    }

    // MARK: Messages

    /// Appends one finished message to the session, with the tokens its model call used and what they cost (nil when
    /// the model's price is not known), in one transaction.
    public func append(_ message: Message, usage: Usage = Usage(), cost: Double? = 0, to sessionID: String) throws {
        let content = try SessionSchema.encode(message.content)
        // Cached statements: this runs for every message, and compiling SQL cost as much as the write itself.
        try write { db in
            guard let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT message_count, conversation FROM session WHERE id = ?"),
                arguments: [sessionID])
            else { throw StoreError.sessionNotFound(sessionID) }
            let sequence: Int = row[0] + 1
            let conversation: Int = row[1]
            let now = Date().timeIntervalSince1970
            try db.cachedStatement(sql: """
                INSERT INTO message (session_id, sequence, conversation, role, content, interrupted, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(
                arguments: [sessionID, sequence, conversation, message.role.rawValue, content, message.isInterrupted, now])
            let unpriced = cost == nil && usage != Usage() ? 1 : 0
            try db.cachedStatement(sql: """
                UPDATE session SET message_count = ?, updated_at = ?, input_tokens = input_tokens + ?,
                output_tokens = output_tokens + ?, cache_read_tokens = cache_read_tokens + ?,
                cache_write_tokens = cache_write_tokens + ?, cost_usd = cost_usd + ?, unpriced_calls = unpriced_calls + ?
                WHERE id = ?
                """).execute(arguments: [sequence, now, usage.inputTokens, usage.outputTokens, usage.cacheReadTokens,
                                         usage.cacheWriteTokens, cost ?? 0, unpriced, sessionID])
        }
    }

    /// The session's messages in order: every conversation, or only `conversation`.
    public func messages(of sessionID: String, conversation: Int? = nil) throws -> [StoredMessage] {
        var sql = "SELECT sequence, conversation, created_at, role, content, interrupted FROM message WHERE session_id = ?"
        var arguments: StatementArguments = [sessionID]
        if let conversation {
            sql += " AND conversation = ?"
            arguments += [conversation]
        }
        sql += " ORDER BY sequence"
        let rows = try read { db in try Row.fetchAll(db, sql: sql, arguments: arguments) }
        return try SessionSchema.messages(rows)
    }

    /// Keeps a compaction of the session's current conversation: from now on it is `summary` followed by its last
    /// `keptMessages` messages.
    public func recordCompaction(summary: Message, keptMessages: Int, report: CompactionReport,
                                 to sessionID: String) throws {
        let content = try SessionSchema.encode(summary.content)
        try write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT message_count, conversation FROM session WHERE id = ?", arguments: [sessionID])
            else { throw StoreError.sessionNotFound(sessionID) }
            let messageCount: Int = row[0]
            let conversation: Int = row[1]
            try db.execute(
                sql: """
                    INSERT INTO compaction (session_id, conversation, kept_from, summary, tokens_before, tokens_after,
                        created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [sessionID, conversation, messageCount - keptMessages + 1, content, report.tokensBefore,
                            report.tokensAfter, Date().timeIntervalSince1970])
        }
    }

    /// The conversation a resumed session goes on with: after a compaction, its summary and the messages it kept
    /// and those that came after — what the model saw last — rather than the whole history.
    public func currentConversation(of session: SessionInfo) throws -> [Message] {
        let latest = try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT kept_from, summary FROM compaction WHERE session_id = ? AND conversation = ?
                    ORDER BY rowid DESC LIMIT 1
                    """,
                arguments: [session.id, session.conversation])
        }
        let all = try messages(of: session.id, conversation: session.conversation)
        guard let latest else { return all.map(\.message) }
        let keptFrom: Int = latest[0]
        let summaryJSON: String = latest[1]
        let summary: [ContentPart]
        do {
            summary = try JSONDecoder().decode([ContentPart].self, from: Data(summaryJSON.utf8))
        } catch {
            throw StoreError.failed("a stored compaction cannot be read back (\(error)); the database may be damaged")
        }
        return [Message(role: .user, content: summary)] + all.filter { $0.sequence >= keptFrom }.map(\.message)
    }

    /// How many messages the session's current conversation has, and its last `limit` ones: enough to greet a
    /// resumed session without decoding all of it.
    public func recentMessages(of session: SessionInfo, limit: Int) throws -> (count: Int, recent: [Message]) {
        let (count, rows) = try read { db in
            let count = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM message WHERE session_id = ? AND conversation = ?",
                arguments: [session.id, session.conversation]) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, conversation, created_at, role, content, interrupted FROM message
                    WHERE session_id = ? AND conversation = ? ORDER BY sequence DESC LIMIT ?
                    """,
                arguments: [session.id, session.conversation, limit])
            return (count, rows)
        }
        return (count, try SessionSchema.messages(rows.reversed()).map(\.message))
    }

    /// A `ConversationLog` that appends to the session, pricing each model call at `price`.
    public func log(for sessionID: String, price: ModelPrice? = nil) -> any ConversationLog {
        SessionLog(store: self, sessionID: sessionID, price: price)
    }

    // MARK: Plumbing

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.writeWithoutTransaction { db in
                var result: T?
                // IMMEDIATE takes the write lock up front, so a second process waits its turn (busy timeout)
                // instead of failing half-way through a read-then-write.
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// `20261123-4f3a9c`: sortable by day, short enough to type, random enough not to collide.
    static func newID(at date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let day = calendar.dateComponents([.year, .month, .day], from: date)
        let suffix = String(UInt32.random(in: 0..<(1 << 24)), radix: 16)
        return String(format: "%04d%02d%02d-", day.year!, day.month!, day.day!)
            + String(repeating: "0", count: 6 - suffix.count) + suffix
    }
}

/// Keeps a session's messages as the agent finishes them.
private struct SessionLog: ConversationLog {
    let store: SessionStore
    let sessionID: String
    let price: ModelPrice?

    func record(_ message: Message, usage: Usage) throws {
        try store.append(message, usage: usage, cost: usage == Usage() ? 0 : price?.cost(of: usage), to: sessionID)
    }

    func recordCompaction(summary: Message, keptMessages: Int, report: CompactionReport) throws {
        try store.recordCompaction(summary: summary, keptMessages: keptMessages, report: report, to: sessionID)
    }
}
