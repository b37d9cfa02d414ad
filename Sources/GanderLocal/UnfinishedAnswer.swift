import Foundation

/// Tells an answer that a small model stopped mid-sentence ("The output of the command ") from one that ended,
/// so it is never passed off as finished. Only endings no finished sentence has count: a trailing comma, colon or
/// dash, a last word that needs another after it, or text that stops on a space without closing punctuation.
/// "Done: hi.txt says hello" without a full stop is finished; "The port is" is not.
enum UnfinishedAnswer {
    private static let wordsThatNeedMore: Set<String> = [
        "a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into", "and", "or", "but", "is",
        "are", "was", "were", "be", "that", "which", "as", "its", "their", "your", "my", "our", "this", "these",
        "if", "then", "than", "because", "so", "when", "where", "while", "whose",
    ]

    /// The last few words of `answer` when it is unfinished; nil when it reads as finished (or is empty).
    static func ending(of answer: String) -> String? {
        let trimmed = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let last = trimmed.last else { return nil }
        let tail = String(trimmed.suffix(40))
        if [",", ":", ";", "-", "(", "—"].contains(last) { return tail }
        let lastWord = trimmed.split(whereSeparator: \.isWhitespace).last.map { $0.lowercased() } ?? ""
        if wordsThatNeedMore.contains(lastWord) { return tail }
        // A reply that ends on a space (the model's last token began a word it never wrote) and whose text does
        // not end a sentence.
        if answer.last == " ", last.isLetter || last.isNumber { return tail }
        return nil
    }
}
