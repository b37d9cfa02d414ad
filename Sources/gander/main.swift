import ArgumentParser
import Foundation

// A server or client that goes away mid-write must turn into an error on that pipe, not end Gander.
signal(SIGPIPE, SIG_IGN)

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
    if var run = command as? RunCommand {
        exit(await run.execute())
    }
    if let session = command as? SessionCommand {
        exit(await session.execute())
    }
    if let serve = command as? MCPCommand.Serve {
        exit(await serve.execute())
    }
    if let configure = command as? ConfigureCommand {
        exit(await configure.execute())
    }
    if let info = command as? InfoCommand {
        exit(await info.execute())
    }
    if let pull = command as? LocalCommand.Pull {
        try await pull.execute()
        exit(ExitStatus.success)
    }
    if let search = command as? LocalCommand.Search {
        try await search.execute()
        exit(ExitStatus.success)
    }
    if let bench = command as? LocalCommand.Bench {
        try await bench.execute()
        exit(ExitStatus.success)
    }
    // Commands whose work waits on other processes (git, the installer's pip and compiler) run on the pool.
    if let undo = command as? UndoCommand {
        try await undo.run()
    } else if let checkpoints = command as? CheckpointsCommand {
        try await checkpoints.run()
    } else if let install = command as? LocalCommand.Install {
        try await install.run()
    } else {
        try command.run()
    }
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
