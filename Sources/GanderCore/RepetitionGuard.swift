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

    /// Whether the model made the call again after it was refused for repeating: it is not going to stop by itself
    /// (a small model under a grammar that only lets it call tools can go on for ever), so the run ends.
    var ignoredRefusal: Bool { streak > limit + 1 }

    /// The repeated tool's name, for saying what the model was stuck on.
    var repeatedTool: String? { lastSignature.map { String($0.prefix { $0 != "\u{0}" }) } }
}
