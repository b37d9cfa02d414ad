/// One server-sent event: its `event:` name, if any, and its `data:` lines joined by newlines.
struct ServerSentEvent: Equatable {
    var name: String?
    var data: String
}

/// Splits a byte stream into server-sent events as the bytes arrive, in whatever pieces the network delivers them.
struct ServerSentEventParser {
    private var lines = LineSplitter()
    private var name: String?
    private var data: [String] = []

    /// Feeds bytes in; returns the events they completed.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for line in lines.feed(bytes) {
            if let event = take(line: line) { events.append(event) }
        }
        return events
    }

    /// Ends the stream; an event without its closing blank line still counts.
    mutating func finish() -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for line in lines.finish() {
            if let event = take(line: line) { events.append(event) }
        }
        if let last = take(line: "") { events.append(last) }
        return events
    }

    private mutating func take(line: String) -> ServerSentEvent? {
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
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
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
    mutating func finish() -> [String] {
        defer { pending = [] }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        return pending.isEmpty ? [] : [String(decoding: pending, as: UTF8.self)]
    }
}
