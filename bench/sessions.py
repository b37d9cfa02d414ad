#!/usr/bin/env python3
"""Session figures: resume of a 10,000-message session to the first prompt, and database size per 1,000 messages.

Usage: python3 bench/sessions.py BIN_DIR
The session is made by Gander itself: one `gander run` of 4,999 tool round trips against the scripted endpoint
(1 input + 4,999 calls + 4,999 results + 1 answer = 10,000 messages).
"""
import json
import os
import sqlite3
import subprocess
import sys

from measure import RUNS, ScriptedServer, bench_project, measure

MESSAGES = 10_000


def main():
    bin_dir = sys.argv[1]
    gander = os.path.join(bin_dir, "gander")
    workdir, project, env = bench_project("gander-bench-sessions-", "let answer = 42\nprint(answer)\n")

    round_trips = (MESSAGES - 2) // 2
    replies = [{"tool_calls": [{"name": "developer__text_editor",
                                "arguments": json.dumps({"command": "view", "path": "ab"[turn % 2] + ".txt"})}]}
               for turn in range(round_trips)] + [{"text": "Done.", "repeat": 100000}]
    server = ScriptedServer(bin_dir, replies, workdir)
    provider = ["--provider", "openai", "--model", "bench", "--base-url", server.base_url]
    made = subprocess.run([gander, "run", "-q", "-t", "read both files, many times", "--name", "big",
                           "--max-turns", str(round_trips + 10), "--output-format", "json"] + provider,
                          cwd=project, env=env, capture_output=True, text=True)
    if made.returncode != 0:
        sys.exit(f"bench: making the session failed: {made.stderr.strip()}")
    session_id = json.loads(made.stdout)["session_id"]

    database = os.path.join(workdir, ".local/share/gander/gander.sqlite")
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        count = connection.execute("SELECT count(*) FROM message WHERE session_id = ?", (session_id,)).fetchone()[0]
        payload = connection.execute("SELECT sum(length(content)) FROM message").fetchone()[0]
    size = os.path.getsize(database)

    fresh = measure([gander, "session"] + provider, project, env)
    resumed = measure([gander, "session", "--resume", "big"] + provider, project, env)
    # The session shows its first prompt while the conversation is still being read; a headless run cannot, so it
    # gives the whole cost of loading all of it (plus one scripted turn, which adds two messages each run).
    headless = measure([gander, "run", "-q", "--resume", "big", "-t", "one more"] + provider, project, env)
    server.stop()

    lines = [
        "",
        "## Sessions",
        "",
        f"`gander session` with stdin at its end: start, open the database, print the first prompt, leave; a resumed "
        f"session reads its conversation in the background meanwhile ({RUNS} runs; median, min, max).",
        "",
        "| figure | median | min | max | peak RSS (median) | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, figures, target in [("new session to the first prompt", fresh, ""),
                                  (f"resume of a {count:,}-message session to the first prompt", resumed, "≤ 150 ms"),
                                  (f"`run --resume` of that session: load all of it, one turn", headless, "")]:
        lines.append(f"| {name} | {figures['median_ms']:.1f} ms | {figures['min_ms']:.1f} ms | "
                     f"{figures['max_ms']:.1f} ms | {figures['rss_mib']:.1f} MiB | {target} |")
    lines += [
        "",
        f"- database size: {size / 2**20:.2f} MiB for {count:,} messages = "
        f"**{size / count * 1000 / 1024:.0f} KiB per 1,000 messages** "
        f"(message content itself: {payload / count * 1000 / 1024:.0f} KiB per 1,000; "
        "each a text_editor view call or its result, as the session above made them)",
        "",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
