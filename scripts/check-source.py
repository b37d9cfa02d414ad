#!/usr/bin/env python3
"""Checks two things the compiler lets through. Run by `make test`; exit 1 with one line per problem.

1. Every module a target imports is one Package.swift declares for it. SwiftPM builds a target that imports a module
   it only gets through another target's dependencies, until the day that other dependency changes; declared
   dependencies are what docs/architecture.md describes.
2. No command has an empty `run()`: a command whose work is reached some other way does nothing when ArgumentParser
   (or a test, or a future caller) runs it as a command. Async work belongs in AsyncParsableCommand's `run()`.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Modules every target may import: the standard library's and the platform's.
SYSTEM = {"Foundation", "FoundationEssentials", "Dispatch", "Glibc", "Darwin", "Synchronization", "Testing", "XCTest",
          "os", "_Concurrency", "Musl"}


def targets(manifest: str):
    """(kind, name, path, declared modules) for each target of the manifest."""
    pattern = re.compile(r"\.(target|executableTarget|testTarget)\(\s*name:\s*\"([^\"]+)\"")
    starts = [(m.start(), m.group(1), m.group(2)) for m in pattern.finditer(manifest)]
    for index, (start, kind, name) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(manifest)
        body = manifest[start:end]
        declared = set(re.findall(r"\.product\(\s*name:\s*\"([^\"]+)\"", body))
        dependencies = re.search(r"dependencies:\s*\[(.*?)\]\s*,?\s*(path:|swiftSettings:|\))", body, re.S)
        if dependencies:
            declared |= set(re.findall(r"(?<![:\w])\"([A-Za-z_][\w-]*)\"", re.sub(r"\.product\([^)]*\)", "", dependencies.group(1))))
        path = re.search(r"path:\s*\"([^\"]+)\"", body)
        folder = path.group(1) if path else ("Tests/" if kind == "testTarget" else "Sources/") + name
        yield kind, name, ROOT / folder, declared


def main() -> int:
    manifest = (ROOT / "Package.swift").read_text()
    problems = []
    for _, name, folder, declared in targets(manifest):
        for source in sorted(folder.rglob("*.swift")):
            for line in source.read_text().splitlines():
                # Imports come first; past them, "import" is text (a Python snippet in a string, say).
                if line.strip() and not re.match(r"\s*(//|#|@|import\s)", line):
                    break
                match = re.match(r"\s*(?:@testable\s+|@_exported\s+|@preconcurrency\s+)?import\s+(?:(?:struct|class|enum|func|protocol)\s+)?([A-Za-z_]\w*)", line)
                if match and match.group(1) not in SYSTEM and match.group(1) not in declared and match.group(1) != name:
                    problems.append(f"{source.relative_to(ROOT)}: imports {match.group(1)}, which Package.swift does not declare for {name}")
    if problems:
        problems.append("Declare each module in the target's dependencies in Package.swift.")
    for source in sorted((ROOT / "Sources").rglob("*.swift")):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            if re.match(r"\s*(mutating\s+)?func run\(\)\s*(async\s*)?(throws\s*)?\{\s*\}", line):
                problems.append(f"{source.relative_to(ROOT)}:{number}: a command with an empty run(); do its work there")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
