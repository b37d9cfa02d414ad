import Foundation

/// AWS credentials and region, found the way the AWS CLI finds them: the environment first (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then the profile (`AWS_PROFILE`, else `default`) in the shared
/// credentials file and the config file; the region from `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile.
package struct AWSCredentials: Sendable, Equatable {
    var accessKeyID: String
    var secretAccessKey: String
    var sessionToken: String?
    /// Where they came from, for messages (never the values).
    var source: String

    package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, source: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
    }

    /// The credentials and the region, or an error that says what to set.
    static func resolve(environment: [String: String]) throws -> (credentials: AWSCredentials, region: String) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let home = value("HOME") ?? NSHomeDirectory()
        let profile = value("AWS_PROFILE") ?? value("AWS_DEFAULT_PROFILE") ?? "default"
        let credentialsFile = value("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials"
        let configFile = value("AWS_CONFIG_FILE") ?? home + "/.aws/config"
        let sharedCredentials = INIFile(path: credentialsFile).section(profile)
        // The config file names profiles `[profile NAME]`, except `[default]`.
        let config = INIFile(path: configFile).section(profile == "default" ? "default" : "profile \(profile)")

        let credentials: AWSCredentials
        if let id = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") {
            credentials = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"),
                                         source: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        } else if let section = [sharedCredentials, config].first(where: {
            $0?["aws_access_key_id"] != nil && $0?["aws_secret_access_key"] != nil
        }) ?? nil {
            credentials = AWSCredentials(accessKeyID: section["aws_access_key_id"]!,
                                         secretAccessKey: section["aws_secret_access_key"]!,
                                         sessionToken: section["aws_session_token"],
                                         source: "the \(profile) profile")
        } else {
            throw ProviderError.configuration(
                "no AWS credentials: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or set AWS_PROFILE to a profile "
                    + "with keys in \(credentialsFile) (for SSO, run `aws configure export-credentials` first)")
        }
        guard let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? config?["region"] else {
            throw ProviderError.configuration(
                "no AWS region: export AWS_REGION (e.g. us-east-1), or set region in the \(profile) profile of \(configFile)")
        }
        return (credentials, region)
    }
}

/// The `[section]` / `key = value` files of the AWS CLI. A file that is missing or unreadable has no sections.
struct INIFile {
    private var sections: [String: [String: String]] = [:]

    init(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[current, default: [:]][key] = value
        }
    }

    func section(_ name: String) -> [String: String]? {
        sections[name]
    }
}
