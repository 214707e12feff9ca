import assert from "node:assert/strict";
import { test } from "node:test";
import { CELL, LEVEL, layoutTree } from "../src/layout.js";

test("parents sit above and centred over their children", () => {
  const { x, y } = layoutTree(Int32Array.from([-1, 0, 0, 1]));
  assert.equal(y[0], 0);
  assert.equal(y[1], LEVEL);
  assert.equal(y[3], 2 * LEVEL);
  assert.equal(x[0], (x[1] + x[2]) / 2);
  assert.equal(x[3], x[1]);
  assert.ok(x[1] < x[2], "siblings keep spawn order");
});

test("many childless children are packed in a grid", () => {
  const n = 10_001;
  const parents = new Int32Array(n).fill(0);
  parents[0] = -1;
  const { x, y, width, height } = layoutTree(parents);
  const rows = new Set(Array.from(y.slice(1)));
  assert.ok(rows.size > 10, "several rows");
  assert.ok(width / height < 8 && width / height > 1, `roughly landscape: ${width} x ${height}`);
  const seen = new Set();
  for (let i = 1; i < n; i++) seen.add(`${x[i]},${y[i]}`);
  assert.equal(seen.size, n - 1, "no two nodes share a position");
});

test("layout is deterministic and handles forests, deep chains and cycles", () => {
  const chain = new Int32Array(20_000).map((_, i) => i - 1);
  const a = layoutTree(chain);
  assert.equal(a.y[19_999], 19_999 * LEVEL);
  const cyclic = Int32Array.from([1, 0, -1]);
  const c = layoutTree(cyclic);
  assert.ok(c.x.every(Number.isFinite) && c.y.every(Number.isFinite));
  const forest = layoutTree(Int32Array.from([-1, -1, 0]));
  assert.equal(forest.width, 2 * CELL);
  assert.deepEqual(layoutTree(Int32Array.from([-1, 0, 0, 1])), layoutTree(Int32Array.from([-1, 0, 0, 1])));
});
