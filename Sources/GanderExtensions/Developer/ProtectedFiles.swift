import Foundation
import GanderCore
import GanderHost

/// The files the model's tools must not touch: `.ganderignore` and `.gooseignore` (gitignore syntax, `!` to let a
/// file through again) at the project's root and in the working directory, the global ones in Gander's and goose's
/// config directories, and defaults that keep credentials out of reach. A protected file cannot be viewed, searched,
/// listed or edited, and the model is told which rule protects it.
public struct ProtectedFiles: Sendable {
    /// What is protected unless an ignore file lets it through: environment files, keys and certificates, SSH and
    /// cloud credentials, secrets files.
    static let defaultRules = """
        .env
        .env.*
        *.pem
        *.key
        id_rsa*
        id_ecdsa*
        id_ed25519*
        .ssh/
        **/.aws/credentials
        secrets.*
        """
    static let fileNames = [".ganderignore", ".gooseignore"]

    private let rules: GitIgnore

    /// Nothing protected: for tools serving a client that has its own rules.
    public static let none = ProtectedFiles(rules: .empty)

    private init(rules: GitIgnore) {
        self.rules = rules
    }

    /// - Parameters:
    ///   - projectRoot: the git root above the working directory, or the working directory itself.
    ///   - globalDirectories: the config directories whose ignore files apply to every project.
    public init(workingDirectory: URL, projectRoot: URL, globalDirectories: [URL]) {
        var rules = GitIgnore().adding(text: Self.defaultRules, base: "/", source: "Gander's defaults")
        for directory in globalDirectories {
            for name in Self.fileNames {
                rules = rules.adding(file: directory.appendingPathComponent(name), base: "/")
            }
        }
        var projectDirectories = [projectRoot.standardizedFileURL.path]
        let here = workingDirectory.standardizedFileURL.path
        if here != projectDirectories[0] { projectDirectories.append(here) }
        for directory in projectDirectories {
            for name in Self.fileNames {
                rules = rules.adding(file: URL(fileURLWithPath: directory).appendingPathComponent(name), base: directory)
            }
        }
        self.rules = rules
    }

    /// Why `url` is off limits, for the model; nil when it is not. The path is judged as given and as it really is
    /// (symlinks followed), and through each of its parent directories, so neither `link -> .env` nor `.ssh/config`
    /// slips through.
    public func refusal(for url: URL) -> String? {
        let given = url.standardizedFileURL.path
        let real = WorkspaceBoundary.physicalPath(of: given)
        for path in Set([given, real]) {
            if let rule = protectingRule(path) {
                let via = path == given ? "" : " (where \(given) leads)"
                return "\(path)\(via) is protected by the rule \"\(rule.text)\" in \(rule.source), so Gander's tools do "
                    + "not read, list, search or change it. If the task needs it, ask the user to open it up with a "
                    + "`!` rule in .ganderignore."
            }
        }
        return nil
    }

    /// The protected files and directories under `root`, for the sandbox to cover, so no spelling of a command
    /// (`cat .e""nv`, `cat .en?`) reaches them. Hidden and ignored files count — `.env` is both, usually — but
    /// directories that git ignores (`node_modules`, build output) and `.git` are not walked into, so a large tree
    /// costs a walk of its own sources; links are not followed. At most `limit` entries are visited.
    func entries(under root: URL, limit: Int = 200_000) -> [CommandSandbox.Cover] {
        var found: [CommandSandbox.Cover] = []
        var visited = 0
        var stack: [(path: String, ignore: GitIgnore)] = [(root.standardizedFileURL.path, GitIgnore.inherited(at: root))]
        while let (directory, inherited) = stack.popLast(), visited < limit {
            let ignore = inherited.adding(file: URL(fileURLWithPath: directory).appendingPathComponent(".gitignore"),
                                          base: directory)
            visited += FileWalker.forEachEntry(of: directory) { name, path, isDirectory in
                if name == ".git" { return }
                if rules.ignores(path, name: name, isDirectory: isDirectory) {
                    found.append(CommandSandbox.Cover(path: path, isDirectory: isDirectory))
                } else if isDirectory, !ignore.ignores(path, name: name, isDirectory: true) {
                    stack.append((path, ignore))
                }
            }
        }
        return found
    }

    /// Whether the entry at `path` (absolute) is protected, judged by itself, for walks that already skipped its
    /// protected parents.
    func protects(_ path: String, isDirectory: Bool) -> Bool {
        let name = (path as NSString).lastPathComponent
        return rules.ignores(path, name: name, isDirectory: isDirectory)
    }

    /// The rule that protects `path` or one of its parents; the parent's rule wins, as in git, where nothing under
    /// an ignored directory can be let through again.
    private func protectingRule(_ path: String) -> GitIgnore.Rule? {
        var ancestors: [String] = []
        var current = (path as NSString).deletingLastPathComponent
        while current != "/", !current.isEmpty {
            ancestors.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for directory in ancestors.reversed() {
            if let rule = rules.decidingRule(directory, name: (directory as NSString).lastPathComponent, isDirectory: true),
               !rule.negated {
                return rule
            }
        }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let rule = rules.decidingRule(path, name: (path as NSString).lastPathComponent, isDirectory: isDirectory.boolValue)
        return rule.flatMap { $0.negated ? nil : $0 }
    }
}
