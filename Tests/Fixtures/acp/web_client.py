"""Drives the web app `gander serve` offers at /, in Debian's Chromium through Playwright, as a user would.

  web_client.py PORT SECRET FOLDER

Opens the app with the secret in the fragment, starts a session in FOLDER, asks for an edit, approves it from the
keyboard, waits for the diff and the streamed answer, opens the ledger, then looks at the app 400 px wide. Prints what
it saw as one JSON object; the Swift test judges it. It waits on selectors only: the page's Content-Security-Policy
forbids eval, which Playwright's polled wait_for_function needs.
"""
import json
import sys

from playwright.sync_api import sync_playwright

port, secret, folder = sys.argv[1], sys.argv[2], sys.argv[3]
report = {"console_errors": [], "frames": []}

with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.on("console", lambda message: message.type == "error" and report["console_errors"].append(message.text))
    page.on("pageerror", lambda error: report["console_errors"].append(str(error)))
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: report["frames"].append(frame)))

    page.goto(f"http://127.0.0.1:{port}/#token={secret}")
    page.wait_for_selector("#connection[data-state=connected]", timeout=30_000)
    report["url_after_load"] = page.url

    page.fill("#cwd", folder)
    page.press("#cwd", "Enter")
    page.wait_for_selector("#prompt:not([disabled])", timeout=30_000)
    report["sessions_listed"] = page.locator("#session-list li").count()

    page.fill("#prompt", "change hello to goodbye in greeting.txt")
    page.press("#prompt", "Enter")
    page.wait_for_selector("#permission:not([hidden])", timeout=60_000)
    report["question"] = page.inner_text("#permission p")
    report["choices"] = page.locator("#permission .choices button").all_inner_texts()
    # "1" answers with the first choice, Allow once, as the page's keyboard help says.
    page.keyboard.press("1")
    page.wait_for_selector(".tool .diff .add", timeout=60_000)
    report["diff_added"] = page.locator(".tool .diff .add").all_inner_texts()
    report["diff_removed"] = page.locator(".tool .diff .del").all_inner_texts()
    page.wait_for_selector("#send:not([disabled])", timeout=60_000)
    report["answer_html"] = page.locator(".message.agent").last.inner_html()
    report["tool_status"] = page.locator(".tool .status").last.inner_text()
    report["usage"] = page.inner_text("#usage")

    page.keyboard.press("Alt+L")
    page.wait_for_selector("#ledger-rows tr", timeout=30_000)
    report["ledger_rows"] = [row.split("\t") for row in page.locator("#ledger-rows tr").all_inner_texts()]

    page.set_viewport_size({"width": 400, "height": 800})
    page.keyboard.press("Alt+L")
    report["narrow_overflow"] = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    box = page.locator("#prompt").bounding_box()
    report["narrow_prompt_visible"] = box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 400
    browser.close()

updates = [json.loads(frame) for frame in report.pop("frames") if isinstance(frame, str)]
report["message_chunks"] = sum(
    1 for update in updates
    if update.get("method") == "session/update" and update["params"]["update"].get("sessionUpdate") == "agent_message_chunk")
print(json.dumps(report))
