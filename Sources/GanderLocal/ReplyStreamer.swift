/// Decides, token by token, which generated text the user sees as the answer: text up to where a tool call may start
/// (any of `ToolCallReader.markers`), the answer inside Gander's `{"answer": "…"}`, never a stop string the model
/// wrote as text, and never a tail that might still turn out to be the start of a call or a stop string. Text held
/// back as a possible call is kept: when the finished reply holds no call after all, it is shown then.
struct ReplyStreamer {
    /// The tool-call format of a request with tools; nil for a plain chat.
    let format: ToolCallFormat?
    private var answer = AnswerStreamer()
    private var held = ""
    /// Generation went past what may be the start of a tool call; nothing after it is shown while it runs.
    private(set) var inCall = false
    /// The text from the possible start of a call on, shown only if the reply turns out to hold no call.
    private(set) var heldAsCall = ""
    /// Some of a JSON-protocol answer was shown.
    private(set) var streamedAnswer = false
    private var stopped = false

    /// Text that ends a reply in chat formats, should the model write it as text rather than as its special token.
    static let stopStrings = ["<|im_end|>", "<|im_start|>", "<|endoftext|>", "<|eot_id|>", "</s>", "<end_of_turn>"]

    /// `reply` up to the first stop string the model wrote as text.
    static func beforeStopString(_ reply: String) -> String {
        guard let stop = stopStrings.compactMap({ reply.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) else { return reply }
        return String(reply[..<stop.lowerBound])
    }

    init(format: ToolCallFormat?) {
        self.format = format
    }

    /// Takes newly generated text; returns what can be shown now and whether generation should stop.
    mutating func feed(_ text: String) -> (text: String, stopped: Bool) {
        guard !stopped, !text.isEmpty else { return ("", stopped) }
        if format == .json {
            let shown = answer.feed(text)
            if !shown.isEmpty { streamedAnswer = true }
            inCall = answer.isToolCall
            return (shown, false)
        }
        held += text
        if inCall {
            heldAsCall += held
            held = ""
            if let stop = Self.stopStrings.compactMap({ heldAsCall.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                heldAsCall = String(heldAsCall[..<stop.lowerBound])
                stopped = true
            }
            return ("", stopped)
        }
        if let stop = Self.stopStrings.compactMap({ held.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            held = String(held[..<stop.lowerBound])
            stopped = true
        }
        if format != nil, let start = ToolCallReader.possibleCallStart(in: held) {
            inCall = true
            let before = String(held[..<start])
            heldAsCall = String(held[start...])
            held = ""
            return (before, stopped)
        }
        if stopped {
            defer { held = "" }
            return (held, true)
        }
        // Keep back a tail that could be the start of a stop string or of a call; pass the rest on.
        let keep = max(Self.stopStrings.map { LocalProvider.overlap(of: held, withPrefixOf: $0) }.max() ?? 0,
                       format == nil ? 0 : ToolCallReader.undecidedTail(of: held))
        let ready = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return (ready, false)
    }

    /// What was held back, once generation has ended without it becoming a call or a stop string.
    mutating func finish() -> String {
        defer { held = "" }
        return inCall || format == .json ? "" : held
    }
}

/// Streams the text of `{"answer": "…"}` as it is generated, decoding JSON string escapes on the way.
struct AnswerStreamer {
    private var buffer = ""
    private var inAnswer = false
    private var finished = false
    private var pendingEscape = ""
    /// The reply turned out to be a tool call, not an answer.
    private(set) var isToolCall = false

    /// Feeds generated text; returns answer text that is now certain.
    mutating func feed(_ text: String) -> String {
        guard !finished else { return "" }
        if !inAnswer {
            buffer += text
            let compact = buffer.filter { !$0.isWhitespace }
            guard compact.count >= 11 else { return "" }
            guard compact.hasPrefix("{\"answer\":\"") else {
                finished = true  // a tool call: nothing to stream
                isToolCall = true
                return ""
            }
            inAnswer = true
            // Everything after the opening quote of the value is answer text.
            let afterKey = buffer.range(of: "\"answer\"")!.upperBound
            let quote = buffer[afterKey...].firstIndex(of: "\"")!
            let rest = String(buffer[buffer.index(after: quote)...])
            buffer = ""
            return decode(rest)
        }
        return decode(text)
    }

    private mutating func decode(_ text: String) -> String {
        var output = ""
        for character in text {
            if finished { break }
            if !pendingEscape.isEmpty {
                pendingEscape.append(character)
                if pendingEscape.hasPrefix("\\u") {
                    guard pendingEscape.count == 6 else { continue }
                    if let value = UInt32(pendingEscape.dropFirst(2), radix: 16), let scalar = Unicode.Scalar(value) {
                        output.unicodeScalars.append(scalar)
                    }
                } else {
                    switch character {
                    case "n": output += "\n"
                    case "t": output += "\t"
                    case "r": output += "\r"
                    case "b", "f": break
                    default: output.append(character)
                    }
                }
                pendingEscape = ""
            } else if character == "\\" {
                pendingEscape = "\\"
            } else if character == "\"" {
                finished = true
            } else {
                output.append(character)
            }
        }
        return output
    }
}
