// A minimal stand-in for an anywidget model (get/set/on/off/send/save_changes), for node tests.
export class FakeModel {
  constructor(state) {
    this.state = { ...state };
    this.handlers = new Map();
    this.sent = [];
    this.saved = 0;
  }
  get(key) {
    return this.state[key];
  }
  set(key, value) {
    this.state[key] = value;
    this.fire(`change:${key}`);
  }
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
  }
  off(event, fn) {
    this.handlers.get(event)?.delete(fn);
  }
  fire(event, ...args) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
  send(content) {
    this.sent.push(content);
  }
  save_changes() {
    this.saved++;
  }
  /** A custom message from the kernel. */
  receive(content) {
    this.fire("msg:custom", content, []);
  }
}

export function emptyState() {
  return {
    agents: [],
    messages: [],
    faults: [],
    meta: { rev: 0, dropped: 0 },
    filter_scope: "",
    filter_type: "",
    filter_actor: "",
    filter_text: "",
    height: 480,
  };
}
