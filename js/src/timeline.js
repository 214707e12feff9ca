// The message timeline: a virtualised list. Only the rows in view exist in the DOM (a fixed pool that is
// re-filled on scroll), so 100,000 messages scroll as smoothly as 100.
import {
  FLAG_REPLAY,
  M_ACTOR,
  M_FLAGS,
  M_SCOPE,
  M_SEQ,
  M_SUMMARY,
  M_TEXT,
  M_TYPE,
  agentLabel,
  h,
  shortType,
} from "./format.js";
import { isEmptyFilter, makeFilter, matches, sameFilter } from "./filters.js";

export const ROW = 22; // px per row (keep in sync with .wm-row in widget.css)
const MAX_PX = 8_000_000; // tallest spacer we let the browser scroll; beyond it, scroll positions are scaled
const PREVIEW = 240; // characters of payload shown in a row

export class Timeline {
  /** @param {import("./store.js").Store} store @param {{onSelect: (pos: number) => void}} opts */
  constructor(store, { onSelect }) {
    this.store = store;
    this.onSelect = onSelect;
    this.values = {};
    this.filter = makeFilter();
    this.shown = []; // absolute positions of the rows passing the filter, ascending
    this.selected = -1;
    this.heldFrom = -1; // seq of the first held message while the bus is paused (setHeldFrom)
    this.follow = true;
    this.raf = 0;
    this.el = h("div", "wm-timeline");
    const head = h("div", "wm-row wm-head");
    for (const label of ["#", "agent", "actor", "type", "message"]) head.append(h("span", "", label));
    this.scroller = h("div", "wm-tl-scroll");
    this.spacer = h("div", "wm-tl-spacer");
    this.layer = h("div", "wm-tl-rows");
    this.empty = h("div", "wm-empty", "no messages");
    this.scroller.append(this.spacer, this.layer);
    this.el.append(head, this.scroller, this.empty);
    this.pool = [];
    this.scroller.addEventListener("scroll", () => {
      this.follow = this.atBottom();
      this.schedule();
    });
    this.layer.addEventListener("click", (e) => {
      const row = e.target.closest(".wm-row");
      if (row && row.dataset.pos) this.onSelect(Number(row.dataset.pos));
    });
    this.resizer = new ResizeObserver(() => this.schedule());
    this.resizer.observe(this.scroller);
    this.unsubscribe = [
      store.on("messages", (e) => this.onMessages(e)),
      store.on("agents", () => this.onAgents()),
      store.on("reset", () => this.refilter()),
    ];
    this.refilter();
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    this.resizer.disconnect();
    for (const off of this.unsubscribe) off();
  }

  setFilter(values) {
    this.values = values;
    this.filter = makeFilter(values, this.store.agents);
    this.refilter();
  }

  /** True when a filter is set. */
  filtered() {
    return !isEmptyFilter(this.filter);
  }

  /** The agent the scope filter picks (the scope typed, or the first agent of that name), or null. */
  focus() {
    for (const scope of this.filter.scopes) if (this.store.agent(scope)) return scope;
    return null;
  }

  /** Agents changed: names may now mean other scopes (a name typed before its agent appeared). */
  onAgents() {
    if (this.filter.scope) {
      const filter = makeFilter(this.values, this.store.agents);
      if (!sameFilter(filter, this.filter)) {
        this.filter = filter;
        this.refilter();
      }
    }
    this.invalidate();
  }

  refilter() {
    const { store } = this;
    if (this.filter.scope) this.filter = makeFilter(this.values, store.agents); // after a reset
    const { filter } = this;
    const all = isEmptyFilter(filter);
    const shown = [];
    const rows = store.messages;
    for (let i = 0; i < rows.length; i++) if (all || matches(rows[i], filter)) shown.push(store.dropped + i);
    this.shown = shown;
    if (this.follow) this.scrollToEnd();
    this.schedule();
  }

  onMessages({ first, added }) {
    const { store, filter } = this;
    const all = isEmptyFilter(filter);
    const following = this.follow;
    // A refilter (agents changed in the same delta) may have taken these rows already.
    const from = Math.max(first, store.dropped, (this.shown[this.shown.length - 1] ?? -1) + 1);
    for (let pos = from; pos < first + added; pos++) {
      if (all || matches(store.messageAt(pos), filter)) this.shown.push(pos);
    }
    let cut = 0;
    while (cut < this.shown.length && this.shown[cut] < store.dropped) cut++;
    if (cut) this.shown.splice(0, cut);
    if (following) this.scrollToEnd();
    this.schedule();
  }

  /** Marks the row at an absolute position as selected. */
  select(pos) {
    this.selected = pos;
    this.schedule();
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollTop + s.clientHeight >= s.scrollHeight - ROW * 1.5;
  }

  scrollToEnd() {
    this.pendingEnd = true;
  }

  totalPx() {
    return this.shown.length * ROW;
  }

  /** The scroll position in unscaled row pixels. */
  virtualTop() {
    const s = this.scroller;
    const total = this.totalPx();
    if (total <= MAX_PX) return s.scrollTop;
    const room = Math.max(1, MAX_PX - s.clientHeight);
    return (s.scrollTop / room) * Math.max(0, total - s.clientHeight);
  }

  scrollToVirtual(top) {
    const s = this.scroller;
    const total = this.totalPx();
    if (total <= MAX_PX) s.scrollTop = top;
    else s.scrollTop = (top / Math.max(1, total - s.clientHeight)) * Math.max(1, MAX_PX - s.clientHeight);
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(() => this.render());
  }

  render() {
    this.raf = 0;
    const s = this.scroller;
    this.spacer.style.height = `${Math.min(this.totalPx(), MAX_PX)}px`;
    if (this.pendingEnd) {
      this.pendingEnd = false;
      s.scrollTop = s.scrollHeight;
      this.follow = true;
    }
    const view = s.clientHeight;
    const top = this.virtualTop();
    const first = Math.floor(top / ROW);
    const count = Math.ceil(view / ROW) + 1;
    this.ensurePool(count);
    this.layer.style.transform = `translateY(${s.scrollTop - (top - first * ROW)}px)`;
    let rendered = 0;
    for (let k = 0; k < this.pool.length; k++) {
      const row = this.pool[k];
      const pos = this.shown[first + k];
      if (pos === undefined || k >= count) {
        row.el.hidden = true;
        row.pos = -1;
        continue;
      }
      row.el.hidden = false;
      rendered++;
      this.fill(row, pos);
    }
    this.rendered = rendered;
    this.empty.hidden = this.shown.length > 0;
    if (!this.empty.hidden) this.empty.textContent = emptyText(this.store.messages.length);
  }

  /** Forgets what the pooled rows show (agent names may have changed). */
  /** While the bus is paused, the messages from `seq` on are logged but not yet delivered (held): their
   * rows are marked. `-1`: nothing is held. */
  setHeldFrom(seq) {
    if (seq === this.heldFrom) return;
    this.heldFrom = seq;
    this.schedule();
  }

  invalidate() {
    for (const row of this.pool) row.pos = -1;
    this.schedule();
  }

  ensurePool(count) {
    while (this.pool.length < count) {
      const el = h("div", "wm-row");
      const cells = [];
      for (let c = 0; c < 5; c++) el.append((cells[c] = h("span")));
      this.layer.append(el);
      this.pool.push({ el, cells, pos: -1, seq: -1 });
    }
  }

  fill(row, pos) {
    const msg = this.store.messageAt(pos);
    row.el.classList.toggle("wm-sel", pos === this.selected);
    row.el.classList.toggle("wm-held", this.heldFrom >= 0 && msg[M_SEQ] >= this.heldFrom);
    if (row.pos === pos && row.seq === msg[M_SEQ]) return;
    row.pos = pos;
    row.seq = msg[M_SEQ];
    row.el.dataset.pos = String(pos);
    const agent = this.store.agent(msg[M_SCOPE]);
    const [seq, who, actor, type, text] = row.cells;
    seq.textContent = String(msg[M_SEQ]);
    who.textContent = agent ? agentLabel(agent) : msg[M_SCOPE];
    who.title = msg[M_SCOPE];
    actor.textContent = msg[M_ACTOR];
    type.textContent = shortType(msg[M_TYPE]);
    type.title = msg[M_TYPE];
    const summary = msg[M_SUMMARY];
    text.textContent = summary || msg[M_TEXT].slice(0, PREVIEW);
    text.title = summary || "";
    text.classList.toggle("wm-raw", !summary);
    row.el.classList.toggle("wm-replay", (msg[M_FLAGS] & FLAG_REPLAY) !== 0);
  }
}

/** What an empty timeline says: nothing yet, or that the filters match none of the messages. */
export function emptyText(messages) {
  return messages ? `0 of ${messages} messages match the filters` : "no messages yet";
}
