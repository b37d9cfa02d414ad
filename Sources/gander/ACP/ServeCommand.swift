import ArgumentParser
import Crypto
import Foundation
import GanderCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOSSL

/// `gander serve`: the Agent Client Protocol over a WebSocket, for apps, with many sessions at once in the one
/// session database. It will not start without a secret unless told to, and answers requests from other origins
/// than loopback only where allowed.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the Agent Client Protocol over a WebSocket (ws://127.0.0.1:3284/acp), for apps.",
        discussion: """
            Clients send the secret (GANDER_SERVER_SECRET, or the first line of --secret-file) as the X-Secret-Key \
            header or ?token=; anything else gets 401 and no more. /health answers without it; /status and /acp need it.

            Examples:
              GANDER_SERVER_SECRET=$(openssl rand -hex 24) gander serve
              gander serve --secret-file ~/.config/gander/server-secret --port 8443 --tls cert.pem key.pem
            """)

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one (the address in use is printed).")
    var port = 3284

    @Option(help: ArgumentHelp("A file whose first line is the secret clients must send.", valueName: "file"))
    var secretFile: String?

    @Flag(help: "Serve without a secret: anyone who can reach the port can run commands as you.")
    var dangerouslyUnauthenticated = false

    @Option(help: ArgumentHelp("An origin allowed besides loopback's (repeatable), like https://app.example.com.", valueName: "origin"))
    var allowedOrigin: [String] = []

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Serve TLS with this certificate and key (PEM files).", valueName: "cert key"))
    var tls: [String] = []

    @OptionGroup var options: ACPOptions

    func validate() throws {
        if !tls.isEmpty, tls.count != 2 { throw ValidationError("--tls takes two files: the certificate and its key") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0 to 65535") }
    }

    mutating func run() async throws {
        let secret = try loadSecret()
        let options = self.options
        let origins = Set(allowedOrigin)
        let board = ServerBoard()
        let webScheme = tls.isEmpty ? "http" : "https"

        let router = Router()
        router.get("/health") { _, _ in "ok\n" }
        // The web app: static files with no data in them, so they need no secret; the page asks for it and sends it
        // with its WebSocket like any client.
        for file in WebAppFile.all {
            router.get(RouterPath(file.path)) { _, _ in file.response }
        }
        let gate = ServerGate<BasicRequestContext>(secret: secret, allowedOrigins: origins)
        // ACP over plain HTTP beside the WebSocket, at the same path.
        ACPHTTPConnections(options: options, board: board).register(on: router, gate: gate)
        router.group().add(middleware: gate).get("/status") { _, _ -> Response in
            let status: JSONValue = ["version": .string(GanderCommand.configuration.version), "connections": .integer(Int64(await board.connections))]
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: status.canonicalText + "\n")))
        }
        let sockets = Router(context: BasicWebSocketRequestContext.self)
        sockets.add(middleware: ServerGate<BasicWebSocketRequestContext>(secret: secret, allowedOrigins: origins))
        sockets.ws("/acp") { inbound, outbound, _ in
            // One connection, one ACP client: its sessions are its own agents; when it goes, its turns stop.
            await board.opened()
            let agent = ACPAgent(options: options)
            let connection = ACPConnection { text in try? await outbound.write(.text(text)) }
            let (incoming, feed) = AsyncStream.makeStream(of: ACPConnection.Incoming.self)
            let reader = Task {
                do {
                    // A frame over the cap closes the connection (1009, message too big) without being read.
                    for try await message in inbound.messages(maxSize: ACPConnection.maximumMessageBytes) {
                        if case .text(let text) = message { feed.yield(.message(text)) }
                    }
                } catch {}
                feed.finish()
            }
            await connection.serve(incoming, onClose: { await agent.cancelAll() }) { method, params, connection in
                try await agent.handle(method, params, connection)
            }
            reader.cancel()
            await agent.stopAll()
            await board.closed()
        }

        let server: HTTPServerBuilder = .http1WebSocketUpgrade(webSocketRouter: sockets)
        var logger = Logger(label: "gander.serve")
        logger.logLevel = .error
        let scheme = tls.isEmpty ? "ws" : "wss"
        let shownHost = Self.display(host)
        let app = Application(
            router: router,
            server: tls.isEmpty ? server : try .tls(server, tlsConfiguration: try Self.tlsConfiguration(certificate: tls[0], key: tls[1])),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "gander"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                FileHandle.standardError.write(Data(("gander: serving ACP on \(scheme)://\(shownHost):\(bound)/acp; "
                    + "the web app is at \(webScheme)://\(shownHost):\(bound)/\n").utf8))
            },
            logger: logger)
        do {
            try await app.runService()
        } catch {
            throw InputError("cannot serve on \(host):\(port): \(error)")
        }
    }

    /// The secret clients must send; nil only with --dangerously-unauthenticated.
    private func loadSecret() throws -> String? {
        if let secretFile {
            guard let text = try? String(contentsOfFile: (secretFile as NSString).expandingTildeInPath, encoding: .utf8),
                  let line = text.split(whereSeparator: \.isNewline).first, !line.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw InputError("--secret-file \(secretFile) cannot be read, or its first line is empty")
            }
            return line.trimmingCharacters(in: .whitespaces)
        }
        if let secret = ProcessInfo.processInfo.environment["GANDER_SERVER_SECRET"], !secret.isEmpty { return secret }
        guard dangerouslyUnauthenticated else {
            throw InputError("gander serve needs a secret: set GANDER_SERVER_SECRET or pass --secret-file FILE "
                + "(or --dangerously-unauthenticated, which lets anyone who reaches the port run commands as you)")
        }
        FileHandle.standardError.write(Data("gander: serving without a secret: anyone who can reach the port can run commands as you\n".utf8))
        return nil
    }

    private static func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
        } catch {
            throw InputError("--tls \(certificate) \(key): \(error)")
        }
    }

    private static func display(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}

/// Lets a request through only with the secret, and only from loopback's origins or those allowed. A browser
/// sends `Origin`; a page elsewhere that reaches the port through the user's browser is refused even with a token
/// in its URL.
struct ServerGate<Context: RequestContext>: RouterMiddleware {
    let secret: String?
    let allowedOrigins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let origin = request.headers[.origin], !Self.isLoopback(origin), !allowedOrigins.contains(origin) {
            return Response(status: .forbidden)
        }
        if let secret {
            let given = request.headers[HTTPField.Name("X-Secret-Key")!] ?? request.uri.queryParameters.get("token")
            guard let given, Self.constantTimeEqual(given, secret) else { return Response(status: .unauthorized) }
        }
        return try await next(request, context)
    }

    static func isLoopback(_ origin: String) -> Bool {
        guard let host = URL(string: origin)?.host else { return false }
        return ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
    }

    /// Compares without stopping at the first difference, so the time taken does not tell how much was right.
    static func constantTimeEqual(_ given: String, _ secret: String) -> Bool {
        let left = Array(given.utf8), right = Array(secret.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
        }
        return difference == 0
    }
}

/// One file of the web app, as committed in WebApp/ and compiled into the binary.
struct WebAppFile: Sendable {
    let path: String
    let contentType: String
    let bytes: [UInt8]
    /// What the page may load and run: its own script and style only, and WebSockets to this server, so a model's
    /// answer rendered in it cannot load or send anything elsewhere.
    var scriptSource = "'self'"
    var styleSource = "'self'"

    static let all = [
        page,
        WebAppFile(path: "/app.js", contentType: "text/javascript; charset=utf-8", bytes: PackageResources.app_js),
        WebAppFile(path: "/app.css", contentType: "text/css; charset=utf-8", bytes: PackageResources.app_css),
        WebAppFile(path: "/favicon.svg", contentType: "image/svg+xml", bytes: PackageResources.favicon_svg),
    ]

    /// index.html with app.css and app.js in it, so the first load is one request, not three; the policy names the
    /// two by their hashes, so nothing else inline runs.
    static let page: WebAppFile = {
        let style = String(decoding: PackageResources.app_css, as: UTF8.self)
        let script = String(decoding: PackageResources.app_js, as: UTF8.self)
        let html = String(decoding: PackageResources.index_html, as: UTF8.self)
            .replacingOccurrences(of: #"<link rel="stylesheet" href="/app.css">"#, with: "<style>\(style)</style>")
            .replacingOccurrences(of: #"<script src="/app.js"></script>"#, with: "<script>\(script)</script>")
        func hash(_ text: String) -> String { "'sha256-\(Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString())'" }
        var page = WebAppFile(path: "/", contentType: "text/html; charset=utf-8", bytes: Array(html.utf8))
        page.scriptSource = hash(script)
        page.styleSource = hash(style)
        return page
    }()

    var response: Response {
        Response(status: .ok, headers: [
            .contentType: contentType,
            .contentSecurityPolicy: "default-src 'none'; script-src \(scriptSource); style-src \(styleSource); connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
            .cacheControl: "no-cache",
        ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// How many clients are connected, for /status.
actor ServerBoard {
    private(set) var connections = 0

    func opened() { connections += 1 }
    func closed() { connections -= 1 }
}
