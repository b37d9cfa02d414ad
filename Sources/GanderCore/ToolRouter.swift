/// The tools of every extension under one roof: namespaced names (`extension__tool`), lookup and argument checks.
public struct ToolRouter: Sendable {
    /// Separates an extension's name from its tool's in the names the model sees.
    public static let separator = "__"

    public let extensions: [any Extension]

    public init(extensions: [any Extension]) {
        self.extensions = extensions
    }

    /// The tools on offer right now. Extensions are asked together, so servers that are still starting wait out
    /// their bounds side by side rather than one after another. One that cannot list its tools is left out and
    /// reported.
    public func catalog() async -> ToolCatalog {
        let listings = await withTaskGroup(of: (Int, Listing).self) { group in
            for (index, ext) in extensions.enumerated() {
                group.addTask { (index, await Listing(of: ext)) }
            }
            var listings = [Listing?](repeating: nil, count: extensions.count)
            for await (index, listing) in group { listings[index] = listing }
            return listings.compactMap { $0 }
        }
        var entries: [ToolCatalog.Entry] = []
        var failures: [String] = []
        for (ext, listing) in zip(extensions, listings) {
            for spec in listing.specs {
                var namespaced = spec
                namespaced.name = ext.name + Self.separator + spec.name
                entries.append(ToolCatalog.Entry(spec: namespaced, localName: spec.name, owner: ext))
            }
            failures += listing.failures
        }
        return ToolCatalog(entries: entries, failures: failures)
    }

    /// What one extension offers, and what went wrong with it.
    private struct Listing: Sendable {
        var specs: [ToolSpec] = []
        var failures: [String] = []

        init(of ext: any Extension) async {
            do {
                specs = try await ext.tools()
            } catch {
                failures.append("extension \(ext.name) offers no tools right now: \(error)")
            }
            failures += await ext.notices()
        }
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
