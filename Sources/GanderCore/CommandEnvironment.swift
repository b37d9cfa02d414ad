/// Which of Gander's environment variables reach the commands the model runs. Whatever a command can read, the model
/// can read, and whatever the model reads goes to the provider and into the session database — so credentials stay
/// behind unless the user says a command needs one.
public struct CommandEnvironmentPolicy: Sendable, Equatable {
    /// Words that mark a variable as a secret, wherever they appear in its name (`GITHUB_TOKEN`, `PGPASSWORD`).
    public static let secretWords = ["KEY", "SECRET", "TOKEN", "PASSWORD", "CREDENTIALS"]

    /// What the user kept in spite of the defaults: `command_env.keep` in config.yaml.
    public enum Keep: Sendable, Equatable {
        /// Only these names, though they look secret.
        case names(Set<String>)
        /// Every variable except the credentials Gander itself uses.
        case allButGandersOwn
    }

    public var keep: Keep

    public init(keep: Keep = .names([])) {
        self.keep = keep
    }

    /// Whether a variable's name says it holds a secret.
    public static func looksSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return secretWords.contains { upper.contains($0) }
    }

    /// `environment` without what must not reach a command. `ownCredentials` are the variables Gander reads its
    /// provider keys from: they go only when the user named them in `keep`, never through `keep: all`.
    public func filter(_ environment: [String: String], ownCredentials: Set<String>) -> [String: String] {
        environment.filter { name, _ in allows(name, ownCredentials: ownCredentials) }
    }

    private func allows(_ name: String, ownCredentials: Set<String>) -> Bool {
        switch keep {
        case .names(let kept):
            kept.contains(name) || !(ownCredentials.contains(name) || Self.looksSecret(name))
        case .allButGandersOwn:
            !ownCredentials.contains(name)
        }
    }
}
