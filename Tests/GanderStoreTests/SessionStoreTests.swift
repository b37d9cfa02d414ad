import Foundation
import GRDB
import GanderCore
@testable import GanderStore
import GanderTestSupport
import Testing

/// A store in a fresh directory, removed when the test ends.
private struct StoreFixture {
    let directory: TemporaryDirectory
    let store: SessionStore

    init() throws {
        directory = try TemporaryDirectory(prefix: "gander-store")
        store = try SessionStore(url: directory.file("gander.sqlite"))
    }

    var databaseURL: URL { directory.file("gander.sqlite") }

    func newSession(_ name: String? = nil, in workingDirectory: String = "/work/project") throws -> SessionInfo {
        try store.create(SessionDraft(name: name, workingDirectory: workingDirectory, provider: "openai", model: "gpt-4.1"))
    }
}

private let toolTurn = Message(role: .assistant, content: [
    .text("Let me look."),
    .toolCall(ToolCall(id: "call_1", name: "developer__shell", arguments: #"{"command":"ls"}"#)),
])
private let toolAnswer = Message(role: .user, content: [
    .toolResult(ToolResult(callID: "call_1", toolName: "developer__shell", content: [.text("a.txt\nb.txt")], isError: false)),
])

@Suite("Session store")
struct SessionStoreTests {
    @Test("messages come back in order with their parts, and token totals add up")
    func appendAndLoad() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let session = try fixture.newSession("first")
        try fixture.store.append(.user("list the files"), to: session.id)
        try fixture.store.append(toolTurn, usage: Usage(inputTokens: 100, outputTokens: 20), to: session.id)
        try fixture.store.append(toolAnswer, to: session.id)
        let partial = Message(role: .assistant, content: [.text("There are two fi")], isInterrupted: true)
        try fixture.store.append(partial, usage: Usage(inputTokens: 150, outputTokens: 5), to: session.id)

        let reopened = try SessionStore(url: fixture.databaseURL)
        let loaded = try reopened.session(matching: session.id)
        #expect(try reopened.currentConversation(of: loaded) == [.user("list the files"), toolTurn, toolAnswer, partial])
        #expect(loaded.messageCount == 4)
        #expect(loaded.inputTokens == 250)
        #expect(loaded.outputTokens == 25)
        #expect(try reopened.messages(of: session.id).map(\.sequence) == [1, 2, 3, 4])
    }

    @Test("a resumed session is greeted from its length and last messages, without reading all of it")
    func recentMessages() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let session = try fixture.newSession()
        for index in 0..<10 { try fixture.store.append(.user("m\(index)"), to: session.id) }
        let recap = try fixture.store.recentMessages(of: session, limit: 3)
        #expect(recap.count == 10)
        #expect(recap.recent.map(\.text) == ["m7", "m8", "m9"])
    }

    @Test("a session is found by id, by the start of its id, or by name; anything else says what to do")
    func lookup() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let named = try fixture.newSession("refactor")
        let other = try fixture.newSession()
        #expect(try fixture.store.session(matching: named.id).id == named.id)
        #expect(try fixture.store.session(matching: "refactor").id == named.id)
        #expect(try fixture.store.session(matching: other.id).id == other.id)
        // Ids differ in their last six random hex digits; all but the last digit tells them apart.
        let unique = String(named.id.dropLast())
        if !other.id.hasPrefix(unique) {
            #expect(try fixture.store.session(matching: unique).id == named.id)
        }
        #expect(throws: StoreError.sessionNotFound("nope")) { try fixture.store.session(matching: "nope") }
        #expect(StoreError.sessionNotFound("nope").description.contains("gander sessions list"))
        let day = String(named.id.prefix(8))
        #expect(throws: StoreError.self) { try fixture.store.session(matching: day) }
    }

    @Test("the latest session is per working directory")
    func latestPerDirectory() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let here = try fixture.newSession(in: "/a")
        _ = try fixture.newSession(in: "/b")
        #expect(try fixture.store.latestSession(in: "/a")?.id == here.id)
        #expect(try fixture.store.latestSession(in: "/c") == nil)
        try fixture.store.append(.user("hi"), to: here.id)
        #expect(try fixture.store.sessions().first?.id == here.id, "using a session moves it to the top")
    }

    @Test("messages are append-only: the database refuses to change one")
    func appendOnly() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let session = try fixture.newSession()
        try fixture.store.append(.user("keep me"), to: session.id)
        let raw = try DatabaseQueue(path: fixture.databaseURL.path)
        #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: "UPDATE message SET content = '[]'") }
        }
        #expect(try fixture.store.currentConversation(of: session) == [.user("keep me")])
    }

    @Test("/clear starts a new conversation; the old one stays for export")
    func newConversation() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let session = try fixture.newSession()
        try fixture.store.append(.user("old"), to: session.id)
        #expect(try fixture.store.startNewConversation(in: session.id) == 2)
        try fixture.store.append(.user("new"), to: session.id)
        let reloaded = try fixture.store.session(matching: session.id)
        #expect(try fixture.store.currentConversation(of: reloaded) == [.user("new")])
        #expect(try fixture.store.messages(of: session.id).map(\.message) == [.user("old"), .user("new")])
    }

    @Test("after a compaction the current conversation is its summary and what it kept; forks and export agree")
    func compactedConversation() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let session = try fixture.newSession()
        for message in [Message.user("task"), toolTurn, toolAnswer, toolTurn, toolAnswer] {
            try fixture.store.append(message, to: session.id)
        }
        let summary = Message.user("task\n\n<conversation-summary>\nearlier work\n</conversation-summary>")
        let report = CompactionReport(trigger: .threshold, tokensBefore: 900, tokensAfter: 300, trimmedOutputs: 0,
                                      summarized: true)
        try fixture.store.log(for: session.id).recordCompaction(summary: summary, keptMessages: 2, report: report)
        try fixture.store.append(.user("next"), to: session.id)

        let reloaded = try fixture.store.session(matching: session.id)
        #expect(try fixture.store.currentConversation(of: reloaded) == [summary, toolTurn, toolAnswer, .user("next")])
        #expect(try fixture.store.messages(of: session.id).count == 6, "every message stays")
        let fork = try fixture.store.fork(session.id, name: nil)
        #expect(try fixture.store.currentConversation(of: fork) == [summary, toolTurn, toolAnswer, .user("next")])

        #expect(try fixture.store.startNewConversation(in: session.id) == 2)
        let cleared = try fixture.store.session(matching: session.id)
        #expect(try fixture.store.currentConversation(of: cleared).isEmpty, "a compaction belongs to its conversation")
    }

    @Test("fork copies the messages; remove takes a session and its messages away")
    func forkAndRemove() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let session = try fixture.newSession("base")
        try fixture.store.append(.user("one"), to: session.id)
        try fixture.store.append(toolTurn, to: session.id)
        let fork = try fixture.store.fork(session.id, name: nil)
        #expect(fork.id != session.id)
        #expect(fork.name == "base (fork)")
        #expect(try fixture.store.currentConversation(of: fork) == [.user("one"), toolTurn])
        try fixture.store.append(.user("only in the fork"), to: fork.id)
        #expect(try fixture.store.messages(of: session.id).count == 2)

        try fixture.store.remove(session.id)
        #expect(throws: StoreError.sessionNotFound(session.id)) { try fixture.store.session(matching: session.id) }
        #expect(throws: StoreError.sessionNotFound(session.id)) { try fixture.store.remove(session.id) }
        #expect(try fixture.store.messages(of: session.id).isEmpty)
        #expect(try fixture.store.messages(of: fork.id).count == 3)
    }

    @Test("JSON export reads back into the same session and messages; Markdown carries every part")
    func exportRoundTrip() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let session = try fixture.newSession("export me")
        try fixture.store.append(.user("list the files"), to: session.id)
        try fixture.store.append(toolTurn, usage: Usage(inputTokens: 7, outputTokens: 3), to: session.id)
        try fixture.store.append(toolAnswer, to: session.id)
        try fixture.store.append(Message(role: .assistant, content: [.text("```\ncode\n```")], isInterrupted: true), to: session.id)

        let export = try SessionExport(try fixture.store.session(matching: session.id), from: fixture.store)
        let decoded = try SessionExport.decode(json: try export.json())
        #expect(decoded == export)
        #expect(decoded.messages.count == 4)

        let markdown = export.markdown()
        #expect(markdown.contains("# export me"))
        #expect(markdown.contains("list the files"))
        #expect(markdown.contains("### Tool call `developer__shell` (call_1)"))
        #expect(markdown.contains(#"{"command":"ls"}"#))
        #expect(markdown.contains("a.txt\nb.txt"))
        #expect(markdown.contains("### Assistant (interrupted)"))
        #expect(markdown.contains("````\n```\ncode\n```\n````") == false, "text parts are not fenced")
    }

    @Test("a file that is not a database is reported as damaged, and left as it was")
    func damagedDatabase() throws {
        let directory = try TemporaryDirectory(prefix: "gander-store")
        defer { directory.remove() }
        let garbage = String(repeating: "not a database at all ", count: 200)
        let url = try directory.write("gander.sqlite", garbage)
        #expect {
            _ = try SessionStore(url: url)
        } throws: { error in
            guard case .damaged = error as? StoreError else { return false }
            return String(describing: error).contains("move it aside")
        }
        #expect(try directory.read("gander.sqlite") == garbage)
    }

    @Test("a database another program keeps locked gives up after the busy timeout with one clear error")
    func lockedDatabase() throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let session = try fixture.newSession()
        let store = try SessionStore(url: fixture.databaseURL, busyTimeout: 0.2)
        let holder = try DatabaseQueue(path: fixture.databaseURL.path)
        try holder.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN EXCLUSIVE")
            #expect(throws: StoreError.locked(path: fixture.databaseURL.path)) {
                try store.append(.user("waits"), to: session.id)
            }
            try db.execute(sql: "ROLLBACK")
        }
        try store.append(.user("goes in once the lock is gone"), to: session.id)
        #expect(try store.messages(of: session.id).count == 1)
    }

    @Test("many openers of a new database at once each get it, with its schema, and their sessions", arguments: 1...5)
    func concurrentOpeners(round: Int) async throws {
        let directory = try TemporaryDirectory(prefix: "gander-store")
        defer { directory.remove() }
        let url = directory.file("gander.sqlite")
        let openers = 12
        let outcomes = await withTaskGroup(of: String?.self) { group in
            for index in 0..<openers {
                group.addTask {
                    await Task.detached {
                        do {
                            let store = try SessionStore(url: url)
                            _ = try store.create(SessionDraft(
                                name: "opener \(index)", workingDirectory: "/work", provider: "openai", model: "m"))
                            return nil
                        } catch { return String(describing: error) }
                    }.value
                }
            }
            return await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
        }
        #expect(outcomes.isEmpty, "round \(round): \(outcomes)")
        #expect(try SessionStore(url: url).sessions().count == openers)
    }

    @Test("two connections appending at once lose nothing and keep the order of each")
    func concurrentWriters() async throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        let first = try fixture.newSession()
        let second = try fixture.newSession()
        let otherProcessStore = try SessionStore(url: fixture.databaseURL)
        async let a: Void = Task.detached {
            for index in 0..<200 { try fixture.store.append(.user("a\(index)"), to: first.id) }
        }.value
        async let b: Void = Task.detached {
            for index in 0..<200 { try otherProcessStore.append(.user("b\(index)"), to: second.id) }
        }.value
        _ = try await (a, b)
        #expect(try fixture.store.messages(of: first.id).map(\.message.text) == (0..<200).map { "a\($0)" })
        #expect(try fixture.store.messages(of: second.id).map(\.message.text) == (0..<200).map { "b\($0)" })
    }

    @Test("connections that open one new database at the same moment all get a usable store")
    func concurrentFirstOpen() async throws {
        let directory = try TemporaryDirectory(prefix: "gander-store")
        defer { directory.remove() }
        // Each round a new database, opened by eight connections at once: the first-time schema set-up races.
        for round in 0..<20 {
            let url = directory.file("round-\(round).sqlite")
            let opened = await withTaskGroup(of: Result<SessionStore, any Error>.self) { group in
                for _ in 0..<8 {
                    group.addTask { await Task.detached { Result { try SessionStore(url: url) } }.value }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let stores = try opened.map { try $0.get() }
            let session = try stores[0].create(SessionDraft(name: nil, workingDirectory: "/w", provider: "openai", model: "m"))
            #expect(try stores[7].sessions().map(\.id) == [session.id])
        }
    }
}

@Suite("the ledger's days")
struct LedgerDayTests {
    @Test("day numbers become calendar dates, leap days and year ends included")
    func days() {
        #expect(SessionStore.day(number: 0) == "1970-01-01")
        #expect(SessionStore.day(number: 11_016) == "2000-02-29")
        #expect(SessionStore.day(number: 20_788) == "2026-12-01")
        #expect(SessionStore.day(number: 20_818) == "2026-12-31")
    }
}
