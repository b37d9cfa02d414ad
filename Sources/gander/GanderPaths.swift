import Foundation

/// Where Gander keeps its files, following the XDG base directories.
struct GanderPaths {
    let configDirectory: URL

    init(environment: [String: String]) {
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? home.appendingPathComponent(".config")
        configDirectory = configHome.appendingPathComponent("gander")
    }

    /// Hints that apply to every project: `~/.config/gander/AGENTS.md`.
    var globalHints: URL { configDirectory.appendingPathComponent("AGENTS.md") }
}
