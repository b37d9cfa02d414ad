import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Replaces secrets in what is about to leave the machine with stable placeholders (`«secret:1»`), and puts the real
/// values back where a tool that acts on this machine needs them.
///
/// It knows secrets two ways. By their shape: the lines of private-key bodies (with or without their BEGIN and END
/// lines, whatever gutter a viewer put before them), the key formats of the well-known providers and code hosts,
/// AWS access key ids and the secret access key beside one, JSON web tokens, passwords in URLs and tokens in their
/// query strings, bearer tokens, values assigned to names that say they are secret (`API_KEY=…`, `DB_PASS=…`,
/// `"password": "…"`), every assignment of a file that holds secrets (an env file), and long high-entropy strings
/// right after a secret word. And by memory: every value it has once replaced is replaced wherever it appears again —
/// under a name that does not look secret, base64-encoded, URL-encoded or escaped in JSON — for the life of the
/// session, resumed sessions included (`known` and `remember`). The same value always gets the same placeholder.
///
/// The scan is one pass over the UTF-8 bytes that looks closer only at the few bytes a secret can start at, plus one
/// hashed pass for the remembered forms, so a megabyte costs a few milliseconds; text with no secret is returned as
/// it is.
public final class SecretRedactor: Sendable {
    private struct Table {
        var numbers: [String: Int] = [:]
        var values: [String] = []
        /// Every form of every value, for finding them again in one pass.
        var forms = RememberedForms()
    }

    private let table = Mutex(Table())
    /// Told about each value the first time it is replaced, with its number, so a resumed session knows it.
    private let remember: (@Sendable (Int, String) -> Void)?

    /// - Parameters:
    ///   - known: the values this session replaced before, in the order of their numbers.
    ///   - remember: called once for each new value, with its number.
    public init(known: [String] = [], remember: (@Sendable (Int, String) -> Void)? = nil) {
        self.remember = remember
        table.withLock { table in
            for value in known { Self.add(value, to: &table) }
        }
    }

    /// How many secrets of each kind one pass replaced.
    public typealias Counts = [String: Int]

    /// The values replaced so far, in the order of their numbers.
    public var values: [String] { table.withLock { $0.values } }

    /// `text` with its secrets replaced, and what was replaced. With `everyAssignment`, the text comes from a file
    /// that holds secrets (an env file), and the value of every `NAME=value` line in it is one.
    public func redact(_ text: String, everyAssignment: Bool = false) -> (text: String, counts: Counts) {
        var text = text
        text.makeContiguousUTF8()
        let forms = table.withLock { $0.forms }
        let found: [Finding] = text.utf8.withContiguousStorageIfAvailable { bytes -> [Finding] in
            var scanner = SecretScanner(bytes: bytes)
            scanner.everyAssignment = everyAssignment
            return Self.merged(scanner.findings(), forms.occurrences(in: bytes))
        } ?? []
        guard !found.isEmpty else { return (text, [:]) }
        // Slices of a native string by UTF-8 offsets are O(1) to reach and copy without validating again.
        let utf8 = text.utf8
        var counts: Counts = [:]
        var output = ""
        output.reserveCapacity(utf8.count)
        var cursor = 0
        for finding in found {
            let start = utf8.index(utf8.startIndex, offsetBy: finding.start)
            let end = utf8.index(utf8.startIndex, offsetBy: finding.end)
            output += text[utf8.index(utf8.startIndex, offsetBy: cursor)..<start]
            let number = finding.remembered ?? number(for: String(text[start..<end]))
            output += Self.placeholder(number)
            counts[finding.kind, default: 0] += 1
            cursor = finding.end
        }
        output += text[utf8.index(utf8.startIndex, offsetBy: cursor)...]
        return (output, counts)
    }

    /// `text` for a record (a ledger row's address): the values this redactor knows by their placeholders, other
    /// secrets by `«secret»`. Nothing is remembered: a record must not teach the session a value (an API key in a
    /// URL) that would then be kept with it.
    public func mask(_ text: String) -> String {
        var text = text
        text.makeContiguousUTF8()
        let forms = table.withLock { $0.forms }
        let found: [Finding] = text.utf8.withContiguousStorageIfAvailable { bytes -> [Finding] in
            Self.merged(SecretScanner(bytes: bytes).findings(), forms.occurrences(in: bytes))
        } ?? []
        guard !found.isEmpty else { return text }
        let utf8 = Array(text.utf8)
        var output: [UInt8] = []
        var cursor = 0
        for finding in found {
            output += utf8[cursor..<finding.start]
            output += Array((finding.remembered.map(Self.placeholder) ?? "«secret»").utf8)
            cursor = finding.end
        }
        output += utf8[cursor...]
        return String(decoding: output, as: UTF8.self)
    }

    /// `text` with every secret of a known shape shown as `«secret»`.
    public static func masked(_ text: String) -> String {
        SecretRedactor().mask(text)
    }

    /// The placeholders of this redactor that `text` uses, by number, in order and each once.
    public func placeholders(in text: String) -> [Int] {
        guard text.contains(Self.opening) else { return [] }
        let count = table.withLock { $0.values.count }
        var numbers: [Int] = []
        var rest = Substring(text)
        while let open = rest.range(of: Self.opening) {
            let after = rest[open.upperBound...]
            let digits = after.prefix(while: \.isASCII).prefix(while: \.isNumber)
            if let number = Int(digits), number >= 1, number <= count, after.dropFirst(digits.count).first == Self.closing,
               !numbers.contains(number) {
                numbers.append(number)
            }
            rest = after
        }
        return numbers
    }

    /// The placeholders used anywhere in a tool call's parsed arguments.
    public func placeholders(in value: JSONValue) -> [Int] {
        var numbers: [Int] = []
        value.forEachString { string in
            for number in placeholders(in: string) where !numbers.contains(number) { numbers.append(number) }
        }
        return numbers
    }

    /// `text` with every placeholder this redactor handed out replaced by its real value.
    public func restore(_ text: String) -> String {
        guard text.contains(Self.opening) else { return text }
        let values = table.withLock { $0.values }
        var output = ""
        var rest = Substring(text)
        while let open = rest.range(of: Self.opening) {
            output += rest[..<open.lowerBound]
            let after = rest[open.upperBound...]
            let digits = after.prefix(while: \.isASCII).prefix(while: \.isNumber)
            if let number = Int(digits), number >= 1, number <= values.count,
               after.dropFirst(digits.count).first == Self.closing {
                output += values[number - 1]
                rest = after.dropFirst(digits.count + 1)
            } else {
                output += Self.opening
                rest = after
            }
        }
        return output + rest
    }

    /// Parsed arguments with the real values back in every string. Restoring after parsing, never in the raw text,
    /// is what keeps a value whole whatever the JSON spelled (`\u00ab` for `«`, a key's newlines as `\n`).
    public func restore(_ value: JSONValue) -> JSONValue {
        value.mapStrings(restore)
    }

    /// The placeholder for value number `number`.
    public static func placeholder(_ number: Int) -> String {
        "\(opening)\(number)\(closing)"
    }

    static let opening = "«secret:"
    static let closing: Character = "»"

    private func number(for value: String) -> Int {
        let (number, isNew) = table.withLock { table -> (Int, Bool) in
            if let known = table.numbers[value] { return (known, false) }
            return (Self.add(value, to: &table), true)
        }
        if isNew { remember?(number, value) }
        return number
    }

    /// Adds `value` with its forms; returns its number.
    @discardableResult
    private static func add(_ value: String, to table: inout Table) -> Int {
        if let known = table.numbers[value] { return known }
        table.values.append(value)
        let number = table.values.count
        table.numbers[value] = number
        for form in forms(of: value) { table.forms.add(Array(form.utf8), number: number) }
        return number
    }

    /// The ways a value shows up again in text: as it is, escaped inside a JSON string, base64-encoded (padded and
    /// not) and percent-encoded. Values shorter than 8 bytes are not hunted for: they would match ordinary text.
    static func forms(of value: String) -> [String] {
        guard value.utf8.count >= 8 else { return [] }
        var forms = [value]
        let json = String(JSONValue.string(value).canonicalText.dropFirst().dropLast())
        let base64 = Data(value.utf8).base64EncodedString()
        let unpadded = String(base64.prefix { $0 != "=" })
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let percent = value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
        for form in [json, base64, unpadded, percent] where !forms.contains(form) { forms.append(form) }
        return forms
    }

    /// The findings of both kinds in order, without overlaps: where two overlap, the one that starts first (then the
    /// longer) wins, and a remembered value wins over a shape, whose text it is.
    private static func merged(_ shapes: [Finding], _ remembered: [Finding]) -> [Finding] {
        guard !remembered.isEmpty else { return shapes }
        let all = (remembered + shapes).enumerated().sorted {
            ($0.element.start, -$0.element.end, $0.offset) < ($1.element.start, -$1.element.end, $1.offset)
        }
        var result: [Finding] = []
        var cursor = 0
        for (_, finding) in all where finding.start >= cursor {
            result.append(finding)
            cursor = finding.end
        }
        return result
    }
}

/// The remembered values in every form, found again in one pass over the text: each position's first four bytes are
/// hashed into a bit table, and only positions whose bit is set are compared with the forms that hash there. However
/// many values a session has seen, a megabyte costs about one load and one multiply per byte.
struct RememberedForms: Sendable {
    private var forms: [(bytes: [UInt8], number: Int)] = []
    /// Which hashes of a form's first four bytes occur.
    private var filter = [UInt64](repeating: 0, count: 1 << 10)
    /// The forms by that hash.
    private var buckets: [Int: [Int]] = [:]

    var isEmpty: Bool { forms.isEmpty }

    /// Forms shorter than 8 bytes are never added (`SecretRedactor.forms(of:)`).
    mutating func add(_ bytes: [UInt8], number: Int) {
        guard bytes.count >= 8 else { return }
        let hash = bytes.withUnsafeBytes { Self.hash($0.loadUnaligned(as: UInt32.self)) }
        filter[hash >> 6] |= 1 << UInt64(hash & 63)
        buckets[hash, default: []].append(forms.count)
        forms.append((bytes, number))
        // Longest first within a bucket, so a form that contains another wins.
        buckets[hash]!.sort { forms[$0].bytes.count > forms[$1].bytes.count }
    }

    private static func hash(_ key: UInt32) -> Int {
        Int((key &* 2_654_435_761) >> 16)
    }

    /// Every occurrence, left to right, none inside the one before.
    func occurrences(in bytes: UnsafeBufferPointer<UInt8>) -> [Finding] {
        guard !forms.isEmpty, bytes.count >= 8, let base = bytes.baseAddress else { return [] }
        var found: [Finding] = []
        let raw = UnsafeRawPointer(base)
        var position = 0
        let last = bytes.count - 8
        filter.withUnsafeBufferPointer { filter in
            while position <= last {
                let hash = Self.hash(raw.loadUnaligned(fromByteOffset: position, as: UInt32.self))
                if filter[hash >> 6] & (1 << UInt64(hash & 63)) != 0, let match = match(at: position, hash: hash, in: bytes) {
                    found.append(Finding(start: position, end: position + match.length, kind: "remembered", remembered: match.number))
                    position += match.length
                } else {
                    position += 1
                }
            }
        }
        return found
    }

    private func match(at position: Int, hash: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (length: Int, number: Int)? {
        for index in buckets[hash] ?? [] {
            let form = forms[index]
            guard position + form.bytes.count <= bytes.count else { continue }
            let same = form.bytes.withUnsafeBytes { memcmp(bytes.baseAddress! + position, $0.baseAddress!, form.bytes.count) == 0 }
            if same { return (form.bytes.count, form.number) }
        }
        return nil
    }
}

/// A secret's place in the text, by byte offsets, and its kind.
struct Finding: Equatable {
    let start: Int
    let end: Int
    let kind: String
    /// The number of the remembered value found here; nil for a finding by shape.
    var remembered: Int? = nil
}

/// The one pass over the bytes.
struct SecretScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The text is a file that holds secrets (an env file): the value of every `NAME=value` line is one.
    var everyAssignment = false
    /// The lookup tables, fetched once per scan: a static read in the loop pays its lazy-initialisation check on
    /// every byte.
    private let tables = Tables.shared

    private struct Tables {
        static let shared = Tables()
        let prefixesByFirstByte = SecretScanner.prefixesByFirstByte
        let startsPrefix = SecretScanner.startsPrefix
        let secretWords = SecretScanner.secretWords
        let secretWordStarts = SecretScanner.secretWordStarts
        let queryNames = SecretScanner.queryNames
        let jwtStart = SecretScanner.jwtStart
        let bearerWord = SecretScanner.bearerWord
        let exportWord = SecretScanner.exportWord
        /// The bytes that by themselves can start something: a line's end, a private-key marker, a URL password's
        /// `@`, an assignment.
        let triggers: [Bool] = {
            var table = [Bool](repeating: false, count: 256)
            for byte in "\n-@=:".utf8 { table[Int(byte)] = true }
            return table
        }()
        /// The two bytes a key prefix, a JSON web token (`ey`) or a bearer token (`Be`) starts with, by
        /// `first << 8 | second`.
        let pairs: [Bool] = {
            var table = SecretScanner.startsPrefix
            for pair in ["ey", "Be", "be", "BE", "bE"] {
                let bytes = Array(pair.utf8)
                table[Int(bytes[0]) << 8 | Int(bytes[1])] = true
            }
            return table
        }()
    }

    /// Prefixes of well-known key formats and the shortest body after them (gitleaks' catalogue names them).
    private static let prefixed: [(prefix: [UInt8], kind: String, minimumBody: Int)] = [
        ("sk-ant-", "anthropic_key", 20), ("sk-", "openai_key", 20), ("AIza", "google_api_key", 35),
        ("github_pat_", "github_token", 22), ("ghp_", "github_token", 30), ("gho_", "github_token", 30),
        ("ghu_", "github_token", 30), ("ghs_", "github_token", 30), ("ghr_", "github_token", 30),
        ("glpat-", "gitlab_token", 20), ("gldt-", "gitlab_token", 20), ("glrt-", "gitlab_token", 20),
        ("glptt-", "gitlab_token", 20), ("GR1348941", "gitlab_token", 20),
        ("xoxb-", "slack_token", 10), ("xoxp-", "slack_token", 10), ("xoxa-", "slack_token", 10),
        ("xoxs-", "slack_token", 10), ("xoxe-", "slack_token", 10), ("xapp-", "slack_token", 10),
        ("hf_", "huggingface_token", 30), ("dapi", "databricks_token", 32),
        ("AKIA", "aws_access_key_id", 16), ("ASIA", "aws_access_key_id", 16),
        ("sk_live_", "stripe_key", 16), ("rk_live_", "stripe_key", 16), ("sk_test_", "stripe_key", 16),
        ("rk_test_", "stripe_key", 16), ("whsec_", "stripe_key", 24),
        ("npm_", "npm_token", 36), ("pypi-AgE", "pypi_token", 50), ("shpat_", "shopify_token", 32),
        ("shpss_", "shopify_token", 32), ("dop_v1_", "digitalocean_token", 60), ("glc_", "grafana_token", 32),
        ("glsa_", "grafana_token", 32), ("lin_api_", "linear_key", 32), ("ATATT3", "atlassian_token", 60),
        ("AGE-SECRET-KEY-1", "age_key", 50), ("ya29.", "google_oauth_token", 30),
    ].map { (Array($0.0.utf8), $0.1, $0.2) }

    /// The well-known prefixes by their first byte.
    private static let prefixesByFirstByte: [[(prefix: [UInt8], kind: String, minimumBody: Int)]] = {
        var table = Array(repeating: [(prefix: [UInt8], kind: String, minimumBody: Int)](), count: 256)
        for entry in prefixed { table[Int(entry.prefix[0])].append(entry) }
        return table
    }()
    /// Whether two bytes start any prefix, by `first << 8 | second`: one load per byte of text decides, where fetching
    /// the list of prefixes would retain arrays at the start of every word.
    private static let startsPrefix: [Bool] = {
        var table = [Bool](repeating: false, count: 1 << 16)
        for entry in prefixed { table[Int(entry.prefix[0]) << 8 | Int(entry.prefix[1])] = true }
        return table
    }()
    private static let pemBegin = Array("-----BEGIN ".utf8)
    private static let pemEnd = Array("-----END ".utf8)
    private static let pemDashes = Array("-----".utf8)
    private static let privateKeyWords = Array("PRIVATE KEY".utf8)
    private static let jwtStart = Array("eyJ".utf8)
    private static let bearerWord = Array("bearer ".utf8)
    private static let exportWord = Array("export ".utf8)
    /// The shortest line of base64 taken for key material when no BEGIN line says so: PEM bodies are 64 characters a
    /// line, OpenSSH's 70, so a line of that much high-entropy base64 is a key's, whatever shows it.
    private static let keyLineLength = 56

    /// Words in a name that make what is assigned to it a secret.
    private static let secretWords = ["key", "secret", "token", "pass", "pwd", "credential", "auth", "private", "signature"]
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
        /// Inside `-----BEGIN … PRIVATE KEY-----` … `-----END`: every line's base64 is key material.
        var inPrivateKey = false
        /// The line before was key material, so this one's base64, however short (a body's last line), is too.
        var afterKeyLine = false
        var lineStart = 0
        let startsPrefix = tables.startsPrefix
        let triggers = tables.triggers
        let pairs = tables.pairs
        while index < count {
            let byte = bytes[index]
            // Most bytes start nothing: a load or two says so, before anything else is touched. A byte of its own (a
            // line's end, `=`) can start something; a letter only with the one after it (`sk`, `ey`, `Be`).
            guard triggers[Int(byte)] || index + 1 < count && pairs[Int(byte) << 8 | Int(bytes[index + 1])] else {
                index += 1
                continue
            }
            var hit: Finding?
            switch byte {
            case UInt8(ascii: "\n"):
                let key = keyLine(from: lineStart, to: index, inPrivateKey: inPrivateKey, afterKeyLine: afterKeyLine)
                afterKeyLine = key != nil
                if let key { found.append(key) }
                lineStart = index + 1
            case UInt8(ascii: "-"):
                if starts(with: Self.pemBegin, at: index) {
                    if let headerEnd = find(Self.pemDashes, from: index + 11, within: 80),
                       contains(Self.privateKeyWords, from: index + 11, to: headerEnd) {
                        inPrivateKey = true
                        index = headerEnd + 5
                        continue
                    }
                } else if inPrivateKey, starts(with: Self.pemEnd, at: index) {
                    inPrivateKey = false
                    afterKeyLine = false
                    // The END line itself is no key material: step past it to the next line.
                    lineStart = runEnd(from: index) { $0 != UInt8(ascii: "\n") }
                    index = lineStart
                    continue
                }
            case UInt8(ascii: "e"): hit = webToken(at: index)
            case UInt8(ascii: "B"), UInt8(ascii: "b"): hit = bearer(at: index)
            case UInt8(ascii: "@"): hit = urlPassword(endingAt: index)
            case UInt8(ascii: "="), UInt8(ascii: ":"): hit = assignedValue(after: index, lineStart: lineStart)
            default: break
            }
            if hit == nil, index + 1 < count, startsPrefix[Int(byte) << 8 | Int(bytes[index + 1])] {
                hit = prefixedKey(at: index)
                if let id = hit, id.kind == "aws_access_key_id", let secret = awsSecret(after: id.end) {
                    found.append(id)
                    hit = secret
                }
            }
            if let hit, hit.end > hit.start {
                found.append(hit)
                // A password in a URL ends at the `@` it was found from; step past it all the same.
                if hit.end > index + 1 {
                    // Skipping over a line's end must not lose track of the line.
                    if let newline = lastNewline(from: index, to: hit.end) { lineStart = newline + 1; afterKeyLine = false }
                    index = hit.end
                    continue
                }
            }
            index += 1
        }
        if let key = keyLine(from: lineStart, to: count, inPrivateKey: inPrivateKey, afterKeyLine: afterKeyLine) {
            found.append(key)
        }
        // A key line is found at its line's end, after what else the line held: put them in order, without overlaps.
        found.sort { ($0.start, -$0.end) < ($1.start, -$1.end) }
        var ordered: [Finding] = []
        for finding in found where finding.start >= (ordered.last?.end ?? 0) { ordered.append(finding) }
        return ordered
    }

    // MARK: Shapes

    /// The base64 at the end of the line `[start, end)` when it is key material: any of it inside a private-key
    /// block or right after a key line, else a long, high-entropy run. Only the run is the secret, never what a
    /// viewer put before it (a line number, a file name), so a restored key is the key.
    private func keyLine(from start: Int, to end: Int, inPrivateKey: Bool, afterKeyLine: Bool) -> Finding? {
        var runEnd = end
        if runEnd > start, bytes[runEnd - 1] == UInt8(ascii: "\r") { runEnd -= 1 }
        var runStart = runEnd
        while runStart > start, isBase64Byte(bytes[runStart - 1]) { runStart -= 1 }
        let length = runEnd - runStart
        guard length >= 4 else { return nil }
        if runStart > start {
            let before = bytes[runStart - 1]
            guard before == UInt8(ascii: " ") || before == UInt8(ascii: "\t") || before == UInt8(ascii: ":")
                || before == UInt8(ascii: "|") || before == UInt8(ascii: "\"") || before == UInt8(ascii: "'")
                || before == UInt8(ascii: ">") else { return nil }
        }
        if inPrivateKey || afterKeyLine {
            return Finding(start: runStart, end: runEnd, kind: "private_key")
        }
        guard length >= Self.keyLineLength, isHighEntropyBase64(from: runStart, to: runEnd) else { return nil }
        return Finding(start: runStart, end: runEnd, kind: "private_key")
    }

    /// Upper and lower case letters and digits, and many distinct characters: not a word, a hex digest or a path.
    private func isHighEntropyBase64(from start: Int, to end: Int) -> Bool {
        var upper = false, lower = false, digit = false
        var seen = [Bool](repeating: false, count: 128)
        var distinct = 0
        for position in start..<end {
            let byte = bytes[position]
            if byte >= 65 && byte <= 90 { upper = true } else if byte >= 97 && byte <= 122 { lower = true }
            else if isDigit(byte) { digit = true }
            if !seen[Int(byte)] { seen[Int(byte)] = true; distinct += 1 }
        }
        return upper && lower && digit && distinct >= 20
    }

    /// An AWS secret access key (40 characters of base64) within the 200 bytes after an access key id, on its line:
    /// `AKIA…,wJal…` in a CSV, or both on one command line.
    private func awsSecret(after idEnd: Int) -> Finding? {
        var position = idEnd
        let limit = min(bytes.count, idEnd + 200)
        while position < limit, bytes[position] != UInt8(ascii: "\n") {
            if isAWSSecretByte(bytes[position]), position == 0 || !isAWSSecretByte(bytes[position - 1]) {
                let end = runEnd(from: position, isAWSSecretByte)
                if end - position == 40, isHighEntropyBase64(from: position, to: end) || hasSlashOrPlus(from: position, to: end) {
                    return Finding(start: position, end: end, kind: "aws_secret_access_key")
                }
                position = end
            } else {
                position += 1
            }
        }
        return nil
    }

    private func hasSlashOrPlus(from start: Int, to end: Int) -> Bool {
        (start..<end).contains { bytes[$0] == UInt8(ascii: "/") || bytes[$0] == UInt8(ascii: "+") }
    }

    private func lastNewline(from start: Int, to end: Int) -> Int? {
        var position = end - 1
        while position >= start {
            if bytes[position] == UInt8(ascii: "\n") { return position }
            position -= 1
        }
        return nil
    }

    private func prefixedKey(at index: Int) -> Finding? {
        guard isBoundary(before: index) else { return nil }
        for (prefix, kind, minimum) in tables.prefixesByFirstByte[Int(bytes[index])] where starts(with: prefix, at: index) {
            let end = runEnd(from: index + prefix.count, isTokenByte)
            guard end - (index + prefix.count) >= minimum, isBoundary(after: end) else { continue }
            // AWS key ids are upper case and digits only.
            if kind == "aws_access_key_id", end - index != 20 { continue }
            return Finding(start: index, end: end, kind: kind)
        }
        return nil
    }

    private func webToken(at index: Int) -> Finding? {
        guard starts(with: tables.jwtStart, at: index), isBoundary(before: index) else { return nil }
        let end = runEnd(from: index) { isTokenByte($0) || $0 == UInt8(ascii: ".") }
        var dots = 0
        for position in index..<end where bytes[position] == UInt8(ascii: ".") { dots += 1 }
        guard dots == 2, end - index >= 30 else { return nil }
        return Finding(start: index, end: end, kind: "jwt")
    }

    private func bearer(at index: Int) -> Finding? {
        guard isBoundary(before: index), startsCaseInsensitive(with: tables.bearerWord, at: index) else { return nil }
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
    private func assignedValue(after separator: Int, lineStart: Int) -> Finding? {
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
            guard tables.queryNames.contains(where: { equalsCaseInsensitive($0, from: nameStart, to: nameEnd) }) else { return nil }
            let end = runEnd(from: separator + 1) { !isQueryEnd($0) }
            return end - separator - 1 >= 8 ? Finding(start: separator + 1, end: end, kind: "url_token") : nil
        }
        // In a file of secrets, every `NAME=value` at a line's start (after `export `) is one.
        let wholeLine = everyAssignment && isEquals && isLineStart(nameStart, lineStart: lineStart)
        guard wholeLine || nameSaysSecret(from: nameStart, to: nameEnd) else { return nil }
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
        if wholeLine, end > start, bytes[start] != UInt8(ascii: "$") { return Finding(start: start, end: end, kind: "env_value") }
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

    /// Whether only a viewer's prefix — white space, the editor's `   12\t` gutter, a search's `file:12:` — and
    /// `export ` come between the line's start and `position`.
    private func isLineStart(_ position: Int, lineStart: Int) -> Bool {
        var cursor = lineStart
        // A search's `path:line:` prefix: up to the second colon, the part between them all digits.
        if let first = (lineStart..<position).first(where: { bytes[$0] == UInt8(ascii: ":") }) {
            let digitsEnd = runEnd(from: first + 1, isDigit)
            if digitsEnd > first + 1, digitsEnd < position, bytes[digitsEnd] == UInt8(ascii: ":") { cursor = digitsEnd + 1 }
        }
        while cursor < position, bytes[cursor] == UInt8(ascii: " ") { cursor += 1 }
        let digitsEnd = runEnd(from: cursor, isDigit)
        if digitsEnd > cursor, digitsEnd < position, bytes[digitsEnd] == UInt8(ascii: "\t") { cursor = digitsEnd + 1 }
        while cursor < position, bytes[cursor] == UInt8(ascii: " ") || bytes[cursor] == UInt8(ascii: "\t") { cursor += 1 }
        if cursor + 7 <= position, starts(with: tables.exportWord, at: cursor) { cursor += 7 }
        return cursor == position
    }

    private func isBase64Byte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
    }

    private func isAWSSecretByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
    }

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
            guard tables.secretWordStarts[Int(first)] else { continue }
            word: for word in tables.secretWords where word[0] == first && position + word.count <= end {
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
