/// Gander's version, as `gander --version` prints it and as MCP peers see it.
public enum GanderVersion {
    public static let current = "0.1.0"
}
