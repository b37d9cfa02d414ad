// Gander's web app: an Agent Client Protocol client over the WebSocket `gander serve` offers at /acp, like any other
// client. No framework and no build step: the page is what is committed.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  socket: null, nextId: 0, pending: new Map(), token: null,
  session: null, running: false, agentMessage: null, thought: null, tools: new Map(),
  permission: null, ledgerOpen: false, renderQueued: new Set(),
};

// ---- The connection -------------------------------------------------------------------------------------------

function readToken() {
  // A fragment never reaches the server's logs; ?token= works too, as for any client.
  const fragment = new URLSearchParams(location.hash.slice(1)).get("token");
  const query = new URLSearchParams(location.search).get("token");
  return fragment || query || null;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = state.token ? `?token=${encodeURIComponent(state.token)}` : "";
  const socket = new WebSocket(`${scheme}//${location.host}/acp${token}`);
  let opened = false;
  state.socket = socket;
  setConnection("connecting…");
  socket.onopen = async () => {
    opened = true;
    setConnection("connected");
    await request("initialize", {
      protocolVersion: 1,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: "gander-web", title: "Gander web app", version: "1" },
    });
    await refreshSessions();
  };
  socket.onmessage = (event) => receive(JSON.parse(event.data));
  socket.onclose = () => {
    for (const { reject } of state.pending.values()) reject(new Error("the connection closed"));
    state.pending.clear();
    setBusy(false);
    if (!opened) {
      // Refused before it opened: most likely the secret is missing or wrong.
      setConnection("not connected: the server wants its secret", true);
      $("login").showModal();
    } else {
      setConnection("disconnected; reload to connect again", true);
    }
  };
}

function setConnection(text, bad = false) {
  $("connection").textContent = text;
  $("connection").dataset.state = text === "connected" ? "connected" : bad ? "failed" : "waiting";
  $("connection").classList.toggle("bad", bad);
}

function request(method, params) {
  const id = ++state.nextId;
  state.socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  return new Promise((resolve, reject) => state.pending.set(id, { resolve, reject }));
}

function answer(id, result) {
  state.socket.send(JSON.stringify({ jsonrpc: "2.0", id, result }));
}

function receive(message) {
  if (message.method === "session/update") return onUpdate(message.params);
  if (message.method === "session/request_permission") return askPermission(message.id, message.params);
  if (message.method) {
    // A request this client does not offer (it said so in initialize).
    if (message.id !== undefined) {
      state.socket.send(JSON.stringify({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: `not offered: ${message.method}` } }));
    }
    return;
  }
  const waiting = state.pending.get(message.id);
  if (!waiting) return;
  state.pending.delete(message.id);
  if (message.error) waiting.reject(new Error(message.error.message));
  else waiting.resolve(message.result);
}

// ---- Sessions -------------------------------------------------------------------------------------------------

async function refreshSessions() {
  const { sessions } = await request("session/list", {});
  const list = $("session-list");
  list.replaceChildren(...sessions.map((session) => {
    const item = document.createElement("li");
    item.dataset.id = session.sessionId;
    item.classList.toggle("current", session.sessionId === state.session);
    const open = button("", "open", () => loadSession(session.sessionId, session.cwd));
    open.textContent = session.title;
    const where = document.createElement("small");
    where.textContent = `${session.cwd} · ${new Date(session.updatedAt).toLocaleString()}`;
    open.append(where);
    open.title = `${session.title} in ${session.cwd}`;
    const fork = button("Fork", "fork", () => forkSession(session.sessionId, session.cwd));
    fork.title = "A copy of this session to go another way";
    item.append(open, fork);
    return item;
  }));
}

function button(text, className, action) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = text;
  element.addEventListener("click", action);
  return element;
}

function beginSession(id, result) {
  state.session = id;
  state.tools.clear();
  state.agentMessage = null;
  state.thought = null;
  $("messages").replaceChildren();
  $("plan").hidden = true;
  $("usage").textContent = "";
  $("empty").hidden = true;
  showModes(result.modes);
  showModels(result.models);
  for (const element of [$("prompt"), $("send"), $("toggle-ledger")]) element.disabled = false;
  // On a narrow screen the list lies over the chat: out of the way once a session is open.
  if (matchMedia("(max-width: 700px)").matches) $("sessions").classList.add("closed");
  $("prompt").focus();
  if (state.ledgerOpen) refreshLedger();
}

async function newSession(cwd) {
  try {
    const result = await request("session/new", { cwd, mcpServers: [] });
    beginSession(result.sessionId, result);
    await refreshSessions();
  } catch (error) {
    notice(error.message);
  }
}

async function loadSession(id, cwd) {
  // Updates replaying the conversation arrive before the answer, so the view is cleared first.
  beginSession(id, {});
  try {
    const result = await request("session/load", { sessionId: id, cwd, mcpServers: [] });
    showModes(result.modes);
    showModels(result.models);
    await refreshSessions();
  } catch (error) {
    notice(error.message);
  }
}

async function forkSession(id, cwd) {
  try {
    const result = await request("session/fork", { sessionId: id, cwd, mcpServers: [] });
    await loadSession(result.sessionId, cwd);
  } catch (error) {
    notice(error.message);
  }
}

function showModes(modes) {
  if (!modes) return;
  const select = $("mode");
  select.replaceChildren(...modes.availableModes.map((mode) => {
    const option = new Option(mode.name, mode.id, false, mode.id === modes.currentModeId);
    option.title = mode.description || "";
    return option;
  }));
  select.disabled = false;
}

function showModels(models) {
  if (!models) return;
  const select = $("model");
  select.replaceChildren(...models.availableModels.map((model) =>
    new Option(model.name, model.modelId, false, model.modelId === models.currentModelId)));
  select.disabled = models.availableModels.length < 2;
}

// ---- A turn ---------------------------------------------------------------------------------------------------

async function send(text) {
  if (!state.session || state.running || !text.trim()) return;
  addMessage("user", text);
  state.agentMessage = null;
  setBusy(true);
  try {
    const result = await request("session/prompt", { sessionId: state.session, prompt: [{ type: "text", text }] });
    if (result.stopReason !== "end_turn") notice(stopReasonText(result.stopReason));
    showUsage(result);
  } catch (error) {
    notice(error.message);
  } finally {
    setBusy(false);
    state.agentMessage = null;
    if (state.ledgerOpen) refreshLedger();
  }
}

function stopReasonText(reason) {
  return {
    cancelled: "Stopped. What had finished is kept.",
    max_turn_requests: "The turn reached its limit of model requests.",
    max_tokens: "The answer reached the output-token limit.",
    refusal: "The model refused.",
  }[reason] || `The turn ended: ${reason}`;
}

function setBusy(running) {
  state.running = running;
  $("send").disabled = running || !state.session;
  $("stop").disabled = !running;
}

function showUsage(result) {
  const usage = result.usage;
  if (!usage) return;
  const meta = result._meta || {};
  const cost = typeof meta.costUsd === "number"
    ? ` · $${meta.costUsd.toFixed(4)} this turn, $${meta.sessionCostUsd.toFixed(4)} since the session opened here` : "";
  $("usage").dataset.turn = `${usage.inputTokens} tokens in, ${usage.outputTokens} out${cost}`;
  renderUsage();
}

function renderUsage() {
  const parts = [$("usage").dataset.turn, $("usage").dataset.context].filter(Boolean);
  $("usage").textContent = parts.join(" · ");
}

function onUpdate({ sessionId, update }) {
  if (sessionId !== state.session) return;
  switch (update.sessionUpdate) {
    case "user_message_chunk":
      state.agentMessage = null;
      addMessage("user", update.content.text || "");
      break;
    case "agent_message_chunk":
      state.thought = null;
      if (!state.agentMessage) state.agentMessage = addMessage("agent", "");
      state.agentMessage.dataset.text += update.content.text || "";
      queueRender(state.agentMessage);
      break;
    case "agent_thought_chunk":
      if (!state.thought) state.thought = addMessage("thought", "");
      state.thought.textContent += update.content.text || "";
      break;
    case "tool_call":
      state.agentMessage = null;
      showTool(update);
      break;
    case "tool_call_update":
      showTool(update);
      break;
    case "plan":
      showPlan(update.entries);
      break;
    case "current_mode_update":
      $("mode").value = update.currentModeId;
      break;
    case "usage_update": {
      const cost = update.cost ? ` · $${update.cost.amount.toFixed(4)} so far` : "";
      $("usage").dataset.context = `context ${update.used} of ${update.size} tokens${cost}`;
      renderUsage();
      break;
    }
    case "available_commands_update":
      $("prompt").placeholder = update.availableCommands.length
        ? `Tell Gander what to do, or run a recipe: ${update.availableCommands.map((c) => "/" + c.name).join(" ")}`
        : "Tell Gander what to do";
      break;
  }
}

function addMessage(kind, text) {
  const element = document.createElement("div");
  element.className = `message ${kind}`;
  element.dataset.text = text;
  if (kind === "agent") element.innerHTML = markdown(text);
  else element.textContent = text;
  $("messages").append(element);
  scrollDown();
  return element;
}

function notice(text) {
  addMessage("notice", text);
}

/// Streams arrive in many small chunks; the Markdown is rendered once per frame.
function queueRender(element) {
  if (state.renderQueued.has(element)) return;
  state.renderQueued.add(element);
  requestAnimationFrame(() => {
    state.renderQueued.delete(element);
    element.innerHTML = markdown(element.dataset.text);
    scrollDown();
  });
}

function scrollDown() {
  const messages = $("messages");
  messages.scrollTop = messages.scrollHeight;
}

function showTool(update) {
  let card = state.tools.get(update.toolCallId);
  if (!card) {
    card = document.createElement("details");
    card.className = "tool";
    card.innerHTML = '<summary><span class="title"></span><span class="status"></span></summary>'
      + '<div class="arguments"></div><div class="content"></div>';
    card.dataset.id = update.toolCallId;
    state.tools.set(update.toolCallId, card);
    $("messages").append(card);
  }
  if (update.title) card.querySelector(".title").textContent = update.title;
  if (update.status) {
    card.querySelector(".status").textContent = update.status.replace("_", " ");
    card.classList.toggle("failed", update.status === "failed");
  }
  if (update.rawInput !== undefined) card.querySelector(".arguments").textContent = JSON.stringify(update.rawInput, null, 2);
  if (update.content) {
    const content = card.querySelector(".content");
    content.replaceChildren(...update.content.map(toolContent));
    if (update.content.some((part) => part.type === "diff")) card.open = true;
  }
  scrollDown();
}

function toolContent(part) {
  if (part.type === "diff") return diffView(part.path, part.oldText || "", part.newText);
  const element = document.createElement("div");
  element.className = "output";
  element.textContent = part.content && part.content.type === "text" ? part.content.text : JSON.stringify(part);
  return element;
}

/// A line diff from the longest common subsequence: small edits, so the quadratic table stays small.
function diffView(path, oldText, newText) {
  const before = oldText.split("\n"), after = newText.split("\n");
  const view = document.createElement("div");
  view.className = "diff";
  const title = document.createElement("div");
  title.className = "path";
  title.textContent = path;
  view.append(title);
  if (before.length * after.length > 4_000_000) {
    view.append(line("", `(${before.length} lines → ${after.length} lines; too long to compare here)`));
    return view;
  }
  const table = Array.from({ length: before.length + 1 }, () => new Uint32Array(after.length + 1));
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      table[i][j] = before[i] === after[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  let i = 0, j = 0;
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) { view.append(line("", "  " + before[i])); i++; j++; }
    else if (j < after.length && (i === before.length || table[i][j + 1] >= table[i + 1][j])) { view.append(line("add", "+ " + after[j])); j++; }
    else { view.append(line("del", "- " + before[i])); i++; }
  }
  return view;
}

function line(className, text) {
  const element = document.createElement("div");
  if (className) element.className = className;
  element.textContent = text;
  return element;
}

function showPlan(entries) {
  const plan = $("plan");
  const list = document.createElement("ol");
  for (const entry of entries) {
    const item = document.createElement("li");
    item.className = entry.status;
    item.textContent = entry.content;
    list.append(item);
  }
  const title = document.createElement("strong");
  title.textContent = "Plan";
  plan.replaceChildren(title, list);
  plan.hidden = entries.length === 0;
}

// ---- Approvals ------------------------------------------------------------------------------------------------

function askPermission(id, params) {
  const panel = $("permission");
  const question = document.createElement("p");
  question.textContent = `Gander wants to run: ${params.toolCall.title || params.toolCall.toolCallId}`;
  const choices = document.createElement("div");
  choices.className = "choices";
  params.options.forEach((option, index) => {
    const choice = button(`${index + 1} · ${option.name}`, option.kind.startsWith("allow") ? "primary" : "", () => {
      panel.hidden = true;
      state.permission = null;
      answer(id, { outcome: { outcome: "selected", optionId: option.optionId } });
      $("prompt").focus();
    });
    choice.dataset.option = option.optionId;
    choices.append(choice);
  });
  const details = [];
  if (params.toolCall.content) details.push(...params.toolCall.content.map(toolContent));
  else if (params.toolCall.rawInput !== undefined) {
    const raw = document.createElement("div");
    raw.className = "output";
    raw.textContent = JSON.stringify(params.toolCall.rawInput, null, 2);
    details.push(raw);
  }
  panel.replaceChildren(question, ...details, choices);
  panel.hidden = false;
  state.permission = { id, options: params.options, panel };
  choices.firstChild.focus();
}

// ---- The ledger -----------------------------------------------------------------------------------------------

async function refreshLedger() {
  if (!state.session) return;
  const { rows } = await request("_gander/ledger", { sessionId: state.session });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 6;
    td.textContent = "Nothing has left this machine in this session.";
    tr.append(td);
    $("ledger-rows").replaceChildren(tr);
    return;
  }
  $("ledger-rows").replaceChildren(...rows.map((row) => {
    const tr = document.createElement("tr");
    const cells = [
      new Date(row.sent_at).toLocaleTimeString(),
      `${row.destination}${row.path} (${row.kind})`,
      `${row.bytes_sent} / ${row.bytes_received ?? "…"}`,
      `${row.input_tokens ?? "–"} / ${row.output_tokens ?? "–"}`,
      row.files.map((file) => file.path).join("\n") || "–",
      Object.entries(row.redactions).map(([kind, count]) => `${kind} ×${count}`).join(", ") || "–",
    ];
    tr.replaceChildren(...cells.map((text) => { const td = document.createElement("td"); td.textContent = text; return td; }));
    return tr;
  }));
}

function toggleLedger() {
  state.ledgerOpen = !state.ledgerOpen;
  $("ledger").hidden = !state.ledgerOpen;
  if (state.ledgerOpen) refreshLedger().catch((error) => notice(error.message));
}

// ---- Keys and controls ----------------------------------------------------------------------------------------

$("new-session").addEventListener("submit", (event) => {
  event.preventDefault();
  newSession($("cwd").value.trim());
});
$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("prompt").value;
  $("prompt").value = "";
  send(text);
});
$("prompt").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
$("stop").addEventListener("click", () => {
  if (state.session) state.socket.send(JSON.stringify({ jsonrpc: "2.0", method: "session/cancel", params: { sessionId: state.session } }));
});
$("mode").addEventListener("change", async () => {
  try { await request("session/set_mode", { sessionId: state.session, modeId: $("mode").value }); } catch (error) { notice(error.message); }
});
$("model").addEventListener("change", async () => {
  try { await request("session/set_model", { sessionId: state.session, modelId: $("model").value }); } catch (error) { notice(error.message); }
});
$("toggle-ledger").addEventListener("click", toggleLedger);
$("toggle-sessions").addEventListener("click", () => $("sessions").classList.toggle("closed"));
$("login-form").addEventListener("submit", () => {
  state.token = $("secret").value;
  connect();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && state.running) { $("stop").click(); return; }
  if (state.permission && /^[1-9]$/.test(event.key) && event.target.tagName !== "TEXTAREA" && event.target.tagName !== "INPUT") {
    const choice = state.permission.panel.querySelectorAll(".choices button")[Number(event.key) - 1];
    if (choice) { event.preventDefault(); choice.click(); }
    return;
  }
  if (!event.altKey) return;
  const shortcuts = { n: () => $("cwd").focus(), l: () => !$("toggle-ledger").disabled && toggleLedger(),
    s: () => $("toggle-sessions").click(), m: () => $("mode").focus() };
  const action = shortcuts[event.key.toLowerCase()];
  if (action) { event.preventDefault(); action(); }
});

// ---- Markdown -------------------------------------------------------------------------------------------------

function escapeHTML(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function inline(text) {
  // Code spans first, so nothing inside them is read as Markdown.
  return escapeHTML(text).split(/(`[^`]+`)/).map((piece) => {
    if (piece.startsWith("`") && piece.endsWith("`") && piece.length > 1) return `<code>${piece.slice(1, -1)}</code>`;
    return piece
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>")
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>');
  }).join("");
}

/// The Markdown models write: fenced code, headings, lists, quotes, paragraphs and inline marks. Everything is
/// escaped first; only the tags made here reach the page.
function markdown(source) {
  const out = [];
  const lines = source.split("\n");
  let paragraph = [], list = null;
  const flush = () => {
    if (paragraph.length) out.push(`<p>${inline(paragraph.join("\n"))}</p>`);
    paragraph = [];
    if (list) out.push(`</${list}>`);
    list = null;
  };
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index];
    const fence = text.match(/^\s*```(\S*)/);
    if (fence) {
      flush();
      const code = [];
      while (++index < lines.length && !/^\s*```\s*$/.test(lines[index])) code.push(lines[index]);
      out.push(`<pre><code data-language="${escapeHTML(fence[1])}">${escapeHTML(code.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = text.match(/^(#{1,6})\s+(.*)$/);
    const bullet = text.match(/^\s*[-*+]\s+(.*)$/);
    const numbered = text.match(/^\s*\d+[.)]\s+(.*)$/);
    if (heading) { flush(); out.push(`<h${heading[1].length + 2}>${inline(heading[2])}</h${heading[1].length + 2}>`); }
    else if (bullet || numbered) {
      const kind = bullet ? "ul" : "ol";
      if (paragraph.length || list !== kind) flush();
      if (!list) { out.push(`<${kind}>`); list = kind; }
      out.push(`<li>${inline((bullet || numbered)[1])}</li>`);
    } else if (/^>\s?/.test(text)) { flush(); out.push(`<blockquote>${inline(text.replace(/^>\s?/, ""))}</blockquote>`); }
    else if (!text.trim()) flush();
    else {
      if (list) flush();
      paragraph.push(text);
    }
  }
  flush();
  return out.join("");
}

state.token = readToken();
if (location.hash) history.replaceState(null, "", location.pathname);
connect();
