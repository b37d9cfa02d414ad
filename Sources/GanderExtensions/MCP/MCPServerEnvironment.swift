import Foundation

/// The environment a stdio MCP server starts with: a minimal one taken from Gander's, plus what its config sets.
/// Gander's own variables, provider keys among them, never reach a server unless its config names them.
enum MCPServerEnvironment {
    /// Taken from Gander's environment for every server: what programs need to find themselves and their locale.
    static let inherited = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TMPDIR",
                            "TZ", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"]

    /// Variables that decide which code a process loads or runs. Config may not set them: a server entry would
    /// otherwise run code other than the command it names.
    static let protected: Set<String> = [
        "PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "LD_DEBUG", "LD_BIND_NOW", "LD_PROFILE",
        "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "NODE_OPTIONS", "NODE_PATH", "RUBYOPT", "RUBYLIB", "PERL5OPT",
        "PERL5LIB", "BASH_ENV", "ENV", "CLASSPATH", "JAVA_TOOL_OPTIONS", "GCONV_PATH", "MALLOC_CONF",
    ]

    static func isProtected(_ name: String) -> Bool {
        protected.contains(name) || name.hasPrefix("DYLD_") || name.hasPrefix("LD_")
    }

    /// The environment for one server, or an error naming the first variable config may not set or pass.
    static func build(setting values: [String: String], passing keys: [String],
                      from parent: [String: String]) throws(MCPStartError) -> [String: String] {
        var environment: [String: String] = [:]
        for name in inherited { if let value = parent[name] { environment[name] = value } }
        for name in keys.sorted() {
            if isProtected(name) { throw .protectedVariable(name) }
            guard let value = parent[name] else { throw .missingVariable(name) }
            environment[name] = value
        }
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            if isProtected(name) { throw .protectedVariable(name) }
            environment[name] = value
        }
        return environment
    }
}
