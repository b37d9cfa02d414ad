import Foundation

/// When and how long to wait before a failed model call is tried again. Shared by every provider.
public struct RetryPolicy: Sendable {
    /// Statuses that say "not now" rather than "never": timeouts, rate limits, overload and gateway trouble.
    public static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504, 529]

    /// Tries in all, the first included.
    public var maxAttempts: Int
    /// The wait before the second try; it doubles with each further try.
    public var baseDelay: Double
    /// No single wait is longer than this, whatever the server asks.
    public var maxDelay: Double

    public init(maxAttempts: Int = 5, baseDelay: Double = 0.5, maxDelay: Double = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before try `attempt + 1`: the server's `Retry-After` when it gave one, else exponential back-off with
    /// full jitter so that many clients do not retry in step.
    public func delay(afterAttempt attempt: Int, retryAfter: String?, now: Date = Date()) -> Double {
        if let retryAfter, let asked = Self.parseRetryAfter(retryAfter, now: now) {
            return min(max(asked, 0), maxDelay)
        }
        let ceiling = min(baseDelay * pow(2, Double(attempt - 1)), maxDelay)
        return Double.random(in: ceiling / 2 ... ceiling)
    }

    /// `Retry-After` is either seconds or an HTTP date.
    static func parseRetryAfter(_ value: String, now: Date) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: trimmed).map { $0.timeIntervalSince(now) }
    }
}
