/// How far the commands the model runs are fenced in (`--sandbox`, `sandbox:` in config.yaml).
public enum SandboxMode: String, Codable, Sendable, CaseIterable {
    /// Write only in the working directory and the temporary directories; credentials hidden; network off.
    case workspaceWrite = "workspace-write"
    /// Write nowhere but a private /tmp; credentials hidden; network off.
    case readOnly = "read-only"
    /// No fence: commands run with the user's full rights.
    case off

    /// The default for a permission mode: `auto` runs commands nobody looked at, so it fences them; the other modes
    /// show each command to the user first.
    public static func `default`(for mode: PermissionMode) -> SandboxMode {
        mode == .auto ? .workspaceWrite : .off
    }
}
