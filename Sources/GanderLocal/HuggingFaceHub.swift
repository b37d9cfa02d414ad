import AsyncHTTPClient
import Foundation
import GanderCore
import GanderHost
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// What `gander local pull` was asked for: a Hugging Face repository and quantisation, or a file by URL.
public enum ModelReference: Equatable, Sendable {
    case hub(repository: String, quantization: String?)
    case url(URL)

    /// `ORG/REPO`, `ORG/REPO:Q4_K_M`, `hf.co/ORG/REPO[:QUANT]`, `https://huggingface.co/ORG/REPO[...]`, or any
    /// other `http(s)://…` URL, taken as a direct link to one GGUF file.
    public init(parsing text: String) throws {
        var rest = text.trimmingCharacters(in: .whitespaces)
        for prefix in ["https://huggingface.co/", "http://huggingface.co/", "https://hf.co/", "hf.co/", "huggingface.co/"]
        where rest.lowercased().hasPrefix(prefix) {
            rest = String(rest.dropFirst(prefix.count))
            let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
            // A link to one file of a repository: ORG/REPO/resolve|blob/REVISION/FILE.
            if parts.count >= 5, ["resolve", "blob"].contains(parts[2]) {
                let file = parts[4...].joined(separator: "/")
                guard let url = URL(string: "https://huggingface.co/\(parts[0])/\(parts[1])/resolve/\(parts[3])/\(file)") else { break }
                self = .url(url)
                return
            }
            rest = parts.prefix(2).joined(separator: "/") + (rest.contains(":") ? ":" + (rest.split(separator: ":").last ?? "") : "")
        }
        if rest.hasPrefix("http://") || rest.hasPrefix("https://") {
            guard let url = URL(string: rest), url.host != nil else { throw PullError.badReference(text) }
            self = .url(url)
            return
        }
        let pieces = rest.split(separator: ":", maxSplits: 1).map(String.init)
        let repository = pieces.first ?? ""
        let names = repository.split(separator: "/")
        guard names.count == 2, names.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) } })
        else { throw PullError.badReference(text) }
        let quantization = pieces.count > 1 && !pieces[1].isEmpty ? pieces[1].uppercased() : nil
        self = .hub(repository: repository, quantization: quantization)
    }
}

/// Why a pull failed, in one line that says what to do.
public enum PullError: Error, CustomStringConvertible, Equatable {
    case badReference(String)
    case offline(String)
    case notFound(String)
    case unauthorized(String, tokenSet: Bool)
    case noGGUF(String)
    case noSuchQuantization(String, wanted: String, available: [String])
    case http(Int, String)
    case checksumMismatch(String, expected: String, actual: String)
    case notGGUF(String)
    case transport(String)
    /// A question to the Hub (a search, a repository's file list) that got no usable answer: what was asked, and why.
    case hubQuestion(String, reason: String)

    public var description: String {
        switch self {
        case .badReference(let text):
            "\"\(text)\" is not a model reference; use ORG/REPO[:QUANT] (e.g. Qwen/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M), hf.co/ORG/REPO, or an https:// link to a .gguf"
        case .offline(let target):
            "offline: refused to download from \(target); unset GANDER_OFFLINE to allow it"
        case .notFound(let repository):
            "Hugging Face has no repository \(repository) (or it is private); check the name with `gander local search`"
        case .unauthorized(let repository, let tokenSet):
            tokenSet
                ? "Hugging Face refused the token in HF_TOKEN for \(repository); check that it can read this (gated) repository"
                : "\(repository) needs a Hugging Face account (a gated model); accept its licence on the Hub and set HF_TOKEN"
        case .noGGUF(let repository):
            "\(repository) holds no .gguf files; look for a -GGUF repository with `gander local search`"
        case .noSuchQuantization(let repository, let wanted, let available):
            "\(repository) has no \(wanted) file; it has \(available.joined(separator: ", "))"
        case .http(let status, let url):
            "the download failed: HTTP \(status) from \(url)"
        case .checksumMismatch(let file, let expected, let actual):
            "\(file) does not match the Hub's SHA-256 (expected \(expected.prefix(12))…, got \(actual.prefix(12))…); it was deleted, run the pull again"
        case .notGGUF(let file):
            "\(file) is not a GGUF file; it was deleted"
        case .transport(let reason):
            "the download failed: \(reason); run the same command again to resume"
        case .hubQuestion(let question, let reason):
            "\(question) failed: \(reason); try again later, or point HF_ENDPOINT at a Hub mirror"
        }
    }
}

/// One GGUF file of a repository, as the Hub's tree lists it.
public struct HubFile: Equatable, Sendable {
    public let path: String
    public let size: Int64
    /// The SHA-256 of the content (the LFS object id), when the Hub gives one.
    public let sha256: String?
}

/// A model the Hub's search found.
public struct HubModel: Equatable, Sendable {
    public let id: String
    public let downloads: Int
    public let parameters: Int?
    public let storageBytes: Int64?
}

/// The Hugging Face Hub's HTTP API: a repository's file tree, model search and file downloads, at `HF_ENDPOINT`
/// (a mirror) or huggingface.co, with `HF_TOKEN` sent to that host only.
public struct HuggingFaceHub: Sendable {
    public let endpoint: URL
    let token: String?
    let gate: OutboundGate
    /// Hears about every request to the Hub and every download as it leaves, for the ledger.
    let recorder: (any OutboundRecorder)?

    public init(environment: [String: String], recorder: (any OutboundRecorder)? = nil) {
        let configured = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : URL(string: $0) }
        endpoint = configured ?? URL(string: "https://huggingface.co")!
        token = (environment["HF_TOKEN"] ?? environment["HUGGING_FACE_HUB_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
        gate = OutboundGate(environment: environment)
        self.recorder = recorder
    }

    /// The repository's GGUF files at `main`, with sizes and checksums.
    public func ggufFiles(in repository: String) async throws -> [HubFile] {
        let url = endpoint.appendingPathComponent("api/models/\(repository)/tree/main").absoluteString + "?recursive=true"
        let question = "listing the files of \(repository) on the Hub"
        let (status, body) = try await get(url, question: question)
        switch status {
        case 200: break
        case 401, 403: throw PullError.unauthorized(repository, tokenSet: token != nil)
        case 404: throw PullError.notFound(repository)
        default: throw PullError.hubQuestion(question, reason: "HTTP \(status) from \(url)")
        }
        guard let entries = try? JSONSerialization.jsonObject(with: body) as? [[String: Any]] else {
            throw PullError.hubQuestion(question, reason: "the answer is not the JSON file list it should be")
        }
        return entries.compactMap { entry in
            guard (entry["type"] as? String) == "file", let path = entry["path"] as? String,
                  path.lowercased().hasSuffix(".gguf") else { return nil }
            let lfs = entry["lfs"] as? [String: Any]
            let size = (lfs?["size"] as? NSNumber ?? entry["size"] as? NSNumber)?.int64Value ?? 0
            return HubFile(path: path, size: size, sha256: lfs?["oid"] as? String)
        }
    }

    /// GGUF repositories matching `text`, most downloaded first.
    public func search(_ text: String, limit: Int = 20) async throws -> [HubModel] {
        var components = URLComponents(url: endpoint.appendingPathComponent("api/models"), resolvingAgainstBaseURL: false)!
        components.queryItems = [
            URLQueryItem(name: "search", value: text), URLQueryItem(name: "filter", value: "gguf"),
            URLQueryItem(name: "sort", value: "downloads"), URLQueryItem(name: "direction", value: "-1"),
            URLQueryItem(name: "limit", value: String(limit)),
            URLQueryItem(name: "expand[]", value: "downloads"), URLQueryItem(name: "expand[]", value: "gguf"),
            URLQueryItem(name: "expand[]", value: "usedStorage"),
        ]
        let url = components.url!.absoluteString
        let question = "searching Hugging Face for \"\(text)\""
        let (status, body) = try await get(url, question: question)
        guard status == 200 else { throw PullError.hubQuestion(question, reason: "HTTP \(status) from \(url)") }
        guard let entries = try? JSONSerialization.jsonObject(with: body) as? [[String: Any]] else {
            throw PullError.hubQuestion(question, reason: "the answer is not the JSON list of models it should be")
        }
        return entries.compactMap { entry in
            guard let id = entry["id"] as? String else { return nil }
            let gguf = entry["gguf"] as? [String: Any]
            return HubModel(id: id, downloads: (entry["downloads"] as? NSNumber)?.intValue ?? 0,
                            parameters: (gguf?["total"] as? NSNumber)?.intValue,
                            storageBytes: (entry["usedStorage"] as? NSNumber)?.int64Value)
        }
    }

    /// The download URL of a repository file.
    func resolveURL(repository: String, path: String) -> URL {
        endpoint.appendingPathComponent("\(repository)/resolve/main/\(path)")
    }

    /// Headers for a request to `url`: the token only for the Hub's own host, never for the CDN it redirects to.
    func headers(for url: URL) -> HTTPHeaders {
        var headers = HTTPHeaders([("User-Agent", "gander")])
        if let token, url.host == endpoint.host, url.port == endpoint.port { headers.add(name: "Authorization", value: "Bearer \(token)") }
        return headers
    }

    /// A GET through the gate, redirects left to the caller (the token goes to the Hub's own host only).
    func send(_ request: HTTPClientRequest, url: URL, timeout: TimeAmount) async throws -> (HTTPClientResponse, OutboundReceipt) {
        do {
            return try await gate.send(request, kind: .download, recorder: recorder,
                                       timing: OutboundGate.Timing(connect: 15, read: 60, followsRedirects: false),
                                       deadline: .now() + timeout)
        } catch is OutboundGate.Refusal {
            throw PullError.offline((url.host ?? "") + url.path)
        } catch {
            throw PullError.transport("\(url.host ?? "the Hub") could not be reached (\(error))")
        }
    }

    /// A GET of a small JSON answer, following redirects within the Hub; a failure says what `question` was asked.
    private func get(_ url: String, question: String) async throws -> (Int, Data) {
        var current = URL(string: url)!
        for _ in 0..<5 {
            var request = HTTPClientRequest(url: current.absoluteString)
            request.headers = headers(for: current)
            let response: HTTPClientResponse, receipt: OutboundReceipt
            do {
                (response, receipt) = try await send(request, url: current, timeout: .seconds(60))
            } catch PullError.transport(let reason) {
                throw PullError.hubQuestion(question, reason: reason)
            }
            if (300..<400).contains(Int(response.status.code)), let location = response.headers.first(name: "Location"),
               let next = URL(string: location, relativeTo: current)?.absoluteURL {
                receipt.complete(bytesReceived: 0)
                current = next
                continue
            }
            let body = try await response.body.collect(upTo: 64 << 20)
            receipt.complete(bytesReceived: body.readableBytes)
            return (Int(response.status.code), Data(buffer: body))
        }
        throw PullError.hubQuestion(question, reason: "too many redirects from \(url)")
    }
}

/// Choosing among a repository's GGUF files: by quantisation (the closest to the one asked for), a split model as
/// all its parts, vision projectors never.
public struct QuantizationChoice: Equatable, Sendable {
    /// The quantisation chosen and the files to download, in order.
    public let quantization: String
    public let files: [HubFile]

    public static let preferred = "Q4_K_M"

    /// Quantisations from the smallest to the largest, so "closest" means the fewest steps away.
    static let ladder = [
        "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "Q2_K_S", "Q2_K", "IQ3_XXS", "IQ3_XS", "IQ3_S", "Q3_K_S",
        "IQ3_M", "Q3_K_M", "Q3_K_L", "IQ4_XS", "IQ4_NL", "Q4_0", "Q4_K_S", "Q4_1", "Q4_K_M", "Q5_0", "Q5_K_S", "Q5_1",
        "Q5_K_M", "Q6_K", "Q8_0", "BF16", "F16", "F32",
    ]

    /// The quantisation named in a file name, e.g. `qwen2.5-coder-7b-instruct-q4_k_m.gguf` → Q4_K_M.
    static func quantization(in path: String) -> String? {
        let name = (path.split(separator: "/").last.map(String.init) ?? path).uppercased()
        return ladder.filter { quant in
            name.range(of: "(^|[^A-Z0-9])\(quant)([^A-Z0-9_]|$)", options: .regularExpression) != nil
        }.max { $0.count < $1.count }
    }

    public init(files: [HubFile], wanted: String?, repository: String) throws {
        let models = files.filter { !$0.path.lowercased().contains("mmproj") }
        guard !models.isEmpty else { throw PullError.noGGUF(repository) }
        var byQuant: [String: [HubFile]] = [:]
        for file in models { byQuant[Self.quantization(in: file.path) ?? "other", default: []].append(file) }
        let available = byQuant.keys.sorted { (Self.ladder.firstIndex(of: $0) ?? 99) < (Self.ladder.firstIndex(of: $1) ?? 99) }
        let target = wanted ?? Self.preferred
        let chosen: String
        if byQuant[target] != nil {
            chosen = target
        } else if wanted == nil, let targetIndex = Self.ladder.firstIndex(of: target) {
            // Q4_K_M is only the default: without it, the nearest step (the smaller one on a tie) will do.
            chosen = available.min { a, b in
                let da = abs((Self.ladder.firstIndex(of: a) ?? 99) - targetIndex)
                let db = abs((Self.ladder.firstIndex(of: b) ?? 99) - targetIndex)
                return da != db ? da < db : (Self.ladder.firstIndex(of: a) ?? 99) < (Self.ladder.firstIndex(of: b) ?? 99)
            }!
        } else {
            throw PullError.noSuchQuantization(repository, wanted: target, available: available)
        }
        var group = byQuant[chosen]!.sorted { $0.path < $1.path }
        // One model per quantisation: a split model's parts, else the first single file.
        if let first = group.first(where: { SplitGGUF(fileName: $0.path) != nil }), let split = SplitGGUF(fileName: first.path) {
            let stem = first.path.replacingOccurrences(of: "-00001-of-", with: "-")
            group = group.filter { SplitGGUF(fileName: $0.path)?.count == split.count
                && $0.path.replacingOccurrences(of: #"-\d{5}-of-"#, with: "-", options: .regularExpression) == stem }
        } else {
            group = Array(group.prefix(1))
        }
        quantization = chosen
        self.files = group
    }
}
