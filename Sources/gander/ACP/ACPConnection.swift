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

    private var pending: [Int: CheckedContinuation<Result<JSONValue, Failure>, Never>] = [:]
    private var nextID = 0
    /// Sends one message to the client.
    private let write: @Sendable (String) async -> Void

    init(write: @escaping @Sendable (String) async -> Void) {
        self.write = write
    }

    /// On stdio: messages are lines, and nothing but protocol messages goes to stdout.
    static func standardIO() -> (connection: ACPConnection, incoming: AsyncStream<String>) {
        (ACPConnection { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }, standardInputLines())
    }

    /// Reads `incoming` until the client goes away; then `onClose` runs (which stops the turns under way: nobody is
    /// there to see them), and this returns once every request under way has finished.
    func serve(_ incoming: AsyncStream<String>, onClose: @escaping @Sendable () async -> Void, _ handler: @escaping Handler) async {
        let lines = incoming
        await withTaskGroup(of: Void.self) { group in
            for await line in lines {
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

    /// Stdin's lines, read on a thread of their own (reading blocks).
    static func standardInputLines() -> AsyncStream<String> {
        AsyncStream { continuation in
            let reader = Thread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
            reader.start()
        }
    }
}
