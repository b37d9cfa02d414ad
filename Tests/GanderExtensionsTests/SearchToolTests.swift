import Foundation
import GanderCore
@testable import GanderExtensions
import Testing

@Suite("developer__search")
struct SearchToolTests {
    func project() throws -> DeveloperFixture {
        let fixture = try DeveloperFixture()
        try fixture.directory.write(".gitignore", "build/\n*.log\n!keep.log\n/rootonly.txt\n")
        try FileManager.default.createDirectory(at: fixture.directory.file(".git"), withIntermediateDirectories: true)
        try fixture.directory.write("Sources/App/main.swift", "let greeting = \"hello\"\nprint(greeting)\n")
        try fixture.directory.write("Sources/App/util.swift", "func helper() {}\n// TODO: hello again\n")
        try fixture.directory.write("Sources/rootonly.txt", "hello from a nested rootonly\n")
        try fixture.directory.write("rootonly.txt", "hello ignored at the root\n")
        try fixture.directory.write("build/out.swift", "hello from build\n")
        try fixture.directory.write("debug.log", "hello log\n")
        try fixture.directory.write("keep.log", "hello kept log\n")
        try fixture.directory.write(".hidden/secret.txt", "hello hidden\n")
        try Data("hello\u{0}binary".utf8).write(to: fixture.directory.file("blob.dat"))
        return fixture
    }

    @Test("grep finds lines, honouring .gitignore and skipping hidden and binary files")
    func grep() async throws {
        let fixture = try project()
        defer { fixture.remove() }

        let output = await fixture.call("search", ["pattern": "hello"])

        #expect(output.text.split(separator: "\n").sorted() == [
            "Sources/App/main.swift:1:let greeting = \"hello\"",
            "Sources/App/util.swift:2:// TODO: hello again",
            "Sources/rootonly.txt:1:hello from a nested rootonly",
            "keep.log:1:hello kept log",
        ])
    }

    @Test("grep takes regular expressions, case folding and an include glob")
    func grepRegex() async throws {
        let fixture = try project()
        defer { fixture.remove() }

        let regex = await fixture.call("search", ["pattern": "^(let|func) \\w+", "include": "*.swift"])
        let folded = await fixture.call("search", ["pattern": "TODO: HELLO", "case_insensitive": true])
        let invalid = await fixture.call("search", ["pattern": "(unclosed"])

        #expect(regex.text == "Sources/App/main.swift:1:let greeting = \"hello\"\nSources/App/util.swift:1:func helper() {}")
        #expect(folded.text == "Sources/App/util.swift:2:// TODO: hello again")
        #expect(invalid.isError && invalid.text.contains("not a valid regular expression"))
    }

    @Test("glob finds files by name at any depth, or by path")
    func glob() async throws {
        let fixture = try project()
        defer { fixture.remove() }

        let byName = await fixture.call("search", ["pattern": "*.swift", "mode": "glob"])
        let byPath = await fixture.call("search", ["pattern": "Sources/**/m*.swift", "mode": "glob"])
        let none = await fixture.call("search", ["pattern": "*.rs", "mode": "glob"])

        #expect(byName.text == "Sources/App/main.swift\nSources/App/util.swift")
        #expect(byPath.text == "Sources/App/main.swift")
        #expect(none.text.hasPrefix("No files match"))
    }

    @Test("a regular expression finds the same lines whether or not its required text narrows the search first",
          arguments: [#"swift_(retain|release)_n\b"#, #"greet\w+"#, "print\\(greet", "colou?r", "(ab)?cd|swift"])
    func requiredTextPrefilter(pattern: String) throws {
        let text = (0..<400).map { index in
            ["let swift_retain_n = 1", "swift_release_n()", "swift_retain_nx", "print(greeting)", "greetings", "color",
             "colour", "abcd", "cd", "nothing"][index % 10]
        }.joined(separator: "\n")
        let bytes = Array(text.utf8)
        let regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        var expected: [Int] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(line)
            if regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil { expected.append(index + 1) }
        }
        var found: [Int] = []
        try LineMatcher(pattern: pattern, caseInsensitive: false).forEachMatchingLine(in: bytes) { number, _ in found.append(number) }
        #expect(found == expected)
        #expect(!expected.isEmpty)
    }

    @Test("inline flags, quoted text and numbered escapes give no required text")
    func requiredTextRefusesWhatItCannotRead() {
        for pattern in ["(?i)todo", "(?i:TODO)list", "ab(?x) c d", "(?#note)todo", #"\x41BC"#, #"\u0041BC"#, #"\QTODO\E"#,
                        #"\p{Lu}ODO"#, #"(?<w>to)do\k<w>"#, #"\0101BC"#, "(?-i)todo"] {
            #expect(RequiredText.of(pattern).isEmpty, "\(pattern)")
        }
        #expect(RequiredText.of("(?:ab)cd(?=ef)gh") == ["cd", "gh"])
        #expect(RequiredText.of(#"(?<year>\d+)-end"#) == ["-end"])
    }

    @Test("the prefiltered search finds exactly the lines the plain regular expression does, on a corpus of patterns")
    func prefilterEqualsPlainRegex() throws {
        let lines = ["todo", "TODO: fix the loop", "ToDo later", "to do", "x.yz", "xAyz", "Abc", "ABC", "a b", "aab", "abcd",
                     "café", "CAFÉ", "Todo.", "TODO.", "Sherlock Holmes", "sherlock holmes", "  # comment", "foo123", "foo_bar",
                     "2026-12-06", "[todo]", "(todo)", "a+b=c", "tab\there", "end$", "", "ÀBC", "swift_retain_n", "to-do"]
        let text = lines.joined(separator: "\n")
        let bytes = Array(text.utf8)
        var patterns = [
            // Patterns of the kind ripgrep's tests use.
            "Sherlock Holmes", "Sherlock|Holmes", #"\w+\s+Holmes"#, "[^a-z]Holmes", "(?i)sherlock", "Holmes$", "^Sherlock",
            #"foo\w+"#, #"\bfoo\b"#, #"[a-z]+\d+"#, #"^\s*#"#, "(foo|bar)_?bar", "a{2,}b", "x{0}yz", #"\d{4}-\d{2}"#,
            // Inline flags and the escapes that cannot be read as plain text.
            "(?i)todo", "(?i:todo):", "TO(?i)do", "(?x) t o d o", "(?i)café", #"x\x41yz"#, #"\QTODO.\E"#, #"\p{Lu}BC"#,
            #"(?<w>to)\k<w>"#, "(?-i)TODO", "(?i)(?-i:TODO)", "(?s)to.do", "(?m)^todo$", #"\u00c0BC"#, #"a\+b"#, #"\[todo\]"#,
        ]
        // And random ones built from the same pieces, seeded so a failure repeats.
        let pieces = ["to", "do", "TODO", "Todo", "x", "yz", "é", "-", ".", " ", "(?i)", "(?i:", "(?:", "(?=", "(", ")", "|",
                      "*", "?", "+", "{2}", "[a-z]", #"\w"#, #"\b"#, #"\."#, #"\x41"#, "^", "$", #"\QTo.\E"#, "(?x)", "(?-i)"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<600 {
            patterns.append((0..<(1 + next(6))).map { _ in pieces[next(pieces.count)] }.joined())
        }
        var compared = 0
        for pattern in patterns {
            for caseInsensitive in [false, true] {
                let options: NSRegularExpression.Options = caseInsensitive ? [.caseInsensitive, .anchorsMatchLines] : [.anchorsMatchLines]
                guard let regex = try? NSRegularExpression(pattern: pattern, options: options) else { continue }
                var expected: [Int] = []
                for (index, line) in lines.enumerated() where regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
                    expected.append(index + 1)
                }
                var found: [Int] = []
                try LineMatcher(pattern: pattern, caseInsensitive: caseInsensitive).forEachMatchingLine(in: bytes) { number, _ in
                    found.append(number)
                }
                #expect(found == expected, "\(pattern) (case-insensitive: \(caseInsensitive))")
                compared += 1
            }
        }
        #expect(compared > 600, "most patterns compile")
    }

    @Test("the text a pattern cannot match without", arguments: [
        (#"swift_(retain|release)_n\b"#, ["swift_", "_n"]), ("a|b", []), (#"foo\.bar"#, ["foo.bar"]), ("colou?r", ["colo"]),
        ("x[abc]yz", ["yz"]), ("(ab)?cd", ["cd"]), ("ab*c", []), (#"print\(greet"#, ["print(greet"]), ("[]x]yz{2}", []),
    ])
    func requiredText(pattern: String, expected: [String]) {
        #expect(RequiredText.of(pattern) == expected)
    }

    @Test("results are capped, with a count of what was left out")
    func cap() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try fixture.directory.write("many.txt", (1...50).map { "match \($0)" }.joined(separator: "\n"))

        let output = await fixture.call("search", ["pattern": "match", "max_results": 10])

        #expect(output.text.split(separator: "\n").count == 11)
        #expect(output.text.hasSuffix("[40 more matching lines not shown (1 files matched); narrow the pattern, pass `include`, or raise max_results]"))
    }

    @Test("a path that is not a directory is refused")
    func badPath() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        let output = await fixture.call("search", ["pattern": "x", "path": "missing"])
        #expect(output.isError && output.text.contains("is not a directory"))
    }
}

@Suite("gitignore patterns")
struct GlobPatternTests {
    @Test("wildcards, classes and double stars", arguments: [
        ("*.swift", "main.swift", true), ("*.swift", "dir/main.swift", false), ("a?c", "abc", true),
        ("[a-c]x", "bx", true), ("[!a-c]x", "bx", false), ("**/foo", "a/b/foo", true), ("**/foo", "foo", true),
        ("a/**/b", "a/b", true), ("a/**/b", "a/x/y/b", true), ("a/**", "a/x/y", true), ("foo", "foobar", false),
        ("\\*lit", "*lit", true), ("\\*lit", "xlit", false),
    ])
    func matches(pattern: String, path: String, expected: Bool) {
        #expect(GlobPattern(pattern).matches(path) == expected)
    }
}
