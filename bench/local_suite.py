#!/usr/bin/env python3
"""The local-model suite: 46 tasks of everyday developer work, written before any tuning and kept as they are, so
that a change to the harness is judged on all of them and on every model (not on the few it was made for).

Each task builds a small workspace, runs one instruction headless (auto mode, at most 8 turns) and checks what a
user would check: the workspace afterwards and the answer. A task succeeds only when its check passes, the run
exited 0 and the answer is not a raw tool call. Raw calls printed as answers are counted on their own.

Two ways to run a model, side by side on the same GGUF:
- `--via embedded` (default): `gander run --provider local --model GGUF`;
- `--via server`: llama.cpp's own OpenAI-compatible server (`python -m llama_cpp.server` from Gander's runtime)
  started on the GGUF, with Gander's `openai` provider talking to it.

Each task has an empty HOME of its own; all tasks of a run share one Gander data directory, as one user's runs do,
so the local model's prompt cache (Gander's instructions and tools, evaluated once) carries from task to task as
it does on a user's machine. `--cold` gives each task a fresh data directory instead: every run evaluates its whole
prompt.

Usage: python3 bench/local_suite.py GANDER --model GGUF [--via embedded|server] [--temperature T] [--only A,B]
       [--label TEXT] [--json OUT] [--cold] [--verbose]     (prints a markdown section on stdout)
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


# ---- checks: each takes (answer, directory) and says whether a user would be satisfied ----

def says(*needles):
    """The answer mentions every needle (case-insensitive)."""
    return lambda answer, directory: all(needle.lower() in answer.lower() for needle in needles)


def says_number(number, word):
    # Not part of a longer number or a version ("15", "2.5"), but a full stop may end the sentence ("is 5.").
    return lambda answer, directory: (re.search(rf"(?<![\d.]){number}(?!\d|\.\d)", answer) is not None
                                      or re.search(rf"\b{word}\b", answer.lower()) is not None)


def read(directory, name):
    path = os.path.join(directory, name)
    return open(path, errors="replace").read() if os.path.isfile(path) else None


def file_is(name, text):
    return lambda answer, directory: (read(directory, name) or "").strip() == text


def file_has(name, present, absent=()):
    def check(answer, directory):
        text = read(directory, name)
        return text is not None and all(p in text for p in present) and not any(a in text for a in absent)
    return check


def file_starts(name, first_line):
    return lambda answer, directory: (read(directory, name) or "").lstrip("\ufeff").split("\n")[0].strip() == first_line


def json_file(name, expected):
    def check(answer, directory):
        try:
            return json.loads(read(directory, name) or "") == expected
        except ValueError:
            return False
    return check


def prints(command, expected):
    """Running `command` in the workspace prints `expected` (stripped)."""
    def check(answer, directory):
        try:
            run = subprocess.run(command, cwd=directory, shell=True, capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return run.stdout.strip() == expected
    return check


def is_dir(name):
    return lambda answer, directory: os.path.isdir(os.path.join(directory, name))


def is_file(name):
    return lambda answer, directory: os.path.isfile(os.path.join(directory, name))


def gone(name):
    return lambda answer, directory: not os.path.exists(os.path.join(directory, name))


def all_of(*checks):
    return lambda answer, directory: all(check(answer, directory) for check in checks)


PYTHON_VERSION = "%d.%d" % sys.version_info[:2]

# (name, kind, files, instruction, check)
TASKS = [
    # reading
    ("read-port", "read", {"config.ini": "[server]\nhost=localhost\nport=8080\n"},
     "What port is set in config.ini?", says("8080")),
    ("read-name", "read", {"package.json": '{\n  "name": "acme-widgets",\n  "version": "1.0.0"\n}\n'},
     "What is the project name in package.json?", says("acme-widgets")),
    ("read-timeout", "read", {"settings.toml": "[http]\nretries = 4\ntimeout = 30\n"},
     "What timeout does settings.toml set?", says_number(30, "thirty")),
    ("read-last-line", "read", {"notes.md": "# Notes\n- call the bank\n- book the flight to Oslo\n"},
     "What is the last line of notes.md?", says("Oslo")),
    ("read-function-name", "read", {"utils.py": "import re\n\n\ndef slugify(text):\n    return re.sub(r'\\W+', '-', text).lower()\n"},
     "What is the name of the function defined in utils.py?", says("slugify")),
    ("read-pin", "read", {"requirements.txt": "flask==3.0.2\nrequests==2.31.0\npytest==8.1.1\n"},
     "Which version of requests does requirements.txt pin?", says("2.31.0")),
    # running
    ("run-greet-arg", "run", {"greet.sh": '#!/bin/sh\necho "Hello, ${1:-world}!"\n'},
     "Run greet.sh with the name Gander and tell me what it prints.", says("Hello, Gander")),
    ("run-square-arg", "run", {"square.py": "import sys\nn = int(sys.argv[1])\nprint(n * n)\n"},
     "Run square.py with the argument 7 and tell me the result.", says_number(49, "forty-nine")),
    # The output must not be in the instruction, or an answer that ran nothing would pass.
    ("run-echo", "run", {}, "Run the command `echo $((17 * 3))` and tell me what it printed.", says_number(51, "fifty-one")),
    ("run-tests-failed", "run", {"test.sh": "#!/bin/sh\necho 'test_login ... ok'\necho 'test_logout ... FAILED'\necho '3 passed, 1 failed'\n"},
     "Run test.sh and tell me how many tests failed.", says_number(1, "one")),
    ("run-hello-py", "run", {"hello.py": "print('The answer is 42')\n"},
     "Run hello.py and tell me what it prints.", says("42")),
    ("run-python-version", "run", {}, "Which version of Python 3 is installed here? Check with a command.",
     says(PYTHON_VERSION)),
    # creating
    ("create-exact", "create", {}, "Create a file named greeting.txt containing exactly: Hello, world",
     file_is("greeting.txt", "Hello, world")),
    ("create-json", "create", {}, 'Create config.json containing {"debug": true}',
     json_file("config.json", {"debug": True})),
    ("create-python", "create", {}, "Create a Python file hi.py that prints hi.", prints("python3 hi.py", "hi")),
    ("create-dir", "create", {}, "Create a directory named build.", is_dir("build")),
    ("create-nested", "create", {}, "Create docs/intro.md with the line: # Intro", file_starts("docs/intro.md", "# Intro")),
    ("create-shell", "create", {}, "Write a shell script run.sh that prints done.", prints("sh run.sh", "done")),
    # editing and fixing
    ("fix-typo", "edit", {"readme.txt": "Welcome to the projcet.\n"}, "Fix the typo 'projcet' in readme.txt.",
     file_has("readme.txt", ["project"], ["projcet"])),
    ("fix-pritn", "edit", {"main.py": 'pritn("ok")\n'}, "Fix the typo in main.py: pritn should be print.",
     prints("python3 main.py", "ok")),
    ("replace-word", "edit", {"colors.txt": "red green blue\n"}, "In colors.txt, replace green with yellow.",
     file_has("colors.txt", ["red", "yellow", "blue"], ["green"])),
    ("append-line", "edit", {"todo.txt": "- write tests\n"}, "Add the line '- ship it' at the end of todo.txt.",
     file_has("todo.txt", ["- write tests", "- ship it"])),
    ("change-port", "edit", {"config.ini": "[server]\nhost=localhost\nport=8080\n"},
     "Change the port in config.ini to 9090.", file_has("config.ini", ["port=9090", "host=localhost"], ["8080"])),
    ("fix-add-bug", "edit", {"calc.py": "def add(a, b):\n    return a - b\n\n\nprint(add(2, 3))\n"},
     "calc.py has a bug: add subtracts instead of adding. Fix it.", prints("python3 calc.py", "5")),
    ("rename-variable", "edit", {"app.py": "cnt = 0\nfor word in ['a', 'b', 'c']:\n    cnt += 1\nprint(cnt)\n"},
     "In app.py, rename the variable cnt to count.",
     all_of(file_has("app.py", ["count"], ["cnt"]), prints("python3 app.py", "3"))),
    ("prepend-heading", "edit", {"CHANGES.md": "- fixed the login page\n"},
     "Add the line '# Changelog' at the top of CHANGES.md.",
     all_of(file_starts("CHANGES.md", "# Changelog"), file_has("CHANGES.md", ["- fixed the login page"]))),
    # deleting, renaming, moving
    ("delete-file", "files", {"old.log": "stale\n", "keep.txt": "keep\n"}, "Delete the file old.log.",
     all_of(gone("old.log"), is_file("keep.txt"))),
    ("rename-file", "files", {"draft.txt": "my essay\n"}, "Rename draft.txt to final.txt.",
     all_of(gone("draft.txt"), file_has("final.txt", ["my essay"]))),
    ("move-file", "files", {"report.txt": "Q3 numbers\n", "archive/.keep": ""}, "Move report.txt into the archive folder.",
     all_of(gone("report.txt"), file_has("archive/report.txt", ["Q3 numbers"]))),
    ("delete-folder", "files", {"tmp/a.txt": "a\n", "tmp/b.txt": "b\n", "src/main.py": "print(1)\n"},
     "Delete the tmp directory.", all_of(gone("tmp"), is_file("src/main.py"))),
    ("copy-file", "files", {"template.txt": "Dear NAME,\n"}, "Copy template.txt to letter.txt.",
     all_of(file_has("template.txt", ["Dear NAME"]), file_has("letter.txt", ["Dear NAME"]))),
    # counting
    ("count-txt", "count", {"a.txt": "", "b.txt": "", "c.txt": "", "d.md": ""},
     "How many .txt files are in this directory?", says_number(3, "three")),
    ("count-lines", "count", {"list.txt": "apples\npears\nplums\ncherries\n"},
     "How many lines does list.txt have?", says_number(4, "four")),
    ("count-folder", "count", {"data/1.csv": "", "data/2.csv": "", "data/3.csv": "", "data/4.csv": "", "data/5.csv": ""},
     "How many files are in the data folder?", says_number(5, "five")),
    ("count-errors", "count", {"app.log": "INFO start\nERROR disk full\nINFO retry\nERROR disk full\nERROR gave up\n"},
     "How many lines in app.log contain ERROR?", says_number(3, "three")),
    # searching
    ("find-todo", "search", {"src/login.py": "def login():\n    pass  # TODO: check the password\n", "src/app.py": "run()\n"},
     "Which file contains a TODO comment?", says("login.py")),
    ("find-definition", "search", {"cli.py": "import sys\n\n\ndef parse_args(argv):\n    return argv[1:]\n",
                                   "main.py": "from cli import parse_args\n"},
     "Which file defines the function parse_args?", says("cli.py")),
    ("find-deadline", "search", {"notes.txt": "standup at 9\nthe deadline is Friday\nlunch with Ana\n"},
     "What does notes.txt say about the deadline?", says("Friday")),
    ("list-files", "search", {"alpha.txt": "a\n", "beta.txt": "b\n"}, "List the files in this directory.",
     says("alpha.txt", "beta.txt")),
    # several steps
    ("bump-version", "multi", {"version.txt": "1.2.3\n"}, "Read version.txt and bump the patch number by one.",
     file_is("version.txt", "1.2.4")),
    ("fix-then-run", "multi", {"main.py": 'pritn("all good")\n'},
     "Fix the typo in main.py (pritn should be print), then run it and tell me what it prints.",
     all_of(prints("python3 main.py", "all good"), says("all good"))),
    ("create-then-run", "multi", {}, "Create add.py that prints the sum of 2 and 3, run it, and tell me the output.",
     all_of(prints("python3 add.py", "5"), says_number(5, "five"))),
    ("read-then-create", "multi", {"names.txt": "Ada\nGrace\nLinus\n"},
     "Count the names in names.txt and write that number to count.txt.", file_is("count.txt", "3")),
    ("run-then-write", "multi", {"stamp.sh": "#!/bin/sh\necho build-7731\n"},
     "Run stamp.sh and save what it prints to stamp.txt.", file_is("stamp.txt", "build-7731")),
    # words only
    ("greet", "chat", {}, "Say hello in one short sentence.", says("hello")),
    ("arithmetic", "chat", {}, "What is 2 + 3? Answer with the number.", says_number(5, "five")),
]

RAW_CALL = re.compile(r'<tool_call>|<\|python_tag\|>|\[TOOL_CALLS\]|```tool_code|"(name|function)"\s*:\s*"[^"]+"\s*,\s*"(arguments|parameters)"')


def workspace(files):
    directory = tempfile.mkdtemp(prefix="gander-suite-")
    for name, text in files.items():
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
        if name.endswith(".sh"):
            os.chmod(path, 0o755)
    return directory


def runtime_dir():
    return os.environ.get("GANDER_RUNTIME_DIR") or os.path.join(
        os.environ.get("GANDER_DATA_DIR") or os.path.expanduser("~/.local/share/gander"), "runtime")


class Server:
    """llama.cpp's OpenAI-compatible server from Gander's runtime, on the GGUF under test."""

    def __init__(self, model):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        python = os.path.join(runtime_dir(), "venv", "bin", "python")
        self.log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [python, "-m", "llama_cpp.server", "--model", model, "--port", str(self.port), "--n_ctx", "8192",
             "--n_threads", str(os.cpu_count() or 2)],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"llama_cpp.server exited; see {self.log.name}")
                time.sleep(0.5)
        raise SystemExit(f"llama_cpp.server did not start; see {self.log.name}")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def run_task(options, task, server, data):
    name, kind, files, instruction, check = task
    directory = workspace(files)
    home = tempfile.mkdtemp(prefix="gander-suite-home-")
    env = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    env.update(HOME=home, GANDER_RUNTIME_DIR=runtime_dir(),
               GANDER_DATA_DIR=tempfile.mkdtemp(prefix="gander-suite-data-", dir=home) if options.cold else data)
    command = [options.gander, "run", "--mode", "auto", "--max-turns", "8", "--output-format", "stream-json"]
    if server:
        env.update(OPENAI_BASE_URL=f"http://127.0.0.1:{server.port}/v1", OPENAI_API_KEY="not-needed")
        # Remote providers send no temperature: the server samples at its default, 0.2, as `--temperature` unset
        # does for the embedded model.
        command += ["--provider", "openai", "--model", "local"]
    else:
        command += ["--provider", "local", "--model", options.model]
        if options.temperature is not None:
            command += ["--temperature", str(options.temperature)]
    command += ["-t", instruction]
    started = time.monotonic()
    try:
        run = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=options.timeout)
        stdout, stderr, status = run.stdout, run.stderr, run.returncode
    except subprocess.TimeoutExpired as expired:
        stdout, stderr, status = (expired.stdout or b"").decode(errors="replace"), "timed out", -1
    seconds = time.monotonic() - started
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    finished = next((e for e in events if e["type"] == "finished"), None)
    answer = (finished or {}).get("outcome", {}).get("final_text") or ""
    calls = sum(1 for e in events if e["type"] == "tool_call")
    raw = RAW_CALL.search(answer) is not None
    passed = status == 0 and not raw and check(answer, directory)
    if options.verbose:
        print(f"[{'PASS' if passed else 'fail'}] {name} ({seconds:.1f} s, {calls} calls, exit {status}): "
              f"{answer.strip()[:200]!r}" + ("" if status == 0 else f" | {stderr.strip()[-200:]!r}"), file=sys.stderr)
    shutil.rmtree(directory, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    return {"name": name, "kind": kind, "passed": passed, "raw_call": raw, "exit": status, "seconds": seconds,
            "calls": calls, "answer": answer[:500]}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gander")
    parser.add_argument("--model", required=True, help="a GGUF path (or, embedded only, a model name)")
    parser.add_argument("--via", choices=["embedded", "server"], default="embedded")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--only")
    parser.add_argument("--label")
    parser.add_argument("--json")
    parser.add_argument("--timeout", type=int, default=420)
    parser.add_argument("--cold", action="store_true", help="a fresh data directory (no prompt cache) for each task")
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args()
    options.gander = os.path.abspath(options.gander)
    tasks = [t for t in TASKS if not options.only or t[0] in options.only.split(",")]
    server = Server(options.model) if options.via == "server" else None
    data = tempfile.mkdtemp(prefix="gander-suite-data-")
    try:
        results = [run_task(options, task, server, data) for task in tasks]
    finally:
        if server:
            server.stop()
        shutil.rmtree(data, ignore_errors=True)
    passed = [r for r in results if r["passed"]]
    seconds = [r["seconds"] for r in results]
    kinds = sorted({r["kind"] for r in results}, key=[t[1] for t in TASKS].index)
    temperature = "default temperature" if options.temperature is None else f"temperature {options.temperature:g}"
    temperature += ", each task cold" if options.cold else ""
    label = options.label or os.path.basename(options.model)
    lines = [
        "", f"## Local suite: {label}, {options.via}, {temperature}", "",
        f"- succeeded: {len(passed)} of {len(results)} ({100 * len(passed) / len(results):.0f}%)",
        f"- raw tool calls printed as answers: {sum(r['raw_call'] for r in results)}",
        f"- runs that did not exit 0: {sum(r['exit'] != 0 for r in results)}",
        f"- wall time per task: median {statistics.median(seconds):.1f} s, p90 {percentile(seconds, 0.9):.1f} s",
        "- by kind: " + ", ".join(
            f"{kind} {sum(r['passed'] for r in results if r['kind'] == kind)}/{sum(r['kind'] == kind for r in results)}"
            for kind in kinds),
        f"- failed: {', '.join(r['name'] for r in results if not r['passed']) or 'none'}", ""]
    print("\n".join(lines))
    if options.json:
        with open(options.json, "w") as handle:
            json.dump({"label": label, "via": options.via, "temperature": options.temperature, "results": results},
                      handle, indent=1)


if __name__ == "__main__":
    main()
