#!/usr/bin/env python3
"""A stand-in for the Hugging Face Hub, for Gander's `local pull` tests and bench: it serves the repositories under
--root (ROOT/ORG/REPO/FILE) with the Hub's real shapes, as documented and as huggingface_hub reads them:

- GET /api/models/ORG/REPO/tree/main?recursive=true: [{"type": "file", "oid", "size", "path", "lfs": {"oid": SHA-256,
  "size", "pointerSize"}}, {"type": "directory", ...}]
- GET /api/models?search=TEXT&filter=gguf&...: [{"_id", "id", "downloads", "gguf": {"total"}, "usedStorage"}]
- GET /ORG/REPO/resolve/main/FILE: 302 to the CDN where large files live (here http://localhost:PORT/cdn/..., a
  host name other than the Hub's 127.0.0.1, as the real CDN's is), with X-Repo-Commit and X-Linked-Etag; repositories whose name contains "gated" answer 401 without "Authorization: Bearer hub-token".
- GET /cdn/ORG/REPO/FILE: the bytes, with Range requests (206 and Content-Range). A request that carries an
  Authorization header is refused with 400: the token must never reach the CDN.

Faults, for the unhappy paths: --drop-once FILE sends the first response for FILE half-way and closes the
connection; repositories whose name contains "corrupt" list a wrong SHA-256.
Prints the port it listens on, then serves until killed. Requests are logged to --log as JSON lines.
"""
import argparse
import hashlib
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

options = None
dropped = set()
lock = threading.Lock()
hashes = {}


def sha256(path):
    with lock:
        if path not in hashes:
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            hashes[path] = digest.hexdigest()
        return hashes[path]


def repositories():
    for org in sorted(os.listdir(options.root)):
        if os.path.isdir(os.path.join(options.root, org)):
            for repo in sorted(os.listdir(os.path.join(options.root, org))):
                yield f"{org}/{repo}"


class Hub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        if options.log:
            with lock, open(options.log, "a") as log:
                log.write(json.dumps({"path": self.path, "range": self.headers.get("Range"),
                                      "authorization": self.headers.get("Authorization") is not None}) + "\n")

    def send_json(self, value, status=200):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
        if parts[:2] == ["api", "models"] and len(parts) == 2:
            query = urllib.parse.parse_qs(url.query).get("search", [""])[0].lower()
            found = [repo for repo in repositories() if query in repo.lower()]
            return self.send_json([{"_id": str(i), "id": repo, "downloads": 1000 - i, "gguf": {"total": 494032768},
                                    "usedStorage": sum(os.path.getsize(os.path.join(options.root, repo, f))
                                                       for f in os.listdir(os.path.join(options.root, repo)))}
                                   for i, repo in enumerate(found)])
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] == "tree":
            repo = "/".join(parts[2:4])
            folder = os.path.join(options.root, repo)
            if not os.path.isdir(folder):
                return self.send_json({"error": "Repository not found"}, 404)
            if "gated" in repo and self.headers.get("Authorization") != "Bearer hub-token":
                return self.send_json({"error": "Access to this model is restricted"}, 401)
            entries = [{"type": "directory", "oid": "0" * 40, "size": 0, "path": "docs"}]
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                digest = "0" * 64 if "corrupt" in repo else sha256(path)
                entries.append({"type": "file", "oid": hashlib.sha1(name.encode()).hexdigest(), "size": 134,
                                "path": name, "lfs": {"oid": digest, "size": os.path.getsize(path), "pointerSize": 134}})
            entries.append({"type": "file", "oid": "1" * 40, "size": 20, "path": "README.md"})
            return self.send_json(entries)
        if len(parts) >= 5 and parts[2] == "resolve":
            repo = "/".join(parts[:2])
            if "gated" in repo and self.headers.get("Authorization") != "Bearer hub-token":
                return self.send_json({"error": "Access to this model is restricted"}, 401)
            path = os.path.join(options.root, repo, "/".join(parts[4:]))
            if not os.path.isfile(path):
                return self.send_json({"error": "Entry not found"}, 404)
            self.send_response(302)
            port = self.server.server_address[1]
            self.send_header("Location", f"http://localhost:{port}/cdn/" + repo + "/" + "/".join(parts[4:]))
            self.send_header("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567")
            self.send_header("X-Linked-Etag", '"' + sha256(path) + '"')
            self.send_header("X-Linked-Size", str(os.path.getsize(path)))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if parts[:1] == ["cdn"]:
            if self.headers.get("Authorization"):
                return self.send_json({"error": "the CDN got a token"}, 400)
            path = os.path.join(options.root, *parts[1:])
            if not os.path.isfile(path):
                return self.send_json({"error": "Entry not found"}, 404)
            return self.send_file(path, os.path.basename(path))
        self.send_json({"error": "no such route"}, 404)

    def send_file(self, path, name):
        size = os.path.getsize(path)
        start = 0
        requested = self.headers.get("Range")
        if requested and requested.startswith("bytes="):
            start = int(requested[6:].split("-")[0])
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        limit = size - start
        with lock:
            drop = options.drop_once == name and name not in dropped
            if drop:
                dropped.add(name)
                limit = (size - start) // 2
        # sendfile, as the Hub's CDN and any web server sends files: the bytes go from the page cache to the socket
        # without passing through Python, so the stand-in takes little of the CPU it shares with the client.
        with open(path, "rb") as handle:
            self.wfile.flush()
            self.connection.sendfile(handle, offset=start, count=limit)
        if drop:
            self.wfile.flush()
            self.connection.shutdown(2)
            self.close_connection = True


def main():
    global options
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--drop-once")
    parser.add_argument("--log")
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Hub)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
