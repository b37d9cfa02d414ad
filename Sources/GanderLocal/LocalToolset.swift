import Foundation
import GanderCore
import GanderHost

/// The tools as a local model sees them. The developer extension's tools are general: `text_editor` takes one of
/// five commands, each with its own optional arguments, and a small model calls `create` without `file_text` as
/// readily as with it. Here each job is one verb whose every argument is required, so the grammar built from these
/// schemas cannot produce a call the tool would refuse. Calls are translated back to the real tools before they
/// leave the provider, and past calls are shown to the model in its own verbs, so the agent, the session and the
/// permissions see only the real tools.
struct LocalToolset {
    /// What the model is offered.
    let offered: [ToolSpec]
    /// What the grammar lets it call now: `offered`, or only looking at what the instruction is about when it has
    /// not looked yet (small models otherwise guess at contents, or edit what they have not seen).
    let callable: [ToolSpec]
    /// `callable` less the reading of files already read since the user spoke: what a required call may be.
    let unseenCallable: [ToolSpec]
    /// The model must look before it may answer (then `callable` holds only the looking).
    let mustLook: Bool
    private let realNames: Set<String>
    private let workspace: WorkspaceSnapshot?
    private let compact: Bool

    /// The verbs that only look.
    static let lookingVerbs: Set<String> = ["read_file", "list_files", "search_text"]

    private static let editor = "developer__text_editor"
    private static let shell = "developer__shell"
    private static let search = "developer__search"

    /// One verb and the real tool it stands for.
    private struct Verb: Sendable {
        let spec: ToolSpec
        let tool: String
        /// The real tool's arguments for the verb's.
        let translate: @Sendable ([String: JSONValue]) -> [String: JSONValue]
    }

    private static func strings(_ names: [(String, String)]) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for (name, description) in names { properties[name] = ["type": "string", "description": .string(description)] }
        // A path is relative to the working directory: small models otherwise write to the directory itself, or
        // copy its absolute path into the name.
        for name in ["path", "source", "destination"] {
            guard case .object(var path)? = properties[name] else { continue }
            path["format"] = "relative-path"
            properties[name] = .object(path)
        }
        return ["type": "object", "properties": .object(properties),
                "required": .array(names.map { .string($0.0) }), "additionalProperties": false]
    }

    /// `add_line`'s arguments: where is one of two words, since small models miscount line numbers.
    private static let addLineSchema: JSONValue = {
        guard case .object(var schema) = strings([("path", "The file to change."), ("line", "The line to add."),
                                                  ("at", "Where to add it: start or end.")]),
              case .object(var properties)? = schema["properties"] else { return [:] }
        properties["at"] = ["type": "string", "enum": ["start", "end"], "description": "Where to add it: start or end."]
        schema["properties"] = .object(properties)
        return .object(schema)
    }()

    private static let verbs: [Verb] = [
        Verb(spec: ToolSpec(name: "read_file", description: "Show the contents of a file.",
                            inputSchema: strings([("path", "The file to read.")]), isReadOnly: true),
             tool: editor, translate: { ["command": "view", "path": $0["path"] ?? ""] }),
        Verb(spec: ToolSpec(name: "list_files", description: "List the files in a directory; \".\" is the working directory.",
                            inputSchema: strings([("path", "The directory to list.")]), isReadOnly: true),
             tool: editor, translate: { ["command": "view", "path": $0["path"] ?? "."] }),
        Verb(spec: ToolSpec(name: "write_file", description: "Create or overwrite a file with the given content.",
                            inputSchema: strings([("path", "The file to write."), ("content", "The whole new content of the file.")])),
             tool: editor, translate: { ["command": "create", "path": $0["path"] ?? "", "file_text": $0["content"] ?? ""] }),
        Verb(spec: ToolSpec(name: "replace_text", description: "Replace text in a file: `old` must appear in the file exactly once.",
                            inputSchema: strings([("path", "The file to change."), ("old", "The exact text to replace."),
                                                  ("new", "The text to put in its place.")])),
             tool: editor, translate: {
                 ["command": "str_replace", "path": $0["path"] ?? "", "old_str": $0["old"] ?? "", "new_str": $0["new"] ?? ""]
             }),
        Verb(spec: ToolSpec(name: "add_line", description: "Add a line at the start or at the end of a file.",
                            inputSchema: addLineSchema),
             tool: editor, translate: {
                 // The end's line number is the file's length, which `realCall` fills in when the call is made.
                 ["command": "insert", "path": $0["path"] ?? "", "new_str": $0["line"] ?? "", "insert_line": 0]
             }),
        Verb(spec: ToolSpec(name: "run_command", description: "Run a shell command (bash) and show its output.",
                            inputSchema: strings([("command", "The command line to run.")])),
             tool: shell, translate: { ["command": $0["command"] ?? ""] }),
        Verb(spec: ToolSpec(name: "search_text", description: "Find the lines of the project's files that match a regular expression.",
                            inputSchema: strings([("pattern", "The regular expression to look for.")]), isReadOnly: true),
             tool: search, translate: { ["pattern": $0["pattern"] ?? ""] }),
    ] + FileOperationVerb.allCases.map { operation in
        Verb(spec: ToolSpec(name: operation.rawValue, description: operation.description,
                            inputSchema: strings(operation.arguments.map { ($0.name, $0.description) })),
             tool: shell, translate: { ["command": .string(operation.command($0))] })
    }

    /// `tools` as offered by the agent. `compact` leaves out the built-in memory and todo tools, for models small
    /// enough that every extra tool in the prompt makes their choice worse. With a `workspace`, the paths of
    /// reading, listing and editing are held to what is there, and `seen` (files already read, folders already
    /// listed, as `verb path`) are not offered again: a small model otherwise repeats its last call for ever.
    /// `restrictsPaths` false offers the verbs as they are (a trained model's prompt lists its tools once, at the
    /// top, and must not change from turn to turn or the cached prompt is lost); the workspace then only finds
    /// scripts named bare. `fileVerbs` false leaves out deleting, moving, copying and making folders as verbs of
    /// their own (`FileOperationVerb`): then only `run_command` does those. `addLine` false leaves out `add_line`
    /// (then lines are added by rewriting or replacing).
    init(tools: [ToolSpec], compact: Bool, workspace: WorkspaceSnapshot? = nil, restrictsPaths: Bool = true,
         seen: Set<String> = [], lookFirst: (files: [String], folders: [String]) = ([], []), fileVerbs: Bool = true,
         addLine: Bool = true) {
        let names = Set(tools.map(\.name))
        realNames = names
        self.workspace = workspace
        self.compact = compact
        var offered: [ToolSpec] = []
        for verb in Self.verbs where names.contains(verb.tool) {
            // Reading a named file serves a small model better than a search it cannot narrow.
            if compact, verb.spec.name == "search_text" { continue }
            if !fileVerbs, FileOperationVerb(rawValue: verb.spec.name) != nil { continue }
            if !addLine, verb.spec.name == "add_line" { continue }
            guard let workspace, restrictsPaths else {
                offered.append(verb.spec)
                continue
            }
            let name = verb.spec.name
            switch name {
            case "read_file", "list_files":
                let paths = (name == "read_file" ? workspace.files : workspace.directories).filter { !seen.contains("\(name) \($0)") }
                if !paths.isEmpty { offered.append(Self.restricting(verb.spec, path: paths)) }
            case "replace_text" where !workspace.files.isEmpty: offered.append(Self.restricting(verb.spec, path: workspace.files))
            case "replace_text": continue
            case FileOperationVerb.deleteFile.rawValue:
                let paths = workspace.files + workspace.directories
                if !paths.isEmpty { offered.append(Self.restricting(verb.spec, path: paths)) }
            default: offered.append(verb.spec)
            }
        }
        // The embedded runtime loads no vision projector: a screenshot would reach the model as a line of text.
        let replaced: Set<String> = [Self.editor, Self.shell, Self.search, "developer__screenshot"]
        for tool in tools where !replaced.contains(tool.name) {
            if compact, tool.name.hasPrefix("memory__") || tool.name.hasPrefix("todo__") { continue }
            offered.append(tool)
        }
        self.offered = offered
        var looks: [ToolSpec] = []
        for (verbName, paths) in [("read_file", lookFirst.files), ("list_files", lookFirst.folders)] {
            let unseen = paths.filter { !seen.contains("\(verbName) \($0)") }
            if !unseen.isEmpty, let verb = Self.verbs.first(where: { $0.spec.name == verbName }), names.contains(verb.tool) {
                looks.append(Self.restricting(verb.spec, path: unseen))
            }
        }
        mustLook = !looks.isEmpty
        if mustLook {
            callable = looks
        } else if let workspace, !restrictsPaths, !workspace.files.isEmpty {
            // The prompt lists the verbs as they are; the grammar still keeps a call from reading a file that is
            // not there.
            callable = offered.map { $0.name == "read_file" ? Self.restricting($0, path: workspace.files) : $0 }
        } else {
            callable = offered
        }
        // When a call is required now, one that reads again what was read since the user spoke is not offered:
        // a small model made to act otherwise reads the same file over and over.
        unseenCallable = callable.compactMap { spec in
            guard spec.name == "read_file", let workspace else { return spec }
            let unseen = workspace.files.filter { !seen.contains("read_file \($0)") }
            return unseen.isEmpty ? nil : Self.restricting(spec, path: unseen)
        }
    }

    /// The agent's system prompt as a local model should read it: without the instructions of the extensions whose
    /// tools it sees as verbs (they name `developer__text_editor` and others it is not offered, which sends small
    /// models after tools that do not exist), and, when compact, those of the tools it is not offered at all; and
    /// without the working directory's absolute path, which a small model copies into the relative paths its verbs
    /// take (`tmp/project/docs/intro.md`).
    func adaptedSystemPrompt(_ prompt: String) -> String {
        var names = ["developer"]
        if compact { names += ["memory", "todo"] }
        var text = prompt
        if let line = text.range(of: #"The working directory is [^\n]*?\. "#, options: .regularExpression) {
            text.replaceSubrange(line, with: "Paths are relative to the working directory. ")
        }
        for name in names {
            guard let start = text.range(of: "# Extension \(name)\n\n") else { continue }
            let end = text.range(of: "\n\n# ", range: start.upperBound..<text.endIndex)?.lowerBound ?? text.endIndex
            let removalStart = text[..<start.lowerBound].hasSuffix("\n\n") ? text.index(start.lowerBound, offsetBy: -2) : start.lowerBound
            text.removeSubrange(removalStart..<end)
        }
        return text
    }

    /// An adapted system prompt cut in two: what stays the same from project to project and day to day (Gander's
    /// instructions, a recipe's, the extensions'), and what does not (the date, the project hints). A trained
    /// model's template puts the tools after the system message, so only with the changing part moved out does the
    /// same long opening — instructions and tools — start every prompt and come from the prompt cache in any
    /// project; the changing part is told with the first instruction instead.
    static func splittingSituation(_ prompt: String) -> (standing: String, situation: String) {
        var standing = prompt
        var situation: [String] = []
        if let date = standing.range(of: #" ?Today is [0-9-]+\."#, options: .regularExpression) {
            situation.append(standing[date].trimmingCharacters(in: .whitespaces))
            standing.removeSubrange(date)
        }
        if let hints = standing.range(of: "# Project hints\n") {
            let end = standing.range(of: "\n\n# ", range: hints.upperBound..<standing.endIndex)?.lowerBound ?? standing.endIndex
            situation.append(standing[hints.lowerBound..<end].trimmingCharacters(in: .whitespacesAndNewlines))
            standing.removeSubrange(hints.lowerBound..<end)
        }
        return (standing.trimmingCharacters(in: .whitespacesAndNewlines), situation.joined(separator: "\n\n"))
    }

    /// `spec` with its `path` argument held to `choices`.
    static func restricting(_ spec: ToolSpec, path choices: [String]) -> ToolSpec {
        guard case .object(var schema) = spec.inputSchema,
              case .object(var properties)? = schema["properties"], case .object(var path)? = properties["path"]
        else { return spec }
        path["enum"] = .array(choices.map { .string($0) })
        properties["path"] = .object(path)
        schema["properties"] = .object(properties)
        var restricted = spec
        restricted.inputSchema = .object(schema)
        return restricted
    }

    /// The real tool call for a call the model made, in `directory` (where an `add_line` at the end finds the
    /// file's length).
    func realCall(name: String, arguments: JSONValue, in directory: URL? = nil) -> (name: String, arguments: JSONValue) {
        guard let verb = Self.verbs.first(where: { $0.spec.name == name }), realNames.contains(verb.tool) else {
            return (name, arguments)
        }
        var real = verb.translate(arguments.objectValue ?? [:])
        if name == "add_line", arguments["at"]?.stringValue == "end", let path = real["path"]?.stringValue {
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : (directory ?? URL(fileURLWithPath: ".")).appendingPathComponent(path)
            if let text = try? String(contentsOf: url, encoding: .utf8) {
                var lines = text.components(separatedBy: "\n")
                if lines.last == "" { lines.removeLast() }
                real["insert_line"] = .integer(Int64(lines.count))
            } else if !FileManager.default.fileExists(atPath: url.path) {
                // No file yet: the line is all of it.
                real = ["command": "create", "path": .string(path), "file_text": .string((real["new_str"]?.stringValue ?? "") + "\n")]
            }
        }
        if verb.tool == Self.shell, let workspace, let command = real["command"]?.stringValue {
            real["command"] = .string(Self.runningScripts(of: workspace, in: command))
        }
        return (verb.tool, .object(real))
    }

    /// `command`, with a script of the working directory named bare (`greet.sh Gander`) run from there. A small
    /// model names a script the way an instruction does, the shell looks for it on PATH and answers 127, and the
    /// model repeats the call however the error is worded. A name that is also a command on PATH is left as it is.
    static func runningScripts(of workspace: WorkspaceSnapshot, in command: String,
                               path: String = ProcessInfo.processInfo.environment["PATH"] ?? "") -> String {
        let start = command.drop { $0 == " " || $0 == "\t" }
        let name = String(start.prefix { $0 != " " && $0 != "\t" && $0 != ";" && $0 != "|" && $0 != "&" })
        guard !name.isEmpty, !name.contains("/"), workspace.files.contains(name) else { return command }
        guard ProcessLauncher.find(name, path: path) == nil else { return command }
        let rest = start.dropFirst(name.count)
        if workspace.executables.contains(name) { return "./\(name)\(rest)" }
        switch (name as NSString).pathExtension {
        case "sh", "bash": return "bash \(name)\(rest)"
        case "py": return "python3 \(name)\(rest)"
        default: return command
        }
    }

    /// A past real call as the model would have made it, in its verbs.
    func modelCall(name: String, arguments: JSONValue) -> (name: String, arguments: JSONValue) {
        let given = arguments.objectValue ?? [:]
        func verb(_ verb: String, _ pairs: [(String, String)]) -> (name: String, arguments: JSONValue) {
            var translated: [String: JSONValue] = [:]
            for (mine, theirs) in pairs { translated[mine] = given[theirs] ?? "" }
            return (verb, .object(translated))
        }
        switch (name, given["command"]?.stringValue) {
        case (Self.editor, "view"):
            let path = given["path"]?.stringValue ?? ""
            let looksLikeDirectory = path == "." || path.hasSuffix("/") || !(path.split(separator: "/").last ?? "").contains(".")
            return verb(looksLikeDirectory ? "list_files" : "read_file", [("path", "path")])
        case (Self.editor, "create"): return verb("write_file", [("path", "path"), ("content", "file_text")])
        case (Self.editor, "str_replace"): return verb("replace_text", [("path", "path"), ("old", "old_str"), ("new", "new_str")])
        case (Self.editor, "insert"):
            return ("add_line", ["path": given["path"] ?? "", "line": given["new_str"] ?? "",
                                 "at": given["insert_line"]?.intValue == 0 ? "start" : "end"])
        case (Self.shell, let command?):
            if let operation = FileOperationVerb.parse(command: command) { return (operation.verb.rawValue, .object(operation.arguments)) }
            return verb("run_command", [("command", "command")])
        case (Self.shell, nil): return verb("run_command", [("command", "command")])
        case (Self.search, _) where given.count == 1: return verb("search_text", [("pattern", "pattern")])
        default: return (name, arguments)
        }
    }

    /// What the model has already seen in `messages` since the user last spoke: `verb path` of each successful
    /// read and listing.
    func seen(in messages: [Message]) -> Set<String> {
        let lastInstruction = messages.lastIndex { $0.role == .user && !$0.text.isEmpty } ?? 0
        let recent = messages[lastInstruction...]
        let succeeded = Set(recent.flatMap(\.toolResults).filter { !$0.isError }.map(\.callID))
        var seen: Set<String> = []
        for call in recent.flatMap(\.toolCalls) where succeeded.contains(call.id) {
            let view = modelCall(name: call.name, arguments: (try? JSONValue(parsing: call.arguments)) ?? [:])
            if view.name == "read_file" || view.name == "list_files", let path = view.arguments["path"]?.stringValue {
                seen.insert("\(view.name) \(path)")
            }
        }
        return seen
    }

    /// A result as the verb that asked for it promises it: `read_file` shows the file's contents, without the
    /// editor's line numbers, which small models otherwise copy into the text they ask `replace_text` to find; and
    /// an error names things in the verbs' words, not the real tools' (`old_str`, `developer__text_editor`), since
    /// a small model told to use `str_replace` calls a tool that is not there.
    static func modelText(ofResult text: String, verb: String, isError: Bool) -> String {
        var text = text
        for (real, mine) in [("str_replace", "replace_text"), ("old_str", "old"), ("new_str", "new"), ("file_text", "content"),
                             (editor, verb), (shell, verb), (search, verb)]
        where isError && verbs.contains(where: { $0.spec.name == verb }) && text.contains(real) {
            text = text.replacingOccurrences(of: real, with: mine)
        }
        guard verb == "read_file" else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard let tab = line.firstIndex(of: "\t"), line[..<tab].allSatisfy({ $0 == " " || $0.isNumber }),
                  line[..<tab].contains(where: \.isNumber) else { return String(line) }
            return String(line[line.index(after: tab)...])
        }.joined(separator: "\n")
    }

    /// A real tool's result as the model sees it: under the name of the verb it called, in the verbs' words, and
    /// for a file verb that succeeded, what it did.
    func modelResult(of result: ToolResult, call: ToolCall?) -> (name: String, text: String) {
        guard let call else { return (result.toolName, result.text) }
        let verb = modelCall(name: call.name, arguments: (try? JSONValue(parsing: call.arguments)) ?? [:])
        if !result.isError, let operation = FileOperationVerb(rawValue: verb.name) {
            return (verb.name, operation.report(verb.arguments.objectValue ?? [:]))
        }
        return (verb.name, Self.modelText(ofResult: result.text, verb: verb.name, isError: result.isError))
    }
}

/// What a small untrained model is asked to do, as far as the harness can tell, so it can hold the model to it: a
/// request to change something cannot be answered before a change was made, since a small model otherwise reads
/// the file and declares the work done.
struct LocalTask {
    let instruction: String
    /// The instruction asks for a change or a command, so a changing call must succeed before the answer.
    let asksForChange: Bool
    /// It asks for a command to be run, whose output the answer then reports.
    let asksToRun: Bool
    /// It asks only to delete, rename, move or copy files: nothing needs to be read first.
    let asksToMoveFiles: Bool
    /// The verbs its first change should be made with, by tool name: `run_command` when running is all it asks
    /// for ("Run greet.sh", "Check with a command"), the file verbs when it asks only to move files ("rename" as
    /// `move_file`), `add_line` for a line at the top or end, `write_file` for a named file to create; empty
    /// when it does not say.
    let firstVerbs: Set<String>
    /// It asks for a change besides running something ("run stamp.sh and save what it prints").
    let asksForMoreThanRunning: Bool
    /// The paths it names, as it writes them ("src/app.py").
    let namedPaths: [String]
    /// The names of the files it names ("src/app.py" as "app.py"): a change it asks for is made to one of them.
    let namedFiles: [String]
    /// It asks for words only (a greeting, a sum, a definition): nothing in it points at files, commands or code, so
    /// a small model that reaches for a tool is only going astray.
    let isConversational: Bool

    private static let workWords: Set<String> = [
        "file", "files", "folder", "folders", "directory", "directories", "dir", "path", "run", "command", "commands",
        "script", "scripts", "code", "project", "repo", "repository", "here", "this", "these", "test", "tests", "build",
        "git", "commit", "branch", "function", "class", "bug", "error", "errors", "log", "logs", "config", "package",
        "install", "line", "lines", "output", "list", "find", "search", "show", "read", "open", "count", "check",
        "time", "date", "today", "now", "system", "machine", "disk", "process",
    ]

    private static let changeVerbs: Set<String> = [
        "create", "write", "make", "add", "append", "insert", "fix", "replace", "change", "rename", "move", "delete",
        "remove", "update", "edit", "mkdir", "run", "execute", "copy", "save", "store", "set", "put", "bump", "increment",
        "increase", "decrease", "install", "implement", "refactor", "generate", "convert", "commit", "format",
    ]

    /// Things inside files that an instruction may rename, delete or move.
    private static let textWords: Set<String> = [
        "variable", "variables", "function", "functions", "method", "class", "line", "lines", "word", "words", "text",
        "key", "field", "column", "string", "comment", "section", "heading", "import", "parameter", "argument", "entry",
    ]

    /// The words that ask only to delete, move or copy, and the file verb each asks for.
    private static let fileOperationVerbs: [String: FileOperationVerb] = [
        "delete": .deleteFile, "rename": .moveFile, "move": .moveFile, "copy": .copyFile,
    ]

    /// The instruction's words, lowercased, without file names and paths: "run.sh" is not the verb "run".
    private static func words(of instruction: String) -> [String] {
        instruction.lowercased().split(whereSeparator: \.isWhitespace)
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?'\"`()")) }
            .filter { !$0.contains(".") && !$0.contains("/") }
            .flatMap { $0.split { !$0.isLetter }.map(String.init) }
    }

    init(instruction: String) {
        self.instruction = instruction
        let words = Self.words(of: instruction)
        let asksForWork = !instruction.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("?")
            && words.contains(where: Self.changeVerbs.contains)
        // "Which Python is installed? Check with a command." asks for a command as plainly as "run" does.
        let namesACommand = instruction.lowercased().contains(/\b(with|using|by running|via|run) (a|one) (shell )?command\b/)
        asksToRun = asksForWork && (words.contains("run") || words.contains("execute")) || namesACommand
        asksForChange = asksForWork || namesACommand
        let changes = words.filter(Self.changeVerbs.contains)
        // "Rename the variable cnt" renames no file.
        asksToMoveFiles = asksForChange && !changes.isEmpty && changes.allSatisfy { Self.fileOperationVerbs[$0] != nil }
            && Set(words).isDisjoint(with: Self.textWords)
        asksForMoreThanRunning = asksToRun && changes.contains { $0 != "run" && $0 != "execute" }
        // A word with a dot or slash inside ("main.py", "src/app") names a file.
        namedPaths = instruction.split(whereSeparator: \.isWhitespace).compactMap { word in
            let trimmed = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?'\"`()"))
            guard trimmed.contains(where: { $0 == "." || $0 == "/" }), trimmed.contains(where: \.isLetter) else { return nil }
            return trimmed
        }
        namedFiles = namedPaths.compactMap { $0.split(separator: "/").last.map(String.init) }
        let addsALine = !changes.isEmpty && changes.allSatisfy(["add", "append", "insert", "prepend"].contains)
            && words.contains("line") && !Set(words).isDisjoint(with: ["end", "top", "start", "beginning", "bottom"])
        let createsNamedFile = !namedFiles.isEmpty && !changes.isEmpty && changes.allSatisfy(["create", "write"].contains)
        firstVerbs = asksToRun && !asksForMoreThanRunning ? ["run_command"]
            : asksToMoveFiles ? Set(changes.compactMap { Self.fileOperationVerbs[$0]?.rawValue })
            : addsALine ? ["add_line"]
            : createsNamedFile ? ["write_file"] : []
        isConversational = !asksForChange && namedFiles.isEmpty && !instruction.contains("`") && Set(words).isDisjoint(with: Self.workWords)
    }

    /// The instruction again, and what to do now: act until the change is made, or answer from the result.
    var reminder: String {
        "The task was: \(instruction)\n" + (asksForChange
            ? "When the change is made, answer; until then, make it with a tool."
            : "If the result above gives what the task needs, answer now.")
    }

    /// The instruction asks for one change: one change verb, and no "then" or "and" joining steps.
    var isOneStep: Bool {
        let words = Self.words(of: instruction)
        return words.filter(Self.changeVerbs.contains).count == 1 && !words.contains("then") && !words.contains("and")
    }

    /// The calls made since the user last spoke (only those that succeeded, with `succeeded`), each with the verb
    /// the model knows it by.
    private func recentCalls(in messages: [Message], toolset: LocalToolset, succeeded: Bool = true) -> [(call: ToolCall, verb: String)] {
        let lastInstruction = messages.lastIndex { $0.role == .user && !$0.text.isEmpty } ?? 0
        let recent = messages[lastInstruction...]
        let worked = Set(recent.flatMap(\.toolResults).filter { !$0.isError }.map(\.callID))
        return recent.flatMap(\.toolCalls).filter { !succeeded || worked.contains($0.id) }.map { call in
            (call, toolset.modelCall(name: call.name, arguments: (try? JSONValue(parsing: call.arguments)) ?? [:]).name)
        }
    }

    /// Whether a call other than a look was made since the user last spoke, whether or not it worked.
    func triedChange(in messages: [Message], toolset: LocalToolset) -> Bool {
        recentCalls(in: messages, toolset: toolset, succeeded: false).contains { !LocalToolset.lookingVerbs.contains($0.verb) }
    }

    /// Whether a command ran successfully since the user last spoke.
    func ranCommand(in messages: [Message], toolset: LocalToolset) -> Bool {
        recentCalls(in: messages, toolset: toolset).contains { $0.verb == "run_command" }
    }

    /// Whether a changing call (write, replace, a command; with `besidesCommands`, one that is not a command)
    /// succeeded in `messages` since the user last spoke. When the instruction names files, the call must name one
    /// of them: asked to write run.sh, a small model runs `echo done` instead and declares the work done.
    func changeMade(in messages: [Message], toolset: LocalToolset, besidesCommands: Bool = false) -> Bool {
        recentCalls(in: messages, toolset: toolset).contains { call, verb in
            !LocalToolset.lookingVerbs.contains(verb) && !(besidesCommands && verb == "run_command")
                && (namedFiles.isEmpty || namedFiles.contains { call.arguments.contains($0) })
        }
    }
}
