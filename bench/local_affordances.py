#!/usr/bin/env python3
"""Whether each affordance of the local-model harness earns its place: the whole 46-task suite run with the
harness as it is, then once with each affordance switched off (GANDER_LOCAL_HARNESS_OFF), on one model. An
affordance helps where the suite passes a task with it and fails it without; it hurts where the reverse holds.

Usage: python3 bench/local_affordances.py GANDER --model GGUF [--temperature T] [--off A,B,...] [--baseline JSON]
       [--keep DIR] [--timeout SECONDS]      (prints a markdown section on stdout; each run's JSON goes to DIR when given)
--baseline reuses a run of bench/local_suite.py --json made with the same binary, model and temperature.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

AFFORDANCES = ["look-first", "change-before-answer", "quoted-answers", "count-answers", "words-only",
               "answer-when-done", "task-reminder", "file-verbs", "add-line", "asked-verb-first"]


def suite(gander, model, temperature, off, keep, timeout):
    out = os.path.join(keep, f"off-{off or 'none'}.json")
    arguments = [sys.executable, os.path.join(os.path.dirname(__file__), "local_suite.py"), gander, "--model", model,
                 "--json", out]
    if temperature is not None:
        arguments += ["--temperature", str(temperature)]
    if timeout is not None:
        arguments += ["--timeout", str(timeout)]
    env = dict(os.environ, GANDER_LOCAL_HARNESS_OFF=off)
    subprocess.run(arguments, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(out) as handle:
        return {result["name"]: result for result in json.load(handle)["results"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gander")
    parser.add_argument("--model", required=True)
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--off", help="the affordances to switch off one at a time (default: all of them)")
    parser.add_argument("--baseline")
    parser.add_argument("--keep")
    parser.add_argument("--timeout", type=int, help="seconds a task may take (local_suite.py's default otherwise): "
                        "a run without an affordance can loop until it; a task that passes takes well under a minute")
    options = parser.parse_args()
    keep = options.keep or tempfile.mkdtemp(prefix="gander-affordances-")
    os.makedirs(keep, exist_ok=True)
    if options.baseline:
        with open(options.baseline) as handle:
            baseline = {result["name"]: result for result in json.load(handle)["results"]}
    else:
        baseline = suite(options.gander, options.model, options.temperature, "", keep, options.timeout)
    passed = sum(result["passed"] for result in baseline.values())
    model = os.path.basename(options.model)
    print(f"\n## Each harness affordance switched off: {model}, temperature {options.temperature}\n")
    print(f"With every affordance: {passed} of {len(baseline)} tasks.\n")
    print("| switched off | tasks passed | change | it helped on (passes only with it) | it hurt on (passes only without it) |")
    print("|---|---|---|---|---|")
    for name in (options.off.split(",") if options.off else AFFORDANCES):
        without = suite(options.gander, options.model, options.temperature, name, keep, options.timeout)
        count = sum(result["passed"] for result in without.values())
        helped = sorted(task for task, result in baseline.items() if result["passed"] and not without[task]["passed"])
        hurt = sorted(task for task, result in baseline.items() if not result["passed"] and without[task]["passed"])
        print(f"| {name} | {count} | {count - passed:+d} | {', '.join(helped) or '–'} | {', '.join(hurt) or '–'} |",
              flush=True)


if __name__ == "__main__":
    main()
