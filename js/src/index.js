// AgentView front end (anywidget module): toolbar + agent graph + message timeline + detail pane.
import { A_NAME, A_SCOPE, agentLabel, h } from "./format.js";
import { Approvals } from "./approvals.js";
import { Chat } from "./chat.js";
import { Detail } from "./detail.js";
import { Graph } from "./graph.js";
import { Stepper } from "./stepper.js";
import { forgetStore, storeFor } from "./store.js";
import { Timeline } from "./timeline.js";

const FILTERS = ["scope", "type", "actor", "text"];
const PLACEHOLDERS = { scope: "agent", type: "type", actor: "actor", text: "search" };
const TITLES = {
  scope: "an agent's name or scope: messages from or to it (click a node)",
  type: "message type contains",
  actor: "sending actor contains",
  text: "payload contains (any case)",
};
const SUGGESTIONS = 500; // most entries offered in a filter's drop-down

/** Called once per model: deltas are applied here, even while no view is shown. */
function initialize({ model }) {
  storeFor(model);
  return () => forgetStore(model);
}

/** Called for each view of the model. */
function render({ model, el }) {
  const ui = new AgentViewUI(model, el);
  return () => ui.destroy();
}

class AgentViewUI {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.store = storeFor(model);
    this.root = h("div", "wm-root");
    this.root.style.setProperty("--wm-height", `${model.get("height") || 480}px`);
    this.toolbar = this.buildToolbar();
    this.graph = new Graph(this.store, { onPick: (scope) => this.pickAgent(scope) });
    this.timeline = new Timeline(this.store, { onSelect: (pos) => this.pickMessage(pos) });
    this.detail = new Detail(this.store, { requestPayload: (seq) => model.send({ kind: "payload", seq }) });
    this.chat = new Chat(model, this.store);
    this.pane = this.buildPane();
    this.root.append(this.toolbar, this.graph.el, this.timeline.el, this.pane);
    el.replaceChildren(this.root);
    el.classList.add("wasmind-agent-view");
    this.applyFilters();
    this.listeners = FILTERS.map((k) => [`change:filter_${k}`, () => this.applyFilters()]);
    this.listeners.push(["change:chat", () => this.chatChanged()]);
    this.listeners.push(["change:bus", () => this.busChanged()]);
    this.listeners.push([
      "change:height",
      () => this.root.style.setProperty("--wm-height", `${model.get("height")}px`),
    ]);
    for (const [name, fn] of this.listeners) model.on(name, fn);
    this.unsubscribe = ["agents", "messages", "reset"].map((e) => this.store.on(e, () => this.scheduleStatus()));
    this.unsubscribe.push(this.store.on("reset", () => this.graph.select(this.timeline.focus())));
    this.unsubscribe.push(this.store.on("agents", () => this.graph.select(this.timeline.focus())));
    this.busChanged();
    this.scheduleStatus();
    // A hook for tests and benchmarks; not an API.
    el.wasmind = {
      stats: () => this.stats(),
      clientPoint: (scope) => this.graph.clientPoint(scope),
      graph: this.graph,
      timeline: this.timeline,
      chat: this.chat,
    };
  }

  destroy() {
    for (const [name, fn] of this.listeners) this.model.off(name, fn);
    for (const off of this.unsubscribe) off();
    cancelAnimationFrame(this.statusRaf);
    this.graph.destroy();
    this.timeline.destroy();
    this.detail.destroy();
    this.chat.destroy();
    this.stepper.destroy();
    this.approvals.destroy();
    delete this.el.wasmind;
  }

  buildToolbar() {
    const bar = h("div", "wm-bar");
    this.inputs = {};
    for (const key of FILTERS) {
      const input = h("input", "wm-filter");
      input.placeholder = PLACEHOLDERS[key];
      input.title = TITLES[key];
      input.setAttribute("aria-label", key === "text" ? "search the payloads" : `filter by ${PLACEHOLDERS[key]}`);
      input.dataset.filter = key;
      if (key !== "text") {
        const list = h("datalist");
        list.id = `wm-${key}-${Math.random().toString(36).slice(2)}`;
        input.setAttribute("list", list.id);
        input.addEventListener("focus", () => this.suggest(list, key));
        bar.append(list);
      }
      let timer = 0;
      input.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.setFilter(key, input.value), 150);
      });
      this.inputs[key] = input;
      bar.append(input);
    }
    const clear = h("button", "wm-button", "clear");
    clear.title = "clear the filters";
    clear.addEventListener("click", () => this.setFilters({ scope: "", type: "", actor: "", text: "" }));
    const fit = h("button", "wm-button", "fit");
    fit.title = "fit the graph into view";
    fit.addEventListener("click", () => this.graph.fit());
    this.status = h("span", "wm-status");
    this.stepper = new Stepper(this.model);
    bar.append(clear, fit, this.stepper.el, this.status);
    this.approvals = new Approvals(this.model);
    bar.append(this.approvals.el);
    return bar;
  }

  /** The area under the timeline: tabs "details" (a message's payload, an agent's record) and "chat". */
  buildPane() {
    const pane = h("div", "wm-pane");
    const tabs = h("div", "wm-tabs");
    tabs.setAttribute("role", "tablist");
    this.tabs = {};
    for (const [name, title] of [
      ["details", "the selected message's payload or agent's record"],
      ["chat", "the selected agent's conversation: talk to it, interrupt it"],
    ]) {
      const tab = h("button", "wm-tab", name);
      tab.title = title;
      tab.dataset.tab = name;
      tab.setAttribute("role", "tab");
      tab.addEventListener("click", () => this.showTab(name));
      this.tabs[name] = tab;
      tabs.append(tab);
    }
    pane.append(tabs, this.detail.el, this.chat.el);
    this.showTab(this.model.get("chat")?.scope ? "chat" : "details");
    this.chatScope = this.model.get("chat")?.scope ?? "";
    return pane;
  }

  showTab(name) {
    this.root.dataset.pane = name;
    this.detail.el.hidden = name !== "details";
    this.chat.el.hidden = name !== "chat";
    for (const [key, tab] of Object.entries(this.tabs)) tab.setAttribute("aria-selected", String(key === name));
  }

  /** The kernel opened another agent's conversation (a click here, or view.open_chat in Python). */
  /** Mark the held messages: while paused, everything from the next envelope on is logged, not delivered. */
  busChanged() {
    const bus = this.model.get("bus") ?? {};
    this.timeline.setHeldFrom(bus.paused && bus.held > 0 ? (bus.seq ?? -1) : -1);
  }

  chatChanged() {
    const scope = this.model.get("chat")?.scope ?? "";
    if (scope && scope !== this.chatScope) this.showTab("chat");
    this.chatScope = scope;
  }

  suggest(list, key) {
    const counts = key === "type" ? this.store.types : key === "actor" ? this.store.actors : null;
    const keys = counts ? [...counts.keys()] : [...new Set(this.store.agents.map((row) => row[A_NAME]))];
    const values = keys.filter(Boolean).sort().slice(0, SUGGESTIONS);
    list.replaceChildren(...values.map((v) => Object.assign(document.createElement("option"), { value: v })));
  }

  setFilter(key, value) {
    this.setFilters({ [key]: value });
  }

  /** Writes filters to the model (the kernel sees them) and applies them. */
  setFilters(values) {
    for (const [key, value] of Object.entries(values)) this.model.set(`filter_${key}`, value);
    this.model.save_changes();
    this.applyFilters();
  }

  applyFilters() {
    const f = {};
    for (const key of FILTERS) {
      f[key] = this.model.get(`filter_${key}`) ?? "";
      const input = this.inputs[key];
      if (input.value !== f[key] && document.activeElement !== input) input.value = f[key];
    }
    this.timeline.setFilter(f);
    this.graph.select(this.timeline.focus());
    this.scheduleStatus();
  }

  pickAgent(scope) {
    this.setFilter("scope", scope ?? "");
    if (scope) {
      this.detail.showAgent(scope);
      this.chat.open(scope);
      this.showTab("chat");
    } else this.detail.clear();
  }

  pickMessage(pos) {
    this.timeline.select(pos);
    this.detail.showMessage(pos);
    this.showTab("details");
  }

  scheduleStatus() {
    if (!this.statusRaf) this.statusRaf = requestAnimationFrame(() => this.updateStatus());
  }

  updateStatus() {
    this.statusRaf = 0;
    const s = this.stats();
    const scope = this.model.get("filter_scope");
    const picked = this.timeline.focus();
    const agent = picked ? this.store.agent(picked) : undefined;
    const filtered = this.timeline.filtered() ? ` · ${s.shown} of ${s.messages} match` : "";
    const focus = agent ? ` · ${agentLabel(agent)}` : "";
    this.status.textContent = `${s.agents} agents (${s.live} live) · ${s.messages} messages${filtered}${focus}`;
    const d = this.root.dataset;
    d.agents = String(s.agents);
    d.messages = String(s.messages);
    d.shown = String(s.shown);
    d.rev = String(s.rev);
    d.filterScope = scope ?? "";
  }

  stats() {
    const { store, graph, timeline } = this;
    return {
      agents: store.agents.length,
      live: store.liveCount(),
      messages: store.messages.length,
      total: store.total,
      shown: timeline.shown.length,
      rows: timeline.rendered ?? 0,
      rev: store.rev,
      selectedScope: graph.selected >= 0 ? store.agents[graph.selected][A_SCOPE] : null,
      detail: this.detail.el.dataset.kind,
      frames: graph.stats.frames,
      lastFrameMs: graph.stats.lastMs,
      maxFrameMs: graph.stats.maxMs,
      firstFrameAt: graph.stats.firstFrameAt,
      faultRings: graph.stats.faultRings,
      empty: timeline.empty.hidden ? "" : timeline.empty.textContent,
      status: this.status.textContent,
    };
  }
}

export default { initialize, render };
