import Foundation
import GanderCore

/// A recipe as goose writes them: a shared way of working — instructions, a first prompt, parameters, the extensions
/// it needs, settings, a structured response, retry checks and sub-recipes — in a YAML or JSON file.
public struct Recipe: Sendable, Equatable {
    public var version: String
    public var title: String
    public var description: String
    /// Goes into the system prompt.
    public var instructions: String?
    /// The first message of the run.
    public var prompt: String?
    public var activities: [String]
    public var author: Author?
    public var settings: Settings
    public var parameters: [Parameter]
    /// nil: the user's own extensions; a list (even an empty one) replaces them for the run, as in goose.
    public var extensions: [ExtensionEntry]?
    public var response: Response?
    public var retry: Retry?
    public var subRecipes: [SubRecipe]

    public struct Author: Sendable, Equatable {
        public var contact: String?
        public var metadata: String?
    }

    /// goose's names (`goose_provider`, `goose_model`) and Gander's own beside them.
    public struct Settings: Sendable, Equatable {
        public var provider: String?
        public var model: String?
        public var temperature: Double?
        public var maxTurns: Int?

        public init(provider: String? = nil, model: String? = nil, temperature: Double? = nil, maxTurns: Int? = nil) {
            self.provider = provider
            self.model = model
            self.temperature = temperature
            self.maxTurns = maxTurns
        }
    }

    public struct Parameter: Sendable, Equatable {
        public enum InputType: String, Sendable, CaseIterable {
            case string, number, boolean, date, file, select, object, array
        }

        public enum Requirement: String, Sendable, CaseIterable {
            case required, optional
            case userPrompt = "user_prompt"
        }

        public var key: String
        public var inputType: InputType
        public var requirement: Requirement
        public var description: String
        /// As text: goose hands every value to its templates as a string.
        public var defaultValue: String?
        /// The allowed values of a `select`.
        public var options: [String]
        /// Where it is in the file, for messages.
        public var line: Int
    }

    /// One extension as goose writes it in a recipe.
    public struct ExtensionEntry: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case stdio(command: String, arguments: [String], environment: [String: String], environmentKeys: [String],
                       workingDirectory: String?)
            case streamableHTTP(uri: String, headers: [String: String])
            /// One of goose's built-in extensions, by its goose name.
            case builtin
            /// A kind Gander does not run (`sse`, `platform`, `frontend`, `inline_python`); named in a warning.
            case unsupported(String)
        }

        public var name: String
        public var kind: Kind
        public var timeout: Int?
        /// Only these of its tools are offered; nil for all.
        public var availableTools: [String]?
        public var line: Int

        public init(name: String, kind: Kind, timeout: Int? = nil, availableTools: [String]? = nil, line: Int = 0) {
            self.name = name
            self.kind = kind
            self.timeout = timeout
            self.availableTools = availableTools
            self.line = line
        }

        /// One of goose's built-ins, by name.
        public static func builtin(_ name: String) -> ExtensionEntry {
            ExtensionEntry(name: name, kind: .builtin)
        }
    }

    /// `response.json_schema`: the run ends with JSON that fits it.
    public struct Response: Sendable, Equatable {
        public var jsonSchema: JSONValue
    }

    /// Checks that decide whether the run did its job, and what to do before trying again.
    public struct Retry: Sendable, Equatable {
        public var maxRetries: Int
        /// Shell commands (`sh -c`); each must exit 0.
        public var checks: [String]
        public var onFailure: String?
        public var timeoutSeconds: Int
        public var onFailureTimeoutSeconds: Int
    }

    public struct SubRecipe: Sendable, Equatable {
        public var name: String
        public var path: String
        /// Parameter values fixed by the parent; they win over the model's.
        public var values: [String: String]
        public var sequentialWhenRepeated: Bool
        public var description: String?
        public var line: Int
    }
}
