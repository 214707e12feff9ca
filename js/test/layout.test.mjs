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

/** A small deterministic random number generator (mulberry32). */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pairs of edges (parent -> child segments) that cross, ignoring pairs that share a node. */
function crossings(parents, { x, y }) {
  const edges = [];
  for (let i = 0; i < parents.length; i++) if (parents[i] >= 0) edges.push([parents[i], i]);
  const side = (a, b, c) => Math.sign((x[b] - x[a]) * (y[c] - y[a]) - (y[b] - y[a]) * (x[c] - x[a]));
  const found = [];
  for (let e = 0; e < edges.length; e++) {
    const [a, b] = edges[e];
    for (let f = e + 1; f < edges.length; f++) {
      const [c, d] = edges[f];
      if (a === c || a === d || b === c || b === d) continue;
      if (side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0) found.push([edges[e], edges[f]]);
    }
  }
  return found;
}

test("no two edges cross, with hundreds of agents in families", () => {
  const families = [-1]; // a root with 20 leads, each with 9 workers, and 30 workers of its own: 231 agents
  for (let lead = 0; lead < 20; lead++) {
    const scope = families.length;
    families.push(0);
    for (let w = 0; w < 9; w++) families.push(scope);
    if (lead % 2) for (let w = 0; w < 3; w++) families.push(0);
  }
  const small = [-1]; // 50 leads of 5 workers each: 301 agents
  for (let lead = 0; lead < 50; lead++) {
    const scope = small.length;
    small.push(0);
    for (let w = 0; w < 5; w++) small.push(scope);
  }
  const cases = [Int32Array.from(families), Int32Array.from(small)];
  for (const parents of cases) {
    const { width, height } = layoutTree(parents);
    assert.ok(width / height < 8, `a row of families keeps a viewable shape: ${width} x ${height}`);
  }
  for (let seed = 1; seed <= 12; seed++) {
    // random trees: each agent's parent an earlier agent, biased towards a few busy managers
    const next = random(seed);
    const n = 200 + Math.floor(next() * 400);
    const parents = new Int32Array(n);
    parents[0] = -1;
    for (let i = 1; i < n; i++)
      parents[i] = next() < 0.6 ? Math.floor(next() * Math.min(i, 12)) : Math.floor(next() * i);
    cases.push(parents);
  }
  for (const parents of cases) {
    const layout = layoutTree(parents);
    assert.deepEqual(crossings(parents, layout), [], `${parents.length} agents`);
    const seen = new Set();
    for (let i = 0; i < parents.length; i++) seen.add(`${layout.x[i]},${layout.y[i]}`);
    assert.equal(seen.size, parents.length, "no two nodes share a position");
  }
});

test("a parent with families and many workers sits over its workers' grid", () => {
  const parents = [-1, 0, 1];
  for (let w = 0; w < 12; w++) parents.push(0);
  parents.push(0, 15); // one more lead (15) with a worker (16)
  const { x, y } = layoutTree(Int32Array.from(parents));
  const workers = parents.map((p, i) => (p === 0 && i !== 1 && i !== 15 ? i : -1)).filter((i) => i >= 0);
  const xs = workers.map((i) => x[i]);
  assert.ok(new Set(workers.map((i) => y[i])).size > 1, "the workers are packed in rows");
  assert.equal(y[1], y[15], "the leads stay in one row");
  assert.ok(x[1] < Math.min(...xs) && x[15] > Math.max(...xs), "leads left and right of the grid");
  assert.equal(x[0], (Math.min(...xs) + Math.max(...xs)) / 2, "the parent is over the grid");
});
