/// Files whose every line is a secret or may be one, by their names: env files and the well-known credential files.
/// Their assignments are all redacted when their text leaves, whatever the names in them say.
public enum SecretFiles {
    /// Whether the file at `path` holds secrets by its name: `.env`, `.env.*`, `*.env`, `.envrc`, `secrets.*`,
    /// `credentials`, `.netrc`, `.npmrc`, `.pypirc`, `.pgpass`.
    public static func holdsSecrets(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name == ".env" || name.hasPrefix(".env.") || name.hasSuffix(".env") || name == ".envrc" { return true }
        if name.hasPrefix("secrets.") { return true }
        return ["credentials", ".netrc", ".npmrc", ".pypirc", ".pgpass", ".git-credentials"].contains(name)
    }
}
