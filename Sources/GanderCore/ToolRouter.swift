/// The tools of every extension under one roof: namespaced names (`extension__tool`), lookup and argument checks.
public struct ToolRouter: Sendable {
    /// Separates an extension's name from its tool's in the names the model sees.
    public static let separator = "__"

    public let extensions: [any Extension]

    public init(extensions: [any Extension]) {
        self.extensions = extensions
    }

    /// The tools on offer right now. An extension that cannot list its tools is left out and reported.
    public func catalog() async -> ToolCatalog {
        var entries: [ToolCatalog.Entry] = []
        var failures: [String] = []
        for ext in extensions {
            do {
                for spec in try await ext.tools() {
                    var namespaced = spec
                    namespaced.name = ext.name + Self.separator + spec.name
                    entries.append(ToolCatalog.Entry(spec: namespaced, localName: spec.name, owner: ext))
                }
            } catch {
                failures.append("extension \(ext.name) offers no tools right now: \(error)")
            }
            failures += await ext.notices()
        }
        return ToolCatalog(entries: entries, failures: failures)
    }
}

/// A snapshot of the offered tools, taken once per model call.
public struct ToolCatalog: Sendable {
    public struct Entry: Sendable {
        public let spec: ToolSpec
        public let localName: String
        public let owner: any Extension
    }

    public let entries: [Entry]
    /// One line per extension whose tools could not be listed.
    public let failures: [String]
    private let byName: [String: Int]

    init(entries: [Entry], failures: [String]) {
        self.entries = entries
        self.failures = failures
        self.byName = Dictionary(entries.enumerated().map { ($1.spec.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var specs: [ToolSpec] { entries.map(\.spec) }

    public func entry(named name: String) -> Entry? {
        byName[name].map { entries[$0] }
    }
}
