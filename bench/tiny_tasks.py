#!/usr/bin/env python3
"""Tiny everyday agent tasks for local models: does the model get small, real work done?

Each task builds a small workspace, runs `gander run --provider local` on one instruction (auto mode, greedy, at
most 6 turns) and checks what a user would check: the workspace afterwards, or the answer. A task succeeds only
when its check passes and the run exited 0 with a real answer (never a tool call's raw JSON).

Usage: python3 bench/tiny_tasks.py GANDER [--model NAME_OR_PATH] [--only NAME,...] [--label TEXT] [--verbose]
(prints a markdown section on stdout; --verbose prints each run's answer on stderr)
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def contains(*needles):
    """The answer mentions every needle (case-insensitive)."""
    return lambda answer, directory: all(needle.lower() in answer.lower() for needle in needles)


def mentions_number(number, word):
    return lambda answer, directory: (re.search(rf"(?<![\d.]){number}(?![\d.])", answer) is not None
                                      or word in answer.lower())


def file_is(name, text):
    def check(answer, directory):
        path = os.path.join(directory, name)
        return os.path.isfile(path) and open(path).read().strip() == text
    return check


def file_has(name, present, absent=()):
    def check(answer, directory):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            return False
        text = open(path).read()
        return all(p in text for p in present) and not any(a in text for a in absent)
    return check


def prints(script, expected):
    def check(answer, directory):
        path = os.path.join(directory, script)
        if not os.path.isfile(path):
            return False
        run = subprocess.run([sys.executable, path], cwd=directory, capture_output=True, text=True, timeout=10)
        return run.stdout.strip() == expected
    return check


def exists(name, kind="dir"):
    def check(answer, directory):
        path = os.path.join(directory, name)
        return os.path.isdir(path) if kind == "dir" else os.path.isfile(path)
    return check


def missing(name):
    return lambda answer, directory: not os.path.exists(os.path.join(directory, name))


def both(*checks):
    return lambda answer, directory: all(check(answer, directory) for check in checks)


# name, files, instruction, check
TASKS = [
    ("greet", {}, "Say hello in one short sentence.", contains("hello")),
    ("arithmetic", {}, "What is 2 + 3? Answer with the number.", mentions_number(5, "five")),
    ("read-port", {"config.ini": "[server]\nhost=localhost\nport=8080\n"},
     "What port is set in config.ini?", contains("8080")),
    ("read-name", {"package.json": '{\n  "name": "acme-widgets",\n  "version": "1.0.0"\n}\n'},
     "What is the project name in package.json?", contains("acme-widgets")),
    ("read-version", {"VERSION": "2.4.1\n"}, "What version number is in the file VERSION?", contains("2.4.1")),
    ("read-first-line", {"poem.txt": "Roses are red\nViolets are blue\n"},
     "What is the first line of poem.txt?", contains("roses are red")),
    ("run-python", {"hello.py": "print('The answer is 42')\n"},
     "Run hello.py with python3 and tell me what it prints.", contains("42")),
    ("run-shell", {"build.sh": "#!/bin/sh\necho 'build ok: 17 files'\n"},
     "Run `sh build.sh` and report its output.", contains("17")),
    ("run-echo", {}, "Run the command `echo ready` and tell me what it printed.", contains("ready")),
    ("create-file", {}, "Create a file named greeting.txt containing exactly: Hello, world",
     file_is("greeting.txt", "Hello, world")),
    ("create-notes", {}, "Create notes.txt with the text: buy milk", file_has("notes.txt", ["buy milk"])),
    ("create-script", {}, "Create a Python file hi.py that prints hi.", prints("hi.py", "hi")),
    ("fix-typo", {"readme.txt": "Welcome to the projcet.\n"}, "Fix the typo 'projcet' in readme.txt.",
     file_has("readme.txt", ["project"], ["projcet"])),
    ("fix-code", {"main.py": 'pritn("ok")\n'}, "Fix the typo in main.py: pritn should be print.",
     prints("main.py", "ok")),
    ("replace-word", {"colors.txt": "red green blue\n"}, "In colors.txt, replace green with yellow.",
     file_has("colors.txt", ["yellow"], ["green"])),
    ("append-line", {"todo.txt": "- write tests\n"}, "Add the line '- ship it' at the end of todo.txt.",
     file_has("todo.txt", ["- write tests", "- ship it"])),
    ("count-files", {"a.txt": "", "b.txt": "", "c.txt": "", "d.md": ""},
     "How many .txt files are in this directory?", mentions_number(3, "three")),
    ("count-folder", {"data/1.csv": "", "data/2.csv": "", "data/3.csv": "", "data/4.csv": "", "data/5.csv": ""},
     "How many files are in the data folder?", mentions_number(5, "five")),
    ("count-lines", {"list.txt": "apples\npears\nplums\ncherries\n"},
     "How many lines does list.txt have?", mentions_number(4, "four")),
    ("list-files", {"alpha.txt": "a\n", "beta.txt": "b\n"}, "List the files in this directory.",
     contains("alpha.txt", "beta.txt")),
    ("find-todo", {"src/login.py": "def login():\n    pass  # TODO: check the password\n", "src/app.py": "run()\n"},
     "Which file contains a TODO comment?", contains("login.py")),
    ("make-dir", {}, "Create a directory named build.", exists("build")),
    ("delete-file", {"old.log": "stale\n", "keep.txt": "keep\n"}, "Delete the file old.log.",
     both(missing("old.log"), exists("keep.txt", "file"))),
    ("rename-file", {"draft.txt": "my essay\n"}, "Rename draft.txt to final.txt.",
     both(missing("draft.txt"), file_has("final.txt", ["my essay"]))),
]


def workspace(files):
    directory = tempfile.mkdtemp(prefix="gander-tiny-")
    for name, text in files.items():
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
    return directory


def run_task(gander, model, runtime, task, verbose):
    name, files, instruction, check = task
    directory = workspace(files)
    home = tempfile.mkdtemp(prefix="gander-tiny-home-")
    env = dict(os.environ, HOME=home, GANDER_RUNTIME_DIR=runtime)
    for key in [k for k in env if k.endswith("_API_KEY")]:
        del env[key]
    command = [gander, "run", "--provider", "local", "--mode", "auto", "--max-turns", "6", "--temperature", "0",
               "--output-format", "stream-json", "-t", instruction]
    if model:
        command[4:4] = ["--model", model]
    started = time.monotonic()
    try:
        run = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=300)
        stdout, status = run.stdout, run.returncode
    except subprocess.TimeoutExpired:
        stdout, status = "", -1
    seconds = time.monotonic() - started
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    finished = next((e for e in events if e["type"] == "finished"), None)
    answer = finished["outcome"]["final_text"] if finished else ""
    calls = sum(1 for e in events if e["type"] == "tool_call")
    raw_json = answer.lstrip().startswith("{")
    passed = status == 0 and not raw_json and check(answer, directory)
    if verbose:
        print(f"[{'PASS' if passed else 'fail'}] {name} ({seconds:.1f} s, {calls} calls, exit {status}): "
              f"{answer.strip()[:160]!r}", file=sys.stderr)
    shutil.rmtree(directory, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    return passed, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gander")
    parser.add_argument("--model")
    parser.add_argument("--only")
    parser.add_argument("--label")
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args()
    options.gander = os.path.abspath(options.gander)
    runtime = os.environ.get("GANDER_RUNTIME_DIR") or os.path.join(
        os.environ.get("GANDER_DATA_DIR") or os.path.expanduser("~/.local/share/gander"), "runtime")
    tasks = [t for t in TASKS if not options.only or t[0] in options.only.split(",")]
    results = [(task[0], *run_task(options.gander, options.model, runtime, task, options.verbose)) for task in tasks]
    passed = [name for name, ok, _ in results if ok]
    seconds = sorted(s for _, _, s in results)
    label = options.label or options.model or "the default model (SmolLM2-135M-Instruct)"
    print("\n".join([
        "", f"## Tiny tasks: {label}", "",
        f"{len(tasks)} everyday tasks (bench/tiny_tasks.py), greedy, auto mode, at most 6 turns each.", "",
        f"- succeeded: {len(passed)} of {len(tasks)} ({100 * len(passed) / len(tasks):.0f}%)",
        f"- passed: {', '.join(passed) or 'none'}",
        f"- median time per task: {seconds[len(seconds) // 2]:.1f} s", ""]))


if __name__ == "__main__":
    main()
