import Foundation
import Logging
import MCP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a transport stopped delivering messages.
public enum MCPTransportEnd: Error, CustomStringConvertible, Sendable, Equatable {
    /// The other side closed its output: a server that exited, or a client that went away.
    case closed
    /// The other side wrote a line that is not JSON; after that nothing it writes can be trusted.
    case notJSON(String)
    /// One message grew past what Gander keeps in memory.
    case oversized(Int)
    case readFailed(String)

    public var description: String {
        switch self {
        case .closed: "closed its output"
        case .notJSON(let line): "wrote something that is not JSON-RPC to stdout: \"\(line)\""
        case .oversized(let limit): "sent a message larger than \(limit / (1 << 20)) MiB"
        case .readFailed(let reason): "could not be read from: \(reason)"
        }
    }
}

/// JSON-RPC messages, one per line, over a pair of file descriptors: a server's pipes, or Gander's own stdin and
/// stdout when it is the server. Reads block on a thread of their own, so a message is handled the moment it
/// arrives; the SDK's own stdio transport polls instead.
actor LineTransport: Transport {
    /// A single message may not grow past this; a server that streams bytes without a newline must not exhaust memory.
    static let maxMessageBytes = 64 << 20

    nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let messages: AsyncThrowingStream<Data, any Error>
    private let delivery: AsyncThrowingStream<Data, any Error>.Continuation
    private let onEnd: @Sendable (MCPTransportEnd) -> Void
    /// Writes go one at a time, off the actor, because a write to a full pipe blocks.
    private let writer = DispatchQueue(label: "gander.mcp.line-transport.write")
    private let outputState = OutputState()
    private var started = false

    /// `onEnd` hears once why the input ended.
    init(input: Int32, output: Int32, onEnd: @escaping @Sendable (MCPTransportEnd) -> Void = { _ in }) {
        self.input = input
        self.output = output
        self.onEnd = onEnd
        self.logger = Logger(label: "gander.mcp.line-transport", factory: { _ in SwiftLogNoOpLogHandler() })
        (messages, delivery) = AsyncThrowingStream.makeStream(of: Data.self, throwing: (any Error).self)
    }

    func connect() async throws {
        guard !started else { return }
        started = true
        let reader = Thread { [input, delivery, onEnd] in
            let end = Self.readLines(from: input) { delivery.yield($0) }
            close(input)
            onEnd(end)
            // Finishing with an error, never plainly: the SDK's client loop asks again for a stream that ended
            // without one, and would spin.
            delivery.finish(throwing: end)
        }
        reader.stackSize = 256 * 1024
        reader.start()
    }

    func send(_ message: Data) async throws {
        var framed = message
        framed.append(UInt8(ascii: "\n"))
        let line = framed
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            writer.async { [output, outputState] in
                guard outputState.isOpen else { return continuation.resume(throwing: MCPError.connectionClosed) }
                let failure: Int32? = line.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = write(output, buffer.baseAddress! + offset, buffer.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            return errno
                        }
                        offset += written
                    }
                    return nil
                }
                if let failure {
                    continuation.resume(throwing: MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO)))
                } else {
                    continuation.resume()
                }
            }
        }
    }

    func receive() -> AsyncThrowingStream<Data, any Error> {
        messages
    }

    /// Closes the output, which tells the other side to finish; the input ends when the other side closes it.
    func disconnect() async {
        writer.async { [output, outputState] in
            guard outputState.isOpen else { return }
            outputState.isOpen = false
            close(output)
        }
    }

    /// Reads until the input ends, handing over each line that looks like JSON.
    private static func readLines(from fd: Int32, deliver: (Data) -> Void) -> MCPTransportEnd {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pending = Data()
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return .closed }
            if count < 0 {
                if errno == EINTR { continue }
                return .readFailed(String(cString: strerror(errno)))
            }
            var chunk = buffer[0..<count]
            while let newline = chunk.firstIndex(of: UInt8(ascii: "\n")) {
                pending.append(contentsOf: chunk[chunk.startIndex..<newline])
                chunk = chunk[(newline + 1)...]
                let line = pending
                pending.removeAll(keepingCapacity: true)
                guard let first = line.first(where: { !Self.isWhitespace($0) }) else { continue }
                guard first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
                    return .notJSON(Self.preview(line))
                }
                deliver(line)
            }
            pending.append(contentsOf: chunk)
            if pending.count > maxMessageBytes { return .oversized(maxMessageBytes) }
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private static func preview(_ line: Data) -> String {
        let text = String(decoding: line.prefix(80), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return line.count > 80 ? text + "…" : text
    }
}

/// Whether the output is still open; touched only on the transport's writer queue.
private final class OutputState: @unchecked Sendable {
    var isOpen = true
}
