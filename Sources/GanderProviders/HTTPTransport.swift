import AsyncHTTPClient
import Foundation
import GanderCore
import GanderHost
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends a provider's requests through the outbound gate, retrying what may pass (see `RetryPolicy`) and turning
/// every failure into one `ProviderError` line. The only place in Gander that retries.
struct HTTPTransport: Sendable {
    /// The provider's name and the environment variable that holds its key, for error messages.
    let provider: String
    let keyVariable: String?
    let retryPolicy: RetryPolicy
    let timeouts: Timeouts
    /// The proxies and extra certificate authorities of the user's environment.
    let network: NetworkEnvironment
    /// Who hears about each request as it leaves: the model call's event stream, or the ledger for requests made
    /// outside one (Ollama's `/api/show` for the window).
    var recorder: (any OutboundRecorder)?

    init(provider: String, keyVariable: String?, retryPolicy: RetryPolicy, timeouts: Timeouts, network: NetworkEnvironment) {
        self.provider = provider
        self.keyVariable = keyVariable
        self.retryPolicy = retryPolicy
        self.timeouts = timeouts
        self.network = network
    }

    /// The same transport with `recorder` hearing about its requests.
    func recording(_ recorder: (any OutboundRecorder)?) -> HTTPTransport {
        var copy = self
        copy.recorder = recorder
        return copy
    }

    /// Sends a small request and returns its whole answer body, completing its ledger row.
    func fetch(_ request: HTTPClientRequest, kind: OutboundRequest.Kind, upTo limit: Int) async throws -> ByteBuffer {
        let (response, receipt) = try await open(request, kind: kind) { _, _, _ in }
        do {
            let body = try await response.body.collect(upTo: limit)
            receipt.complete(bytesReceived: body.readableBytes)
            return body
        } catch {
            receipt.complete(bytesReceived: 0)
            throw ProviderError.interrupted(provider: provider, reason: Self.describe(error))
        }
    }

    /// Opens a request and returns the response once it has a success status, with the receipt that completes its
    /// row; `onRetry` hears about each retry. With the network off (`--offline`) the gate sends nothing.
    func open(_ request: HTTPClientRequest, kind: OutboundRequest.Kind = .model,
              onRetry: (Int, Double, String) -> Void) async throws -> (HTTPClientResponse, OutboundReceipt) {
        let gate = OutboundGate(network: network)
        let timing = OutboundGate.Timing(connect: timeouts.connect, read: timeouts.idleRead)
        var attempt = 1
        while true {
            try Task.checkCancellation()
            let failure: (reason: String, retryAfter: String?, error: ProviderError)
            do {
                let (response, receipt) = try await gate.send(request, kind: kind, recorder: recorder, timing: timing,
                                                              deadline: .now() + .seconds(Int64(timeouts.wholeCall)))
                if (200..<300).contains(Int(response.status.code)) { return (response, receipt) }
                defer { receipt.complete(bytesReceived: 0) }
                let status = Int(response.status.code)
                let message = await Self.errorMessage(in: response)
                let error = ProviderError.http(provider: provider, status: status, message: message,
                                               advice: advice(for: status, message: message))
                guard RetryPolicy.retryableStatuses.contains(status) else { throw error }
                failure = ("HTTP \(status)", response.headers.first(name: "retry-after"), error)
            } catch let error as ProviderError {
                throw error
            } catch is OutboundGate.Refusal {
                throw ProviderError.offline(provider: provider, url: request.url)
            } catch {
                if Task.isCancelled { throw CancellationError() }
                var reason = Self.describe(error)
                if let proxy = network.proxy(for: request.url) {
                    reason += ", through the proxy \(proxy.host):\(proxy.port) that HTTPS_PROXY or HTTP_PROXY names"
                }
                if let clientError = error as? HTTPClientError, clientError == .readTimeout {
                    throw ProviderError.interrupted(provider: provider, reason: reason)
                }
                guard Self.isConnectionDrop(error) else {
                    throw ProviderError.unreachable(provider: provider, url: request.url, reason: reason)
                }
                failure = (reason, nil, .interrupted(provider: provider, reason: reason))
            }
            guard attempt < retryPolicy.maxAttempts else { throw failure.error }
            let delay = retryPolicy.delay(afterAttempt: attempt, retryAfter: failure.retryAfter)
            attempt += 1
            onRetry(attempt, delay, failure.reason)
            try await Task.sleep(for: .seconds(delay))
        }
    }

    /// What the user should do about an error status. Some providers (Gemini) answer a bad key with 400, so the
    /// provider's own words decide too.
    func advice(for status: Int, message: String = "") -> String {
        let text = message.lowercased()
        let aboutTheKey = text.contains("api key") || text.contains("api_key")
        switch status {
        case 400 where text.contains("content management policy") || text.contains("content_filter"):
            return "The provider's content filter refused the prompt; rephrase it, or leave out what may have been flagged."
        case 403 where text.contains("expired"):
            return "The session token has expired; refresh the credentials (for AWS: `aws sso login`, or a new "
                + "AWS_SESSION_TOKEN) and try again."
        case _ where aboutTheKey && [400, 401, 403].contains(status):
            let key = keyVariable.map { "Check \($0) (export it, or pass the right key)" } ?? "Check the credentials"
            return "\(key); the server refused it."
        case 401, 403:
            let key = keyVariable.map { "Check \($0) (export it, or pass the right key)" } ?? "Check the credentials"
            return "\(key); the server refused it."
        case 404: return "Check the model name (--model) and the base URL (--base-url)."
        case 400, 422: return "The server rejected the request; check the model name and its options."
        case 408, 429: return "The server is busy or rate-limiting; wait a moment and try again."
        default: return "The server is having trouble; try again later."
        }
    }

    /// The provider's own words from an error body: `error.message`, `message`, `error` or `detail`.
    static func errorMessage(in response: HTTPClientResponse) async -> String {
        guard let body = try? await response.body.collect(upTo: 64 * 1024) else { return "" }
        let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let json = try? JSONValue(parsing: text) else { return String(text.prefix(300)) }
        let candidates = [json["error"]?["message"], json["message"], json["error"], json["detail"]]
        for candidate in candidates {
            if let message = candidate?.stringValue, !message.isEmpty {
                // Azure says which content filter categories refused the prompt beside its message.
                return message + ContentFilter.categories(json["error"]?["innererror"]?["content_filter_result"])
            }
        }
        return String(text.prefix(300))
    }

    /// A connection that closed or reset before any answer: worth another try, unlike a refused connection.
    static func isConnectionDrop(_ error: any Error) -> Bool {
        if let clientError = error as? HTTPClientError {
            return clientError == .remoteConnectionClosed
        }
        let text = String(describing: error)
        return text.contains("reset by peer") || text.contains("ECONNRESET") || text.contains("Broken pipe")
    }

    static func describe(_ error: any Error) -> String {
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .remoteConnectionClosed: return "the server closed the connection"
            case .readTimeout: return "no data within the read timeout (GANDER_READ_TIMEOUT sets it)"
            case .connectTimeout: return "connect timed out"
            default: return String(describing: clientError)
            }
        }
        let text = String(describing: error)
        if text.contains("refused") { return "connection refused" }
        return text
    }
}

/// The connect, idle-read and whole-call timeouts of model calls.
struct Timeouts: Hashable, Sendable {
    var connect: Double = 10
    /// The longest the server may go without sending content mid-answer — silent, or sending only keep-alive
    /// comments — before the call fails.
    var idleRead: Double = 300
    /// The longest one call may take, however steadily content arrives.
    var wholeCall: Double = 1800
}

/// Watches a reply as it streams: content must keep coming, and the whole call must end in time. A server that
/// sends only SSE keep-alive comments keeps the connection busy, so the HTTP client's own read timeout never fires;
/// this does.
struct ReplyWatch {
    let timeouts: Timeouts
    let provider: String
    private let started = ContinuousClock.now
    private var lastContent = ContinuousClock.now

    init(timeouts: Timeouts, provider: String) {
        self.timeouts = timeouts
        self.provider = provider
    }

    /// Called with each piece of the body and whether it carried content; throws when a bound has passed.
    mutating func arrived(withContent: Bool) throws {
        let now = ContinuousClock.now
        if withContent { lastContent = now }
        if now - lastContent > .seconds(timeouts.idleRead) {
            throw ProviderError.interrupted(provider: provider, reason: "no content for \(Self.seconds(timeouts.idleRead)) s, "
                + "only keep-alives (GANDER_READ_TIMEOUT sets this bound)")
        }
        if now - started > .seconds(timeouts.wholeCall) {
            throw ProviderError.interrupted(provider: provider, reason: "the reply took longer than "
                + "\(Self.seconds(timeouts.wholeCall)) s in all (GANDER_CALL_TIMEOUT sets this bound)")
        }
    }

    private static func seconds(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}
