import ArgumentParser
import Foundation
import GanderCore
import GanderRecipes

/// `gander recipe …`: check, find, show and share recipes. `gander run --recipe` runs them.
struct RecipeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recipe",
        abstract: "Validate, list, show and share recipes (goose's format); run one with `gander run --recipe NAME`.",
        discussion: """
            A name is looked for as NAME.yaml, .yml or .json in, first match first: the working directory, \
            ./.gander/recipes, ./.goose/recipes, ./.agents/recipes, GANDER_RECIPE_PATH, GOOSE_RECIPE_PATH, \
            ~/.config/gander/recipes, ~/.config/goose/recipes, ~/.agents/recipes.
            """,
        subcommands: [Validate.self, List.self, Show.self, Deeplink.self])

    static func library() -> RecipeLibrary {
        RecipeLibrary(workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                      environment: ProcessInfo.processInfo.environment)
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check recipes as goose does, and more: each problem with its line. A folder checks every recipe in it.")

        @Argument(help: "Recipe names, files or folders.")
        var recipes: [String]

        func run() throws {
            let library = RecipeCommand.library()
            var files: [RecipeFile] = []
            for reference in recipes {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory), isDirectory.boolValue {
                    let folder = URL(fileURLWithPath: reference)
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                    files += names.sorted().filter { RecipeLibrary.extensions.contains(($0 as NSString).pathExtension.lowercased()) }
                        .compactMap { RecipeLibrary.read(folder.appendingPathComponent($0)) }
                } else {
                    files.append(try library.locate(reference))
                }
            }
            var failed = 0
            for file in files {
                do {
                    let checked = try RecipeLoader().check(file)
                    print("ok  \(file.displayName)")
                    for warning in checked.warnings { print("    warning: \(Self.located(warning, in: file))") }
                } catch let problems as RecipeProblems {
                    failed += 1
                    for problem in problems.problems { print("\(Self.located(problem, in: file))") }
                } catch {
                    failed += 1
                    print("\(file.displayName): \(error)")
                }
            }
            if failed > 0 {
                throw RecipeFailure("\(failed) of \(files.count) recipe\(files.count == 1 ? "" : "s") \(failed == 1 ? "has" : "have") problems (above)")
            }
        }

        /// `FILE:LINE: problem`, as compilers write it, so editors can jump there.
        static func located(_ error: any Error, in file: RecipeFile) -> String {
            guard let error = error as? RecipeError else { return "\(file.displayName): \(error)" }
            return file.displayName + (error.line.map { ":\($0)" } ?? "") + ": " + error.message
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "The recipes found by name, which file wins, and what it hides.")

        @Option(help: "text or json.")
        var format: ListFormat = .text

        enum ListFormat: String, ExpressibleByArgument { case text, json }

        func run() throws {
            let entries = RecipeCommand.library().list()
            let described = entries.map { entry -> (RecipeLibrary.Entry, String, String) in
                let recipe = RecipeLibrary.read(entry.url).flatMap { try? RecipeLoader().check($0).recipe }
                return (entry, recipe?.title ?? "(not a valid recipe: `gander recipe validate \(entry.url.path)`)",
                        recipe?.description ?? "")
            }
            switch format {
            case .json:
                let rows = described.map { (entry, title, description) -> JSONValue in
                    let row: [String: JSONValue] = [
                        "name": .string(entry.name), "path": .string(entry.url.path), "found_in": .string(entry.origin),
                        "title": .string(title), "description": .string(description),
                        "shadowed": .array(entry.shadowed.map { JSONValue.string($0.path) }),
                    ]
                    return .object(row)
                }
                print(JSONValue.array(rows).canonicalText)
            case .text:
                guard !entries.isEmpty else {
                    return print("No recipes found. Put NAME.yaml in ./.gander/recipes or ~/.config/gander/recipes.")
                }
                for (entry, title, _) in described {
                    print("\(entry.name)\t\(title)\t\(entry.url.path)")
                    for hidden in entry.shadowed { print("\t(hides \(hidden.path))") }
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a recipe's file, as written.")

        @Argument(help: "A recipe name, file or deeplink.")
        var recipe: String

        func run() throws {
            let file = try RecipeCommand.library().locate(recipe)
            print("# \(file.displayName)")
            print(file.text, terminator: file.text.hasSuffix("\n") ? "" : "\n")
        }
    }

    struct Deeplink: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deeplink", abstract: "A goose:// link that carries the recipe; `gander run --recipe LINK` runs it.")

        @Argument(help: "A recipe name or file.")
        var recipe: String

        func run() throws {
            let file = try RecipeCommand.library().locate(recipe)
            _ = try RecipeLoader().check(file)
            print(try RecipeDeeplink.encode(file.text))
        }
    }
}

/// A recipe command that did not succeed; its text is the whole message.
struct RecipeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
