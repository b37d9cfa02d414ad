#!/usr/bin/env python3
"""`gander local pull` of a 250 MB GGUF from the stand-in Hub on the loopback (Tests/Fixtures/hub/hub_server.py)
against `curl -L -o` of the same file, medians of RUNS (default 5; a fresh HOME each run, one untimed round first, a
sync before each run); then a pull killed part-way and run
again, which must resume with a Range request and end with the right SHA-256.

Usage: python3 bench/pull.py GANDER   (prints a markdown section on stdout)
"""
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SIZE = 250 * 1000 * 1000
RUNS = int(os.environ.get("RUNS", "5"))


def main():
    gander = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    root = tempfile.mkdtemp(prefix="gander-pull-bench-")
    folder = os.path.join(root, "Bench", "Big-GGUF")
    os.makedirs(folder)
    path = os.path.join(folder, "big-q4_k_m.gguf")
    with open(path, "wb") as handle:
        handle.write(b"GGUF")
        block = os.urandom(1 << 20)
        while handle.tell() < SIZE:
            handle.write(block[: SIZE - handle.tell()])
    expected = hashlib.sha256(open(path, "rb").read()).hexdigest()
    log = os.path.join(root, "requests.jsonl")
    server = subprocess.Popen([sys.executable, os.path.join(here, "..", "Tests", "Fixtures", "hub", "hub_server.py"),
                               "--root", root, "--log", log], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    endpoint = f"http://127.0.0.1:{port}"
    try:
        curl, checked, pull = [], [], []
        # One untimed round first (the server hashes the file once; the page cache and memory settle), then RUNS
        # alternating rounds. Each starts after a sync, so neither pays for writing back what the other left dirty.
        for round in range(RUNS + 1):
            target = os.path.join(root, "curl.out")
            os.sync()
            started = time.monotonic()
            subprocess.run(["curl", "-sSL", "-o", target, f"{endpoint}/Bench/Big-GGUF/resolve/main/big-q4_k_m.gguf"], check=True)
            elapsed = time.monotonic() - started
            if round > 0:
                curl.append(elapsed)
            os.remove(target)
            # The same work done by hand: download, then check the SHA-256 the Hub lists.
            os.sync()
            started = time.monotonic()
            subprocess.run(f"curl -sSL -o '{target}' '{endpoint}/Bench/Big-GGUF/resolve/main/big-q4_k_m.gguf' "
                           f"&& sha256sum '{target}' >/dev/null", shell=True, check=True)
            elapsed = time.monotonic() - started
            if round > 0:
                checked.append(elapsed)
            os.remove(target)
            home = tempfile.mkdtemp(prefix="gander-pull-home-")
            os.sync()
            started = time.monotonic()
            subprocess.run([gander, "local", "pull", "Bench/Big-GGUF"], check=True, capture_output=True,
                           env=dict(os.environ, HOME=home, HF_ENDPOINT=endpoint))
            elapsed = time.monotonic() - started
            if round > 0:
                pull.append(elapsed)
            shutil.rmtree(home)

        home = tempfile.mkdtemp(prefix="gander-pull-home-")
        env = dict(os.environ, HOME=home, HF_ENDPOINT=endpoint)
        open(log, "w").close()
        process = subprocess.Popen([gander, "local", "pull", "Bench/Big-GGUF"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        part = os.path.join(home, ".local/share/gander/models/Bench/Big-GGUF/big-q4_k_m.gguf.part")
        while not os.path.exists(part) or os.path.getsize(part) < SIZE // 3:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        kept = os.path.getsize(part)
        subprocess.run([gander, "local", "pull", "Bench/Big-GGUF"], env=env, check=True, capture_output=True)
        final = os.path.join(home, ".local/share/gander/models/Bench/Big-GGUF/big-q4_k_m.gguf")
        ranges = [json.loads(line)["range"] for line in open(log) if "/cdn/" in line and json.loads(line)["range"]]
        ok = hashlib.sha256(open(final, "rb").read()).hexdigest() == expected
        shutil.rmtree(home)
    finally:
        server.kill()
        shutil.rmtree(root, ignore_errors=True)
    megabytes = SIZE / 1e6
    print("\n".join([
        "", "## gander local pull", "",
        f"A {megabytes:.0f} MB GGUF from the stand-in Hub on the loopback (a 302 to its CDN path), medians of {RUNS} "
        "(after one untimed round, each run after a sync):", "",
        f"- curl -L -o: {statistics.median(curl):.2f} s ({megabytes / statistics.median(curl):.0f} MB/s)",
        f"- curl -L -o, then sha256sum (the same check by hand): {statistics.median(checked):.2f} s "
        f"({megabytes / statistics.median(checked):.0f} MB/s)",
        f"- gander local pull (SHA-256 checked, renamed into place): {statistics.median(pull):.2f} s "
        f"({megabytes / statistics.median(pull):.0f} MB/s; {statistics.median(curl) / statistics.median(pull):.2f}x curl's throughput, "
        f"{statistics.median(checked) / statistics.median(pull):.2f}x curl and sha256sum's)",
        f"- killed (SIGKILL) with {kept / 1e6:.0f} MB in the part file, then run again: resumed with "
        f"{', '.join(ranges) or 'no Range request'}; SHA-256 {'matches' if ok else 'DOES NOT MATCH'}", ""]))


if __name__ == "__main__":
    main()
