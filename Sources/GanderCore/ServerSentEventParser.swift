/// One server-sent event: its `event:` name, if any, and its `data:` lines joined by newlines.
public struct ServerSentEvent: Equatable, Sendable {
    public var name: String?
    public var data: String

    public init(name: String?, data: String) {
        self.name = name
        self.data = data
    }
}

/// Splits a byte stream into server-sent events as the bytes arrive, in whatever pieces the network delivers them.
/// Its methods are inlinable so that each caller's byte sequence is specialized: a generic loop over bytes across a
/// module boundary costs several times as much.
public struct ServerSentEventParser: Sendable {
    @usableFromInline var lines = LineSplitter()
    @usableFromInline var name: String?
    @usableFromInline var data: [String] = []

    public init() {}

    /// Feeds bytes in; returns the events they completed.
    @inlinable
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for line in lines.feed(bytes) {
            if let event = take(line: line) { events.append(event) }
        }
        return events
    }

    /// Ends the stream; an event without its closing blank line still counts.
    @inlinable
    public mutating func finish() -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for line in lines.finish() {
            if let event = take(line: line) { events.append(event) }
        }
        if let last = take(line: "") { events.append(last) }
        return events
    }

    @usableFromInline
    mutating func take(line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer { name = nil; data = [] }
            return data.isEmpty ? nil : ServerSentEvent(name: name, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = Substring(line)
            value = ""
        }
        switch field {
        case "data": data.append(String(value))
        case "event": name = String(value)
        default: break
        }
        return nil
    }
}

/// Splits bytes into UTF-8 lines ending in `\n` or `\r\n`, keeping a partial line until its end arrives.
public struct LineSplitter: Sendable {
    @usableFromInline var pending: [UInt8] = []

    public init() {}

    @inlinable
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return lines
    }

    /// The last line when the stream ended without a newline.
    @inlinable
    public mutating func finish() -> [String] {
        defer { pending = [] }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        return pending.isEmpty ? [] : [String(decoding: pending, as: UTF8.self)]
    }
}
