"""Plays AWS Bedrock's ConverseStream on loopback for Gander's tests.

  server.py SCRIPT.json LOG.jsonl SECRET_ACCESS_KEY

Binds a free loopback port and prints it as its first line.

Every request's SigV4 signature is recomputed with botocore, from the secret key, the headers the request says it
signed and its body; a mismatch is answered as AWS answers it. Replies follow SCRIPT.json, one per request:
  {"text": "..."}                                  a streamed answer
  {"tool": {"id": "...", "name": "...", "input": {...}}}   a tool call, its input streamed in pieces
  {"status": 403, "message": "..."}                an HTTP error with AWS's JSON body
  {"stop": "guardrail_intervened"}                 an answer stopped with that stopReason
  {"corrupt": true}                                a frame whose message CRC is wrong
Answers are framed in the binary event stream with their CRC32s. Each request is logged as one JSON line.
"""
import http.server
import json
import re
import sys
import zlib

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SCRIPT, LOG, SECRET = sys.argv[1], sys.argv[2], sys.argv[3]
with open(SCRIPT) as handle:
    replies = json.load(handle)


def frame(event_type, payload, message_type="event", corrupt=False):
    headers = b""
    for name, value in ((":event-type" if message_type == "event" else ":exception-type", event_type),
                        (":content-type", "application/json"), (":message-type", message_type)):
        headers += bytes([len(name)]) + name.encode() + bytes([7]) + len(value).to_bytes(2, "big") + value.encode()
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = total.to_bytes(4, "big") + len(headers).to_bytes(4, "big")
    message = prelude + zlib.crc32(prelude).to_bytes(4, "big") + headers + body
    crc = zlib.crc32(message) ^ (1 if corrupt else 0)
    return message + crc.to_bytes(4, "big")


def pieces(text, size=5):
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def verify(handler, body):
    """Recomputes the signature with botocore; returns what went wrong, or None."""
    authorization = handler.headers.get("Authorization", "")
    match = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", authorization)
    if not match:
        return f"unreadable Authorization header {authorization!r}"
    key_id, _day, region, service, signed, signature = match.groups()
    headers = {name: handler.headers[name] for name in signed.split(";") if name != "host"}
    request = AWSRequest(method="POST", url=f"http://{handler.headers['Host']}{handler.path}", data=body, headers=headers)
    request.context["timestamp"] = handler.headers["X-Amz-Date"]
    auth = SigV4Auth(Credentials(key_id, SECRET, handler.headers.get("X-Amz-Security-Token")), service, region)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    return None if expected == signature else f"signature {signature} is not botocore's {expected}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        problem = verify(self, body)
        with open(LOG, "a") as log:
            log.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": json.loads(body),
                                  "signature_problem": problem}) + "\n")
        if problem:
            return self.send(403, "application/json", json.dumps({"message": "The request signature we calculated "
                             "does not match the signature you provided. " + problem}).encode())
        reply = replies.pop(0) if replies else {"text": "the script is over"}
        if "status" in reply:
            return self.send(reply["status"], "application/json", json.dumps({"message": reply["message"]}).encode())
        events = [frame("messageStart", {"role": "assistant"})]
        if "tool" in reply:
            tool = reply["tool"]
            events.append(frame("contentBlockStart", {"contentBlockIndex": 0, "start": {
                "toolUse": {"toolUseId": tool["id"], "name": tool["name"]}}}))
            events += [frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": piece}}})
                       for piece in pieces(json.dumps(tool["input"]))]
            stop = "tool_use"
        else:
            events += [frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
                       for piece in pieces(reply.get("text", ""))]
            stop = reply.get("stop", "end_turn")
        events.append(frame("contentBlockStop", {"contentBlockIndex": 0}))
        events.append(frame("messageStop", {"stopReason": stop}, corrupt=reply.get("corrupt", False)))
        events.append(frame("metadata", {"usage": {"inputTokens": 100, "outputTokens": 20, "totalTokens": 120},
                                         "metrics": {"latencyMs": 10}}))
        self.send(200, "application/vnd.amazon.eventstream", b"".join(events))

    def send(self, status, content_type, data):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
