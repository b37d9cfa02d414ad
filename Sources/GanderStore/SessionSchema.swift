import Foundation
import GRDB
import GanderCore

/// The database's tables, their migrations and the mapping between rows and values.
enum SessionSchema {
    /// Every schema change is a new, named migration appended here; released ones never change.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: sessions and messages") { db in
            try db.execute(sql: """
                CREATE TABLE session (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT,
                    working_directory TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    model TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    input_tokens INTEGER NOT NULL DEFAULT 0,
                    output_tokens INTEGER NOT NULL DEFAULT 0,
                    message_count INTEGER NOT NULL DEFAULT 0,
                    conversation INTEGER NOT NULL DEFAULT 1
                );
                CREATE INDEX session_by_directory ON session (working_directory, updated_at);
                CREATE INDEX session_by_name ON session (name, updated_at);

                CREATE TABLE message (
                    session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
                    sequence INTEGER NOT NULL,
                    conversation INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    content TEXT NOT NULL,
                    interrupted BOOLEAN NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (session_id, sequence)
                ) WITHOUT ROWID;

                -- Messages are a record of what happened: they are appended, and leave only with their session.
                CREATE TRIGGER message_is_append_only BEFORE UPDATE ON message
                BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;
                """)
        }
        migrator.registerMigration("v2: compactions") { db in
            try db.execute(sql: """
                -- A compaction replaces the older part of a conversation, in what is sent to the model, by a summary:
                -- from then on the conversation is `summary` followed by its messages from `kept_from` on. The
                -- messages themselves stay; export shows them all.
                CREATE TABLE compaction (
                    session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
                    conversation INTEGER NOT NULL,
                    kept_from INTEGER NOT NULL,
                    summary TEXT NOT NULL,
                    tokens_before INTEGER NOT NULL,
                    tokens_after INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX compaction_by_conversation ON compaction (session_id, conversation);
                """)
        }
        migrator.registerMigration("v3: cache tokens and cost") { db in
            try db.execute(sql: """
                ALTER TABLE session ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE session ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE session ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
                ALTER TABLE session ADD COLUMN unpriced_calls INTEGER NOT NULL DEFAULT 0;
                """)
        }
        migrator.registerMigration("v4: the ledger") { db in
            try db.execute(sql: """
                -- Every request that left the machine, written as it was sent and completed when its answer came. It
                -- holds no content, only where the request went, its size, and which files and tool outputs were in
                -- it, so it outlives the sessions it tells about: removing a session leaves its ledger.
                CREATE TABLE ledger (
                    id INTEGER PRIMARY KEY,
                    session_id TEXT NOT NULL,
                    sent_at REAL NOT NULL,
                    destination TEXT NOT NULL,
                    path TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    model TEXT NOT NULL,
                    bytes_sent INTEGER NOT NULL,
                    bytes_received INTEGER,
                    input_tokens INTEGER,
                    output_tokens INTEGER,
                    tool_outputs TEXT NOT NULL DEFAULT '[]',
                    redactions TEXT NOT NULL DEFAULT '{}',
                    secrets_replaced INTEGER NOT NULL DEFAULT 0
                );
                -- Covering indexes, so the totals of `gander audit` read no table rows however long the ledger grows.
                CREATE INDEX ledger_by_time ON ledger (sent_at, bytes_sent, bytes_received, input_tokens, output_tokens,
                    secrets_replaced);
                CREATE INDEX ledger_by_session ON ledger (session_id, sent_at, destination, bytes_sent, bytes_received,
                    input_tokens, output_tokens, secrets_replaced);
                CREATE INDEX ledger_by_destination ON ledger (destination, sent_at, bytes_sent, bytes_received,
                    input_tokens, output_tokens, secrets_replaced, session_id);

                -- The stretches of local files each request carried, by byte offsets.
                CREATE TABLE ledger_file (
                    entry_id INTEGER NOT NULL REFERENCES ledger (id) ON DELETE CASCADE,
                    path TEXT NOT NULL,
                    start_byte INTEGER NOT NULL,
                    end_byte INTEGER NOT NULL
                );
                CREATE INDEX ledger_file_by_path ON ledger_file (path);
                CREATE INDEX ledger_file_by_entry ON ledger_file (entry_id);
                """)
        }
        migrator.registerMigration("v5: the values of each session's secrets") { db in
            try db.execute(sql: """
                -- The secrets a session replaced by placeholders before its requests left, by number, so a resumed
                -- session redacts them again wherever they appear and puts back the placeholders its conversation
                -- holds. The database holds the conversations' real values anyway; it is readable by its owner alone.
                CREATE TABLE session_secret (
                    session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (session_id, number)
                );
                """)
        }
        migrator.registerMigration("v6: scheduled recipes and their runs") { db in
            try db.execute(sql: """
                -- A recipe run by the system's scheduler: the copy taken when it was added (or updated), so later edits
                -- of the original do not change it silently; the original's folder, where the copy finds the files it
                -- names by relative path; and the directory it runs in.
                CREATE TABLE schedule (
                    id TEXT PRIMARY KEY,
                    cron TEXT NOT NULL,
                    recipe_source TEXT NOT NULL,
                    recipe_copy TEXT NOT NULL,
                    recipe_directory TEXT,
                    params TEXT NOT NULL,
                    working_directory TEXT NOT NULL,
                    scheduler TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                -- Each time a schedule fired: the session its run was kept in, and how it ended (NULL while it runs).
                CREATE TABLE schedule_run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    schedule_id TEXT NOT NULL REFERENCES schedule (id) ON DELETE CASCADE,
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    exit_status INTEGER,
                    session_id TEXT,
                    note TEXT
                );
                CREATE INDEX schedule_run_by_schedule ON schedule_run (schedule_id, started_at);
                """)
        }
        return migrator
    }

    static func insert(_ session: SessionInfo, into db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO session (id, name, working_directory, provider, model, created_at, updated_at,
                    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, unpriced_calls,
                    message_count, conversation)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                session.id, session.name, session.workingDirectory, session.provider, session.model,
                session.createdAt.timeIntervalSince1970, session.updatedAt.timeIntervalSince1970, session.inputTokens,
                session.outputTokens, session.cacheReadTokens, session.cacheWriteTokens, session.costUSD,
                session.unpricedCalls, session.messageCount, session.conversation,
            ])
    }

    static func session(_ row: Row) -> SessionInfo {
        SessionInfo(
            id: row["id"], name: row["name"], workingDirectory: row["working_directory"], provider: row["provider"],
            model: row["model"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]), inputTokens: row["input_tokens"],
            outputTokens: row["output_tokens"], cacheReadTokens: row["cache_read_tokens"] ?? 0,
            cacheWriteTokens: row["cache_write_tokens"] ?? 0, costUSD: row["cost_usd"] ?? 0,
            unpricedCalls: row["unpriced_calls"] ?? 0, messageCount: row["message_count"], conversation: row["conversation"])
    }

    static func encode(_ content: [ContentPart]) throws -> String {
        String(decoding: try JSONEncoder().encode(content), as: UTF8.self)
    }

    /// Rows of (sequence, conversation, created_at, role, content, interrupted). The contents are decoded in one
    /// pass, as one JSON array, which is several times faster than one decoder run per message.
    static func messages(_ rows: [Row]) throws -> [StoredMessage] {
        var joined = Data("[".utf8)
        for (index, row) in rows.enumerated() {
            if index > 0 { joined.append(UInt8(ascii: ",")) }
            let content: String = row[4]
            joined.append(contentsOf: content.utf8)
        }
        joined.append(UInt8(ascii: "]"))
        let contents: [[ContentPart]]
        do {
            contents = try JSONDecoder().decode([[ContentPart]].self, from: joined)
        } catch {
            throw StoreError.failed("a stored message cannot be read back (\(error)); the database may be damaged")
        }
        return zip(rows, contents).map { row, content in
            let role = Role(rawValue: row[3]) ?? .user
            return StoredMessage(
                sequence: row[0], conversation: row[1], createdAt: Date(timeIntervalSince1970: row[2]),
                message: Message(role: role, content: content, isInterrupted: row[5]))
        }
    }
}
