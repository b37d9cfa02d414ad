import Synchronization

/// Replaces secrets in what is about to leave the machine with stable placeholders (`«secret:1»`), and puts the real
/// values back into what the model answers, so a tool call that uses a placeholder still does the work locally.
///
/// It knows secrets by their shape: private-key blocks, the key formats of the well-known providers and code hosts
/// (OpenAI, Anthropic, Google, GitHub, GitLab, Slack, Hugging Face, Databricks), AWS access key ids, JSON web tokens,
/// passwords in URLs and tokens in their query strings, bearer tokens, values assigned to names that say they are
/// secret (`API_KEY=…`, `"password": "…"`, the lines of an env file), and long high-entropy strings right after a
/// secret word. The same value always gets the same placeholder for as long as the redactor lives (one session).
///
/// The scan is one pass over the UTF-8 bytes that looks closer only at the few bytes a secret can start at, so a
/// megabyte costs about a millisecond; text with no secret is returned as it is.
public final class SecretRedactor: Sendable {
    private struct Table {
        var numbers: [String: Int] = [:]
        var values: [String] = []
    }

    private let table = Mutex(Table())

    public init() {}

    /// How many secrets of each kind one pass replaced.
    public typealias Counts = [String: Int]

    /// `text` with its secrets replaced, and what was replaced.
    public func redact(_ text: String) -> (text: String, counts: Counts) {
        var text = text
        text.makeContiguousUTF8()
        let found = text.utf8.withContiguousStorageIfAvailable { SecretScanner(bytes: $0).findings() } ?? []
        guard !found.isEmpty else { return (text, [:]) }
        // Slices of a native string by UTF-8 offsets are O(1) to reach and copy without validating again.
        let utf8 = text.utf8
        var counts: Counts = [:]
        var output = ""
        output.reserveCapacity(utf8.count)
        var cursor = 0
        for finding in found where finding.start >= cursor {
            let start = utf8.index(utf8.startIndex, offsetBy: finding.start)
            let end = utf8.index(utf8.startIndex, offsetBy: finding.end)
            output += text[utf8.index(utf8.startIndex, offsetBy: cursor)..<start]
            output += placeholder(for: String(text[start..<end]))
            counts[finding.kind, default: 0] += 1
            cursor = finding.end
        }
        output += text[utf8.index(utf8.startIndex, offsetBy: cursor)...]
        return (output, counts)
    }

    /// `text` with every placeholder this redactor handed out replaced by its real value. With `jsonEscaped`, the
    /// values are escaped for the inside of a JSON string, for tool calls' argument text.
    public func restore(_ text: String, jsonEscaped: Bool = false) -> String {
        guard text.contains(Self.opening) else { return text }
        let values = table.withLock { $0.values }
        var output = ""
        var rest = Substring(text)
        while let open = rest.range(of: Self.opening) {
            output += rest[..<open.lowerBound]
            let after = rest[open.upperBound...]
            let digits = after.prefix(while: \.isNumber)
            if let number = Int(digits), number >= 1, number <= values.count,
               after.dropFirst(digits.count).first == Self.closing {
                let value = values[number - 1]
                output += jsonEscaped ? Self.jsonEscape(value) : value
                rest = after.dropFirst(digits.count + 1)
            } else {
                output += Self.opening
                rest = after
            }
        }
        return output + rest
    }

    static let opening = "«secret:"
    static let closing: Character = "»"

    private func placeholder(for value: String) -> String {
        let number = table.withLock { table -> Int in
            if let known = table.numbers[value] { return known }
            table.values.append(value)
            table.numbers[value] = table.values.count
            return table.values.count
        }
        return "\(Self.opening)\(number)\(Self.closing)"
    }

    /// `value` escaped for the inside of a JSON string, by the same writer that encodes every JSON value.
    private static func jsonEscape(_ value: String) -> String {
        String(JSONValue.string(value).canonicalText.dropFirst().dropLast())
    }
}

/// A secret's place in the text, by byte offsets, and its kind.
struct Finding: Equatable {
    let start: Int
    let end: Int
    let kind: String
}

/// The one pass over the bytes.
struct SecretScanner {
    let bytes: UnsafeBufferPointer<UInt8>

    /// Prefixes of well-known key formats, the characters their bodies use, and the shortest body.
    private static let prefixed: [(prefix: [UInt8], kind: String, minimumBody: Int)] = [
        ("sk-ant-", "anthropic_key", 20), ("sk-", "openai_key", 20), ("AIza", "google_api_key", 35),
        ("github_pat_", "github_token", 22), ("ghp_", "github_token", 30), ("gho_", "github_token", 30),
        ("ghu_", "github_token", 30), ("ghs_", "github_token", 30), ("ghr_", "github_token", 30),
        ("glpat-", "gitlab_token", 20), ("xoxb-", "slack_token", 10), ("xoxp-", "slack_token", 10),
        ("xoxa-", "slack_token", 10), ("xoxs-", "slack_token", 10), ("hf_", "huggingface_token", 30),
        ("dapi", "databricks_token", 32), ("AKIA", "aws_access_key_id", 16), ("ASIA", "aws_access_key_id", 16),
    ].map { (Array($0.0.utf8), $0.1, $0.2) }

    /// The well-known prefixes by their first byte, so a letter that starts none costs one lookup.
    private static let prefixesByFirstByte: [[(prefix: [UInt8], kind: String, minimumBody: Int)]] = {
        var table = Array(repeating: [(prefix: [UInt8], kind: String, minimumBody: Int)](), count: 256)
        for entry in prefixed { table[Int(entry.prefix[0])].append(entry) }
        return table
    }()
    private static let pemBegin = Array("-----BEGIN ".utf8)
    private static let pemEnd = Array("-----END ".utf8)
    private static let pemDashes = Array("-----".utf8)
    private static let privateKeyWords = Array("PRIVATE KEY".utf8)
    private static let jwtStart = Array("eyJ".utf8)
    private static let bearerWord = Array("bearer ".utf8)

    /// Words in a name that make what is assigned to it a secret.
    private static let secretWords = ["key", "secret", "token", "passw", "pwd", "credential", "auth", "private", "signature"]
        .map { Array($0.utf8) }
    private static let secretWordStarts: [Bool] = {
        var table = Array(repeating: false, count: 256)
        for word in secretWords { table[Int(word[0])] = true }
        return table
    }()
    /// Names in URL query strings whose values are credentials.
    private static let queryNames = ["token", "access_token", "api_key", "apikey", "key", "sig", "signature", "password",
                                     "secret", "auth", "client_secret", "code"].map { Array($0.utf8) }

    func findings() -> [Finding] {
        var found: [Finding] = []
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            var hit: Finding?
            switch byte {
            case UInt8(ascii: "-"): hit = privateKey(at: index)
            case UInt8(ascii: "s"), UInt8(ascii: "A"), UInt8(ascii: "g"), UInt8(ascii: "x"), UInt8(ascii: "h"),
                 UInt8(ascii: "d"):
                hit = prefixedKey(at: index)
            case UInt8(ascii: "e"): hit = webToken(at: index)
            case UInt8(ascii: "B"), UInt8(ascii: "b"): hit = bearer(at: index)
            case UInt8(ascii: "@"): hit = urlPassword(endingAt: index)
            case UInt8(ascii: "="), UInt8(ascii: ":"): hit = assignedValue(after: index)
            default: break
            }
            if let hit, hit.end > hit.start {
                found.append(hit)
                // A password in a URL ends at the `@` it was found from; step past it all the same.
                index = max(hit.end, index + 1)
            } else {
                index += 1
            }
        }
        return found
    }

    // MARK: Shapes

    private func privateKey(at index: Int) -> Finding? {
        guard starts(with: Self.pemBegin, at: index) else { return nil }
        let headerEnd = find(Self.pemDashes, from: index + 11, within: 80)
        guard let headerEnd, contains(Self.privateKeyWords, from: index + 11, to: headerEnd) else { return nil }
        guard let footer = find(Self.pemEnd, from: headerEnd + 5, within: 64 * 1024),
              let close = find(Self.pemDashes, from: footer + 9, within: 80) else { return nil }
        return Finding(start: index, end: close + 5, kind: "private_key")
    }

    private func prefixedKey(at index: Int) -> Finding? {
        guard isBoundary(before: index) else { return nil }
        for (prefix, kind, minimum) in Self.prefixesByFirstByte[Int(bytes[index])] where starts(with: prefix, at: index) {
            let end = runEnd(from: index + prefix.count, isTokenByte)
            guard end - (index + prefix.count) >= minimum, isBoundary(after: end) else { continue }
            // AWS key ids are upper case and digits only.
            if kind == "aws_access_key_id", end - index != 20 { continue }
            return Finding(start: index, end: end, kind: kind)
        }
        return nil
    }

    private func webToken(at index: Int) -> Finding? {
        guard starts(with: Self.jwtStart, at: index), isBoundary(before: index) else { return nil }
        let end = runEnd(from: index) { isTokenByte($0) || $0 == UInt8(ascii: ".") }
        var dots = 0
        for position in index..<end where bytes[position] == UInt8(ascii: ".") { dots += 1 }
        guard dots == 2, end - index >= 30 else { return nil }
        return Finding(start: index, end: end, kind: "jwt")
    }

    private func bearer(at index: Int) -> Finding? {
        guard isBoundary(before: index), startsCaseInsensitive(with: Self.bearerWord, at: index) else { return nil }
        let start = index + 7
        let end = runEnd(from: start) { isTokenByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "+")
            || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "=") }
        guard end - start >= 16 else { return nil }
        return Finding(start: start, end: end, kind: "bearer_token")
    }

    /// `scheme://user:password@host`: the password.
    private func urlPassword(endingAt at: Int) -> Finding? {
        var position = at - 1
        var colon: Int?
        while position > 0, at - position < 256 {
            let byte = bytes[position]
            if byte == UInt8(ascii: "/") {
                guard position >= 2, bytes[position - 1] == UInt8(ascii: "/"), bytes[position - 2] == UInt8(ascii: ":"),
                      let colon, colon + 1 < at else { return nil }
                return Finding(start: colon + 1, end: at, kind: "url_password")
            }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\"") { return nil }
            if byte == UInt8(ascii: ":"), colon == nil { colon = position }
            position -= 1
        }
        return nil
    }

    /// The value after `NAME=` or `NAME:` (or `"name": "…"`) when the name says it is secret, or after a query
    /// string's credential name; else a long high-entropy string right after a secret word.
    private func assignedValue(after separator: Int) -> Finding? {
        let isEquals = bytes[separator] == UInt8(ascii: "=")
        // The name before the separator, past a closing quote.
        var nameEnd = separator
        while nameEnd > 0, separator - nameEnd < 4, bytes[nameEnd - 1] == UInt8(ascii: " ") || bytes[nameEnd - 1] == UInt8(ascii: "\t") {
            nameEnd -= 1
        }
        if nameEnd > 0, bytes[nameEnd - 1] == UInt8(ascii: "\"") || bytes[nameEnd - 1] == UInt8(ascii: "'") { nameEnd -= 1 }
        var nameStart = nameEnd
        while nameStart > 0, nameEnd - nameStart < 64, isNameByte(bytes[nameStart - 1]) { nameStart -= 1 }
        guard nameStart < nameEnd else { return nil }
        let inQuery = isEquals && nameStart > 0 && (bytes[nameStart - 1] == UInt8(ascii: "?") || bytes[nameStart - 1] == UInt8(ascii: "&"))
        if inQuery {
            guard Self.queryNames.contains(where: { equalsCaseInsensitive($0, from: nameStart, to: nameEnd) }) else { return nil }
            let end = runEnd(from: separator + 1) { !isQueryEnd($0) }
            return end - separator - 1 >= 8 ? Finding(start: separator + 1, end: end, kind: "url_token") : nil
        }
        guard nameSaysSecret(from: nameStart, to: nameEnd) else { return nil }
        // The value: after spaces and an opening quote, up to the closing quote, or up to white space.
        var start = separator + 1
        while start < bytes.count, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        guard start < bytes.count else { return nil }
        var end: Int
        if bytes[start] == UInt8(ascii: "\"") || bytes[start] == UInt8(ascii: "'") {
            let quote = bytes[start]
            start += 1
            end = runEnd(from: start) { $0 != quote && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\\") }
        } else {
            end = runEnd(from: start) { !isValueEnd($0) }
        }
        // A value of a known shape is named by its shape.
        if let shaped = prefixedKey(at: start) ?? webToken(at: start), shaped.end <= end { return shaped }
        guard end - start >= 8, looksLikeSecretValue(from: start, to: end) else { return nil }
        return Finding(start: start, end: end, kind: "assigned_secret")
    }

    /// Not a number, a reference (`${VAR}`, `$VAR`, `<your-key>`), a word like `true`, or a placeholder already.
    private func looksLikeSecretValue(from start: Int, to end: Int) -> Bool {
        let first = bytes[start]
        if first == UInt8(ascii: "$") || first == UInt8(ascii: "<") || first == UInt8(ascii: "{") || first == 0xC2 { return false }
        var letters = 0, digits = 0, others = 0
        var distinct = Set<UInt8>()
        for position in start..<end {
            let byte = bytes[position]
            // Code, not a value: a call, a subscript, an expression.
            if byte == UInt8(ascii: "(") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]") { return false }
            distinct.insert(byte)
            if isLetter(byte) { letters += 1 } else if isDigit(byte) { digits += 1 } else { others += 1 }
        }
        guard letters > 0, distinct.count >= 5 else { return false }
        // A value of plain words (`my_model_name`, `os.environ`) is a name, not a secret, unless it mixes in digits.
        return digits > 0 || others > 0 && !(0..<(end - start)).allSatisfy { isNameByte(bytes[start + $0]) } || end - start >= 16
    }

    // MARK: Bytes

    private func isBoundary(before index: Int) -> Bool {
        index == 0 || !isTokenByte(bytes[index - 1])
    }

    private func isBoundary(after index: Int) -> Bool {
        index >= bytes.count || !isTokenByte(bytes[index])
    }

    private func runEnd(from start: Int, _ belongs: (UInt8) -> Bool) -> Int {
        var end = start
        while end < bytes.count, belongs(bytes[end]) { end += 1 }
        return end
    }

    private func starts(with prefix: [UInt8], at index: Int) -> Bool {
        guard index + prefix.count <= bytes.count else { return false }
        for offset in 0..<prefix.count where bytes[index + offset] != prefix[offset] { return false }
        return true
    }

    private func startsCaseInsensitive(with prefix: [UInt8], at index: Int) -> Bool {
        guard index + prefix.count <= bytes.count else { return false }
        for offset in 0..<prefix.count where lower(bytes[index + offset]) != prefix[offset] { return false }
        return true
    }

    private func find(_ needle: [UInt8], from start: Int, within distance: Int) -> Int? {
        let last = min(bytes.count - needle.count, start + distance)
        guard start <= last else { return nil }
        for index in start...last where starts(with: needle, at: index) { return index }
        return nil
    }

    private func contains(_ needle: [UInt8], from start: Int, to end: Int) -> Bool {
        guard end - start >= needle.count else { return false }
        for index in start...(end - needle.count) where starts(with: needle, at: index) { return true }
        return false
    }

    private func containsCaseInsensitive(_ word: [UInt8], from start: Int, to end: Int) -> Bool {
        guard end - start >= word.count else { return false }
        outer: for index in start...(end - word.count) {
            for offset in 0..<word.count where lower(bytes[index + offset]) != word[offset] { continue outer }
            return true
        }
        return false
    }

    /// Whether a secret word occurs in the name, in one pass: only positions whose letter starts a word are compared.
    private func nameSaysSecret(from start: Int, to end: Int) -> Bool {
        for position in start..<end {
            let first = lower(bytes[position])
            guard Self.secretWordStarts[Int(first)] else { continue }
            word: for word in Self.secretWords where word[0] == first && position + word.count <= end {
                for offset in 1..<word.count where lower(bytes[position + offset]) != word[offset] { continue word }
                return true
            }
        }
        return false
    }

    private func equalsCaseInsensitive(_ word: [UInt8], from start: Int, to end: Int) -> Bool {
        end - start == word.count && containsCaseInsensitive(word, from: start, to: end)
    }

    private func lower(_ byte: UInt8) -> UInt8 {
        byte >= 65 && byte <= 90 ? byte + 32 : byte
    }

    private func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 97 && (byte | 0x20) <= 122 }
    private func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    private func isTokenByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
    private func isNameByte(_ byte: UInt8) -> Bool { isTokenByte(byte) || byte == UInt8(ascii: ".") }
    private func isQueryEnd(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "#") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: ")") || byte == UInt8(ascii: ">")
    }
    private func isValueEnd(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
            || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
            || byte == UInt8(ascii: "}") || byte == UInt8(ascii: ")") || byte == UInt8(ascii: "&")
    }
}
