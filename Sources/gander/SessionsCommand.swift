import ArgumentParser
import Foundation
import GanderCore
import GanderStore

/// `gander sessions …`: the sessions in the database, whatever provider or model they used.
struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List, show, export, fork and remove saved sessions.",
        subcommands: [List.self, Show.self, Export.self, Fork.self, Remove.self],
        defaultSubcommand: List.self)

    /// Opens the session database every subcommand reads.
    static func openStore() throws -> SessionStore {
        try SessionStore(url: try Settings().directories.sessionDatabase)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List sessions, most recently used first.")

        @Option(help: "text (a table) or json.")
        var format: ListFormat = .text

        @Flag(help: "Only the sessions of the current directory.")
        var here = false

        @Option(help: "Show at most this many.")
        var limit: Int?

        func run() throws {
            let directory = here ? FileManager.default.currentDirectoryPath : nil
            let sessions = try openStore().sessions(in: directory, limit: limit)
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(sessions), as: UTF8.self))
            case .text:
                print(SessionTable.render(sessions), terminator: "")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print a session's whole conversation.")

        @Argument(help: "The session's id, the start of its id, or its name.")
        var session: String

        func run() throws {
            let store = try openStore()
            print(try SessionExport(try store.session(matching: session), from: store).markdown(), terminator: "")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Write a session out as Markdown or JSON.")

        @Argument(help: "The session's id, the start of its id, or its name.")
        var session: String

        @Option(help: "markdown or json (which reads back into the same messages).")
        var format: ExportFormat = .markdown

        @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
        var output: String?

        func run() throws {
            let store = try openStore()
            let export = try SessionExport(try store.session(matching: session), from: store)
            let data = format == .json ? try export.json() + Data("\n".utf8) : Data(export.markdown().utf8)
            guard let output else {
                FileHandle.standardOutput.write(data)
                return
            }
            do {
                try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw InputError("cannot write \(output) (\((error as NSError).localizedDescription)); pick a path in a writable directory")
            }
            FileHandle.standardError.write(Data("exported \(export.messages.count) messages to \(output)\n".utf8))
        }
    }

    struct Fork: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fork", abstract: "Copy a session to take it in another direction.")

        @Argument(help: "The session's id, the start of its id, or its name.")
        var session: String

        @Option(help: "A name for the copy.")
        var name: String?

        func run() throws {
            let store = try openStore()
            let fork = try store.fork(try store.session(matching: session).id, name: name)
            print("\(fork.id)  \(fork.label)  (resume it with `gander session --resume \(fork.id)`)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Delete a session and its messages.")

        @Argument(help: "The session's id, the start of its id, or its name.")
        var session: String

        func run() throws {
            let store = try openStore()
            let found = try store.session(matching: session)
            try store.remove(found.id)
            print("removed \(found.id)  \(found.label)  (\(found.messageCount) messages)")
        }
    }

    enum ListFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
        case markdown, json
    }
}

/// Sessions as an aligned table for the terminal.
enum SessionTable {
    static func render(_ sessions: [SessionInfo]) -> String {
        guard !sessions.isEmpty else { return "no sessions yet; `gander session` starts one\n" }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let rows = sessions.map { session in
            [session.id, formatter.string(from: session.updatedAt), "\(session.messageCount)",
             "\(session.provider)/\(session.model)", session.name ?? "", session.workingDirectory]
        }
        let header = ["ID", "LAST USED", "MSGS", "MODEL", "NAME", "DIRECTORY"]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
