import Foundation
import GanderCore

/// What one request to a local model offers it and holds it to, decided from the conversation so far: the tool
/// format, the toolset (and what it may call now), and the grammar. This is where the harness helps small models:
/// look first at what the instruction names, no answer to a change request before a change, and (for models with
/// no tool training) answers to questions that quote what a tool returned. Each help is an `Affordance` that can be
/// switched off, so each is judged on the whole suite (bench/local_suite.py) across models.
struct LocalTurnPlan {
    /// nil when the request offers no tools.
    let format: ToolCallFormat?
    let toolset: LocalToolset
    let workspace: WorkspaceSnapshot?
    let constraint: (grammar: String, trigger: String?)?
    let affordances: Set<Affordance>
    /// The latest results are followed by the instruction again (`Affordance.taskReminder`).
    let remindsOfTask: Bool
    /// The system prompt this request sends in place of the agent's, if any (`Affordance.wordsOnly`).
    let systemPrompt: String?

    /// A conversation that opens with words only gets this system prompt: told it is an agent that carries out
    /// instructions with tools, Qwen2.5-Coder-0.5B answered "Say hi." by reciting that description, and "What is
    /// 2 + 3?" by saying it read the relevant files.
    static let wordsOnlySystemPrompt = "You are Gander, a helpful assistant for software developers."

    init(request: ModelRequest, chatTemplate: String?, workingDirectory: URL, affordances: Set<Affordance> = Affordance.enabled) {
        self.affordances = affordances
        let instruction = request.messages.last(where: { $0.role == .user && !$0.text.isEmpty })?.text ?? ""
        let task = LocalTask(instruction: instruction)
        // A conversation that opens with words only ("What is 2 + 3?") gets no tools at all: with the developer's
        // tools in its prompt, Qwen2.5-Coder-1.5B reaches for `echo 2 + 3` and, held to words, answers 4. Later in a
        // conversation the tools stay in the prompt (and the grammar holds it to words), since the cached prompt
        // starts with them.
        let opensWithWordsOnly = affordances.contains(.wordsOnly) && request.messages.count == 1 && task.isConversational
            && request.tools.allSatisfy { $0.name.hasPrefix("developer__") }
        guard !request.tools.isEmpty, !opensWithWordsOnly else {
            format = nil
            toolset = LocalToolset(tools: [], compact: true)
            workspace = nil
            constraint = nil
            remindsOfTask = false
            // Not in chat mode (no tools at all): there the agent's prompt carries the user's hints.
            systemPrompt = opensWithWordsOnly && !request.tools.isEmpty ? Self.wordsOnlySystemPrompt : nil
            return
        }
        systemPrompt = nil
        let format = ToolCallFormat.detect(chatTemplate: chatTemplate)
        let workspace = WorkspaceSnapshot(directory: workingDirectory)
        let seen = LocalToolset(tools: request.tools, compact: true).seen(in: request.messages)
        // Not before running something: a model that has just read a script runs the lines it read instead. Not
        // before deleting, moving or copying: a model that has read a file rewrites it instead.
        let looks = affordances.contains(.lookFirst) && !task.asksToRun && !task.asksToMoveFiles
        let lookFirst: (files: [String], folders: [String]) = looks ? workspace?.lookFirst(for: instruction) ?? ([], []) : ([], [])
        let toolset = LocalToolset(tools: request.tools, compact: !format.isTrained, workspace: workspace,
                                   restrictsPaths: !format.isTrained, seen: seen, lookFirst: lookFirst,
                                   fileVerbs: affordances.contains(.fileVerbs), addLine: affordances.contains(.addLine))
        let changeMade = task.changeMade(in: request.messages, toolset: toolset)
        let changePending = affordances.contains(.changeBeforeAnswer) && task.asksForChange && !changeMade
        let mayAnswer = !toolset.mustLook && !changePending
        // A trained model hears a change request again only while the change is still to make: told it once the
        // change is made, it takes it for a new request and explains how it would be done.
        remindsOfTask = affordances.contains(.taskReminder)
            && (!format.isTrained || !task.asksForChange || !changeMade)
        var quotes: [String]?
        // A "how many" question is answered from a count Gander takes of what the tools returned: small models,
        // trained or not, miscount or pick a line of the listing instead.
        if affordances.contains(.countAnswers), !task.asksForChange {
            quotes = Self.countQuotes(question: instruction, message: request.messages.last)
        }
        // A trained model is held to quotes only when it reports what a command printed: answering a question
        // about a file, it phrases the value well, and an answer forced to open with a line stops after it.
        if quotes == nil, affordances.contains(.quotedAnswers), format.isTrained ? task.asksToRun : !task.asksForChange || task.asksToRun {
            quotes = Self.quotableLines(of: request.messages.last)
        }
        // Words only: nothing to call. Not when other tools (an MCP server's) are offered, which may be what it needs.
        let wordsOnly = affordances.contains(.wordsOnly) && task.isConversational && !toolset.mustLook
            && toolset.offered.allSatisfy { !$0.name.contains("__") }
        self.format = format
        self.toolset = toolset
        self.workspace = format.isTrained ? nil : workspace
        // Answer now: a question about named files once they are read, or a request to run something once it ran
        // (and made the other change it asked for, if any).
        let answerNow = format.isTrained && affordances.contains(.answerWhenDone) && !toolset.mustLook
            && (task.asksToRun ? task.ranCommand(in: request.messages, toolset: toolset)
                    && (!task.asksForMoreThanRunning || task.changeMade(in: request.messages, toolset: toolset, besidesCommands: true))
                : task.asksForChange ? task.isOneStep && changeMade
                : !(lookFirst.files.isEmpty && lookFirst.folders.isEmpty)
                    && lookFirst.files.allSatisfy { seen.contains("read_file \($0)") }
                    && lookFirst.folders.allSatisfy { seen.contains("list_files \($0)") })
        if answerNow || wordsOnly && format.isTrained {
            // Words only, for a trained model later in a conversation: its prompt lists the tools all the same (the
            // cached prompt must not change), and a small one calls them for a greeting.
            constraint = (ToolCallFormat.answerOnlyGrammar(quotes: answerNow ? quotes : nil), nil)
        } else if format.isTrained, !mayAnswer {
            // A call now, in the model's own trained form, from the first token; once it has looked at something,
            // a call that changes something (a small model made to act otherwise looks again and again).
            let changing = toolset.unseenCallable.filter { !LocalToolset.lookingVerbs.contains($0.name) }
            // The first change is made with the verb the instruction asks for, where it says: Qwen2.5-Coder-0.5B
            // renames a file by replacing its name inside it, asked to check something with a command reads a file
            // named like the answer it guessed, and asked to write run.sh runs `echo` instead. Later calls are free
            // (a folder to make first, a script to fix).
            let asked = affordances.contains(.askedVerbFirst) && !task.triedChange(in: request.messages, toolset: toolset)
                ? changing.filter { task.firstVerbs.contains($0.name) }.map { spec in
                    // A file to create is written where the instruction names it, not as "done.txt".
                    spec.name == "write_file" ? LocalToolset.restricting(spec, path: task.namedPaths) : spec
                } : []
            constraint = (format.callOnlyConstraint(for: !asked.isEmpty ? asked
                                                        : seen.isEmpty || changing.isEmpty ? toolset.unseenCallable : changing), nil)
        } else {
            constraint = format.constraint(for: wordsOnly ? [] : toolset.callable, mayAnswer: mayAnswer || wordsOnly, quotes: quotes,
                                           triggerNames: toolset.offered.map(\.name))
        }
    }

    /// The helps the harness gives small models, each of which can be switched off to measure it.
    enum Affordance: String, CaseIterable, Sendable {
        /// When the instruction names files or folders that exist, the first call must look at them.
        case lookFirst = "look-first"
        /// An instruction that asks for a change cannot be answered before a changing call succeeded.
        case changeBeforeAnswer = "change-before-answer"
        /// Answers to questions quote lines of what a tool returned (trained models: an answer about what a command
        /// printed opens with one of its lines).
        case quotedAnswers = "quoted-answers"
        /// "How many" answers quote a count of what a listing or file holds.
        case countAnswers = "count-answers"
        /// An instruction with nothing to do with files or commands gets no tools.
        case wordsOnly = "words-only"
        /// A trained model answers in words, with no call, once a question's named files are read, the command it
        /// was asked to run has run, or the one change it was asked for was made: small models otherwise call again
        /// and again, and undo their own work.
        case answerWhenDone = "answer-when-done"
        /// The latest tool result is followed by the instruction again (untrained models: with whether to act or
        /// answer now): small models lose sight of the task after a result.
        case taskReminder = "task-reminder"
        /// Deleting, moving, copying and making folders are verbs of their own, not only shell commands.
        case fileVerbs = "file-verbs"
        /// Adding a line at the start or end of a file is a verb of its own (`add_line`): small models otherwise
        /// rewrite the file with the new line alone, or replace the new line with itself.
        case addLine = "add-line"
        /// A trained model's first change is made with the verb the instruction asks for when it says:
        /// `run_command` for "run greet.sh" or "check with a command", `move_file` for "rename", `add_line`,
        /// `write_file` for a named file to create.
        case askedVerbFirst = "asked-verb-first"

        /// All of them, less those named in `GANDER_LOCAL_HARNESS_OFF` (comma-separated, or "all").
        static var enabled: Set<Affordance> {
            let off = (ProcessInfo.processInfo.environment["GANDER_LOCAL_HARNESS_OFF"] ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if off.contains("all") { return [] }
            return Set(allCases.filter { !off.contains($0.rawValue) })
        }
    }

    /// For a "how many" question, the counts that the tool results in `message` hold, as phrases the answer must
    /// quote: a small model asked to count picks one of the listed lines instead ("a.txt") or a number of its own.
    /// Listings give the files directly in each folder (of the extension the question names, if it names one), a
    /// file or a command's output its number of lines; which of them is offered follows the question's noun.
    static func countQuotes(question: String, message: Message?) -> [String]? {
        let lowered = question.lowercased()
        guard lowered.hasPrefix("how many") || lowered.contains(" how many "), let message, message.role == .user else { return nil }
        let results = message.toolResults.filter { !$0.isError }
        guard !results.isEmpty else { return nil }
        let askedExtension = lowered.firstMatch(of: /\.([a-z0-9]{1,10})\b/).map { String($0.1) }
        let asksForLines = lowered.contains("line")
        // The word the counted lines must contain, as the question writes it (quotes dropped).
        let containedWord = question.firstMatch(of: /\b[Cc]ontain(?:s|ing)?\s+["'`]?([^\s"'`?]+)/).map { String($0.1) }
        func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
        var quotes: [String] = []
        for result in results {
            let lines = result.text.split(whereSeparator: \.isNewline).map(String.init)
            guard let header = lines.first else { continue }
            if header.contains("(two levels deep; directly in it:") {
                guard !asksForLines else { continue }
                var filesIn: [String: [String]] = ["": []]
                for entry in lines.dropFirst() where !entry.hasSuffix("/") && !entry.hasPrefix("[") && entry != "(empty)" {
                    let parts = entry.split(separator: "/")
                    filesIn[parts.dropLast().joined(separator: "/"), default: []].append(String(parts.last ?? ""))
                }
                // A folder the question names is the one it asks about.
                let named = filesIn.keys.filter { !$0.isEmpty && lowered.contains($0.lowercased()) }
                for (folder, names) in filesIn.sorted(by: { $0.key < $1.key }) where named.isEmpty || named.contains(folder) {
                    let chosen = askedExtension.map { suffix in names.filter { $0.lowercased().hasSuffix("." + suffix) } } ?? names
                    let noun = askedExtension.map { ".\($0) file" } ?? "file"
                    quotes.append(count(chosen.count, noun) + (folder.isEmpty ? "" : " in \(folder)"))
                }
            } else if asksForLines {
                // A long file is shown a page at a time, with the whole count in its last line (of lines holding a
                // word, the page cannot tell).
                if let paged = lines.last?.firstMatch(of: /^\[showing lines \d+–\d+ of (\d+);/), let total = Int(paged.1) {
                    if containedWord == nil { quotes.append(count(total, "line")) }
                    continue
                }
                // The editor's numbered lines, or a command's output below its labels; "how many lines contain
                // ERROR?" counts those that hold the word.
                let numbered = lines.filter { line in line.split(separator: "\t", maxSplits: 1).first?.allSatisfy(\.isNumber) == true }
                let counted = numbered.isEmpty ? lines.filter { !$0.hasSuffix(":") && !$0.hasPrefix("exit code:") } : numbered
                quotes.append(count(containedWord.map { word in counted.filter { $0.contains(word) } }?.count ?? counted.count, "line"))
            }
        }
        return quotes.isEmpty ? nil : quotes
    }

    /// The lines a small model may quote in answer to a question, from the successful tool results that `message`
    /// carries; nil when there are none (then it answers freely).
    static func quotableLines(of message: Message?) -> [String]? {
        guard let message, message.role == .user else { return nil }
        let results = message.toolResults.filter { !$0.isError }
        guard !results.isEmpty, results.count == message.toolResults.count else { return nil }
        var lines: [String] = []
        for result in results {
            for line in result.text.split(whereSeparator: \.isNewline) {
                // Without the editor's line numbers and the shell's labels, which are not part of any answer.
                var trimmed = line.trimmingCharacters(in: .whitespaces)
                if let tab = trimmed.firstIndex(of: "\t"), trimmed[..<tab].allSatisfy(\.isNumber) {
                    trimmed = String(trimmed[trimmed.index(after: tab)...])
                }
                if trimmed.hasSuffix(":") || trimmed.hasPrefix("exit code:") { continue }
                if !trimmed.isEmpty, trimmed.count <= 300, !lines.contains(trimmed) { lines.append(trimmed) }
            }
        }
        return lines.isEmpty || lines.count > 100 ? nil : lines
    }

}
