import Foundation

/// A schedule in cron's words, as goose's `schedule add --cron` takes it: five fields (minute hour day-of-month month
/// day-of-week), six with seconds first, or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. Each field is
/// checked and expanded to the values it matches, so it can be handed to the system's scheduler in that
/// scheduler's own words: a crontab line or a systemd `OnCalendar=`.
public struct CronExpression: Sendable, Equatable {
    /// The expression as the user wrote it.
    public let text: String
    /// The values each field matches, in order: second, minute, hour, day of month, month, day of week (0 is Sunday).
    public let values: [[Int]]
    /// Whether each field was `*` (or a step over all of it that covers every value), by the same order.
    private let unrestricted: [Bool]

    private struct Field {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]
    }

    private static let fields = [
        Field(name: "second", range: 0...59, names: []),
        Field(name: "minute", range: 0...59, names: []),
        Field(name: "hour", range: 0...23, names: []),
        Field(name: "day of month", range: 1...31, names: []),
        Field(name: "month", range: 1...12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        Field(name: "day of week", range: 0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ]

    private static let macros = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
        "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]

    public init(_ text: String) throws {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var words = (Self.macros[trimmed.lowercased()] ?? trimmed).split(separator: " ").map(String.init)
        if trimmed.hasPrefix("@"), Self.macros[trimmed.lowercased()] == nil {
            throw RecipeError("\"\(text)\" is not a schedule: the shorthands are " + Self.macros.keys.sorted().joined(separator: ", "))
        }
        guard words.count == 5 || words.count == 6 else {
            throw RecipeError("\"\(text)\" is not a schedule: cron takes five fields (minute hour day-of-month month "
                + "day-of-week) or six with seconds first, like \"0 9 * * 1-5\"; `gander schedule cron-help` shows more")
        }
        if words.count == 5 { words.insert("0", at: 0) }
        var values: [[Int]] = []
        var unrestricted: [Bool] = []
        for (word, field) in zip(words, Self.fields) {
            let matched = try Self.expand(word, field, in: text)
            // Sunday is 0 and 7 alike.
            let normalized = field.name == "day of week" ? Array(Set(matched.map { $0 % 7 })).sorted() : matched
            values.append(normalized)
            unrestricted.append(word == "*" || normalized.count == (field.name == "day of week" ? 7 : field.range.count))
        }
        self.values = values
        self.unrestricted = unrestricted
    }

    private static func expand(_ word: String, _ field: Field, in text: String) throws -> [Int] {
        func problem(_ detail: String) -> RecipeError {
            RecipeError("\"\(text)\": the \(field.name) field \"\(word)\" \(detail)")
        }
        func number(_ token: Substring) throws -> Int {
            if let value = Int(token) {
                guard field.range.contains(value) else { throw problem("has \(value), outside \(field.range.lowerBound)–\(field.range.upperBound)") }
                return value
            }
            if let index = field.names.firstIndex(of: token.lowercased()) { return index + (field.name == "month" ? 1 : 0) }
            throw problem("has \"\(token)\", which is not a number" + (field.names.isEmpty ? "" : " or a name like \(field.names[0])"))
        }
        var matched = Set<Int>()
        for item in word.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw problem("has an empty item in its list") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw problem("has more than one /") }
            var step = 1
            if parts.count == 2 {
                guard let value = Int(parts[1]), value > 0 else { throw problem("needs a whole number above 0 after /") }
                step = value
            }
            let span: ClosedRange<Int>
            if parts[0] == "*" {
                span = field.range
            } else if let dash = parts[0].firstIndex(of: "-") {
                let low = try number(parts[0][..<dash]), high = try number(parts[0][parts[0].index(after: dash)...])
                guard low <= high else { throw problem("has a range that runs backwards") }
                span = low...high
            } else {
                let start = try number(parts[0])
                // "5/15" is every 15 from 5 to the end of the field, as cron reads it.
                span = parts.count == 2 ? start...field.range.upperBound : start...start
            }
            matched.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return matched.sorted()
    }

    /// The five crontab fields; cron has no seconds, so a schedule that needs them cannot be one.
    public func crontabFields() throws -> String {
        guard values[0] == [0] else {
            throw RecipeError("\"\(text)\" fires at second \(values[0].map(String.init).joined(separator: ",")); cron runs at whole minutes only")
        }
        return (1...5).map { unrestricted[$0] ? "*" : values[$0].map(String.init).joined(separator: ",") }.joined(separator: " ")
    }

    /// The schedule as systemd's `OnCalendar=`. Where both the day of month and the day of week are restricted cron
    /// fires on either, systemd only on both, so that schedule is refused rather than changed.
    public func onCalendar() throws -> String {
        if !unrestricted[3], !unrestricted[5] {
            throw RecipeError("\"\(text)\" restricts both the day of month and the day of week, which cron reads as "
                + "either and a systemd timer as both; schedule them as two jobs")
        }
        func list(_ index: Int, width: Int = 2) -> String {
            unrestricted[index] ? "*" : values[index].map { String(format: "%0\(width)d", $0) }.joined(separator: ",")
        }
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let days = unrestricted[5] ? "" : values[5].map { weekdays[$0] }.joined(separator: ",") + " "
        return "\(days)*-\(list(4))-\(list(3)) \(list(2)):\(list(1)):\(list(0))"
    }

    /// What `gander schedule cron-help` prints.
    public static let help = """
        A schedule is five fields, or six with seconds first:

          ┌ minute (0-59)
          │ ┌ hour (0-23)
          │ │ ┌ day of month (1-31)
          │ │ │ ┌ month (1-12 or jan-dec)
          │ │ │ │ ┌ day of week (0-7 or sun-sat; 0 and 7 are Sunday)
          * * * * *

        Each field is *, a number, a range (1-5), a list (1,15), or a step (*/15, 0-30/10).

          0 9 * * 1-5      at 09:00 on weekdays
          */15 * * * *     every fifteen minutes
          0 0 1 * *        at midnight on the first of each month
          30 0 9 * * *     at 09:00:30 every day (six fields: seconds first; systemd timers only)
          @hourly @daily @weekly @monthly @yearly

        Times are the machine's local time.
        """
}
