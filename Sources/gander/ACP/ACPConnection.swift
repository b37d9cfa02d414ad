import Foundation
import GanderCore

/// JSON-RPC 2.0 as the Agent Client Protocol carries it, one message per line on stdio or per text frame on a
/// WebSocket: requests and notifications from the client are handed to `handler` (each request on its own task, so
/// a long prompt does not hold up its own cancel), and the agent's own requests to the client
/// (`session/request_permission`) wait here for their answers.
actor ACPConnection {
    /// What a request's handler answers: a result, or an error for the client.
    struct Failure: Error {
        let code: Int
        let message: String

        static func invalidParams(_ message: String) -> Failure { Failure(code: -32602, message: message) }
        static func internalError(_ message: String) -> Failure { Failure(code: -32603, message: message) }
    }

    typealias Handler = @Sendable (_ method: String, _ params: JSONValue, _ connection: ACPConnection) async throws -> JSONValue?

    /// The largest message read, on stdio and over the WebSocket alike. A longer one is refused without being held
    /// in memory: a client cannot make Gander buffer without end.
    static let maximumMessageBytes = 16 << 20

    /// What arrives from the client: a message, or word that one over the size cap was skipped.
    enum Incoming: Sendable {
        case message(String)
        case oversized
    }

    private var pending: [Int: CheckedContinuation<Result<JSONValue, Failure>, Never>] = [:]
    private var nextID = 0
    /// Sends one message to the client.
    private let write: @Sendable (String) async -> Void

    init(write: @escaping @Sendable (String) async -> Void) {
        self.write = write
    }

    /// On stdio: messages are lines, and nothing but protocol messages goes to stdout.
    static func standardIO() -> (connection: ACPConnection, incoming: AsyncStream<Incoming>) {
        (ACPConnection { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }, standardInputLines())
    }

    /// Reads `incoming` until the client goes away; then `onClose` runs (which stops the turns under way: nobody is
    /// there to see them), and this returns once every request under way has finished.
    func serve(_ incoming: AsyncStream<Incoming>, onClose: @escaping @Sendable () async -> Void, _ handler: @escaping Handler) async {
        let messages = incoming
        await withTaskGroup(of: Void.self) { group in
            for await incoming in messages {
                guard case .message(let line) = incoming else {
                    await send(["jsonrpc": "2.0", "id": .null, "error": [
                        "code": -32600, "message": .string("a message over \(Self.maximumMessageBytes >> 20) MiB was not read")]])
                    continue
                }
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                guard let message = try? JSONValue(parsing: line), case .object(let fields) = message else {
                    await send(["jsonrpc": "2.0", "id": .null, "error": ["code": -32700, "message": "not a JSON object"]])
                    continue
                }
                let method = fields["method"]?.stringValue
                let id = fields["id"]
                if let method {
                    let params = fields["params"] ?? .object([:])
                    group.addTask {
                        do {
                            let result = try await handler(method, params, self)
                            if let id { await self.send(["jsonrpc": "2.0", "id": id, "result": result ?? .null]) }
                        } catch let failure as Failure {
                            if let id { await self.send(["jsonrpc": "2.0", "id": id, "error": ["code": .integer(Int64(failure.code)), "message": .string(failure.message)]]) }
                        } catch {
                            if let id { await self.send(["jsonrpc": "2.0", "id": id, "error": ["code": -32603, "message": .string(String(describing: error))]]) }
                        }
                    }
                } else if let number = id?.intValue {
                    // An answer to one of ours.
                    let outcome: Result<JSONValue, Failure> = fields["error"].map {
                        .failure(Failure(code: $0["code"]?.intValue ?? -32603, message: $0["message"]?.stringValue ?? "the client failed"))
                    } ?? .success(fields["result"] ?? .null)
                    pending.removeValue(forKey: number)?.resume(returning: outcome)
                }
            }
            // The client is gone: nobody will answer what we asked.
            for continuation in pending.values { continuation.resume(returning: .failure(Failure(code: -32000, message: "the client went away"))) }
            pending.removeAll()
            await onClose()
        }
    }

    /// Sends a notification.
    func notify(_ method: String, _ params: JSONValue) async {
        await send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    /// Sends a request to the client and waits for its answer.
    func request(_ method: String, _ params: JSONValue) async -> Result<JSONValue, Failure> {
        nextID += 1
        let id = nextID
        let message: JSONValue = ["jsonrpc": "2.0", "id": .integer(Int64(id)), "method": .string(method), "params": params]
        return await withCheckedContinuation { continuation in
            pending[id] = continuation
            Task { await self.send(message) }
        }
    }

    private func send(_ message: JSONValue) async {
        await write(message.canonicalText)
    }

    /// Stdin's lines, read on a thread of their own (reading blocks). A line over the cap is skipped to its end
    /// as it arrives, never held whole.
    static func standardInputLines() -> AsyncStream<Incoming> {
        AsyncStream { continuation in
            let reader = Thread {
                var splitter = LineSplitter(maximumBytes: maximumMessageBytes)
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let count = read(STDIN_FILENO, &buffer, buffer.count)
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    for line in splitter.feed(buffer[..<count]) { continuation.yield(line) }
                }
                if let last = splitter.finish() { continuation.yield(last) }
                continuation.finish()
            }
            reader.start()
        }
    }
}

/// Cuts a byte stream into lines of at most `maximumBytes`; a longer line becomes `.oversized` once, and its bytes
/// are dropped as they come.
struct LineSplitter {
    let maximumBytes: Int
    private var pending: [UInt8] = []
    private var skipping = false

    init(maximumBytes: Int) {
        self.maximumBytes = maximumBytes
    }

    mutating func feed(_ bytes: ArraySlice<UInt8>) -> [ACPConnection.Incoming] {
        var lines: [ACPConnection.Incoming] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            let newline = rest.firstIndex(of: UInt8(ascii: "\n"))
            let piece = rest[..<(newline ?? rest.endIndex)]
            if !skipping {
                if pending.count + piece.count > maximumBytes {
                    skipping = true
                    pending.removeAll()
                    lines.append(.oversized)
                } else {
                    pending += piece
                }
            }
            guard let newline else { break }
            if !skipping { lines.append(.message(Self.text(pending))) }
            pending.removeAll(keepingCapacity: true)
            skipping = false
            rest = rest[rest.index(after: newline)...]
        }
        return lines
    }

    /// What is left when the stream ends without a final newline.
    mutating func finish() -> ACPConnection.Incoming? {
        defer { pending.removeAll() }
        return skipping || pending.isEmpty ? nil : .message(Self.text(pending))
    }

    private static func text(_ bytes: [UInt8]) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        return text
    }
}
