import Foundation
import GRDB
import GanderCore

/// One row of the ledger as `gander audit` shows it.
public struct LedgerRow: Sendable, Equatable, Encodable {
    public let id: Int64
    public let sessionID: String
    public let sentAt: Date
    public let destination: String
    public let path: String
    public let kind: String
    public let provider: String
    public let model: String
    public let bytesSent: Int
    /// Nil while the answer is still coming, or when it never came.
    public let bytesReceived: Int?
    public let inputTokens: Int?
    public let outputTokens: Int?
    public let files: [FileSpan]
    public let toolOutputs: [LedgerEntry.ToolOutputRecord]
    public let redactions: [String: Int]

    enum CodingKeys: String, CodingKey {
        case id, sessionID = "session_id", sentAt = "sent_at", destination, path, kind, provider, model
        case bytesSent = "bytes_sent", bytesReceived = "bytes_received", inputTokens = "input_tokens"
        case outputTokens = "output_tokens", files, toolOutputs = "tool_outputs", redactions
    }
}

/// What `gander audit` groups its totals by.
public enum LedgerGrouping: String, Sendable, CaseIterable {
    case destination, day, session
}

/// One group's totals.
public struct LedgerTotal: Sendable, Equatable {
    public let key: String
    public let requests: Int
    public let bytesSent: Int
    public let bytesReceived: Int
    public let inputTokens: Int
    public let outputTokens: Int
    public let secretsReplaced: Int
    public let first: Date
    public let last: Date
}

/// Which rows `gander audit` asks for.
public struct LedgerQuery: Sendable {
    public var since: Date?
    public var session: String?
    /// Only requests that carried this file (an absolute path).
    public var file: String?
    public var limit: Int?

    public init(since: Date? = nil, session: String? = nil, file: String? = nil, limit: Int? = nil) {
        self.since = since
        self.session = session
        self.file = file
        self.limit = limit
    }
}

extension SessionStore {
    /// The `OutboundLedger` of one session.
    public func ledger(for sessionID: String) -> any OutboundLedger {
        SessionLedger(store: self, sessionID: sessionID)
    }

    func recordSent(_ entry: LedgerEntry, session: String, at date: Date = Date()) throws -> Int64 {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO ledger (session_id, sent_at, destination, path, kind, provider, model, bytes_sent,
                        tool_outputs, redactions, secrets_replaced)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [session, date.timeIntervalSince1970, entry.request.destination, entry.request.path,
                            entry.request.kind.rawValue, entry.provider, entry.model, entry.request.bytesSent,
                            try Self.json(entry.toolOutputs), try Self.json(entry.redactions),
                            entry.redactions.values.reduce(0, +)])
            let id = db.lastInsertedRowID
            for span in Set(entry.files) {
                try db.execute(sql: "INSERT INTO ledger_file (entry_id, path, start_byte, end_byte) VALUES (?, ?, ?, ?)",
                               arguments: [id, span.path, span.start, span.end])
            }
            return id
        }
    }

    func completeLedgerEntry(_ id: Int64, bytesReceived: Int, usage: Usage) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE ledger SET bytes_received = ?, input_tokens = ?, output_tokens = ? WHERE id = ?",
                arguments: [bytesReceived, usage.promptTokens, usage.outputTokens, id])
        }
    }

    /// The ledger's totals by `grouping`, in the grouping's order, computed by SQLite, so a ledger of any length
    /// costs one pass over its index.
    public func ledgerTotals(_ query: LedgerQuery, by grouping: LedgerGrouping) throws -> [LedgerTotal] {
        try read { db in
            var (filter, arguments) = Self.filter(query)
            // Days in this machine's time zone, by its offset now: SQLite's own `localtime` costs more than the rest of
            // the query together.
            let key = switch grouping {
            case .destination: "destination"
            case .session: "session_id"
            case .day: "CAST((sent_at + ?) / 86400 AS INTEGER)"
            }
            if grouping == .day {
                arguments = StatementArguments([TimeZone.current.secondsFromGMT()]) + arguments
            }
            let sql = """
                SELECT \(key) AS key, COUNT(*) AS requests, SUM(bytes_sent) AS sent, SUM(COALESCE(bytes_received, 0)) AS received,
                    SUM(COALESCE(input_tokens, 0)) AS tokens_in, SUM(COALESCE(output_tokens, 0)) AS tokens_out,
                    SUM(secrets_replaced) AS secrets, MIN(sent_at) AS first, MAX(sent_at) AS last
                FROM ledger\(filter) GROUP BY key ORDER BY key
                """
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                LedgerTotal(key: grouping == .day ? Self.day(number: row["key"]) : row["key"], requests: row["requests"], bytesSent: row["sent"], bytesReceived: row["received"],
                            inputTokens: row["tokens_in"], outputTokens: row["tokens_out"], secretsReplaced: row["secrets"],
                            first: Date(timeIntervalSince1970: row["first"]), last: Date(timeIntervalSince1970: row["last"]))
            }
        }
    }

    /// How many rows match.
    public func ledgerCount(_ query: LedgerQuery) throws -> Int {
        try read { db in
            let (filter, arguments) = Self.filter(query)
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger\(filter)", arguments: arguments) ?? 0
        }
    }

    /// Day `number` since 1970 as `2026-12-01`, by the civil-calendar arithmetic of Howard Hinnant's `civil_from_days`
    /// (a DateFormatter per group would cost more than the query).
    static func day(number: Int) -> String {
        let z = number + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    private static func filter(_ query: LedgerQuery) -> (String, StatementArguments) {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let since = query.since {
            conditions.append("sent_at >= ?")
            arguments.append(since.timeIntervalSince1970)
        }
        if let session = query.session {
            conditions.append("session_id = ?")
            arguments.append(session)
        }
        if let file = query.file {
            conditions.append("id IN (SELECT entry_id FROM ledger_file WHERE path = ?)")
            arguments.append(file)
        }
        return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), StatementArguments(arguments))
    }

    /// The ledger's rows, newest first.
    public func ledgerRows(_ query: LedgerQuery) throws -> [LedgerRow] {
        try read { db in
            let (filter, arguments) = Self.filter(query)
            var sql = "SELECT * FROM ledger" + filter
            sql += " ORDER BY sent_at DESC, id DESC"
            if let limit = query.limit { sql += " LIMIT \(limit)" }
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            guard !rows.isEmpty else { return [] }
            // The files of the rows asked for, in one query.
            var files: [Int64: [FileSpan]] = [:]
            let ids = rows.map { $0["id"] as Int64 }
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(db, sql: "SELECT * FROM ledger_file WHERE entry_id IN (\(marks))",
                                            arguments: StatementArguments(chunk)) {
                    files[row["entry_id"], default: []].append(
                        FileSpan(path: row["path"], start: row["start_byte"], end: row["end_byte"]))
                }
            }
            let decoder = JSONDecoder()
            return rows.map { row in
                let id: Int64 = row["id"]
                let outputs = (row["tool_outputs"] as String).data(using: .utf8)
                    .flatMap { try? decoder.decode([LedgerEntry.ToolOutputRecord].self, from: $0) } ?? []
                let redactions = (row["redactions"] as String).data(using: .utf8)
                    .flatMap { try? decoder.decode([String: Int].self, from: $0) } ?? [:]
                return LedgerRow(
                    id: id, sessionID: row["session_id"], sentAt: Date(timeIntervalSince1970: row["sent_at"]),
                    destination: row["destination"], path: row["path"], kind: row["kind"], provider: row["provider"],
                    model: row["model"], bytesSent: row["bytes_sent"], bytesReceived: row["bytes_received"],
                    inputTokens: row["input_tokens"], outputTokens: row["output_tokens"],
                    files: (files[id] ?? []).sorted { ($0.path, $0.start) < ($1.path, $1.start) },
                    toolOutputs: outputs, redactions: redactions)
            }
        }
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

private struct SessionLedger: OutboundLedger {
    let store: SessionStore
    let sessionID: String

    func recordSent(_ entry: LedgerEntry) throws -> Int64 {
        try store.recordSent(entry, session: sessionID)
    }

    func complete(_ id: Int64, bytesReceived: Int, usage: Usage) throws {
        try store.completeLedgerEntry(id, bytesReceived: bytesReceived, usage: usage)
    }
}
