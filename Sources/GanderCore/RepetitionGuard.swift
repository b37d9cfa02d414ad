/// Stops a model that keeps making the same call: a tool with the same arguments more than `limit` times in a row.
struct RepetitionGuard {
    let limit: Int
    private var lastSignature: String?
    private var streak = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// Records a call; returns how many times in a row it has now been made when that is over the limit.
    mutating func record(tool: String, arguments: JSONValue) -> Int? {
        let signature = tool + "\u{0}" + arguments.canonicalText
        streak = signature == lastSignature ? streak + 1 : 1
        lastSignature = signature
        return streak > limit ? streak : nil
    }
}
