/// One message of AWS's binary event stream (`application/vnd.amazon.eventstream`).
struct EventStreamMessage: Equatable {
    var headers: [String: String]
    var payload: [UInt8]
}

/// Reads AWS's event-stream framing as bytes arrive: each message is a 12-byte prelude (total length, headers length,
/// the prelude's CRC32), headers, a payload and the whole message's CRC32. Both checksums are verified; a frame that
/// fails one is an error, never half-read.
struct EventStreamDecoder {
    private var buffer: [UInt8] = []

    /// Frames larger than this are refused rather than buffered.
    static let maximumMessage = 16 << 20

    enum Failure: Error, CustomStringConvertible {
        case badPreludeChecksum
        case badMessageChecksum
        case badLength(Int)
        case badHeader

        var description: String {
            switch self {
            case .badPreludeChecksum: "an event-stream frame whose prelude fails its CRC32"
            case .badMessageChecksum: "an event-stream frame whose message fails its CRC32"
            case .badLength(let length): "an event-stream frame of impossible length \(length)"
            case .badHeader: "an event-stream frame with a header that cannot be read"
            }
        }
    }

    mutating func feed(_ bytes: [UInt8]) throws -> [EventStreamMessage] {
        buffer += bytes
        var messages: [EventStreamMessage] = []
        while buffer.count >= 12 {
            let total = Int(Self.uint32(buffer, at: 0))
            let headersLength = Int(Self.uint32(buffer, at: 4))
            guard CRC32.checksum(buffer[0..<8]) == Self.uint32(buffer, at: 8) else { throw Failure.badPreludeChecksum }
            guard total >= 16 + headersLength, total <= Self.maximumMessage else { throw Failure.badLength(total) }
            guard buffer.count >= total else { break }
            guard CRC32.checksum(buffer[0..<(total - 4)]) == Self.uint32(buffer, at: total - 4) else {
                throw Failure.badMessageChecksum
            }
            let headers = try Self.headers(buffer[12..<(12 + headersLength)])
            messages.append(EventStreamMessage(headers: headers, payload: Array(buffer[(12 + headersLength)..<(total - 4)])))
            buffer.removeFirst(total)
        }
        return messages
    }

    /// Whether bytes of an unfinished frame are waiting.
    var hasPartialMessage: Bool { !buffer.isEmpty }

    /// String headers by name; headers of other types are read past.
    private static func headers(_ bytes: ArraySlice<UInt8>) throws -> [String: String] {
        var headers: [String: String] = [:]
        var position = bytes.startIndex
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard position + count <= bytes.endIndex else { throw Failure.badHeader }
            defer { position += count }
            return bytes[position..<(position + count)]
        }
        while position < bytes.endIndex {
            let nameLength = Int(try take(1).first!)
            let name = String(decoding: try take(nameLength), as: UTF8.self)
            let type = try take(1).first!
            switch type {
            case 0, 1: break
            case 2: _ = try take(1)
            case 3: _ = try take(2)
            case 4: _ = try take(4)
            case 5, 8: _ = try take(8)
            case 6, 7:
                let length = try take(2)
                let value = try take(Int(length.first!) << 8 | Int(length.last!))
                if type == 7 { headers[name] = String(decoding: value, as: UTF8.self) }
            case 9: _ = try take(16)
            default: throw Failure.badHeader
            }
        }
        return headers
    }

    private static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// CRC-32 as zlib computes it (IEEE 802.3, reflected), which is what the event stream's checksums are.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        ~bytes.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }
}
