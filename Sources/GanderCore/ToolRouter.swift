import Synchronization

/// The tools of every extension under one roof: namespaced names (`extension__tool`), lookup and argument checks.
public struct ToolRouter: Sendable {
    /// Separates an extension's name from its tool's in the names the model sees.
    public static let separator = "__"

    public let extensions: [any Extension]
    /// The lines about renamed tools already given, so each is given once per session, not once per model call.
    private let told = ToldLines()

    public init(extensions: [any Extension]) {
        self.extensions = extensions
    }

    /// The tools on offer right now. Extensions are asked together, so servers that are still starting wait out
    /// their bounds side by side rather than one after another. One that cannot list its tools is left out and
    /// reported. A name already taken (two extensions of one name, two servers on one host) is given the
    /// extension's prefix with a number (`docs_2__search`), and the user is told once.
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
        var taken: Set<String> = []
        var failures: [String] = []
        for (ext, listing) in zip(extensions, listings) {
            var prefix = ext.name
            if listing.handlers.contains(where: { taken.contains(ext.name + Self.separator + $0.spec.name) }) {
                var number = 2
                while listing.handlers.contains(where: { taken.contains("\(ext.name)_\(number)\(Self.separator)\($0.spec.name)") }) {
                    number += 1
                }
                prefix = "\(ext.name)_\(number)"
                let line = "another extension is also named \(ext.name): its tools are offered as \(prefix)\(Self.separator)… "
                    + "(give the extensions different names in config.yaml)"
                if told.first(line) { failures.append(line) }
            }
            for handler in listing.handlers {
                var namespaced = handler.spec
                namespaced.name = prefix + Self.separator + handler.spec.name
                taken.insert(namespaced.name)
                entries.append(ToolCatalog.Entry(spec: namespaced, handler: handler, extensionName: ext.name))
            }
            failures += listing.failures
        }
        return ToolCatalog(entries: entries, failures: failures)
    }

    /// What one extension offers, and what went wrong with it.
    private struct Listing: Sendable {
        var handlers: [any ToolHandler] = []
        var failures: [String] = []

        init(of ext: any Extension) async {
            do {
                handlers = try await ext.tools()
            } catch {
                failures.append("extension \(ext.name) offers no tools right now: \(error)")
            }
            failures += await ext.notices()
        }
    }
}

/// Lines already given to the user.
private final class ToldLines: Sendable {
    private let lines = Mutex<Set<String>>([])

    /// True the first time `line` is seen.
    func first(_ line: String) -> Bool {
        lines.withLock { $0.insert(line).inserted }
    }
}

/// A snapshot of the offered tools, taken once per model call.
public struct ToolCatalog: Sendable {
    public struct Entry: Sendable {
        /// The spec with the name the model sees (`extension__tool`).
        public let spec: ToolSpec
        public let handler: any ToolHandler
        /// The extension that offers it.
        public let extensionName: String
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
