import Foundation
import GanderCore

/// Reads and writes the `extensions:` entries of config.yaml, and builds entries from the command-line flags.
enum ExtensionEntries {
    static let keys = ["type", "cmd", "args", "env", "env_keys", "timeout", "startup_wait", "enabled", "uri", "headers",
                       "receives_secrets"]

    /// One entry of config.yaml, with one clear line for anything it cannot use.
    static func parse(name: String, _ value: Any, file: URL) throws -> ExtensionConfig {
        func fail(_ problem: String) -> ConfigError { ConfigError(file, "extensions.\(name) \(problem)") }
        guard ExtensionConfig.isValidName(name) else {
            throw fail("is not a usable name; use letters, digits, - and _ (no __), up to 40 characters")
        }
        guard let table = value as? [String: Any] else { throw fail("must be a mapping with type: stdio or streamable_http") }
        if let unknown = table.keys.sorted().first(where: { !keys.contains($0) }) {
            throw fail("has an unknown key \"\(unknown)\"; the keys are \(keys.joined(separator: ", "))")
        }
        func strings(_ key: String) throws -> [String] {
            guard let raw = table[key] else { return [] }
            guard let list = raw as? [Any] else { throw fail("\(key) must be a list of strings") }
            return list.map { "\($0)" }
        }
        func mapping(_ key: String) throws -> [String: String] {
            guard let raw = table[key] else { return [:] }
            guard let map = raw as? [String: Any] else { throw fail("\(key) must map names to values") }
            return map.mapValues { "\($0)" }
        }
        let transport: ExtensionConfig.Transport
        switch table["type"] as? String {
        case "stdio":
            guard let command = table["cmd"] as? String, !command.isEmpty else { throw fail("needs cmd: the program to start") }
            transport = .stdio(command: command, arguments: try strings("args"), environment: try mapping("env"),
                               environmentKeys: try strings("env_keys"))
        case "streamable_http":
            guard let text = table["uri"] as? String, let url = URL(string: text), ["http", "https"].contains(url.scheme ?? "") else {
                throw fail("needs uri: the server's http:// or https:// address")
            }
            transport = .streamableHTTP(url: url, headers: try mapping("headers"))
        default:
            throw fail("needs type: stdio or streamable_http")
        }
        var timeout = ExtensionConfig.defaultTimeout
        if let raw = table["timeout"] {
            guard let seconds = raw as? Int, seconds > 0 else { throw fail("timeout must be a whole number of seconds above 0") }
            timeout = .seconds(seconds)
        }
        var startupWait: Duration?
        if let raw = table["startup_wait"] {
            guard let seconds = raw as? Int, seconds >= 0 else {
                throw fail("startup_wait must be a whole number of seconds, 0 or more")
            }
            startupWait = .seconds(seconds)
        }
        var enabled = true
        if let raw = table["enabled"] {
            guard let flag = raw as? Bool else { throw fail("enabled must be true or false") }
            enabled = flag
        }
        var receivesSecrets = false
        if let raw = table["receives_secrets"] {
            guard let flag = raw as? Bool else { throw fail("receives_secrets must be true or false") }
            receivesSecrets = flag
        }
        return ExtensionConfig(name: name, transport: transport, timeout: timeout, startupWait: startupWait,
                               enabled: enabled, receivesSecrets: receivesSecrets)
    }

    /// The entry as config.yaml holds it.
    static func yaml(_ config: ExtensionConfig) -> [String: Any] {
        var table: [String: Any] = [:]
        switch config.transport {
        case .stdio(let command, let arguments, let environment, let keys):
            table["type"] = "stdio"
            table["cmd"] = command
            if !arguments.isEmpty { table["args"] = arguments }
            if !environment.isEmpty { table["env"] = environment }
            if !keys.isEmpty { table["env_keys"] = keys }
        case .streamableHTTP(let url, let headers):
            table["type"] = "streamable_http"
            table["uri"] = url.absoluteString
            if !headers.isEmpty { table["headers"] = headers }
        }
        if config.timeout != ExtensionConfig.defaultTimeout { table["timeout"] = Int(config.timeout.components.seconds) }
        if let startupWait = config.startupWait { table["startup_wait"] = Int(startupWait.components.seconds) }
        if config.receivesSecrets { table["receives_secrets"] = true }
        table["enabled"] = config.enabled
        return table
    }

    /// `--with-extension "ENV=v cmd args"`: leading NAME=value words set the server's environment, the rest is the
    /// command line, split as a shell would split words (quotes, backslashes), without running a shell.
    static func fromCommandLine(_ line: String) throws -> ExtensionConfig {
        var words = try ShellWords.split(line)
        var environment: [String: String] = [:]
        while let first = words.first, let equals = first.firstIndex(of: "="), first[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
              equals != first.startIndex {
            environment[String(first[..<equals])] = String(first[first.index(after: equals)...])
            words.removeFirst()
        }
        guard let command = words.first else {
            throw InputError("--with-extension needs a command, as in --with-extension \"uvx mcp-server-time\"")
        }
        let arguments = Array(words.dropFirst())
        return ExtensionConfig(name: name(forCommand: command, arguments: arguments),
                               transport: .stdio(command: command, arguments: arguments, environment: environment, environmentKeys: []))
    }

    /// `--with-remote-extension URL`.
    static func fromURL(_ text: String) throws -> ExtensionConfig {
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), let host = url.host, !host.isEmpty else {
            throw InputError("--with-remote-extension needs an http:// or https:// address, not \(text)")
        }
        return ExtensionConfig(name: sanitized(host), transport: .streamableHTTP(url: url, headers: [:]))
    }

    /// The name for a command-line server: the program, or for launchers (`uvx`, `npx`, `python -m` …) the package
    /// they launch.
    private static func name(forCommand command: String, arguments: [String]) -> String {
        let launchers: Set<String> = ["uvx", "npx", "pipx", "bunx", "node", "python", "python3", "uv", "deno", "bash", "sh"]
        var candidate = URL(fileURLWithPath: command).lastPathComponent
        if launchers.contains(candidate), let package = arguments.first(where: { !$0.hasPrefix("-") && $0 != "run" }) {
            candidate = URL(fileURLWithPath: package).deletingPathExtension().lastPathComponent
        }
        return sanitized(candidate)
    }

    private static func sanitized(_ text: String) -> String {
        var name = String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "_" }.prefix(40))
        while name.contains("__") { name = name.replacingOccurrences(of: "__", with: "_") }
        return name.isEmpty ? "extension" : name
    }
}

/// Splits a command line into words the way a POSIX shell does for quotes and backslashes, with nothing expanded.
enum ShellWords {
    static func split(_ line: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quote != "'" {
                escaped = true
                inWord = true
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if quote != nil || escaped { throw InputError("the command line \(line) has an unclosed quote or a trailing backslash") }
        if inWord { words.append(current) }
        return words
    }
}
