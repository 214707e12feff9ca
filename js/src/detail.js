// The detail pane: the payload of the selected message, or the selected agent's record.
import {
  A_ACTORS,
  A_NAME,
  A_PARENT,
  A_SCOPE,
  F_ACTOR,
  F_ERROR,
  F_SCOPE,
  FLAG_CUT,
  FLAG_REPLAY,
  M_ACTOR,
  M_FLAGS,
  M_ID,
  M_SCOPE,
  M_SEQ,
  M_SIZE,
  M_TARGET,
  M_TEXT,
  M_TYPE,
  agentLabel,
  formatSize,
  h,
  prettyJson,
  statusLabel,
  usageLabel,
} from "./format.js";

const PAYLOAD_WAIT_MS = 5000;
const LOADING = "(loading the full payload)";

export class Detail {
  /** @param {import("./store.js").Store} store @param {{requestPayload: (seq: number) => void}} opts */
  constructor(store, { requestPayload }) {
    this.store = store;
    this.requestPayload = requestPayload;
    this.el = h("div", "wm-detail");
    this.title = h("div", "wm-detail-title");
    this.body = h("pre", "wm-detail-body");
    this.el.append(this.title, this.body);
    this.current = null;
    this.waiting = new Map(); // seq -> timer of a payload request
    this.unsubscribe = [
      store.on("payload", (seq) => {
        clearTimeout(this.waiting.get(seq));
        this.waiting.delete(seq);
        if (this.current?.seq === seq) this.showMessage(this.current.pos);
      }),
      store.on("agents", () => {
        if (this.current?.scope) this.showAgent(this.current.scope);
      }),
    ];
    this.clear();
  }

  destroy() {
    for (const off of this.unsubscribe) off();
    for (const timer of this.waiting.values()) clearTimeout(timer);
  }

  /** No answer: say so (clicking the row again asks again). */
  giveUp(seq) {
    this.waiting.delete(seq);
    if (this.current?.seq !== seq || this.store.payloads.has(seq)) return;
    const note = "(no answer from the kernel: the full payload is not available)";
    this.body.textContent = this.body.textContent.replace(LOADING, note);
  }

  clear() {
    this.current = null;
    this.title.textContent = "Click a message to see its payload, or an agent to filter by it.";
    this.body.textContent = "";
    this.el.dataset.kind = "none";
  }

  /** Shows the message at an absolute position. */
  showMessage(pos) {
    const msg = this.store.messageAt(pos);
    if (!msg) return this.clear();
    const seq = msg[M_SEQ];
    this.current = { pos, seq };
    this.el.dataset.kind = "message";
    this.el.dataset.seq = String(seq);
    const agent = this.store.agent(msg[M_SCOPE]);
    const from = `${agent ? agentLabel(agent) : "?"} (${msg[M_SCOPE]}) / ${msg[M_ACTOR]}`;
    const extra = [];
    if (msg[M_TARGET]) extra.push(`to ${msg[M_TARGET]}`);
    if (msg[M_FLAGS] & FLAG_REPLAY) extra.push("replayed");
    this.title.textContent =
      `#${seq} ${msg[M_TYPE]} · from ${from} · id ${msg[M_ID]} · ${formatSize(msg[M_SIZE])}` +
      (extra.length ? ` · ${extra.join(" · ")}` : "");
    let text = msg[M_TEXT];
    if (msg[M_FLAGS] & FLAG_CUT) {
      const full = this.store.payloads.get(seq);
      if (full === undefined && !this.waiting.has(seq)) {
        this.requestPayload(seq);
        // No kernel (a saved notebook) means no answer: say so after a while.
        this.waiting.set(
          seq,
          setTimeout(() => this.giveUp(seq), PAYLOAD_WAIT_MS),
        );
      }
      if (full === undefined) {
        this.body.textContent = `${text}\n… ${LOADING}`;
        return;
      }
      if (full === null) {
        this.body.textContent = `${text}\n… (truncated; the full payload is not available)`;
        return;
      }
      text = full;
    }
    this.body.textContent = text ? prettyJson(text) : "(empty payload)";
  }

  /** Shows an agent's record and its actor faults. */
  showAgent(scope) {
    const row = this.store.agent(scope);
    if (!row) return this.clear();
    this.current = { scope };
    this.el.dataset.kind = "agent";
    this.title.textContent = `${row[A_NAME] || "(unnamed)"} · scope ${row[A_SCOPE]}`;
    const lines = [
      `status:  ${statusLabel(row)}`,
      `parent:  ${row[A_PARENT] ?? "(none)"}`,
      `actors:  ${row[A_ACTORS].join(", ") || "(none)"}`,
    ];
    const usage = usageLabel(row);
    if (usage) lines.push(`usage:   ${usage}`);
    for (const f of this.store.faults) {
      if (f[F_SCOPE] === scope) lines.push(`fault:   ${f[F_ACTOR]}: ${f[F_ERROR]}`);
    }
    this.body.textContent = lines.join("\n");
  }
}
