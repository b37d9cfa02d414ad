import _CryptoExtras
import Foundation
import GanderCore
import GanderHost

/// A Google service account's key file (`GOOGLE_APPLICATION_CREDENTIALS`), as the Cloud console downloads it.
struct ServiceAccountKey: Sendable {
    var clientEmail: String
    var privateKey: String
    var privateKeyID: String?
    var tokenURI: String
    var projectID: String?

    init(file: String) throws {
        guard let data = FileManager.default.contents(atPath: file),
              let json = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)) else {
            throw ProviderError.configuration("\(file) (GOOGLE_APPLICATION_CREDENTIALS) cannot be read as JSON")
        }
        guard json["type"] == "service_account", let email = json["client_email"]?.stringValue,
              let key = json["private_key"]?.stringValue else {
            throw ProviderError.configuration(
                "\(file) is not a service account's key file; download one from the Cloud console, or unset "
                    + "GOOGLE_APPLICATION_CREDENTIALS to use `gcloud auth print-access-token`")
        }
        clientEmail = email
        privateKey = key
        privateKeyID = json["private_key_id"]?.stringValue
        tokenURI = json["token_uri"]?.stringValue ?? "https://oauth2.googleapis.com/token"
        projectID = json["project_id"]?.stringValue
    }
}

/// An access token for a service account: a JWT signed with its RSA key (RS256) is exchanged at its `token_uri`
/// for a token, kept until a minute before it expires (OAuth 2.0's JWT bearer grant, RFC 7523).
actor ServiceAccountToken: RequestAuthorization {
    static let scope = "https://www.googleapis.com/auth/cloud-platform"
    private let key: ServiceAccountKey
    private let provider: String
    private var current: (token: String, renewAt: Date)?

    init(key: ServiceAccountKey, provider: String) {
        self.key = key
        self.provider = provider
    }

    func headers(transport: HTTPTransport) async throws -> [(String, String)] {
        if let current, current.renewAt > Date() { return [("authorization", "Bearer \(current.token)")] }
        let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + (try assertion(at: Date()))
        let token = try await OAuthToken.fetch(from: key.tokenURI, form: form, transport: transport, provider: provider)
        current = token
        return [("authorization", "Bearer \(token.token)")]
    }

    /// The signed JWT that asks for a token: issued by the service account, for its token endpoint, for an hour.
    func assertion(at date: Date) throws -> String {
        var header: [String: JSONValue] = ["alg": "RS256", "typ": "JWT"]
        if let id = key.privateKeyID { header["kid"] = .string(id) }
        let issued = Int(date.timeIntervalSince1970)
        let claims: JSONValue = ["iss": .string(key.clientEmail), "scope": .string(Self.scope), "aud": .string(key.tokenURI),
                                 "iat": .number(Double(issued)), "exp": .number(Double(issued + 3600))]
        let signingInput = Self.base64URL(Data(JSONValue.object(header).canonicalText.utf8)) + "."
            + Self.base64URL(Data(claims.canonicalText.utf8))
        let privateKey: _RSA.Signing.PrivateKey
        do {
            privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: key.privateKey)
        } catch {
            throw ProviderError.configuration("the service account's private_key is not an RSA key in PEM form (\(error))")
        }
        let signature = try privateKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        return signingInput + "." + Self.base64URL(signature.rawRepresentation)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// The token of the user gcloud is signed in as: `gcloud auth print-access-token`, run once and kept for 45 minutes
/// (gcloud's tokens last an hour).
actor GcloudAccessToken: RequestAuthorization {
    private var current: (token: String, renewAt: Date)?

    func headers(transport: HTTPTransport) async throws -> [(String, String)] {
        if let current, current.renewAt > Date() { return [("authorization", "Bearer \(current.token)")] }
        guard let run = try? await ProcessLauncher.run("gcloud", ["auth", "print-access-token"], timeout: .seconds(60))
        else { throw Self.unavailable }
        let token = String(decoding: run.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard run.succeeded, !token.isEmpty else { throw Self.unavailable }
        current = (token, Date().addingTimeInterval(45 * 60))
        return [("authorization", "Bearer \(token)")]
    }

    private static let unavailable = ProviderError.configuration(
        "no Google credentials for Vertex AI: set GOOGLE_APPLICATION_CREDENTIALS to a service account's key file, or "
            + "sign in with `gcloud auth login` so that `gcloud auth print-access-token` works")
}
