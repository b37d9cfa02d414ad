import Foundation
import GanderCore
import GanderHost
import Yams

/// The desktop's keyring — the freedesktop Secret Service over D-Bus, which GNOME Keyring, KWallet and KeePassXC
/// provide — reached through libsecret's `secret-tool`, so Gander links no D-Bus library and users who keep their keys
/// elsewhere pay nothing at start-up. A key is stored under the attributes `application=gander variable=NAME`, and
/// only ever passes through the tool's stdin and stdout, never its arguments.
struct SystemKeyring {
    static let description = "the system keyring (Secret Service)"

    /// secret-tool, when it is installed and there is a session bus to reach a Secret Service on.
    let tool: String?
    private let environment: [String: String]

    init(environment: [String: String]) {
        self.environment = environment
        let bus = environment["DBUS_SESSION_BUS_ADDRESS"].map { !$0.isEmpty } == true
            || environment["XDG_RUNTIME_DIR"].map { FileManager.default.fileExists(atPath: "\($0)/bus") } == true
        tool = bus ? ProcessLauncher.find("secret-tool", path: environment["PATH"]) : nil
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A keyring that is locked or absent can make secret-tool wait for a prompt no one will answer.
    private static let patience = Duration.seconds(10)

    func store(_ value: String, as variable: String) async throws(Failure) {
        guard let tool else { throw Failure(description: "no Secret Service is reachable (secret-tool and a D-Bus session are needed)") }
        let result: ProcessLauncher.Finished
        do {
            result = try await ProcessLauncher.run(tool, ["store", "--label=Gander: \(variable)"] + attributes(variable),
                                                 environment: environment, input: Data(value.utf8), timeout: Self.patience)
        } catch {
            throw Failure(description: "secret-tool could not be started: \(error)")
        }
        guard result.succeeded else { throw Failure(description: Self.problem(result)) }
    }

    /// The key saved under `variable`; nil when there is none. Throws when the keyring could not be asked.
    func lookup(_ variable: String) throws(Failure) -> String? {
        guard let tool else { throw Failure(description: "no Secret Service is reachable (secret-tool and a D-Bus session are needed)") }
        let result: ProcessLauncher.Finished
        do {
            result = try ProcessLauncher.runBlocking(tool, ["lookup"] + attributes(variable), environment: environment,
                                                   timeout: Self.patience)
        } catch {
            throw Failure(description: "secret-tool could not be started: \(error)")
        }
        // secret-tool exits 1 with nothing on stderr when no item matches.
        if result.status == 1, !result.timedOut, result.firstErrorLine == nil { return nil }
        guard result.succeeded else { throw Failure(description: Self.problem(result)) }
        let value = String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .newlines)
        return value.isEmpty ? nil : value
    }

    func remove(_ variable: String) async {
        guard let tool else { return }
        _ = try? await ProcessLauncher.run(tool, ["clear"] + attributes(variable), environment: environment, timeout: Self.patience)
    }

    private func attributes(_ variable: String) -> [String] { ["application", "gander", "variable", variable] }

    private static func problem(_ result: ProcessLauncher.Finished) -> String {
        if result.timedOut { return "the keyring did not answer within 10 s (is it locked?)" }
        return "secret-tool: " + (result.firstErrorLine ?? "exit status \(result.status)")
    }
}

/// Which keys `gander configure` put in the system keyring: their variable names, never their values, in
/// `keyring.yaml` beside config.yaml, so a run asks the keyring only for keys that are there.
struct KeyringIndex {
    let url: URL

    func load() throws -> [String] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        guard let text = try? String(contentsOf: url, encoding: .utf8),
              let names = (try? Yams.load(yaml: text)) as? [String] else {
            throw ConfigError(url, "must list variable names, e.g. - OPENAI_API_KEY")
        }
        return names
    }

    func update(adding added: String? = nil, removing removed: String? = nil) throws {
        var names = try load()
        names.removeAll { $0 == removed || $0 == added }
        if let added { names.append(added) }
        if names.isEmpty {
            try? FileManager.default.removeItem(at: url)
            return
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Yams.dump(object: names.sorted()).write(to: url, atomically: true, encoding: .utf8)
    }
}
