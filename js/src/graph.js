// The agent graph: one <canvas>, no DOM node per agent.
// Nodes are agents (coloured by lifecycle and status), edges run parent -> child. Messages light up
// their sender (and target) for a moment. Drag to pan, wheel to zoom, click a node to pick it.
import {
  A_FAULTS,
  A_PARENT,
  A_SCOPE,
  LEGEND,
  M_SCOPE,
  M_TARGET,
  agentLabel,
  agentTooltip,
  h,
  nodeColor,
} from "./format.js";
import { CELL, layoutTree } from "./layout.js";

const RADIUS = 9; // node radius, world units
const ACTIVE_MS = 1200; // how long a message keeps its sender lit
const LABEL_MIN_PX = 5; // node radius on screen from which names are drawn
const MAX_LABELS = 2000;
const MAX_SCALE = 2;
const CLICK_SLOP = 4; // px a pointer may move and still click
const BIG_GRAPH = 2000; // agents from which layouts are rate-limited
const LAYOUT_EVERY_MS = 250;
const LABEL_PX = 11; // height of a name, CSS px
const LABEL_FONT = `${LABEL_PX}px sans-serif`;

/** The colour legend in a corner of the graph (collapsible). */
function legend() {
  const box = h("details", "wm-legend");
  box.open = true;
  const items = h("div", "wm-legend-items");
  for (const [label, color, kind] of LEGEND) {
    const item = h("div", "wm-legend-item");
    const swatch = h("span", `wm-swatch wm-swatch-${kind}`);
    swatch.style.setProperty("--wm-swatch", color);
    item.append(swatch, document.createTextNode(label));
    items.append(item);
  }
  box.append(h("summary", "", "legend"), items);
  return box;
}

export class Graph {
  /** @param {import("./store.js").Store} store @param {{onPick: (scope: string|null) => void}} opts */
  constructor(store, { onPick }) {
    this.store = store;
    this.onPick = onPick;
    this.el = h("div", "wm-graph");
    this.canvas = h("canvas", "wm-canvas");
    this.tip = h("div", "wm-tip");
    this.tip.hidden = true;
    this.empty = h("div", "wm-empty", "no agents yet");
    this.legend = legend();
    this.legendH = 0; // CSS px the open legend takes at the bottom (a fit keeps the tree above it)
    this.legend.addEventListener("toggle", () => {
      this.legendH = this.legend.open ? this.legend.offsetHeight + 4 : 0;
      this.schedule();
    });
    this.el.append(this.canvas, this.tip, this.empty, this.legend);
    this.ctx = this.canvas.getContext("2d");
    this.view = { scale: 1, tx: 0, ty: 0 };
    this.autoFit = true;
    this.selected = -1;
    this.activity = new Map(); // node index -> time of its last message
    this.stats = { frames: 0, lastMs: 0, maxMs: 0, firstFrameAt: 0, faultRings: 0 };
    this.raf = 0;
    this.needsLayout = true;
    this.layoutAt = 0;
    this.size = { w: 0, h: 0, dpr: 1 };
    this.bindPointer();
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(this.el);
    this.unsubscribe = [
      store.on("agents", (e) => this.onAgents(e)),
      store.on("messages", (e) => this.onMessages(e)),
      store.on("faults", () => {
        this.nodesDirty = true;
        this.schedule();
      }),
      store.on("reset", () => {
        this.activity.clear();
        this.needsLayout = true;
        this.schedule();
      }),
    ];
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    this.resizer.disconnect();
    for (const off of this.unsubscribe) off();
  }

  /** Highlights the node of `scope` (null clears). */
  select(scope) {
    const i = scope ? this.store.index.get(scope) : undefined;
    this.selected = i === undefined ? -1 : i;
    this.schedule();
  }

  /** Fits the whole tree into view and keeps fitting as it grows, until the user pans or zooms. */
  fit() {
    this.autoFit = true;
    this.schedule();
  }

  /** Client (page) coordinates of a node's centre, or null: a hook for tests. */
  clientPoint(scope) {
    const i = this.store.index.get(scope);
    if (i === undefined || !this.pos || i >= this.pos.x.length) return null;
    const r = this.canvas.getBoundingClientRect();
    const { scale, tx, ty } = this.view;
    return { x: r.left + this.pos.x[i] * scale + tx, y: r.top + this.pos.y[i] * scale + ty };
  }

  onAgents({ changed, structural }) {
    if (structural) this.needsLayout = true;
    else if (this.colorIdx) for (const i of changed) this.colorIdx[i] = this.paletteIndex(this.store.agents[i]);
    this.nodesDirty = true;
    this.schedule();
  }

  onMessages({ first, added }) {
    const now = performance.now();
    const { store } = this;
    for (let pos = Math.max(first, store.dropped); pos < first + added; pos++) {
      const row = store.messageAt(pos);
      if (!row) continue;
      const i = store.index.get(row[M_SCOPE]);
      if (i !== undefined) this.activity.set(i, now);
      const t = row[M_TARGET] ? store.index.get(row[M_TARGET]) : undefined;
      if (t !== undefined) this.activity.set(t, now);
    }
    this.schedule();
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame((now) => this.frame(now));
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.el.clientWidth;
    const hgt = this.el.clientHeight;
    if (w === this.size.w && hgt === this.size.h && dpr === this.size.dpr) return;
    this.size = { w, h: hgt, dpr };
    this.canvas.width = Math.max(1, Math.round(w * dpr));
    this.canvas.height = Math.max(1, Math.round(hgt * dpr));
    const css = getComputedStyle(this.el);
    this.fg = css.getPropertyValue("--wm-fg").trim() || "#333";
    this.edge = css.getPropertyValue("--wm-edge").trim() || "rgba(120,130,140,0.45)";
    this.bg = css.getPropertyValue("--wm-bg").trim() || "#fff";
    this.legendH = this.legend.open ? this.legend.offsetHeight + 4 : 0;
    this.schedule();
  }

  frame(now) {
    this.raf = 0;
    this.empty.hidden = this.store.agents.length > 0;
    const t0 = performance.now();
    // Big graphs re-layout at most every LAYOUT_EVERY_MS; meanwhile new agents wait for a position.
    const big = this.store.agents.length > BIG_GRAPH;
    if (this.needsLayout && (!big || !this.pos || t0 - this.layoutAt >= LAYOUT_EVERY_MS)) {
      this.relayout();
      this.layoutAt = t0;
    }
    if (this.autoFit) this.fitNow();
    this.draw(now);
    const ms = performance.now() - t0;
    const s = this.stats;
    s.frames++;
    s.lastMs = ms;
    s.maxMs = Math.max(s.maxMs, ms);
    if (!s.firstFrameAt && this.store.agents.length) s.firstFrameAt = performance.now();
    if (this.activity.size || this.needsLayout) this.schedule();
  }

  relayout() {
    const { agents, index } = this.store;
    const n = agents.length;
    const parents = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const p = agents[i][A_PARENT];
      const j = p == null ? undefined : index.get(p);
      parents[i] = j === undefined ? -1 : j;
    }
    this.parents = parents;
    this.pos = layoutTree(parents);
    this.palette = [];
    this.paletteMap = new Map();
    this.colorIdx = new Uint8Array(n);
    for (let i = 0; i < n; i++) this.colorIdx[i] = this.paletteIndex(agents[i]);
    this.needsLayout = false;
    this.layoutVersion = (this.layoutVersion ?? 0) + 1;
  }

  paletteIndex(row) {
    const color = nodeColor(row);
    let k = this.paletteMap.get(color);
    if (k === undefined) {
      k = this.palette.length;
      this.palette.push(color);
      this.paletteMap.set(color, k);
    }
    return k;
  }

  fitNow() {
    const { w } = this.size;
    const room = this.size.h - this.legendH;
    const hgt = room > this.size.h / 2 ? room : this.size.h; // a legend taller than half: fit over it
    if (!this.pos || !w || !hgt) return;
    const pad = RADIUS * 4;
    const bw = this.pos.width + pad * 2;
    const bh = this.pos.height + pad * 2;
    const scale = Math.min(w / bw, hgt / bh, MAX_SCALE);
    this.view = {
      scale,
      tx: (w - this.pos.width * scale) / 2,
      ty: (hgt - (this.pos.height - RADIUS * 2) * scale) / 2,
    };
  }

  /**
   * Edges and nodes are drawn into two cached layers: edges change only with the layout or the view,
   * nodes also with colours. A frame composites the layers and adds activity and the selection.
   */
  draw(now) {
    const { ctx, canvas } = this;
    const { dpr } = this.size;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!this.pos || !this.store.agents.length) return;
    const { scale, tx, ty } = this.view;
    const key = `${this.layoutVersion}|${scale}|${tx}|${ty}|${canvas.width}|${canvas.height}`;
    if (key !== this.layerKey) {
      this.layerKey = key;
      this.visible = this.visibleNodes();
      this.edgeLayer = this.renderLayer(this.edgeLayer, (c) => this.drawEdges(c));
      this.nodesDirty = true;
    }
    if (this.nodesDirty) {
      this.nodeLayer = this.renderLayer(this.nodeLayer, (c) => this.drawNodes(c));
      this.nodesDirty = false;
    }
    ctx.drawImage(this.edgeLayer, 0, 0);
    ctx.drawImage(this.nodeLayer, 0, 0);
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * tx, dpr * ty);
    this.drawActivity(now, scale);
    const labels = RADIUS * scale >= LABEL_MIN_PX;
    if (labels) this.drawLabels(scale);
    this.drawSelection(scale, labels);
  }

  /** Redraws an offscreen canvas of the main canvas's size in world coordinates. */
  renderLayer(layer, paint) {
    const { canvas } = this;
    layer ??= document.createElement("canvas");
    if (layer.width !== canvas.width || layer.height !== canvas.height) {
      layer.width = canvas.width;
      layer.height = canvas.height;
    }
    const c = layer.getContext("2d");
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.clearRect(0, 0, layer.width, layer.height);
    const { scale, tx, ty } = this.view;
    const { dpr } = this.size;
    c.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * tx, dpr * ty);
    paint(c);
    return layer;
  }

  /** The world-space rectangle in view, with a margin. */
  viewBox() {
    const { scale, tx, ty } = this.view;
    const { w, h: hgt } = this.size;
    const m = RADIUS * 2;
    return { x0: -tx / scale - m, y0: -ty / scale - m, x1: (w - tx) / scale + m, y1: (hgt - ty) / scale + m };
  }

  visibleNodes() {
    const b = this.viewBox();
    const { x, y } = this.pos;
    const out = [];
    for (let i = 0; i < x.length; i++) if (x[i] >= b.x0 && x[i] <= b.x1 && y[i] >= b.y0 && y[i] <= b.y1) out.push(i);
    return out;
  }

  drawEdges(c) {
    const { parents } = this;
    const { x, y } = this.pos;
    const b = this.viewBox();
    c.beginPath();
    for (let i = 0; i < parents.length; i++) {
      const p = parents[i];
      if (p < 0) continue;
      if (Math.max(x[i], x[p]) < b.x0 || Math.min(x[i], x[p]) > b.x1) continue;
      if (Math.max(y[i], y[p]) < b.y0 || Math.min(y[i], y[p]) > b.y1) continue;
      c.moveTo(x[p], y[p]);
      c.lineTo(x[i], y[i]);
    }
    c.strokeStyle = this.edge;
    c.lineWidth = 1 / this.view.scale;
    c.stroke();
  }

  drawNodes(c) {
    const { scale } = this.view;
    const devicePx = RADIUS * scale * this.size.dpr;
    if (devicePx < 2) this.drawNodePixels(c);
    else {
      const { colorIdx, palette, visible } = this;
      const { x, y } = this.pos;
      const round = devicePx >= 3;
      for (let k = 0; k < palette.length; k++) {
        c.beginPath();
        for (const i of visible) {
          if (colorIdx[i] !== k) continue;
          if (round) {
            c.moveTo(x[i] + RADIUS, y[i]);
            c.arc(x[i], y[i], RADIUS, 0, Math.PI * 2);
          } else c.rect(x[i] - RADIUS, y[i] - RADIUS, RADIUS * 2, RADIUS * 2);
        }
        c.fillStyle = palette[k];
        c.fill();
      }
    }
    this.drawFaults(c);
  }

  /** Tiny nodes: small squares written straight into pixels (far cheaper than thousands of paths). */
  drawNodePixels(c) {
    const { width, height } = c.canvas;
    const image = c.createImageData(width, height);
    const pixels = new Uint32Array(image.data.buffer);
    const colors = this.palette.map(packColor);
    const { scale, tx, ty } = this.view;
    const { dpr } = this.size;
    const side = Math.max(2, Math.round(2 * RADIUS * scale * dpr));
    const half = side >> 1;
    const { x, y } = this.pos;
    for (const i of this.visible) {
      const px = Math.round((x[i] * scale + tx) * dpr) - half;
      const py = Math.round((y[i] * scale + ty) * dpr) - half;
      const color = colors[this.colorIdx[i]];
      for (let r = Math.max(0, py); r < Math.min(height, py + side); r++) {
        const row = r * width;
        for (let q = Math.max(0, px); q < Math.min(width, px + side); q++) pixels[row + q] = color;
      }
    }
    // putImageData ignores the transform and replaces pixels: nodes go on their own layer for that reason.
    c.putImageData(image, 0, 0);
  }

  drawFaults(c) {
    const { x, y } = this.pos;
    const r = Math.max(RADIUS * 1.45, 3 / this.view.scale);
    c.beginPath();
    let rings = 0;
    for (const i of this.visible) {
      if (!this.store.agents[i][A_FAULTS]) continue;
      rings++;
      c.moveTo(x[i] + r, y[i]);
      c.arc(x[i], y[i], r, 0, Math.PI * 2);
    }
    c.strokeStyle = "#d64545";
    c.lineWidth = 2 / this.view.scale;
    c.stroke();
    this.stats.faultRings = rings;
  }

  /**
   * Nodes that sent (or were sent) a message lately fade out in a few alpha steps. Zoomed out, they are
   * filled squares (cheap even for thousands); zoomed in, rings plus the edge to their parent.
   */
  drawActivity(now, scale) {
    const { ctx, parents } = this;
    const { x, y } = this.pos;
    const b = this.viewBox();
    const steps = 4;
    const paths = Array.from({ length: steps }, () => new Path2D());
    const close = RADIUS * scale >= 4;
    const r = close ? RADIUS * 1.9 : Math.max(RADIUS * 1.6, 2.5 / scale);
    for (const [i, t] of this.activity) {
      const age = Math.max(0, now - t); // rAF time can precede the message's arrival
      if (age > ACTIVE_MS || i >= parents.length) {
        this.activity.delete(i);
        continue;
      }
      if (x[i] < b.x0 || x[i] > b.x1 || y[i] < b.y0 || y[i] > b.y1) continue;
      const path = paths[Math.min(steps - 1, Math.floor((age / ACTIVE_MS) * steps))];
      if (!close) {
        path.rect(x[i] - r, y[i] - r, 2 * r, 2 * r);
        continue;
      }
      const p = parents[i];
      if (p >= 0) {
        path.moveTo(x[p], y[p]);
        path.lineTo(x[i], y[i]);
      }
      path.moveTo(x[i] + r, y[i]);
      path.arc(x[i], y[i], r, 0, Math.PI * 2);
    }
    ctx.lineWidth = 2.5 / scale;
    for (let k = 0; k < steps; k++) {
      const color = `rgba(255, 140, 0, ${((1 - k / steps) * (close ? 1 : 0.75)).toFixed(2)})`;
      if (close) {
        ctx.strokeStyle = color;
        ctx.stroke(paths[k]);
      } else {
        ctx.fillStyle = color;
        ctx.fill(paths[k]);
      }
    }
  }

  /**
   * The selected node: a ring around it, or, with names shown, a rounded box around the node and its
   * name (so the name is never drawn over). Its box in CSS px is kept in `selectionBox` (for tests).
   */
  drawSelection(scale, labels) {
    const s = this.selected;
    this.selectionBox = null;
    if (s < 0 || s >= this.parents.length) return;
    const { ctx } = this;
    const { x, y } = this.pos;
    if (!labels) {
      ctx.beginPath();
      ctx.arc(x[s], y[s], Math.max(RADIUS * 1.7, 7 / scale), 0, Math.PI * 2);
      ctx.strokeStyle = this.fg;
      ctx.lineWidth = 2.5 / scale;
      ctx.stroke();
      return;
    }
    const { dpr } = this.size;
    const { tx, ty } = this.view;
    const label = this.labelBox(s, scale);
    const cx = x[s] * scale + tx;
    const cy = y[s] * scale + ty;
    const r = RADIUS * scale * 1.5; // outside the fault ring too
    const box = {
      left: Math.min(cx - r, label.left) - 3,
      right: Math.max(cx + r, label.right) + 3,
      top: cy - r - 3,
      bottom: label.bottom + 3,
    };
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.beginPath();
    ctx.roundRect(box.left, box.top, box.right - box.left, box.bottom - box.top, 6);
    ctx.strokeStyle = this.fg;
    ctx.lineWidth = 2;
    ctx.stroke();
    this.selectionBox = box;
  }

  /** Where a node's name is drawn, in CSS px: centred under the node. */
  labelBox(i, scale) {
    const { x, y } = this.pos;
    const { tx, ty } = this.view;
    const room = Math.max(40, CELL * scale - 4);
    this.ctx.font = LABEL_FONT;
    const w = Math.min(room, this.ctx.measureText(agentLabel(this.store.agents[i])).width);
    const cx = x[i] * scale + tx;
    const top = y[i] * scale + ty + this.labelGap(scale);
    return { left: cx - w / 2, right: cx + w / 2, top, bottom: top + LABEL_PX };
  }

  /** A name's distance below its node's centre: clear of the node, its fault ring and activity ring. */
  labelGap(scale) {
    return RADIUS * scale * 1.5 + 2;
  }

  drawLabels(scale) {
    const { ctx, store, visible } = this;
    const { x, y } = this.pos;
    const { dpr } = this.size;
    const { tx, ty } = this.view;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = LABEL_FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillStyle = this.fg;
    ctx.strokeStyle = this.bg; // a halo: edges and rings drawn before never cover a name
    ctx.lineWidth = 3;
    ctx.lineJoin = "round";
    const below = this.labelGap(scale);
    const room = Math.max(40, CELL * scale - 4);
    for (let k = 0; k < visible.length && k < MAX_LABELS; k++) {
      const i = visible[k];
      const label = agentLabel(store.agents[i]);
      const lx = x[i] * scale + tx;
      const ly = y[i] * scale + ty + below;
      ctx.strokeText(label, lx, ly, room);
      ctx.fillText(label, lx, ly, room);
    }
  }

  /** The node under a canvas point (CSS px), or -1. */
  hit(cx, cy) {
    if (!this.pos) return -1;
    const { scale, tx, ty } = this.view;
    const wx = (cx - tx) / scale;
    const wy = (cy - ty) / scale;
    const tol = Math.max(RADIUS * 1.3, 6 / scale);
    let best = -1;
    let bestD = tol * tol;
    const { x, y } = this.pos;
    for (let i = 0; i < x.length; i++) {
      const dx = x[i] - wx;
      const dy = y[i] - wy;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  bindPointer() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener("pointerdown", (e) => {
      c.setPointerCapture(e.pointerId);
      drag = { x: e.clientX, y: e.clientY, tx: this.view.tx, ty: this.view.ty, moved: false };
    });
    c.addEventListener("pointermove", (e) => {
      if (!drag) return this.hover(e);
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < CLICK_SLOP) return;
      drag.moved = true;
      this.autoFit = false;
      this.view = { ...this.view, tx: drag.tx + dx, ty: drag.ty + dy };
      this.schedule();
    });
    c.addEventListener("pointerup", (e) => {
      const d = drag;
      drag = null;
      if (!d || d.moved) return;
      const r = c.getBoundingClientRect();
      const i = this.hit(e.clientX - r.left, e.clientY - r.top);
      this.onPick(i >= 0 ? this.store.agents[i][A_SCOPE] : null);
    });
    c.addEventListener("pointerleave", () => {
      this.tip.hidden = true;
    });
    c.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const r = c.getBoundingClientRect();
        const cx = e.clientX - r.left;
        const cy = e.clientY - r.top;
        const { scale, tx, ty } = this.view;
        const next = Math.min(MAX_SCALE * 4, Math.max(1e-4, scale * Math.exp(-e.deltaY * 0.0015)));
        const k = next / scale;
        this.autoFit = false;
        this.view = { scale: next, tx: cx - (cx - tx) * k, ty: cy - (cy - ty) * k };
        this.schedule();
      },
      { passive: false },
    );
  }

  hover(e) {
    const r = this.canvas.getBoundingClientRect();
    const cx = e.clientX - r.left;
    const cy = e.clientY - r.top;
    const i = this.hit(cx, cy);
    if (i < 0) {
      this.tip.hidden = true;
      this.canvas.style.cursor = "";
      return;
    }
    const row = this.store.agents[i];
    this.canvas.style.cursor = "pointer";
    this.tip.textContent = agentTooltip(row);
    this.tip.style.left = `${Math.min(cx + 12, this.size.w - 220)}px`;
    this.tip.style.top = `${cy + 12}px`;
    this.tip.hidden = false;
  }
}

/** "#rrggbb" as a little-endian RGBA pixel. */
function packColor(hex) {
  const v = Number.parseInt(hex.slice(1), 16);
  return (0xff << 24) | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff);
}
