/// The border a model request crosses on its way off the machine. Going out, every text part is redacted and the
/// tool results the ledger has not yet seen in this run are listed with their files; coming back, the placeholders
/// in the reply become the real values again, so the tools work on them and the conversation kept here is the
/// user's own. For a provider that keeps everything on the machine (the embedded model) it lets all pass as it is.
struct Egress {
    let redactor: SecretRedactor?
    let leavesMachine: Bool
    /// The tool results already in the ledger for this run; later requests carry them again, as the conversation.
    private var ledgered: Set<String> = []

    init(redactor: SecretRedactor?, leavesMachine: Bool) {
        self.redactor = redactor
        self.leavesMachine = leavesMachine
    }

    /// A request as it leaves, with what the ledger says about it.
    struct Outgoing {
        var request: ModelRequest
        /// Secrets replaced, by kind.
        var redactions: [String: Int] = [:]
        /// The files and tool outputs this request carries for the first time in the run.
        var files: [FileSpan] = []
        var toolOutputs: [LedgerEntry.ToolOutputRecord] = []
        fileprivate var newResults: [String] = []
    }

    func prepare(_ request: ModelRequest) -> Outgoing {
        var outgoing = Outgoing(request: request)
        guard leavesMachine else { return outgoing }
        for message in request.messages {
            for result in message.toolResults where !ledgered.contains(result.callID) {
                outgoing.newResults.append(result.callID)
                outgoing.files += result.sources
                outgoing.toolOutputs.append(.init(callID: result.callID, tool: result.toolName, bytes: result.text.utf8.count))
            }
        }
        guard let redactor else { return outgoing }
        func redact(_ text: String) -> String {
            let (clean, counts) = redactor.redact(text)
            outgoing.redactions.merge(counts, uniquingKeysWith: +)
            return clean
        }
        outgoing.request.systemPrompt = redact(request.systemPrompt)
        outgoing.request.messages = request.messages.map { message in
            var copy = message
            copy.content = message.content.map { part in
                switch part {
                case .text(let text): return .text(redact(text))
                case .toolCall(let call): return .toolCall(call.withArguments(redact(call.arguments)))
                case .toolResult(var result):
                    // A file of secrets (an env file) has every assignment redacted, whatever its names.
                    let secretsFile = result.sources.contains { SecretFiles.holdsSecrets($0.path) }
                    result.content = result.content.map { content in
                        guard case .text(let text) = content else { return content }
                        let (clean, counts) = redactor.redact(text, everyAssignment: secretsFile)
                        outgoing.redactions.merge(counts, uniquingKeysWith: +)
                        return .text(clean)
                    }
                    return .toolResult(result)
                case .reasoning:
                    // Signed reasoning must go back byte for byte, or the provider refuses it.
                    return part
                }
            }
            return copy
        }
        return outgoing
    }

    /// The ledger holds `outgoing` now; its tool results are not new to later requests of the run.
    mutating func recorded(_ outgoing: Outgoing) {
        ledgered.formUnion(outgoing.newResults)
    }

    /// The reply with the real values back in its text, which the user reads here. Tool calls keep the
    /// placeholders the model wrote: they are restored after their arguments are parsed, and only for tools that
    /// act on this machine (`secretsIn`, `restore(_:)` of arguments).
    func restore(_ reply: Message) -> Message {
        guard let redactor, leavesMachine else { return reply }
        var copy = reply
        copy.content = reply.content.map { part in
            if case .text(let text) = part { .text(redactor.restore(text)) } else { part }
        }
        return copy
    }

    /// The placeholders a call's parsed arguments use, by number.
    func secretsIn(_ arguments: [String: JSONValue]) -> [Int] {
        guard let redactor, leavesMachine else { return [] }
        return redactor.placeholders(in: .object(arguments))
    }

    /// Parsed arguments with the real values back.
    func restore(_ arguments: [String: JSONValue]) -> [String: JSONValue] {
        guard let redactor, leavesMachine else { return arguments }
        return arguments.mapValues(redactor.restore)
    }

    func restore(_ text: String) -> String {
        guard let redactor, leavesMachine else { return text }
        return redactor.restore(text)
    }
}

extension ToolCall {
    /// The same call with other argument text.
    func withArguments(_ arguments: String) -> ToolCall {
        var copy = self
        copy.arguments = arguments
        return copy
    }
}
