#!/usr/bin/env python3
"""The embedded model side by side: `gander local bench` against llama-cpp-python's Python API, same GGUF, same
chat-formatted prompt, context size, thread count, batch size and greedy sampling, alternating runs in one session.

Usage: python3 bench/local_model.py GANDER RUNTIME_PYTHON MODEL.gguf  (prints a markdown section on stdout)
"""
import json
import os
import statistics
import subprocess
import sys

RUNS = int(os.environ.get("BENCH_LOCAL_RUNS", "5"))
SYSTEM = "You are a helpful assistant."
USER = "Explain in a few sentences what a compiler does."
MAX_TOKENS, CONTEXT, THREADS = 128, 2048, os.cpu_count()

PYTHON_SIDE = r'''
import json, sys, time
from llama_cpp import Llama
model, system, user, max_tokens, context, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
start = time.perf_counter()
llm = Llama(model_path=model, n_ctx=context, n_threads=threads, n_threads_batch=threads, n_batch=512, n_ubatch=512, verbose=False)
loaded = time.perf_counter()
prompt = f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
first = None
count = 0
text = ""
begin = time.perf_counter()
for chunk in llm.create_completion(tokens, max_tokens=max_tokens, temperature=0.0, repeat_penalty=1.0, stream=True):
    if first is None:
        first = time.perf_counter()
    count += 1
    text += chunk["choices"][0]["text"]
end = time.perf_counter()
print(json.dumps({"load_s": loaded - start, "prompt_tokens": len(tokens), "ttft_s": first - begin,
                  "generated_tokens": count, "tokens_per_s": (count - 1) / (end - first), "text": text}))
'''


def run(argv):
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    out, err = child.stdout.read(), child.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {argv[0]} failed: {err.strip()[-500:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["rss_mib"] = usage.ru_maxrss / 1024
    return result


def main():
    gander, python, model = sys.argv[1], sys.argv[2], sys.argv[3]
    gander_runs, python_runs = [], []
    for _ in range(RUNS):
        gander_runs.append(run([gander, "local", "bench", "--model", model, "--prompt", USER, "--max-tokens", str(MAX_TOKENS),
                                "--context-limit", str(CONTEXT), "--threads", str(THREADS)]))
        python_runs.append(run([python, "-c", PYTHON_SIDE, model, SYSTEM, USER, str(MAX_TOKENS), str(CONTEXT), str(THREADS)]))

    def med(runs, key):
        return statistics.median(run[key] for run in runs)

    rows = [("tokens per second", "tokens_per_s", "{:.1f}"), ("time to first token", "ttft_s", "{:.3f} s"),
            ("model load", "load_s", "{:.3f} s"), ("peak RSS", "rss_mib", "{:.1f} MiB"),
            ("prompt tokens", "prompt_tokens", "{:.0f}"), ("generated tokens", "generated_tokens", "{:.0f}")]
    lines = ["", f"## Embedded model: Gander vs llama-cpp-python ({RUNS} alternating runs each, medians)", "",
             f"SmolLM2-135M-Instruct Q4_1, context {CONTEXT}, {THREADS} threads, batch 512, greedy, {MAX_TOKENS} tokens at most.", "",
             "| figure | gander | llama-cpp-python | gander / python |", "| --- | ---: | ---: | ---: |"]
    for name, key, fmt in rows:
        g, p = med(gander_runs, key), med(python_runs, key)
        lines.append(f"| {name} | {fmt.format(g)} | {fmt.format(p)} | {g / p:.2f} |")
    same = gander_runs[0]["text"].strip() == python_runs[0]["text"].strip()
    lines += ["", f"Same greedy output from both: {'yes' if same else 'no'}.", ""]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
