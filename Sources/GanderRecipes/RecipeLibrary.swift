import Foundation
import GanderCore

/// A recipe's text and where it came from.
public struct RecipeFile: Sendable, Equatable {
    public let text: String
    /// nil for a recipe that came in a deeplink.
    public let url: URL?

    /// Where `include`, `extends`, sub-recipes and `recipe_dir` are found: the file's folder, unless the file is a
    /// copy kept elsewhere (a scheduled job's), which names its original's.
    public let directory: URL?

    public init(text: String, url: URL?, directory: URL? = nil) {
        self.text = text
        self.url = url
        self.directory = directory ?? url?.deletingLastPathComponent()
    }

    /// The file as a template: text rendered whole, or — for a deeplink's JSON — value by value.
    var template: RecipeTemplate {
        if url == nil, let data = try? JSONValue(parsing: text) { return RecipeTemplate(data: data) }
        return RecipeTemplate(text: text, directory: directory)
    }

    /// How messages name it.
    public var displayName: String { url?.path ?? "the deeplink's recipe" }
}

/// Where recipes are found by name, in goose's order with Gander's own folders first; the first match wins.
public struct RecipeLibrary: Sendable {
    public static let extensions = ["yaml", "yml", "json"]

    /// The folders searched, in order, each with why it is searched.
    public let folders: [(url: URL, origin: String)]
    let workingDirectory: URL

    public init(workingDirectory: URL, environment: [String: String]) {
        self.workingDirectory = workingDirectory
        let home = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory())
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? home.appendingPathComponent(".config")
        func pathList(_ variable: String) -> [(URL, String)] {
            (environment[variable] ?? "").split(separator: ":").map { (URL(fileURLWithPath: String($0)), variable) }
        }
        folders = [
            (workingDirectory, "the working directory"),
            (workingDirectory.appendingPathComponent(".gander/recipes"), "./.gander/recipes"),
            (workingDirectory.appendingPathComponent(".goose/recipes"), "./.goose/recipes"),
            (workingDirectory.appendingPathComponent(".agents/recipes"), "./.agents/recipes"),
        ] + pathList("GANDER_RECIPE_PATH") + pathList("GOOSE_RECIPE_PATH") + [
            (config.appendingPathComponent("gander/recipes"), "Gander's config directory"),
            (config.appendingPathComponent("goose/recipes"), "goose's config directory"),
            (home.appendingPathComponent(".agents/recipes"), "~/.agents/recipes"),
        ]
    }

    /// The recipe `reference` names: a deeplink, a path to a file, or a name looked up in `folders`.
    public func locate(_ reference: String) throws -> RecipeFile {
        if RecipeDeeplink.isDeeplink(reference) {
            return RecipeFile(text: try RecipeDeeplink.decode(reference), url: nil)
        }
        let looksLikePath = reference.contains("/") || Self.extensions.contains((reference as NSString).pathExtension.lowercased())
        if looksLikePath {
            let url = reference.hasPrefix("/") ? URL(fileURLWithPath: reference)
                : workingDirectory.appendingPathComponent(reference)
            if let file = Self.read(url) { return file }
            if reference.contains("/") { throw RecipeError("no recipe file at \(url.path)") }
        }
        if let found = candidates(named: reference).first, let file = Self.read(found) { return file }
        throw RecipeError("no recipe named \"\(reference)\"; looked for \(reference).yaml, .yml and .json in "
            + folders.map { $0.url.path }.joined(separator: ", ") + " (`gander recipe list` shows what is there)")
    }

    /// Every file that would answer to `name`, in the order they are tried.
    func candidates(named name: String) -> [URL] {
        let fileNames = Self.extensions.contains((name as NSString).pathExtension.lowercased())
            ? [name] : Self.extensions.map { "\(name).\($0)" }
        return folders.flatMap { folder in fileNames.map { folder.url.appendingPathComponent($0) } }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// One recipe name as listing shows it: the file that wins, and those it hides.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let url: URL
        public let origin: String
        public let shadowed: [URL]
    }

    /// Every recipe in the folders, by name; where two folders hold one name, the earlier wins.
    public func list() -> [Entry] {
        var order: [String] = []
        var found: [String: [(URL, String)]] = [:]
        for folder in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.url.path)) ?? []
            for file in names.sorted() where Self.extensions.contains((file as NSString).pathExtension.lowercased()) {
                let name = (file as NSString).deletingPathExtension
                let url = folder.url.appendingPathComponent(file)
                // The working directory holds many YAML files that are not recipes; only those that say they are count.
                if folder.origin == "the working directory", !Self.looksLikeRecipe(url) { continue }
                if found[name] == nil { order.append(name) }
                found[name, default: []].append((url, folder.origin))
            }
        }
        return order.map { name in
            let files = found[name]!
            return Entry(name: name, url: files[0].0, origin: files[0].1, shadowed: files.dropFirst().map(\.0))
        }
    }

    /// The recipe file at `url`; nil when there is none, or it is not text.
    public static func read(_ url: URL) -> RecipeFile? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return RecipeFile(text: text, url: url.standardizedFileURL)
    }

    /// A file with a top-level `title:` and `description:` (or the desktop app's `recipe:` wrapper).
    static func looksLikeRecipe(_ url: URL) -> Bool {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return false }
        let lines = text.split(separator: "\n")
        // A YAML key at the start of a line, or a JSON key anywhere.
        let has = { (key: String) in lines.contains { $0.hasPrefix(key + ":") || $0.contains("\"\(key)\":") } }
        return (has("title") && has("description")) || has("recipe")
    }
}
