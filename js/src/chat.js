// The chat pane: the selected agent's conversation, live, from the model's `chat` state and its deltas
// (wasmind_nb/notebook/chat_view.py), with an input box (Send, Enter) and an Interrupt button. Requests
// go to the kernel as {kind: "chat", action: "open" | "send" | "interrupt", scope, text}.
import { agentLabel, h, usageLabel } from "./format.js";

const INTERRUPT_TITLE = "stop the agent's current work: its model call is cancelled, the turn dropped";
const HEADER_KEYS = ["status", "system_prompt", "available", "reason", "error", "sending"];

/**
 * Applies a chat delta to the model's chat state in place. Returns `{result, indices, dropped}`: result
 * "applied", "stale" (already in it, or for another agent) or "gap" (a revision was missed: ask the
 * kernel to open the agent again); the indices of the entries it changed; how many left the front.
 */
export function applyChatDelta(chat, delta) {
  const none = { indices: [], dropped: 0 };
  if (!chat || delta.scope !== chat.scope || delta.rev <= chat.rev) return { result: "stale", ...none };
  if (delta.rev !== chat.rev + 1) return { result: "gap", ...none };
  for (const key of HEADER_KEYS) if (key in delta) chat[key] = delta[key];
  for (const [i, row] of delta.entries ?? []) {
    const local = i - chat.first;
    if (local < 0) continue;
    if (local < chat.entries.length) chat.entries[local] = row;
    else chat.entries.push(row);
  }
  const drop = (delta.first ?? chat.first) - chat.first;
  if (drop > 0) chat.entries.splice(0, drop);
  chat.first = delta.first ?? chat.first;
  chat.rev = delta.rev;
  const indices = (delta.entries ?? []).map(([i]) => i).filter((i) => i >= chat.first);
  return { result: "applied", indices, dropped: Math.max(0, drop) };
}

/** The head line of an entry: `you`, `system (from coder)`, `assistant · 120 in, 20 out`, `error: title`. */
export function entryHead(entry, labelOf = (scope) => scope) {
  const role = entry.role;
  let head = role;
  if (role === "user") head = entry.sender && entry.sender !== "user" ? `user (from ${labelOf(entry.sender)})` : "you";
  else if (role === "system")
    head = entry.sender && entry.sender !== "user" ? `system (from ${labelOf(entry.sender)})` : "system";
  else if ((role === "error" || role === "notice") && entry.title) head = `${role}: ${entry.title}`;
  if (entry.tokens && (entry.tokens[0] || entry.tokens[1])) head += ` · ${entry.tokens[0]} in, ${entry.tokens[1]} out`;
  return head;
}

/** Whether an agent with this status has work to interrupt (unknown statuses count as busy). */
export function busy(status) {
  return !/^(waiting for user input|done:|failed:)/.test(status ?? "");
}

/** A tool call's summary line: `read_file(path=greeting.py) · ok · Read 1 line`. */
export function callSummary(call) {
  const status = call.status === "pending" ? "running…" : call.status;
  return [call.call, status, call.summary].filter(Boolean).join(" · ");
}

export class Chat {
  /** @param model the widget model @param {import("./store.js").Store} store */
  constructor(model, store) {
    this.model = model;
    this.store = store;
    this.el = h("div", "wm-chat");
    this.el.setAttribute("role", "region");
    this.el.setAttribute("aria-label", "conversation of the selected agent");
    this.head = h("div", "wm-chat-head");
    this.log = h("div", "wm-chat-log");
    this.input = h("textarea", "wm-chat-text");
    this.input.rows = 2;
    this.input.placeholder = "message to the agent (Enter sends, Shift+Enter a new line)";
    this.input.setAttribute("aria-label", "message to the agent");
    this.send = h("button", "wm-button wm-chat-send", "Send");
    this.send.title = "send this as a user message (AddMessage) to the agent";
    this.interrupt = h("button", "wm-button wm-chat-interrupt", "Interrupt");
    this.interrupt.title = INTERRUPT_TITLE;
    this.note = h("div", "wm-chat-note");
    const row = h("div", "wm-chat-input");
    row.append(this.input, this.send, this.interrupt);
    this.el.append(this.head, this.log, row, this.note);
    this.openCalls = new Set(); // ids of the tool calls expanded by the user (kept across re-renders)
    this.nodes = []; // the entry elements, aligned with chat.entries
    this.send.addEventListener("click", () => this.submit());
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.interrupt.addEventListener("click", () => this.request("interrupt"));
    this.log.addEventListener("toggle", (event) => this.toggled(event.target), true);
    this.onChange = () => this.render();
    model.on("change:chat", this.onChange);
    this.unsubscribe = [
      store.on("chat", (changed) => this.update(changed)),
      store.on("agents", () => this.renderHead()),
    ];
    this.render();
  }

  get chat() {
    return this.model.get("chat") ?? {};
  }

  /** Asks the kernel for the conversation of `scope` ("" closes it). */
  open(scope) {
    if (scope !== this.chat.scope) this.model.send({ kind: "chat", action: "open", scope });
  }

  submit() {
    const text = this.input.value;
    if (!text.trim() || this.input.disabled) return;
    this.request("send", text);
    this.input.value = "";
  }

  request(action, text) {
    const message = { kind: "chat", action, scope: this.chat.scope };
    if (text !== undefined) message.text = text;
    this.model.send(message);
  }

  toggled(node) {
    const id = node?.dataset?.call;
    if (!id) return;
    if (node.open) this.openCalls.add(id);
    else this.openCalls.delete(id);
  }

  labelOf(scope) {
    const row = this.store.agent(scope);
    return row ? agentLabel(row) : scope;
  }

  /** The whole pane, from the model's chat state (a new agent opened, or a resync). */
  render() {
    const chat = this.chat;
    if (chat.scope !== this.shownScope) this.openCalls.clear();
    this.shownScope = chat.scope;
    this.log.replaceChildren();
    this.nodes = [];
    this.prompt = h("details", "wm-chat-prompt");
    this.promptText = h("pre", "wm-chat-pre");
    this.prompt.append(h("summary", "", "system prompt"), this.promptText);
    this.earlier = h("div", "wm-chat-earlier");
    this.log.append(this.prompt, this.earlier);
    for (const entry of chat.entries ?? []) {
      const node = this.entry(entry);
      this.nodes.push(node);
      this.log.append(node);
    }
    this.renderHead();
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** A delta was applied: re-render the entries it changed and the head. */
  update(changed) {
    const chat = this.chat;
    if (!changed || chat.scope !== this.shownScope) return this.render();
    const stick = this.atBottom();
    for (let k = 0; k < changed.dropped && this.nodes.length; k++) this.nodes.shift().remove(); // oldest left
    for (const i of changed.indices) {
      const local = i - chat.first;
      const entry = chat.entries[local];
      if (!entry) continue;
      const node = this.entry(entry);
      if (local < this.nodes.length) {
        this.nodes[local].replaceWith(node);
        this.nodes[local] = node;
      } else {
        this.nodes.push(node);
        this.log.append(node);
      }
    }
    this.renderHead();
    if (stick) this.log.scrollTop = this.log.scrollHeight;
  }

  atBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 24;
  }

  renderHead() {
    const chat = this.chat;
    const row = chat.scope ? this.store.agent(chat.scope) : undefined;
    const parts = [];
    if (chat.scope) parts.push(`${chat.name || (row ? agentLabel(row) : "")} (${chat.scope})`.trim());
    if (chat.status) parts.push(chat.status);
    const usage = row ? usageLabel(row) : "";
    if (usage) parts.push(usage);
    this.head.textContent = parts.join(" · ") || "Click an agent in the graph to see its conversation.";
    if (this.prompt) {
      this.prompt.hidden = !chat.system_prompt;
      this.promptText.textContent = chat.system_prompt ?? "";
      const n = (chat.system_prompt ?? "").length;
      this.prompt.firstChild.textContent = `system prompt (${n.toLocaleString("en-US")} characters)`;
      this.earlier.hidden = !chat.first;
      this.earlier.textContent = `… ${chat.first} earlier entries (mind.conversation(agent) has them all)`;
    }
    const off = !chat.available;
    this.input.disabled = off;
    this.send.disabled = off;
    this.interrupt.disabled = off || !busy(chat.status);
    this.interrupt.title = off || busy(chat.status) ? INTERRUPT_TITLE : "nothing to interrupt: the agent is idle";
    const note = [];
    if (off && chat.reason) note.push(chat.reason);
    if (chat.sending) note.push("sending…");
    this.note.textContent = note.join(" · ");
    this.note.hidden = !note.length && !chat.error;
    if (chat.error) this.note.append(h("span", "wm-chat-error", (note.length ? " · " : "") + chat.error));
    if (!chat.scope && (chat.entries ?? []).length === 0) this.log.dataset.empty = "true";
    else delete this.log.dataset.empty;
    const d = this.el.dataset;
    d.scope = chat.scope ?? "";
    d.available = String(Boolean(chat.available));
    d.entries = String((chat.entries ?? []).length);
  }

  entry(entry) {
    const node = h("div", `wm-msg wm-msg-${entry.role}`);
    node.dataset.role = entry.role;
    node.dataset.seq = String(entry.seq);
    node.append(
      h(
        "div",
        "wm-msg-head",
        entryHead(entry, (scope) => this.labelOf(scope)),
      ),
    );
    if (entry.content) node.append(h("div", "wm-msg-text", entry.content));
    for (const call of entry.tool_calls ?? []) node.append(this.call(call));
    return node;
  }

  call(call) {
    const details = h("details", "wm-call");
    details.dataset.call = call.id;
    details.dataset.status = call.status;
    details.open = this.openCalls.has(call.id);
    details.append(h("summary", "wm-call-summary", callSummary(call)));
    details.append(h("div", "wm-call-label", "arguments"), h("pre", "wm-chat-pre wm-call-args", call.arguments ?? ""));
    if (call.result !== null && call.result !== undefined) {
      details.append(h("div", "wm-call-label", "result"), h("pre", "wm-chat-pre wm-call-result", call.result));
    }
    return details;
  }

  destroy() {
    this.model.off("change:chat", this.onChange);
    for (const off of this.unsubscribe) off();
  }
}
