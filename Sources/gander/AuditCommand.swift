import ArgumentParser
import Foundation
import GanderCore
import GanderStore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show every request that left this machine: where it went, how big it was, which files went with it.",
        discussion: """
            Gander records each request to a model provider in the session database as it is sent: the time, the \
            session, the destination host and path, the bytes sent and received, the tokens, the local files whose \
            contents it carried (by path and byte range), the tool outputs in it, and how many secrets were replaced \
            before it left. The embedded model sends nothing, so it has no rows. Files and tool outputs are listed with \
            the first request of a run that carried them; the run's later requests carry them again as part of the \
            conversation.

            Examples:
              gander audit                          totals by destination
              gander audit --by day --since 7d
              gander audit --file src/config.py     was this file ever sent, and where?
              gander audit --session 20261201-3fa9c2 --format json
            """)

    @Option(help: ArgumentHelp("Only requests since then: 2026-11-30, 2026-11-30T14:00, or an age like 90m, 12h, 7d.", valueName: "when"))
    var since: String?

    @Option(help: ArgumentHelp("Only this session's requests (an id or a name).", valueName: "session"))
    var session: String?

    @Option(help: ArgumentHelp("Only requests that carried this file's contents.", valueName: "path"))
    var file: String?

    @Option(help: ArgumentHelp("Group the totals by destination, day or session.", valueName: "grouping"))
    var by: LedgerGrouping = .destination

    @Option(help: ArgumentHelp("text or json (every matching request, newest first).", valueName: "format"))
    var format: AuditFormat = .text

    @Option(help: "List at most this many requests.")
    var limit = 50

    func run() throws {
        let settings = try Settings()
        let store = try SessionStore(url: settings.directories.sessionDatabase)
        var query = LedgerQuery(since: try since.map(Self.parseSince))
        if let session { query.session = try store.session(matching: session).id }
        if let file {
            let url = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            query.file = WorkspaceBoundary.physicalPath(of: url.standardizedFileURL.path)
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            FileHandle.standardOutput.write(try encoder.encode(try store.ledgerRows(query)) + Data("\n".utf8))
        case .text:
            print(try AuditReport(store: store, query: query, limit: limit).text(grouping: by, listing: session != nil || file != nil))
        }
    }

    /// A date, a date and time (UTC), or an age counted back from now.
    static func parseSince(_ text: String) throws -> Date {
        if let unit = text.last, let amount = Double(text.dropLast()), amount >= 0 {
            let seconds: Double? = switch unit {
            case "m": 60
            case "h": 3600
            case "d": 86400
            case "w": 604_800
            default: nil
            }
            if let seconds { return Date().addingTimeInterval(-amount * seconds) }
        }
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        throw ValidationError("--since \(text) is neither a date (2026-11-30, 2026-11-30T14:00) nor an age (90m, 12h, 7d)")
    }
}

extension LedgerGrouping: ExpressibleByArgument {}

enum AuditFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The ledger as text: totals by a grouping, and, when asked, the latest requests themselves.
struct AuditReport {
    let store: SessionStore
    let query: LedgerQuery
    var limit = 50

    func text(grouping: LedgerGrouping, listing: Bool) throws -> String {
        let count = try store.ledgerCount(query)
        if let file = query.file, count == 0 {
            return "\(file) was never sent off this machine, as far as the ledger knows."
        }
        guard count > 0 else { return "Nothing has left this machine: the ledger has no requests that match." }
        let totals = try store.ledgerTotals(query, by: grouping)
        var lines: [String] = []
        if let file = query.file {
            let destinations = try store.ledgerTotals(query, by: .destination).map(\.key).joined(separator: ", ")
            lines.append("\(file) was sent in \(count) request\(count == 1 ? "" : "s"), to \(destinations):")
        } else {
            lines += table(totals, grouping: grouping)
        }
        if listing {
            if query.file == nil { lines.append("") }
            var latest = query
            latest.limit = limit
            lines += requests(try store.ledgerRows(latest))
            if count > limit { lines.append("… and \(count - limit) older; --limit shows more") }
        }
        return lines.joined(separator: "\n")
    }

    /// One line per group: requests, bytes each way, tokens, secrets replaced.
    private func table(_ totals: [LedgerTotal], grouping: LedgerGrouping) -> [String] {
        let header = [grouping.rawValue, "requests", "sent", "received", "tokens in/out", "secrets replaced", "last"]
        let rows = totals.map { total in
            [total.key, String(total.requests), Self.bytes(total.bytesSent), Self.bytes(total.bytesReceived),
             "\(total.inputTokens)/\(total.outputTokens)", String(total.secretsReplaced), Self.time.string(from: total.last)]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }

    /// The requests, newest first, each with what went into it.
    private func requests(_ rows: [LedgerRow]) -> [String] {
        var lines: [String] = []
        for row in rows {
            let received = row.bytesReceived.map(Self.bytes) ?? "no answer"
            lines.append("\(Self.time.string(from: row.sentAt))  \(row.destination)\(row.path)  \(row.kind) "
                + "\(row.provider)/\(row.model)  sent \(Self.bytes(row.bytesSent)), received \(received)"
                + "  session \(row.sessionID)")
            for span in row.files { lines.append("    file \(span.path) bytes \(span.start)–\(span.end)") }
            if !row.toolOutputs.isEmpty {
                let tools = Dictionary(grouping: row.toolOutputs, by: \.tool).map { "\($0.key) ×\($0.value.count)" }.sorted()
                lines.append("    tool outputs: \(tools.joined(separator: ", "))")
            }
            if !row.redactions.isEmpty {
                let kinds = row.redactions.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }
                lines.append("    secrets replaced: \(kinds.joined(separator: ", "))")
            }
        }
        return lines
    }

    private static let time: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }()

    static func bytes(_ count: Int) -> String {
        count < 10_000 ? "\(count) B" : count < 10_000_000 ? "\(count / 1000) kB" : "\(count / 1_000_000) MB"
    }
}
