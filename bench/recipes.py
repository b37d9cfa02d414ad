#!/usr/bin/env python3
"""Recipe figures from a release build of gander (issue 27):

- parse, check and render a 200-line recipe with five parameters and two sub-recipes, Gander's own time:
  `in-process-bench recipe FILE NAME=VALUE…` loads it as `gander run --recipe` does (reads, checks, settles the
  values, renders and reads the result again) in one process, median of RUNS loads after a first;
- the same as whole processes: `gander run --recipe FILE --params … --render-recipe` (which runs nothing) minus the
  same for a ten-line recipe with the same arguments (start-up and parsing them), medians of RUNS runs — which also
  counts loading the code that recipes need into a fresh process;
- `gander recipe validate FOLDER` over 100 recipes: whole process, median of RUNS runs;
- four sub-agents at once, each of whose model replies takes one second (the scripted server's `delay_ms`): the
  wall time of the whole `gander run`, median of RUNS runs.

Usage: python3 bench/recipes.py BIN_DIR   (prints a Markdown section; BENCH_RUNS=N, default 15)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import ScriptedServer  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "15"))


def wall_ms(argv, cwd):
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def median_ms(argv, cwd):
    wall_ms(argv, cwd)  # one unmeasured run: the file system's caches
    return statistics.median(wall_ms(argv, cwd) for _ in range(RUNS))


def big_recipe():
    """About 200 lines: five parameters of different types, two sub-recipes, conditionals, a loop, a filter."""
    lines = [
        "version: 1.0.0",
        'title: "{{ project }} release review"',
        "description: Review a release of a project before it ships, step by step.",
        "instructions: |",
    ]
    for step in range(60):
        lines.append(f"  Step {step}: check part {step} of {{{{ project }}}}"
                     + ("{% if strict == 'true' %} strictly{% endif %}." if step % 3 == 0 else "."))
    lines += [
        "  {% for area in ['api', 'cli', 'docs', 'tests'] %}",
        "  - look at {{ area | upper }} for {{ focus | default('everything') }}",
        "  {% endfor %}",
        "prompt: |",
    ]
    for line in range(60):
        lines.append(f"  Line {line} of the prompt for {{{{ project }}}} at depth {{{{ depth }}}} (limit {{{{ limit }}}}).")
    lines += [
        "settings:", "  goose_provider: openai", "  goose_model: scripted", "  max_turns: 20",
        "parameters:",
    ]
    for key, kind, requirement, extra in [
        ("project", "string", "required", []),
        ("depth", "select", "optional", ["    default: shallow", "    options: [shallow, deep]"]),
        ("strict", "boolean", "optional", ['    default: "false"']),
        ("limit", "number", "optional", ['    default: "10"']),
        ("focus", "string", "optional", ["    default: security"]),
    ]:
        lines += [f"  - key: {key}", f"    input_type: {kind}", f"    requirement: {requirement}",
                  f"    description: the {key}"] + extra
    lines += [
        "extensions:", "  - type: builtin", "    name: developer",
        "sub_recipes:",
        "  - name: lint", "    path: ./lint.yaml", "    values:", "      level: strict",
        "  - name: changelog", "    path: ./changelog.yaml",
        "retry:", "  max_retries: 2", "  checks:", "    - type: shell", "      command: test -f review.md",
        "response:", "  json_schema:", "    type: object", "    properties:", "      verdict:",
        "        type: string", "    required: [verdict]",
    ]
    while len(lines) < 200:
        lines.insert(4 + 30, f"  Note {len(lines)}: keep the review short.")
    return "\n".join(lines) + "\n"


def small_recipe(number):
    return (f"title: Recipe {number}\ndescription: One of a hundred\nprompt: \"Do task {number} for {{{{ who }}}}\"\n"
            "parameters:\n  - key: who\n    input_type: string\n    requirement: optional\n    default: me\n"
            "    description: for whom\n")


def main():
    gander = os.path.join(sys.argv[1], "gander")
    work = tempfile.mkdtemp(prefix="gander-bench-recipes-")
    try:
        with open(os.path.join(work, "release.yaml"), "w") as handle:
            handle.write(big_recipe())
        for sub in ("lint", "changelog"):
            with open(os.path.join(work, f"{sub}.yaml"), "w") as handle:
                handle.write(f"title: {sub}\ndescription: a sub-recipe\nprompt: run {sub}\n")
        folder = os.path.join(work, "hundred")
        os.makedirs(folder)
        for number in range(100):
            with open(os.path.join(folder, f"recipe-{number:03}.yaml"), "w") as handle:
                handle.write(small_recipe(number))
        with open(os.path.join(work, "release.yaml")) as handle:
            size = sum(1 for _ in handle)

        with open(os.path.join(work, "four.yaml"), "w") as handle:
            handle.write("title: Four\ndescription: four helpers at once\nprompt: go\nsub_recipes:\n" + "".join(
                f"  - name: helper_{n}\n    path: ./helper.yaml\n" for n in range(4)))
        with open(os.path.join(work, "helper.yaml"), "w") as handle:
            handle.write("title: Helper\ndescription: answers after a second\nprompt: answer\nextensions: []\n")
        replies = []
        for _ in range(RUNS + 1):
            replies.append({"tool_calls": [{"name": "summon__delegate", "arguments": f'{{"source":"helper_{n}"}}'}
                                           for n in range(4)]})
            replies += [{"text": "helper done", "delay_ms": 1000}] * 4
            replies.append({"text": "all done"})
        server = ScriptedServer(sys.argv[1], replies, work)
        try:
            four = median_ms([gander, "run", "--recipe", "four.yaml", "--provider", "openai", "--model", "bench",
                              "--base-url", server.base_url, "--no-session", "-q"], work)
        finally:
            server.stop()

        # The baseline takes the same arguments, so their parsing cancels out too.
        with open(os.path.join(work, "tiny.yaml"), "w") as handle:
            handle.write("title: Tiny\ndescription: the baseline\nprompt: \"{{ project }} {{ depth }} {{ strict }}\"\n"
                         "parameters:\n" + "".join(f"  - key: {key}\n    input_type: string\n    requirement: required\n"
                                                 f"    description: {key}\n" for key in ("project", "depth", "strict")))
        params = ["--params", "project=gander", "--params", "depth=deep", "--params", "strict=true"]
        start_up = median_ms([gander, "run", "--recipe", "tiny.yaml", *params, "--render-recipe"], work)
        render = median_ms([gander, "run", "--recipe", "release.yaml", *params, "--render-recipe"], work)
        own = json.loads(subprocess.run(
            [os.path.join(sys.argv[1], "in-process-bench"), "recipe", os.path.join(work, "release.yaml"),
             *[pair for pair in params if pair != "--params"]],
            check=True, capture_output=True, text=True).stdout)["recipe_load_ms"]
        validate = median_ms([gander, "recipe", "validate", folder], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("\n## Recipes\n")
    print(f"Medians of {RUNS} runs, after one unmeasured run.\n")
    print("| figure | value | target |")
    print("| --- | ---: | --- |")
    print(f"| read, check and render a {size}-line recipe (5 parameters, 2 sub-recipes): Gander's own time, in-process "
          f"| {own:.2f} ms | ≤ 5 ms |")
    print(f"| the same, whole processes: `run --recipe … --render-recipe` minus the same for a 3-parameter, 10-line "
          f"recipe (loading the code recipes need counts too) | {render - start_up:.1f} ms ({render:.1f} − {start_up:.1f}) | |")
    print(f"| `gander recipe validate` over a folder of 100 recipes, whole process | {validate:.1f} ms | ≤ 500 ms |")
    print(f"| four sub-agents at once, each model reply taking 1 s: the whole `gander run` | {four / 1000:.2f} s | ≤ 1.3 s |")


if __name__ == "__main__":
    main()
