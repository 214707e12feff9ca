import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { makeFilter, matches } from "../src/filters.js";

const cases = JSON.parse(readFileSync(new URL("./filter_cases.json", import.meta.url), "utf8"));

test("filters agree with the shared cases (the Python side checks the same file)", () => {
  for (const c of cases.cases) {
    const agents = cases.agents.map(([scope, name]) => [scope, name]);
    const f = makeFilter(c.filter, agents);
    const seqs = cases.rows.filter((row) => matches(row, f)).map((row) => row[0]);
    assert.deepEqual(seqs, c.seqs, JSON.stringify(c.filter));
  }
});
