import Foundation
import GanderCore
import Synchronization
@testable import GanderRecipes
import Testing

/// The recipes of Tests/Fixtures/recipes, written for these tests after goose's parser (no goose file is copied).
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/recipes")

    static func file(_ name: String) throws -> RecipeFile {
        try #require(RecipeLibrary.read(folder.appendingPathComponent(name)))
    }

    static func load(_ name: String, _ values: [String: String] = [:]) throws -> LoadedRecipe {
        try RecipeLoader().load(try file(name), given: values, workingDirectory: folder)
    }

    /// The problems `check` finds, as "LINE: message" (or the message alone).
    static func problems(_ name: String) throws -> [String] {
        do {
            _ = try RecipeLoader().check(try file(name))
            return []
        } catch let problems as RecipeProblems {
            return problems.problems.map(\.description)
        }
    }
}

@Suite("recipes: the format")
struct RecipeFormatTests {
    @Test("every field of goose's format is read, values are rendered in before the YAML, and unknown keys are warnings with their line")
    func everyField() throws {
        let loaded = try Fixtures.load("full.yaml", ["project": "gander", "depth": "deep", "strict": "true"])
        let recipe = loaded.recipe
        #expect(recipe.title == "gander review")
        #expect(recipe.prompt == "Review GANDER at depth deep, strictly.")
        #expect(recipe.instructions == "You review gander.\nRead every file.\n")
        #expect(recipe.activities == ["Review", "Summarize"])
        #expect(recipe.author == Recipe.Author(contact: "someone@example.com", metadata: "written for Gander's tests"))
        #expect(recipe.settings == Recipe.Settings(provider: "openai", model: "scripted", temperature: 0.1, maxTurns: 6))
        #expect(recipe.parameters.map(\.key) == ["project", "depth", "strict"])
        #expect(recipe.parameters[1].options == ["shallow", "deep"] && recipe.parameters[1].defaultValue == "shallow")
        #expect(recipe.extensions == [Recipe.ExtensionEntry(name: "developer", kind: .builtin, timeout: nil,
                                                             availableTools: ["shell"], line: 36)])
        #expect(recipe.response?.jsonSchema["required"] == ["verdict", "issues"])
        #expect(recipe.retry == Recipe.Retry(maxRetries: 1, checks: ["test -f reviewed.txt"],
                                             onFailure: "echo cleaned > cleaned.txt", timeoutSeconds: 30,
                                             onFailureTimeoutSeconds: 600))
        #expect(loaded.warnings.map(\.description) == ["line 58: unknown key \"id\" is ignored"])
        #expect(loaded.values == ["project": "gander", "depth": "deep", "strict": "true"])
    }

    @Test("defaults fill what --params leaves out; the desktop app's recipe: wrapper and JSON are read")
    func defaultsAndJSON() throws {
        let full = try Fixtures.load("full.yaml", ["project": "x"])
        #expect(full.recipe.prompt == "Review X at depth shallow.")
        let wrapped = try Fixtures.load("wrapped.json")
        #expect(wrapped.recipe.title == "Wrapped" && wrapped.recipe.prompt == "say hi")
    }

    @Test("a title that is a template before it is YAML works; a {{ … }} that is no expression stays as written")
    func renderedBeforeYAML() throws {
        let loaded = try Fixtures.load("unquoted.yaml", ["name": "Acme"])
        #expect(loaded.recipe.title == "Acme Review")
        #expect(loaded.recipe.prompt == "Review Acme; keep {{hf model org}} as written.")
    }

    @Test("include and extends find their files in the recipe's folder; their variables count; recipe_dir is given")
    func includes() throws {
        let file = try Fixtures.file("layered.yaml")
        #expect(Set(try RecipeTemplate(text: file.text, directory: file.directory).variables()) == ["team", "focus"])
        let loaded = try Fixtures.load("layered.yaml", ["team": "core"])
        #expect(loaded.recipe.instructions == "Base instructions for core.\nand tests\n")
        #expect(loaded.recipe.prompt == "Start in \(Fixtures.folder.path).")
    }

    @Test("goose's validation errors, each with its line")
    func validationErrors() throws {
        #expect(try Fixtures.problems("errors/duplicate.yaml") == ["line 9: parameter a is defined twice"])
        #expect(try Fixtures.problems("errors/file-default.yaml") == [
            "line 5: file parameter notes cannot have a default: a recipe must not name a file of the user's to read"])
        #expect(try Fixtures.problems("errors/optional-no-default.yaml") == ["line 5: optional parameter level needs a default"])
        #expect(try Fixtures.problems("errors/undefined.yaml") == [
            "the templates use whom, which no parameter defines; add a parameter with that key"])
        #expect(try Fixtures.problems("errors/unused.yaml") == [
            "line 5: parameter spare is not used by any template; remove it or use {{ spare }}"])
        #expect(try Fixtures.problems("errors/empty.yaml") == [
            "the recipe needs instructions or a prompt (or both), and neither may be blank"])
        #expect(try Fixtures.problems("errors/bad-schema.yaml") == [
            "response.json_schema: type must be one of array, boolean, integer, null, number, object, string, or a list of them",
            "response.json_schema: required must be a list of property names"])
        #expect(try Fixtures.problems("errors/bad-select.yaml") == [
            "line 5: the default of size: \"huge\" is not one of the options: small, large"])
        #expect(try Fixtures.problems("errors/missing-sub.yaml").first?.hasPrefix(
            "line 5: sub-recipe helper: no recipe file at \(Fixtures.folder.path)/errors/./helpers/nowhere.yaml") == true)
    }

    @Test("errors that stop reading: a bad retry block and a template that does not parse, with their lines")
    func readingErrors() throws {
        #expect(throws: RecipeError("retry needs checks: the commands that must succeed", line: 5)) {
            _ = try RecipeLoader().check(try Fixtures.file("errors/bad-retry.yaml"))
        }
        #expect(throws: RecipeError("template: {% if %} is never closed with {% endif %}", line: 5)) {
            _ = try RecipeLoader().check(try Fixtures.file("errors/template-syntax.yaml"))
        }
        #expect(throws: RecipeError("the recipe is not valid YAML: mapping values are not allowed in this context", line: 1)) {
            var decoder = RecipeDecoder()
            _ = try decoder.decode("title: a: b")
        }
    }
}

@Suite("recipes: parameters")
struct RecipeParameterTests {
    @Test("an unknown parameter is named; every missing one is listed as --params; types are checked")
    func checks() throws {
        #expect(throws: RecipeError("the recipe has no parameter colour; its parameters are project, depth, strict")) {
            _ = try Fixtures.load("full.yaml", ["project": "x", "colour": "red"])
        }
        #expect(throws: RecipeError("the recipe needs --params team=… (the team)")) { _ = try Fixtures.load("layered.yaml") }
        #expect(throws: RecipeError("--params strict=maybe: \"maybe\" is not true or false")) {
            _ = try Fixtures.load("full.yaml", ["project": "x", "strict": "maybe"])
        }
        #expect(throws: RecipeError("--params depth=deeper: \"deeper\" is not one of the options: shallow, deep")) {
            _ = try Fixtures.load("full.yaml", ["project": "x", "depth": "deeper"])
        }
        let number = Recipe.Parameter(key: "n", inputType: .number, requirement: .required, description: "", defaultValue: nil,
                                      options: [], line: 1)
        #expect(RecipeParameters.problem(with: "4.5", for: number) == nil)
        #expect(RecipeParameters.problem(with: "four", for: number) == "\"four\" is not a number")
        var date = number
        date.inputType = .date
        #expect(RecipeParameters.problem(with: "2026-12-06", for: date) == nil)
        #expect(RecipeParameters.problem(with: "06/12/2026", for: date) == "\"06/12/2026\" is not a date like 2026-12-06")
    }

    @Test("a file parameter's value is the file's contents; a user_prompt one is an error with no terminal")
    func fileAndPrompt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gander-recipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "notes: ship it\n".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let file = Recipe.Parameter(key: "notes", inputType: .file, requirement: .required, description: "", defaultValue: nil,
                                    options: [], line: 1)
        #expect(try RecipeParameters.resolve([file], given: ["notes": "notes.txt"], workingDirectory: folder, ask: nil)
            == ["notes": "notes: ship it\n"])
        #expect(throws: RecipeError("parameter notes names a file to read, and \(folder.path)/gone.txt does not exist or is not text")) {
            _ = try RecipeParameters.resolve([file], given: ["notes": "gone.txt"], workingDirectory: folder, ask: nil)
        }
        var asked = file
        asked.inputType = .string
        asked.requirement = .userPrompt
        #expect(throws: RecipeError("parameter notes is asked for in a terminal, and this run has none; pass --params notes=…")) {
            _ = try RecipeParameters.resolve([asked], given: [:], workingDirectory: folder, ask: nil)
        }
        #expect(try RecipeParameters.resolve([asked], given: [:], workingDirectory: folder, ask: { _ in "typed" }) == ["notes": "typed"])
        #expect(throws: RecipeError("--params oops is not key=value")) { _ = try RecipeParameters.parse(["oops"]) }
        #expect(try RecipeParameters.parse(["a=1", "b=x=y"]) == ["a": "1", "b": "x=y"])
    }
}

@Suite("recipes: finding and sharing them")
struct RecipeLibraryTests {
    @Test("names are found in goose's order with Gander's folders first; list shows which file wins and what it hides")
    func searchOrder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gander-recipes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let work = root.appendingPathComponent("work"), home = root.appendingPathComponent("home")
        let recipe = { (title: String) in "title: \(title)\ndescription: d\nprompt: p\n" }
        for (folder, title) in [(work.appendingPathComponent(".goose/recipes"), "project goose"),
                                (home.appendingPathComponent(".config/goose/recipes"), "user goose"),
                                (work.appendingPathComponent(".gander/recipes"), "project gander")] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try recipe(title).write(to: folder.appendingPathComponent("review.yaml"), atomically: true, encoding: .utf8)
        }
        try recipe("only at home").write(to: home.appendingPathComponent(".config/goose/recipes/lint.yml"), atomically: true, encoding: .utf8)
        let library = RecipeLibrary(workingDirectory: work, environment: ["HOME": home.path])

        #expect(try library.locate("review").text.contains("project gander"))
        #expect(try library.locate("lint").text.contains("only at home"))
        let entries = library.list()
        #expect(entries.map(\.name) == ["review", "lint"])
        #expect(entries[0].origin == "./.gander/recipes" && entries[0].shadowed.count == 2)
        #expect(throws: RecipeError.self) { _ = try library.locate("nothing") }
        let pathed = RecipeLibrary(workingDirectory: work, environment: ["HOME": home.path, "GOOSE_RECIPE_PATH": "/nowhere:" + home.appendingPathComponent(".config/goose/recipes").path])
        #expect(pathed.folders.map(\.origin).contains("GOOSE_RECIPE_PATH"))
    }

    @Test("a deeplink carries the recipe and its templates; goose's older links (standard base64, percent-encoded) are read too")
    func deeplinks() throws {
        let file = try Fixtures.file("full.yaml")
        let link = try RecipeDeeplink.encode(file.text)
        #expect(link.hasPrefix("goose://recipe?config=") && !link.contains("=="))
        let decoded = RecipeFile(text: try RecipeDeeplink.decode(link), url: nil)
        let values = ["project": "gander"]
        let viaLink = try RecipeLoader().load(decoded, given: values, workingDirectory: Fixtures.folder).recipe
        var direct = try Fixtures.load("full.yaml", values).recipe
        // Lines differ between the YAML file and the JSON in the link; everything else is the same recipe.
        direct.parameters = direct.parameters.map { var p = $0; p.line = viaLink.parameters.first { $0.key == p.key }?.line ?? 0; return p }
        direct.extensions = viaLink.extensions.map { links in direct.extensions!.enumerated().map { var e = $1; e.line = links[$0].line; return e } }
        #expect(viaLink == direct)

        let json = #"{"title":"Old","description":"d","prompt":"hi"}"#
        let standard = Data(json.utf8).base64EncodedString()
        #expect(try RecipeDeeplink.decode("goose://recipe?config=" + standard) == json)
        let percentEncoded = standard.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try RecipeDeeplink.decode("goose://recipe?config=" + percentEncoded) == json)
        #expect(throws: RecipeError("the deeplink's config is not a recipe in base64-encoded JSON")) {
            _ = try RecipeDeeplink.decode("goose://recipe?config=bm90IGpzb24")
        }
    }
}

@Suite("recipes: the final output")
struct FinalOutputTests {
    @Test("the tool's input schema is the response schema (wrapped when its top is not an object), and what it is given is kept")
    func finalOutput() async throws {
        let schema: JSONValue = ["type": "object", "properties": ["verdict": ["type": "string"]], "required": ["verdict"]]
        let ext = FinalOutputExtension(schema: schema)
        let tool = try #require(try await ext.tools().first)
        #expect(tool.spec.name == "final_output" && tool.spec.inputSchema == schema)
        let context = ToolContext(workingDirectory: Fixtures.folder)
        _ = await tool.run(["verdict": "pass"], context: context)
        #expect(ext.output == ["verdict": "pass"])
        ext.reset()
        #expect(ext.output == nil)

        let list = FinalOutputExtension(schema: ["type": "array", "items": ["type": "integer"]])
        let listTool = try #require(try await list.tools().first)
        #expect(listTool.spec.inputSchema["required"] == ["output"])
        _ = await listTool.run(["output": [1, 2]], context: context)
        #expect(list.output == [1, 2])
    }
}

@Suite("recipes: sub-agents")
struct SummonTests {
    @Test("nesting past the limit is refused before anything runs; an unknown source names the sub-recipes")
    func limits() async throws {
        let runs = Mutex(0)
        let deep = SummonExtension(subRecipes: [], directory: Fixtures.folder, chain: [], depth: SummonExtension.maximumDepth + 1,
                                   runner: { _, _ in runs.withLock { $0 += 1 }; return .text("ran") })
        let context = ToolContext(workingDirectory: Fixtures.folder)
        let delegate = try #require(try await deep.tools().first { $0.spec.name == "delegate" })
        let refused = await delegate.run(["instructions": "do it"], context: context)
        #expect(refused.isError && refused.content == [.text("Not run: sub-agents may nest 3 deep, and this one is at that depth. Do the task yourself.")])
        #expect(runs.withLock { $0 } == 0)

        let sub = Recipe.SubRecipe(name: "layered", path: "layered.yaml", values: ["team": "core"], sequentialWhenRepeated: true,
                                   description: nil, line: 1)
        let summon = SummonExtension(subRecipes: [sub], directory: Fixtures.folder, chain: [],
                                     runner: { task, _ in .text("\(task.name): \(task.prompt)") })
        let tools = try await summon.tools()
        let ran = await tools[0].run(["source": "layered", "parameters": ["team": "ignored", "focus": "docs"]], context: context)
        #expect(ran.content == [.text("layered: Start in \(Fixtures.folder.path).")], "the recipe's values win, the model's others go in")
        #expect(tools[0].footprint(of: ["source": "layered"], context: context).serializationKey == "summon-layered")
        let missing = await tools[0].run(["source": "nowhere"], context: context)
        #expect(missing.isError && missing.content == [.text("Not run: there is no sub-recipe nowhere; the sub-recipes are layered")])
        let loaded = await tools[1].run(["source": "layered"], context: context)
        #expect(loaded.content.first.map { if case .text(let text) = $0 { text.hasPrefix("# Layered") } else { false } } == true)
    }
}

@Suite("recipes: written from a conversation")
struct RecipeWriterTests {
    @Test("what was asked reads back as the recipe's prompt, braces and lines as typed, with the session's settings")
    func roundTrip() throws {
        let requests = ["Render {{ name }} in templates/a.html", "Then run:\n  make test\nand report"]
        let text = try RecipeWriter.yaml(requests: requests, instructions: "Be brief.", provider: "anthropic",
                                         model: "claude-sonnet-4-5", session: "s1")
        let loaded = try RecipeLoader().load(RecipeFile(text: text, url: nil), given: [:], workingDirectory: Fixtures.folder)
        #expect(loaded.recipe.title == "Render {{ name }} in templates/a.html")
        #expect(loaded.recipe.instructions == "Be brief.")
        #expect(loaded.recipe.prompt == "Do these in order:\n\n1. Render {{ name }} in templates/a.html\n\n2. Then run:\n  make test\nand report")
        #expect(loaded.recipe.settings.provider == "anthropic" && loaded.recipe.settings.model == "claude-sonnet-4-5")
        let single = try RecipeWriter.yaml(requests: ["fix the build"], instructions: nil, provider: nil, model: nil, session: "s2")
        #expect(try RecipeLoader().load(RecipeFile(text: single, url: nil), given: [:], workingDirectory: Fixtures.folder).recipe.prompt
            == "fix the build")
    }
}

@Suite("recipes: schedules in cron's words")
struct CronExpressionTests {
    @Test("five and six fields, names, ranges, lists, steps and shorthands, said as crontab fields and as systemd's OnCalendar")
    func translations() throws {
        #expect(try CronExpression("0 9 * * 1-5").crontabFields() == "0 9 * * 1,2,3,4,5")
        #expect(try CronExpression("0 9 * * 1-5").onCalendar() == "Mon,Tue,Wed,Thu,Fri *-*-* 09:00:00")
        #expect(try CronExpression("*/15 * * * *").onCalendar() == "*-*-* *:00,15,30,45:00")
        #expect(try CronExpression("5/20 2 1 jan,JUL *").crontabFields() == "5,25,45 2 1 1,7 *")
        #expect(try CronExpression("30 0 9 * * *").onCalendar() == "*-*-* 09:00:30", "six fields: seconds first")
        #expect(try CronExpression("@weekly").onCalendar() == "Sun *-*-* 00:00:00")
        #expect(try CronExpression("0 0 * * 7").values[5] == [0], "7 is Sunday too")
        #expect(try CronExpression("0 0 * * 0-6").crontabFields() == "0 0 * * *", "every day is no restriction")
    }

    @Test("what cannot be a schedule, or cannot be one for a scheduler, is refused with the reason")
    func refusals() {
        for (text, message) in [("60 * * * *", "outside 0–59"), ("* * * *", "five fields"), ("@often", "shorthands"),
                                ("*/0 * * * *", "above 0 after /"), ("5-1 * * * *", "runs backwards"), ("x * * * *", "not a number"),
                                ("1,,2 * * * *", "empty item")] {
            #expect(throws: RecipeError.self, "\(text)") { try CronExpression(text) }
            #expect((try? CronExpression(text)) == nil)
            do { _ = try CronExpression(text) } catch { #expect("\(error)".contains(message), "\(text): \(error)") }
        }
        #expect(throws: RecipeError.self) { try CronExpression("30 * * * * *").crontabFields() }
        #expect(throws: RecipeError.self, "cron's either-day rule has no systemd form") { try CronExpression("0 0 1 * 1").onCalendar() }
    }
}
