import ArgumentParser
import Foundation
import GanderCore
import GanderStore

/// The flags that pick the session a run keeps its messages in, shared by `run` and `session`.
struct SessionOptions: ParsableArguments {
    @Flag(help: "Go on with an earlier session: the one named by SESSION, else the latest in this directory.")
    var resume = false

    @Argument(help: ArgumentHelp("With --resume: the session's id, the start of its id, or its name.", valueName: "session"))
    var sessionKey: String?

    @Option(help: "A name for the new session, to resume it by later.")
    var name: String?

    func validate() throws {
        if let sessionKey, !resume {
            throw ValidationError("a session id is only taken with --resume; write `--resume \(sessionKey)`")
        }
        if resume, name != nil {
            throw ValidationError("--name names a new session; it cannot be used with --resume")
        }
    }

    /// The session to record into: the one to resume, or a new one.
    func session(in store: SessionStore, workingDirectory: String, provider: String, model: String) throws -> SessionInfo {
        guard resume else {
            return try store.create(SessionDraft(name: name, workingDirectory: workingDirectory, provider: provider, model: model))
        }
        if let sessionKey { return try store.session(matching: sessionKey) }
        if let latest = try store.latestSession(in: workingDirectory) { return latest }
        throw InputError("no earlier session in \(workingDirectory) to resume; `gander sessions list` shows them all")
    }
}
