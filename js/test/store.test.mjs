import assert from "node:assert/strict";
import { test } from "node:test";
import { storeFor } from "../src/store.js";
import { FakeModel, emptyState } from "./fake_model.mjs";

const agent = (scope, parent = null, status = "") => [
  scope,
  `n-${scope}`,
  parent,
  "live",
  status,
  "",
  ["assistant"],
  0,
];
const msg = (seq, scope) => [seq, `root:${seq}`, "t", "assistant", scope, "", "null", 4, 0];

test("deltas are applied once per model, in place, in order", () => {
  const model = new FakeModel(emptyState());
  const store = storeFor(model);
  assert.equal(storeFor(model), store, "one store per model");
  const messages = model.get("messages");
  const events = [];
  store.on("agents", (e) => events.push(["agents", e.structural]));
  store.on("messages", (e) => events.push(["messages", e.first, e.added]));
  model.receive({
    kind: "delta",
    rev: 1,
    agents: [agent("000000"), agent("a", "000000")],
    messages: [msg(0, "a")],
    faults: [],
    dropped: 0,
  });
  model.receive({ kind: "delta", rev: 1, agents: [agent("zzz")], messages: [msg(9, "zzz")], faults: [], dropped: 0 }); // replayed
  model.receive({
    kind: "delta",
    rev: 2,
    agents: [agent("a", "000000", "processing")],
    messages: [msg(1, "a")],
    faults: [],
    dropped: 0,
  });
  assert.equal(model.get("messages"), messages, "the synced array itself grows");
  assert.deepEqual(
    messages.map((m) => m[0]),
    [0, 1],
  );
  assert.equal(store.agent("a")[4], "processing");
  assert.equal(model.get("meta").rev, 2, "meta follows, so saved state is current");
  assert.deepEqual(events, [
    ["agents", true],
    ["messages", 0, 1],
    ["agents", false],
    ["messages", 1, 1],
  ]);
});

test("a gap asks the kernel for a snapshot, which replaces the state", () => {
  const model = new FakeModel(emptyState());
  const store = storeFor(model);
  model.receive({ kind: "delta", rev: 3, agents: [agent("a")], messages: [], faults: [], dropped: 0 });
  assert.deepEqual(model.sent, [{ kind: "resync" }]);
  assert.equal(store.agents.length, 0);
  model.receive({ kind: "snapshot", rev: 3, agents: [agent("a")], messages: [msg(5, "a")], faults: [], dropped: 5 });
  assert.equal(store.rev, 3);
  assert.equal(store.total, 6);
  assert.equal(store.positionOfSeq(5), 5);
  assert.equal(model.get("agents").length, 1);
});

test("dropped messages leave the front of the list", () => {
  const model = new FakeModel(emptyState());
  const store = storeFor(model);
  model.receive({
    kind: "delta",
    rev: 1,
    agents: [],
    messages: [msg(0, "a"), msg(1, "a"), msg(2, "a")],
    faults: [],
    dropped: 1,
  });
  assert.deepEqual(
    store.messages.map((m) => m[0]),
    [1, 2],
  );
  assert.equal(store.messageAt(1)[0], 1);
  assert.equal(store.messageAt(0), undefined);
});

test("a new meta object (the kernel re-attached) resets the store", () => {
  const model = new FakeModel(emptyState());
  const store = storeFor(model);
  let resets = 0;
  store.on("reset", () => resets++);
  model.state.agents = [agent("b")];
  model.set("meta", { rev: 7, dropped: 0 });
  assert.equal(resets, 1);
  assert.equal(storeFor(model), store);
  assert.equal(store.rev, 7);
  assert.ok(store.agent("b"));
});
