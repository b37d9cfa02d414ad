"""Fixture pages for the web and browser tests, served on loopback.

/article    an article inside navigation chrome (nav, header, sidebar, footer, cookie banner)
/form       a form that submits by GET to /form, which then shows what it got
/script     a page whose content a script writes after it loads
/fetching   a page whose script fetches its content once it has loaded (from /late-data, which takes 0.8 s)
/loop-a     redirects to /loop-b, which redirects back
/hop        redirects once to /article
/big        a 10 MB page
/slow       sends its start, then one byte a second for a minute
/never      a page whose load never finishes (an image that never arrives)
/binary     a zip archive
/color      a page whose top-left 200x100 px box is pure rgb(0, 128, 255)
/status404  a not-found page
/article-1mb  a 1 MB article in the same chrome: sections of paragraphs, code blocks, lists and tables (for bench/web.py)
"""
import argparse
import http.server
import socketserver
import time

ARTICLE = b"""<!doctype html><html><head><title>Fixture Article</title></head><body>
<div class="cookie-banner">We use cookies. <button>Accept</button></div>
<header><nav><a href="/">Home</a> | <a href="/blog">Blog</a> | <a href="/about">About us</a></nav></header>
<aside class="sidebar"><h3>Related posts</h3><ul><li><a href="/other">Other post</a></li></ul></aside>
<div id="content"><h1>How the parser works</h1>
<p>The parser reads bytes, not characters, which keeps a megabyte page fast &amp; cheap. See <a href="/docs/parser">the parser docs</a>.</p>
<p>It closes what pages leave open, the way browsers do, and it skips scripts, styles and comments entirely.</p>
<h2>An example</h2>
<pre><code class="language-python">def parse(page):
    return tree(page)</code></pre>
<table><thead><tr><th>Input</th><th>Output</th></tr></thead><tbody><tr><td>&lt;p&gt;</td><td>paragraph</td></tr><tr><td>&lt;h2&gt;</td><td>heading</td></tr></tbody></table>
</div>
<footer class="site-footer">Copyright 2026 Example Corp. <a href="/privacy">Privacy</a></footer>
<script>document.write("<p>written by script</p>")</script>
</body></html>"""

FORM = b"""<!doctype html><html><head><title>Sign up</title></head><body>
<h1>Sign up</h1>
<form action="/form" method="get">
<input name="email" placeholder="Email address">
<select name="plan"><option value="free">Free</option><option value="pro">Pro</option></select>
<button type="submit">Create account</button>
</form>
<div id="result"></div>
<script>
const q = new URLSearchParams(location.search);
if (q.has('email')) document.getElementById('result').innerHTML = '<p id="done">Welcome ' + q.get('email') + ' on the ' + q.get('plan') + ' plan</p>';
</script>
</body></html>"""

SCRIPT = b"""<!doctype html><html><head><title>Rendered later</title></head><body>
<h1>Loading</h1><div id="app"></div>
<script>setTimeout(() => { document.getElementById('app').innerHTML = '<p id="late">Rendered by JavaScript after a pause</p>'; }, 600);</script>
</body></html>"""

FETCHING = b"""<!doctype html><html><head><title>Fetched</title></head><body><div id="app">Loading</div>
<script>addEventListener('load', () => fetch('/late-data').then(r => r.text()).then(t => { document.getElementById('app').innerHTML = '<p>' + t + '</p>'; }));</script>
</body></html>"""

COLOR = b"""<!doctype html><html><head><title>Color</title><style>
body { margin: 0; background: white; } #box { width: 200px; height: 100px; background: rgb(0, 128, 255); }
</style></head><body><div id="box"></div><p>Below the box</p></body></html>"""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, target):
        self.send(302, b"", headers=[("Location", target)])

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/article":
            self.send(200, ARTICLE)
        elif path == "/form":
            self.send(200, FORM)
        elif path == "/script":
            self.send(200, SCRIPT)
        elif path == "/fetching":
            self.send(200, FETCHING)
        elif path == "/late-data":
            time.sleep(0.8)
            self.send(200, b"Fetched after the page had loaded", content_type="text/plain")
        elif path == "/color":
            self.send(200, COLOR)
        elif path == "/loop-a":
            self.redirect("/loop-b")
        elif path == "/loop-b":
            self.redirect("/loop-a")
        elif path == "/hop":
            self.redirect("/article")
        elif path == "/big":
            paragraph = b"<p>" + b"All work and no play makes a big page. " * 25 + b"</p>\n"
            head = b"<html><head><title>Big</title></head><body><h1>Big page</h1>\n"
            count = 10 * 1024 * 1024 // len(paragraph) + 1
            self.send(200, head + paragraph * count + b"<p>THE END</p></body></html>")
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"the start arrived ")
            self.wfile.flush()
            try:
                for _ in range(60):
                    time.sleep(1)
                    self.wfile.write(b".")
                    self.wfile.flush()
            except OSError:
                pass
        elif path == "/never":
            self.send(200, b"<html><head><title>Never done</title></head><body><h1>Still loading</h1>"
                           b"<img src=\"/stall.png\"></body></html>")
        elif path == "/stall.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                time.sleep(120)
            except OSError:
                pass
        elif path == "/binary":
            self.send(200, b"PK\x03\x04" + bytes(2000), content_type="application/zip")
        elif path == "/article-1mb":
            section = (b"<h2>Section</h2><p>A paragraph of the article, with <a href=\"/ref\">a link</a>, <em>emphasis</em>, "
                       b"<code>inline()</code> and enough words to read like prose, which readers skim and models parse.</p>"
                       b"<pre><code class=\"language-swift\">let answer = compute(input)\nprint(answer)</code></pre>"
                       b"<ul><li>first point</li><li>second point</li></ul>"
                       b"<table><tr><th>key</th><th>value</th></tr><tr><td>a</td><td>1</td></tr></table>\n")
            body = ARTICLE.replace(b"<h2>An example</h2>", section * (1024 * 1024 // len(section)))
            self.send(200, body)
        elif path == "/status404":
            self.send(404, b"<html><head><title>Not here</title></head><body><h1>Page not found</h1></body></html>")
        else:
            self.send(404, b"no such fixture")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0, help="0 (the default) takes a free one")
    arguments = parser.parse_args()
    server = Server(("127.0.0.1", arguments.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
