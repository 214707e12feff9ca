// Model-side state shared by every view of one widget model.
//
// The synced traitlets (`agents`, `messages`, `faults`, `meta`) hold the full state. Deltas arrive as
// custom messages and are applied here, once per model, by mutating those arrays in place: views that
// render later start from the current state, and a saved notebook stores the final state, without the
// front end ever writing the big arrays back to the kernel.
import { applyChatDelta } from "./chat.js";
import { A_PARENT, A_SCOPE, A_STATE, M_ACTOR, M_SEQ, M_TYPE } from "./format.js";

const stores = new WeakMap(); // meta object -> Store

/** Forgets the store of a model (its listeners are removed). */
export function forgetStore(model) {
  const meta = model.get("meta");
  stores.get(meta)?.dispose();
  stores.delete(meta);
}

/** The store of a model, created (and subscribed to the model) on first use. */
export function storeFor(model) {
  const meta = model.get("meta");
  let store = stores.get(meta);
  if (!store) {
    store = new Store(model);
    stores.set(meta, store);
  }
  return store;
}

export class Store {
  constructor(model) {
    this.model = model;
    this.listeners = new Map();
    this.payloads = new Map(); // seq -> full payload text fetched from the kernel
    this.onCustom = (msg) => this.handleMessage(msg);
    this.onReset = () => {
      this.load();
      stores.set(model.get("meta"), this);
      this.emit("reset");
    };
    model.on("msg:custom", this.onCustom);
    model.on("change:meta", this.onReset);
    this.load();
  }

  /** Reads the full state from the model's traitlets. */
  load() {
    const m = this.model;
    this.meta = m.get("meta") ?? {};
    this.agents = m.get("agents") ?? [];
    this.messages = m.get("messages") ?? [];
    this.faults = m.get("faults") ?? [];
    this.rev = this.meta.rev ?? 0;
    this.dropped = this.meta.dropped ?? 0;
    this.payloads.clear();
    this.reindex();
  }

  reindex() {
    this.index = new Map();
    this.agents.forEach((row, i) => this.index.set(row[A_SCOPE], i));
    this.types = new Map();
    this.actors = new Map();
    for (const row of this.messages) this.countMessage(row);
  }

  countMessage(row) {
    this.types.set(row[M_TYPE], (this.types.get(row[M_TYPE]) ?? 0) + 1);
    this.actors.set(row[M_ACTOR], (this.actors.get(row[M_ACTOR]) ?? 0) + 1);
  }

  /** Total messages ever seen, including those dropped from the front. */
  get total() {
    return this.dropped + this.messages.length;
  }

  /** The message at an absolute position (dropped + local index), or undefined. */
  messageAt(pos) {
    return this.messages[pos - this.dropped];
  }

  /** Absolute position of the message with sequence number `seq`, or -1. */
  positionOfSeq(seq) {
    const rows = this.messages;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = rows[mid][M_SEQ];
      if (s === seq) return this.dropped + mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  agent(scope) {
    const i = this.index.get(scope);
    return i === undefined ? undefined : this.agents[i];
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
    return () => this.listeners.get(event)?.delete(fn);
  }

  emit(event, detail) {
    for (const fn of this.listeners.get(event) ?? []) fn(detail);
  }

  handleMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.kind === "delta") this.applyDelta(msg);
    else if (msg.kind === "snapshot") this.applySnapshot(msg);
    else if (msg.kind === "chat") this.applyChat(msg);
    else if (msg.kind === "payload") {
      this.payloads.set(msg.seq, msg.text ?? null);
      this.emit("payload", msg.seq);
    }
  }

  /** Applies a delta if it is the next revision; asks the kernel for a snapshot after a gap. */
  applyDelta(d) {
    if (d.rev <= this.rev) return false; // already in the state this model started from
    if (d.rev !== this.rev + 1) {
      this.model.send({ kind: "resync" });
      return false;
    }
    const changed = [];
    let structural = false;
    for (const row of d.agents ?? []) {
      const scope = row[A_SCOPE];
      let i = this.index.get(scope);
      if (i === undefined) {
        i = this.agents.length;
        this.agents.push(row);
        this.index.set(scope, i);
        structural = true;
      } else {
        const old = this.agents[i];
        if (old[A_PARENT] !== row[A_PARENT]) structural = true;
        this.agents[i] = row;
      }
      changed.push(i);
    }
    for (const row of d.faults ?? []) this.faults.push(row);
    const first = this.total;
    for (const row of d.messages ?? []) {
      this.messages.push(row);
      this.countMessage(row);
    }
    const added = (d.messages ?? []).length;
    const drop = (d.dropped ?? this.dropped) - this.dropped;
    if (drop > 0) {
      this.messages.splice(0, drop);
      this.dropped += drop;
    }
    this.rev = d.rev;
    this.meta.rev = d.rev;
    this.meta.dropped = this.dropped;
    if (changed.length) this.emit("agents", { changed, structural });
    if ((d.faults ?? []).length) this.emit("faults");
    if (added || drop > 0) this.emit("messages", { first, added, dropped: drop });
    return true;
  }

  /** Applies a delta of the chat pane's conversation to the model's `chat` state (once per model). */
  applyChat(delta) {
    const { result, indices, dropped } = applyChatDelta(this.model.get("chat"), delta);
    if (result === "gap") this.model.send({ kind: "chat", action: "open", scope: delta.scope, resync: true });
    else if (result === "applied") this.emit("chat", { indices, dropped });
  }

  /** Replaces the whole state (the kernel's answer to a resync), in place. */
  applySnapshot(s) {
    replaceAll(this.agents, s.agents ?? []);
    replaceAll(this.messages, s.messages ?? []);
    replaceAll(this.faults, s.faults ?? []);
    this.rev = s.rev;
    this.dropped = s.dropped ?? 0;
    this.meta.rev = this.rev;
    this.meta.dropped = this.dropped;
    this.reindex();
    this.emit("reset");
  }

  /** Scopes of the agents whose lifecycle state is `live`. */
  liveCount() {
    let n = 0;
    for (const row of this.agents) if (row[A_STATE] === "live") n++;
    return n;
  }

  dispose() {
    this.model.off("msg:custom", this.onCustom);
    this.model.off("change:meta", this.onReset);
    this.listeners.clear();
  }
}

function replaceAll(target, rows) {
  target.length = 0;
  for (const row of rows) target.push(row);
}
