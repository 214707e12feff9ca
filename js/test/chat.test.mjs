import assert from "node:assert/strict";
import { test } from "node:test";
import { applyChatDelta, busy, callSummary, entryHead } from "../src/chat.js";
import { statusLabel } from "../src/format.js";
import { storeFor } from "../src/store.js";
import { FakeModel, emptyState } from "./fake_model.mjs";

const entry = (seq, content, extra = {}) => ({
  seq,
  role: "assistant",
  content,
  sender: "",
  title: "",
  tokens: null,
  tool_calls: [],
  ...extra,
});
const chat = (entries, first = 0) => ({
  scope: "abc123",
  name: "coder",
  rev: 1,
  first,
  entries,
  status: "",
  available: true,
  reason: "",
  error: "",
  sending: false,
  system_prompt: null,
});

test("a delta replaces changed entries, appends new ones and drops the oldest", () => {
  const c = chat([entry(1, "a"), entry(2, "b")]);
  const out = applyChatDelta(c, {
    scope: "abc123",
    rev: 2,
    first: 1,
    entries: [
      [1, entry(2, "B")],
      [2, entry(3, "c")],
    ],
    status: "processing",
  });
  assert.deepEqual(out, { result: "applied", indices: [1, 2], dropped: 1 });
  assert.deepEqual(
    c.entries.map((e) => e.content),
    ["B", "c"],
  );
  assert.equal(c.first, 1);
  assert.equal(c.status, "processing");
  assert.equal(c.rev, 2);
});

test("a replayed delta or another agent's is stale; a missed revision is a gap", () => {
  const c = chat([entry(1, "a")]);
  assert.equal(applyChatDelta(c, { scope: "abc123", rev: 1, first: 0, entries: [[0, entry(1, "x")]] }).result, "stale");
  assert.equal(applyChatDelta(c, { scope: "zzz999", rev: 2, first: 0, entries: [] }).result, "stale");
  assert.equal(applyChatDelta(c, { scope: "abc123", rev: 3, first: 0, entries: [] }).result, "gap");
  assert.equal(c.entries[0].content, "a", "nothing applied");
});

test("the store applies chat deltas once per model and asks for the agent again after a gap", () => {
  const model = new FakeModel({ ...emptyState(), chat: chat([]) });
  const store = storeFor(model);
  const seen = [];
  store.on("chat", (e) => seen.push(e));
  model.receive({ kind: "chat", scope: "abc123", rev: 2, first: 0, entries: [[0, entry(5, "hi")]] });
  model.receive({ kind: "chat", scope: "abc123", rev: 2, first: 0, entries: [[0, entry(5, "hi")]] });
  assert.deepEqual(seen, [{ indices: [0], dropped: 0 }]);
  assert.equal(model.get("chat").entries.length, 1);
  model.receive({ kind: "chat", scope: "abc123", rev: 9, first: 0, entries: [] });
  assert.deepEqual(model.sent, [{ kind: "chat", action: "open", scope: "abc123", resync: true }]);
});

test("entries and calls read as one line", () => {
  const label = (scope) => ({ p00001: "lead" })[scope] ?? scope;
  assert.equal(entryHead({ role: "user", sender: "user" }, label), "you");
  assert.equal(entryHead({ role: "system", sender: "p00001" }, label), "system (from lead)");
  assert.equal(entryHead({ role: "assistant", tokens: [120, 20] }, label), "assistant · 120 in, 20 out");
  assert.equal(entryHead({ role: "error", title: "LLM failed" }, label), "error: LLM failed");
  assert.equal(callSummary({ call: "read_file(path=a.py)", status: "pending" }), "read_file(path=a.py) · running…");
  assert.equal(
    callSummary({ call: "read_file(path=a.py)", status: "ok", summary: "1 line" }),
    "read_file(path=a.py) · ok · 1 line",
  );
});

test("an agent waiting for input, done or failed has nothing to interrupt", () => {
  for (const status of ["waiting for user input", "done: wrote it", "failed: boom"])
    assert.equal(busy(status), false, status);
  for (const status of ["processing", "waiting for tools", "waiting for lite llm", "", undefined])
    assert.equal(busy(status), true, status);
});

test("an agent's status reads in words", () => {
  const row = (state, status, detail) => ["a", "n", null, state, status, detail, [], 0, [0, 0, 0, null], 0];
  assert.equal(statusLabel(row("live", "waiting", "WaitingForUserInput")), "live · waiting for user input");
  assert.equal(statusLabel(row("exited", "waiting", "WaitingForLiteLLM")), "exited · waiting for lite llm");
  assert.equal(
    statusLabel(row("live", "waiting", "CompactingConversation")),
    "live · waiting · CompactingConversation",
  );
  assert.equal(statusLabel(row("live", "done", "wrote it")), "live · done · wrote it");
});
