#!/usr/bin/env python3
"""How often the embedded model's tool calls are well-formed: 50 prompts that should lead to a tool call, each run
as `gander run --provider local --max-turns 1` in a small project; a call counts as well-formed when Gander ran it
(it names an offered tool and its arguments are JSON that fits the tool's schema).

Usage: python3 bench/tool_calls.py GANDER   (prints a markdown section on stdout)
"""
import json
import os
import subprocess
import sys
import tempfile

PROMPTS = [
    "List the files in this directory.", "Show me the contents of README.md.", "Find every TODO in the project.",
    "Run the tests with `sh test.sh`.", "What does main.py print? Run it.", "Search for the word 'greet' in the code.",
    "Create a file hello.txt that says hello.", "Show the first lines of main.py.", "Find all Python files.",
    "How many lines does README.md have? Use wc.", "Show the git status.", "Print the current directory.",
    "Replace 'world' with 'there' in main.py.", "Add a line 'print(1)' at the top of main.py.", "Look at notes.md.",
    "Find files whose name ends in .md.", "Check which Python version is installed.", "Show the disk usage of this folder.",
    "Search for 'def ' in the project.", "Create a .gitignore that ignores *.pyc.", "Run `ls -la`.",
    "Count the Python files in this project.", "Show me test.sh.", "Search the code for 'import'.",
    "Make a directory called docs.", "Write a file docs/index.md with a title.", "Show lines 1 to 3 of main.py.",
    "Find the word hello anywhere.", "Run main.py with python3.", "Undo nothing, just view main.py.",
    "Search for files named test*.", "Print the date.", "Show environment variable HOME.", "Grep for 'print'.",
    "Show what is in the docs folder if it exists.", "Create todo.txt listing three tasks.", "Run `echo ready`.",
    "Look for 'FIXME' in the code.", "Show the README.", "Find shell scripts in the project.",
    "Create config.json with {\"debug\": true}.", "Show me notes.md.", "Run `python3 -c 'print(2+2)'`.",
    "Search for 'world'.", "List files matching *.sh.", "Show the size of main.py in bytes.",
    "Insert a comment '# entry point' after line 1 of main.py.", "Find every file in the project.",
    "Run `cat README.md`.", "Search for the string 'TODO' in Python files only.",
]


def project():
    directory = tempfile.mkdtemp(prefix="gander-toolcalls-")
    files = {"README.md": "# demo\nA tiny project.\n", "main.py": "print('hello world')  # TODO: greet by name\n",
             "test.sh": "#!/bin/sh\npython3 main.py\n", "notes.md": "- FIXME: write docs\n"}
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as handle:
            handle.write(text)
    return directory


def main():
    gander = sys.argv[1]
    runtime = os.environ.get("GANDER_RUNTIME_DIR") or os.path.join(
        os.environ.get("GANDER_DATA_DIR") or os.path.expanduser("~/.local/share/gander"), "runtime")
    calls = well_formed = answered = 0
    for prompt in PROMPTS:
        directory = project()
        env = dict(os.environ, HOME=directory, GANDER_RUNTIME_DIR=runtime)
        output = subprocess.run([gander, "run", "--provider", "local", "--max-turns", "1", "--temperature", "0",
                                 "--output-format", "stream-json", "-t", prompt],
                                cwd=directory, env=env, capture_output=True, text=True).stdout
        events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        results = [event["result"] for event in events if event["type"] == "tool_result"]
        if not results:
            answered += 1
        for result in results:
            calls += 1
            text = "".join(part.get("text", "") for part in result["content"])
            refused = ("not valid JSON" in text or "do not fit its input schema" in text or "Unknown tool" in text
                       or "must be a JSON object" in text)
            well_formed += 0 if refused else 1
    share = 100 * well_formed / calls if calls else 0
    print("\n".join([
        "", "## Embedded model: well-formed tool calls", "",
        f"{len(PROMPTS)} prompts that should lead to a tool call, the default local model, greedy, grammar-constrained.", "",
        f"- prompts answered with a tool call: {len(PROMPTS) - answered} of {len(PROMPTS)}",
        f"- well-formed calls: {well_formed} of {calls} ({share:.0f}%)", ""]))


if __name__ == "__main__":
    main()
