// AgentView front end (anywidget module): toolbar + agent graph + message timeline + detail pane.
import { A_SCOPE, agentLabel, h } from "./format.js";
import { Detail } from "./detail.js";
import { Graph } from "./graph.js";
import { forgetStore, storeFor } from "./store.js";
import { Timeline } from "./timeline.js";

const FILTERS = ["scope", "type", "actor"];
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
    this.root.append(this.toolbar, this.graph.el, this.timeline.el, this.detail.el);
    el.replaceChildren(this.root);
    el.classList.add("wasmind-agent-view");
    this.applyFilters();
    this.listeners = FILTERS.map((k) => [`change:filter_${k}`, () => this.applyFilters()]);
    this.listeners.push([
      "change:height",
      () => this.root.style.setProperty("--wm-height", `${model.get("height")}px`),
    ]);
    for (const [name, fn] of this.listeners) model.on(name, fn);
    this.unsubscribe = ["agents", "messages", "reset"].map((e) => this.store.on(e, () => this.scheduleStatus()));
    this.unsubscribe.push(this.store.on("reset", () => this.graph.select(model.get("filter_scope"))));
    this.scheduleStatus();
    // A hook for tests and benchmarks; not an API.
    el.wasmind = {
      stats: () => this.stats(),
      clientPoint: (scope) => this.graph.clientPoint(scope),
      graph: this.graph,
      timeline: this.timeline,
    };
  }

  destroy() {
    for (const [name, fn] of this.listeners) this.model.off(name, fn);
    for (const off of this.unsubscribe) off();
    cancelAnimationFrame(this.statusRaf);
    this.graph.destroy();
    this.timeline.destroy();
    this.detail.destroy();
    delete this.el.wasmind;
  }

  buildToolbar() {
    const bar = h("div", "wm-bar");
    this.inputs = {};
    for (const key of FILTERS) {
      const input = h("input", "wm-filter");
      input.placeholder = key;
      input.title = key === "scope" ? "sender or target scope (click a node)" : `${key} contains`;
      input.setAttribute("aria-label", `filter by ${key}`);
      input.dataset.filter = key;
      if (key !== "scope") {
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
    clear.addEventListener("click", () => this.setFilters({ scope: "", type: "", actor: "" }));
    const fit = h("button", "wm-button", "fit");
    fit.title = "fit the graph into view";
    fit.addEventListener("click", () => this.graph.fit());
    this.status = h("span", "wm-status");
    bar.append(clear, fit, this.status);
    return bar;
  }

  suggest(list, key) {
    const counts = key === "type" ? this.store.types : this.store.actors;
    const values = [...counts.keys()].sort().slice(0, SUGGESTIONS);
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
    this.graph.select(f.scope || null);
    this.scheduleStatus();
  }

  pickAgent(scope) {
    this.setFilter("scope", scope ?? "");
    if (scope) this.detail.showAgent(scope);
    else this.detail.clear();
  }

  pickMessage(pos) {
    this.timeline.select(pos);
    this.detail.showMessage(pos);
  }

  scheduleStatus() {
    if (!this.statusRaf) this.statusRaf = requestAnimationFrame(() => this.updateStatus());
  }

  updateStatus() {
    this.statusRaf = 0;
    const s = this.stats();
    const scope = this.model.get("filter_scope");
    const agent = scope ? this.store.agent(scope) : undefined;
    const filtered = s.shown !== s.messages ? ` · ${s.shown} shown` : "";
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
    };
  }
}

export default { initialize, render };
