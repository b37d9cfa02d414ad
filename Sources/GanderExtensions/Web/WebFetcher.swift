import AsyncHTTPClient
import Foundation
import GanderCore
import GanderHost
import NIOCore
import NIOHTTP1

/// One GET as `web__fetch` makes it: http and https only, redirects followed by hand up to a limit (so a loop, a
/// change of scheme or a hop from a public host to a local one is seen), through the proxy the environment names,
/// within a time and a size limit, each hop recorded in the ledger as it leaves.
struct WebFetcher: Sendable {
    var environment: [String: String]
    /// The longest a whole fetch may take, redirects included.
    var timeout: Duration = .seconds(30)
    /// The most of a body that is read; the rest of a larger page is not downloaded.
    var maxDownload = 5 * 1024 * 1024
    var maxRedirects = 10

    /// What came back from the last hop.
    struct Page {
        var url: URL
        var status: Int
        var contentType: String
        var declaredLength: Int?
        var body: Data
        /// The body stopped at `maxDownload`.
        var cutAtLimit = false
        /// The time ran out while the body was arriving; `body` is what came.
        var timedOut = false
        var redirects: [URL] = []
    }

    /// A fetch that did not produce a page, with the one line the model and the user see.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Each hop is told to `recorder` as it leaves.
    func fetch(_ url: URL, recorder: (any OutboundRecorder)?, reads: (String) -> Bool) async throws(Failure) -> Page {
        let gate = OutboundGate(environment: environment)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
            + timeout.components.attoseconds / 1_000_000_000)
        var current = url
        var visited: [URL] = []
        let startsLocal = LocalAddress.target(of: url) != nil
        while true {
            visited.append(current)
            var request = HTTPClientRequest(url: current.absoluteString)
            request.method = .GET
            request.headers.add(name: "User-Agent", value: "Mozilla/5.0 (compatible; Gander/\(GanderVersion.current))")
            request.headers.add(name: "Accept", value: "text/html,application/xhtml+xml,application/json;q=0.9,text/plain;q=0.8,*/*;q=0.5")
            // The shared clients do not decompress, so the page must come as it is.
            request.headers.add(name: "Accept-Encoding", value: "identity")
            let response: HTTPClientResponse
            let receipt: OutboundReceipt
            do {
                (response, receipt) = try await gate.send(
                    request, kind: .web, recorder: recorder,
                    timing: OutboundGate.Timing(read: Double(timeout.components.seconds), followsRedirects: false),
                    deadline: deadline)
            } catch let refusal as OutboundGate.Refusal {
                throw Failure(description: "Not fetched: \(refusal).")
            } catch {
                throw Failure(description: "Could not fetch \(current.absoluteString): \(Self.explain(error, url: current, timeout: timeout))")
            }
            let status = Int(response.status.code)
            if (300..<400).contains(status), status != 304, let location = response.headers.first(name: "Location") {
                receipt.complete(bytesReceived: 0)
                guard let next = URL(string: location, relativeTo: current)?.absoluteURL,
                      ["http", "https"].contains(next.scheme?.lowercased() ?? "")
                else {
                    throw Failure(description: "\(current.absoluteString) redirects to \(location), which is not an http or https address; it was not followed.")
                }
                if let loopStart = visited.firstIndex(of: next) {
                    let loop = (visited[loopStart...] + [next]).map(\.absoluteString).joined(separator: " → ")
                    throw Failure(description: "\(url.absoluteString) redirects in a loop (\(loop)); there is no page to read.")
                }
                guard visited.count <= maxRedirects else {
                    throw Failure(description: "\(url.absoluteString) redirected more than \(maxRedirects) times; stopped at \(next.absoluteString).")
                }
                if !startsLocal, let local = LocalAddress.target(of: next) {
                    throw Failure(description: "\(current.absoluteString) redirects to \(next.absoluteString), on \(local) — this machine or "
                        + "its private network — and was not followed; fetch that address itself if the user wants it.")
                }
                current = next
                continue
            }
            let contentType = response.headers.first(name: "Content-Type") ?? ""
            var page = Page(url: current, status: status, contentType: contentType,
                            declaredLength: response.headers.first(name: "Content-Length").flatMap { Int($0) },
                            body: Data(), redirects: Array(visited.dropFirst()))
            // A body the caller will not show is not downloaded.
            guard reads(contentType) else {
                receipt.complete(bytesReceived: 0)
                return page
            }
            let body = BodyCollector()
            let outcome = await body.read(response.body, upTo: maxDownload, until: deadline)
            page.body = body.data
            switch outcome {
            case .complete: break
            case .cutAtLimit: page.cutAtLimit = true
            case .timedOut where !page.body.isEmpty: page.timedOut = true
            case .timedOut:
                receipt.complete(bytesReceived: 0)
                throw Failure(description: "Could not fetch \(current.absoluteString): no answer within \(timeout.components.seconds) s.")
            case .failed(let error):
                receipt.complete(bytesReceived: page.body.count)
                throw Failure(description: "Could not fetch \(current.absoluteString): \(Self.explain(error, url: current, timeout: timeout))")
            }
            receipt.complete(bytesReceived: page.body.count)
            return page
        }
    }

    private static func isTimeout(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .deadlineExceeded || error == .readTimeout
        }
        return false
    }

    /// What went wrong, in words a user acts on.
    static func explain(_ error: any Error, url: URL, timeout: Duration) -> String {
        let host = url.host ?? url.absoluteString
        let port = url.port ?? (url.scheme == "https" ? 443 : 80)
        if isTimeout(error) { return "no answer within \(timeout.components.seconds) s." }
        if let error = error as? HTTPClientError, error == .connectTimeout {
            return "\(host):\(port) did not accept a connection within 10 s."
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "the connection to \(host):\(port) was refused; nothing is listening there."
        }
        if text.contains("NXDOMAIN") || text.contains("nknownHost") || text.contains("Name or service not known") || text.contains("getaddrinfo") || text.contains("resolve") {
            return "the host name \(host) could not be resolved (no such host, or no network)."
        }
        if text.contains("certificate") || text.contains("Certificate") || text.contains("handshake") || text.contains("SSL") {
            return "the TLS connection to \(host) failed — its certificate was not accepted or the handshake broke off (\(text)). "
                + "If the site uses a private authority, point SSL_CERT_FILE at its certificate."
        }
        if text.contains("remoteConnectionClosed") || text.contains("connectionReset") {
            return "\(host) closed the connection before answering."
        }
        return text
    }
}

/// A body read until it ends, reaches a size, or the deadline passes — whichever comes first. A server that keeps
/// sending a byte now and then never trips the client's read timeout, so the deadline is kept here.
private final class BodyCollector: @unchecked Sendable {
    enum Outcome {
        case complete, cutAtLimit, timedOut
        case failed(any Error)
    }

    private let lock = NSLock()
    private var collected = Data()

    var data: Data { lock.withLock { collected } }

    func read(_ body: HTTPClientResponse.Body, upTo limit: Int, until deadline: NIODeadline) async -> Outcome {
        // Unsigned nanoseconds: a deadline already past must give zero, not wrap round.
        let now = NIODeadline.now().uptimeNanoseconds
        let remaining = deadline.uptimeNanoseconds > now ? deadline.uptimeNanoseconds - now : 0
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    for try await buffer in body {
                        let size = self.lock.withLock {
                            self.collected.append(contentsOf: buffer.readableBytesView)
                            return self.collected.count
                        }
                        if size >= limit {
                            self.lock.withLock { self.collected = self.collected.prefix(limit) }
                            return .cutAtLimit
                        }
                    }
                    return .complete
                } catch {
                    return Task.isCancelled ? .timedOut : .failed(error)
                }
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: remaining)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
    }
}
