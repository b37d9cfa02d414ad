import Foundation
import GanderCore

/// Deleting, moving, copying and making folders, as verbs of their own for small models, carried out as shell
/// commands. Asked to delete a file, Qwen2.5-Coder-0.5B calls a `delete_file` it was never offered; offered only
/// `run_command`, it reads the file and then edits it instead. The command each verb stands for is plain and fixed
/// (`rm -r -- 'old.log'`), so the call runs as the shell call it is — permissions, command rules, the sandbox and
/// the ledger see exactly that — and a past call is shown to the model again in the verb it used.
enum FileOperationVerb: String, CaseIterable, Sendable {
    case deleteFile = "delete_file"
    case moveFile = "move_file"
    case copyFile = "copy_file"
    case makeDirectory = "make_directory"

    var description: String {
        switch self {
        case .deleteFile: "Delete a file, or a folder with everything in it."
        case .moveFile: "Move or rename a file or folder."
        case .copyFile: "Copy a file or folder."
        case .makeDirectory: "Create a folder (and any missing parents)."
        }
    }

    /// The verb's arguments, each with what it means, in the order the command takes them.
    var arguments: [(name: String, description: String)] {
        switch self {
        case .deleteFile: [("path", "The file or folder to delete.")]
        case .moveFile: [("source", "The file or folder to move."), ("destination", "Its new path, or the folder to move it into.")]
        case .copyFile: [("source", "The file or folder to copy."), ("destination", "The path of the copy, or the folder to copy it into.")]
        case .makeDirectory: [("path", "The folder to create.")]
        }
    }

    private var program: String {
        switch self {
        case .deleteFile: "rm -r --"
        case .moveFile: "mv --"
        case .copyFile: "cp -r --"
        case .makeDirectory: "mkdir -p --"
        }
    }

    /// What a call that succeeded did, in words: the command prints nothing, and a small model told only "exit
    /// code: 0" answers about exit codes instead of the file.
    func report(_ arguments: [String: JSONValue]) -> String {
        func argument(_ name: String) -> String { arguments[name]?.stringValue ?? "" }
        switch self {
        case .deleteFile: return "Deleted \(argument("path"))."
        case .moveFile: return "Moved \(argument("source")) to \(argument("destination"))."
        case .copyFile: return "Copied \(argument("source")) to \(argument("destination"))."
        case .makeDirectory: return "Made the folder \(argument("path"))."
        }
    }

    /// The shell command for a call with `arguments` (missing ones are empty, which the command then refuses).
    func command(_ arguments: [String: JSONValue]) -> String {
        ([program] + self.arguments.map { Self.quoted(arguments[$0.name]?.stringValue ?? "") }).joined(separator: " ")
    }

    /// The verb and arguments a command made by `command(_:)` stands for; nil for any other command.
    static func parse(command: String) -> (verb: FileOperationVerb, arguments: [String: JSONValue])? {
        for verb in allCases where command.hasPrefix(verb.program + " ") {
            guard let words = quotedWords(in: command.dropFirst(verb.program.count + 1)),
                  words.count == verb.arguments.count else { return nil }
            var arguments: [String: JSONValue] = [:]
            for (argument, word) in zip(verb.arguments, words) { arguments[argument.name] = .string(word) }
            return (verb, arguments)
        }
        return nil
    }

    /// `text` as one shell word that the shell takes literally.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// The words of `text` when it is nothing but single-quoted words separated by spaces (as `quoted` writes them).
    private static func quotedWords(in text: Substring) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var rest = text[...]
        while let character = rest.first {
            rest = rest.dropFirst()
            if character == "'" {
                // Inside quotes, everything up to the next quote is literal.
                guard let end = rest.firstIndex(of: "'") else { return nil }
                current += rest[..<end]
                rest = rest[rest.index(after: end)...]
                inWord = true
            } else if character == "\\", rest.first == "'" {
                current.append("'")
                rest = rest.dropFirst()
            } else if character == " ", inWord {
                words.append(current)
                current = ""
                inWord = false
            } else {
                return nil
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
