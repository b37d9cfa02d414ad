import ArgumentParser
import Foundation

// A server or client that goes away mid-write must turn into an error on that pipe, not end Gander.
signal(SIGPIPE, SIG_IGN)

/// Runs the command's async `run()`. Through a function of its own, because top-level code picks ParsableCommand's
/// synchronous `run()` (which only prints the help) over it.
func runAsynchronously(_ command: inout some AsyncParsableCommand) async throws {
    try await command.run()
}

// Parsing happens here rather than through `@main` so that a usage error exits with 2, as documented, instead of
// ArgumentParser's 64.
do {
    var command = try GanderCommand.parseAsRoot()
    // Every command works in the current directory; one that was deleted under the shell has no path, and what walks
    // up from it would never arrive.
    if getcwd(nil, 0).map({ free($0) }) == nil {
        FileHandle.standardError.write(Data(("gander: the working directory no longer exists (it was deleted or moved); "
            + "cd into an existing directory and run Gander again\n").utf8))
        exit(ExitStatus.failure)
    }
    // Commands that wait on the network, the model or other processes are async; each ends by returning (exit 0)
    // or by throwing, an `ExitCode` for a status it has already explained.
    if var asynchronous = command as? any AsyncParsableCommand {
        try await runAsynchronously(&asynchronous)
    } else {
        try command.run()
    }
    exit(ExitStatus.success)
} catch let status as ExitCode {
    exit(status.rawValue)
} catch {
    let code = GanderCommand.exitCode(for: error)
    if code == .success {
        GanderCommand.exit(withError: error)
    }
    let message = GanderCommand.message(for: error)
    FileHandle.standardError.write(Data("gander: \(message)\n".utf8))
    if code == .validationFailure {
        FileHandle.standardError.write(Data("Run `gander --help` for usage.\n".utf8))
        exit(ExitStatus.usage)
    }
    exit(ExitStatus.failure)
}
