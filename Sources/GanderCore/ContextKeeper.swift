/// The context window of one run: its limit, how big the provider last measured the conversation, and what the last
/// compaction left. It answers two questions before every request — how big is it, and should it be compacted — so
/// that compaction happens before an overflow, mid tool loop as much as between turns, and never over and over.
struct ContextKeeper {
    private(set) var limit: ContextLimit
    private let thresholdShare: Double
    /// The prompt and reply tokens of the last model call, and how many messages of the conversation they cover.
    private var measured: (tokens: Int, messageCount: Int)?
    /// The size the last compaction brought the request down to.
    private var lastCompactedSize: Int?

    init(limit: ContextLimit, policy: ContextPolicy) {
        self.limit = limit
        thresholdShare = policy.compactThreshold
    }

    /// The size past which a request is compacted first.
    var threshold: Int { Int(Double(limit.tokens) * thresholdShare) }

    /// The request's size: the provider's own count of the conversation so far plus an estimate of what was added
    /// since, or an estimate of all of it when the provider has not counted (first request, after a compaction).
    func estimate(systemPrompt: String, tools: [ToolSpec], messages: [Message]) -> Int {
        if let measured, measured.messageCount <= messages.count {
            return measured.tokens + TokenEstimate.of(messages[measured.messageCount...])
        }
        return TokenEstimate.of(systemPrompt) + TokenEstimate.of(tools) + TokenEstimate.of(messages)
    }

    /// Past the threshold, and grown since the last compaction by enough to be worth another — a tenth of the
    /// window — or past the limit itself. A conversation that stays above the threshold after compacting is thus
    /// not compacted again at every request.
    func shouldCompact(_ estimate: Int) -> Bool {
        guard estimate >= threshold else { return false }
        guard let lastCompactedSize, estimate < limit.tokens else { return true }
        return estimate - lastCompactedSize >= limit.tokens / 10
    }

    /// The provider's count for the call that just answered; zero means it did not count.
    mutating func measured(_ usage: Usage, covering messageCount: Int) {
        let tokens = usage.promptTokens + usage.outputTokens
        measured = tokens > 0 ? (tokens, messageCount) : nil
    }

    mutating func compacted(to size: Int) {
        lastCompactedSize = size
        measured = nil
    }

    /// The provider refused a request of about `size` tokens as too long: the real window is smaller than the limit
    /// said, so work below what was refused from now on.
    mutating func overflowed(at size: Int) {
        let believable = size * 9 / 10
        if believable < limit.tokens {
            limit = ContextLimit(tokens: believable, source: "the provider refused a request of about \(size) tokens, so "
                + "Gander lowered the \(limit.tokens) of \(limit.source)")
        }
        measured = nil
    }
}
