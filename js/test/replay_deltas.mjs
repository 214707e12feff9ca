// Contract check driven by tests/notebook/test_widget_bundle.py: loads a scenario written by the Python
// side ({state, deltas}), applies the deltas with the real store, prints the resulting synced state.
import { readFileSync } from "node:fs";
import { storeFor } from "../src/store.js";
import { FakeModel } from "./fake_model.mjs";

const scenario = JSON.parse(readFileSync(process.argv[2], "utf8"));
const model = new FakeModel(scenario.state);
storeFor(model);
for (const delta of scenario.deltas) model.receive(delta);
const { agents, messages, faults, meta } = model.state;
process.stdout.write(JSON.stringify({ agents, messages, faults, meta, sent: model.sent }));
