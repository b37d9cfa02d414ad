import Foundation

/// Whether a URL's host is on this machine or its private network: loopback, private and link-local ranges, and
/// names that resolve to them. Such addresses reach what the user runs locally (a dev server, a router's admin
/// page, a cloud's metadata service), so fetching them needs the user's say.
enum LocalAddress {
    /// The host and the local address it reaches, or nil for a public one (or one that does not resolve, which the
    /// fetch itself will report).
    static func target(of url: URL) -> String? {
        guard let host = url.host?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]")), !host.isEmpty else {
            return nil
        }
        if host == "localhost" || host.hasSuffix(".localhost") { return host }
        let addresses = isLiteral(host) ? [host] : resolve(host)
        guard let local = addresses.first(where: isLocal) else { return nil }
        return local == host ? host : "\(host) (\(local))"
    }

    private static func isLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Every address the name resolves to, as text.
    private static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0,
                           NI_NUMERICHOST) == 0 {
                addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }

    static func isLocal(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return isLocalV4(UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes.dropLast().allSatisfy({ $0 == 0 }) { return bytes[15] <= 1 }  // :: and ::1
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {  // ::ffff:a.b.c.d
            return isLocalV4(bytes[12..<16].reduce(0) { $0 << 8 | UInt32($1) })
        }
        return bytes[0] & 0xFE == 0xFC || (bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80)  // fc00::/7, fe80::/10
    }

    private static func isLocalV4(_ address: UInt32) -> Bool {
        let ranges: [(UInt32, UInt32)] = [
            (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16),
            (0xAC10_0000, 12), (0xC0A8_0000, 16),
        ]
        return ranges.contains { network, bits in address >> (32 - bits) == network >> (32 - bits) }
    }
}
