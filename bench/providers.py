#!/usr/bin/env python3
"""One headless turn per provider, each against the scripted server that speaks its wire format, beside the OpenAI
Chat Completions path (target: within 10 % of it).

Usage: python3 bench/providers.py BIN_DIR
BIN_DIR holds release builds of `gander` and `scripted-model-server`. Bedrock and Vertex are left out: Bedrock's test
server is Python (it checks signatures with botocore), so its turn would time the server, and Vertex adds only a token
fetch to Gemini's path.
"""
import os
import sys

from measure import RUNS, ScriptedServer, bench_project, measure

PATHS = [
    # (label, wire format, gander arguments after --base-url, extra environment, base URL without /v1)
    ("openai (Chat Completions)", "openai", ["--provider", "openai", "--model", "bench"], {"OPENAI_API_KEY": "bench"}, False),
    ("openai (Responses API)", "openai-responses", ["--provider", "openai", "--model", "bench"],
     {"OPENAI_API_KEY": "bench", "GANDER_OPENAI_API": "responses"}, False),
    ("anthropic", "anthropic", ["--provider", "anthropic", "--model", "claude-bench"], {"ANTHROPIC_API_KEY": "bench"}, False),
    ("google (Gemini)", "gemini", ["--provider", "google", "--model", "gemini-bench"], {"GEMINI_API_KEY": "bench"}, False),
    ("azure", "openai", ["--provider", "azure", "--model", "deployment"], {"AZURE_OPENAI_API_KEY": "bench"}, True),
    ("databricks", "openai", ["--provider", "databricks", "--model", "endpoint"], {"DATABRICKS_TOKEN": "bench"}, True),
    ("ollama", "ollama", ["--provider", "ollama", "--model", "qwen3"], {}, False),
]


def main():
    bin_dir = sys.argv[1]
    gander = os.path.join(bin_dir, "gander")
    workdir, project, env = bench_project("gander-bench-providers-", "hello\n")
    rows = []
    for label, wire_format, arguments, extra, bare in PATHS:
        server = ScriptedServer(bin_dir, [{"text": "Done.", "repeat": 100000}], workdir, wire_format)
        base = server.base_url[:-len("/v1")] if bare and server.base_url.endswith("/v1") else server.base_url
        figures = measure([gander, "run", "--no-session", "-q", "-t", "say done", "--base-url", base] + arguments,
                          project, dict(env, **extra))
        server.stop()
        rows.append((label, figures))
    reference = rows[0][1]["median_ms"]
    print("\n## One headless turn per provider\n")
    print(f"`gander run` of one answer against a scripted server speaking each wire format on loopback; {RUNS} runs, "
          "median (min–max). Target: within 10 % of the OpenAI Chat Completions path.\n")
    print("| provider | median | vs OpenAI |")
    print("| --- | ---: | ---: |")
    for label, figures in rows:
        print(f"| {label} | {figures['median_ms']:.1f} ms ({figures['min_ms']:.1f}–{figures['max_ms']:.1f}) | "
              f"{(figures['median_ms'] / reference - 1) * 100:+.1f} % |")


if __name__ == "__main__":
    main()
