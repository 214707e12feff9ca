// Shared constants and small formatting helpers.
// Row layouts mirror wasmind_nb/notebook/widget.py (compact lists keep the synced state small).

/** Agent row: [scope, name, parent, state, status, detail, actors, faults, usage, failed]
 * usage: [calls, prompt tokens, completion tokens, cost in US dollars or null]; failed: actors that failed. */
export const A_SCOPE = 0;
export const A_NAME = 1;
export const A_PARENT = 2;
export const A_STATE = 3;
export const A_STATUS = 4;
export const A_DETAIL = 5;
export const A_ACTORS = 6;
export const A_FAULTS = 7;
export const A_USAGE = 8;
export const A_FAILED = 9;

/** Message row: [seq, id, type, actor, scope, target, text, size, flags, summary]: text is the start of
 * the payload (what the search box searches), summary its one-line reading ("" for other types). */
export const M_SEQ = 0;
export const M_ID = 1;
export const M_TYPE = 2;
export const M_ACTOR = 3;
export const M_SCOPE = 4;
export const M_TARGET = 5;
export const M_TEXT = 6;
export const M_SIZE = 7;
export const M_FLAGS = 8;
export const M_SUMMARY = 9;

/** Message flag bits. */
export const FLAG_CUT = 1; // text is a prefix of the payload
export const FLAG_REPLAY = 2; // a replayed (re-broadcast) message

/** Fault row: [scope, actor, error, restarted] */
export const F_SCOPE = 0;
export const F_ACTOR = 1;
export const F_ERROR = 2;

export const STATUS_COLORS = {
  processing: "#2f80ed",
  waiting: "#e0a030",
  done: "#27ae60",
  error: "#d64545",
  "": "#7f8c9b",
};

export const STATE_COLORS = {
  exiting: "#aeb8c4",
  exited: "#c4c9d0",
  failed: "#8e1f1f",
  spawning: "#a9b7c6",
  unknown: "#b8bec6",
};

/** A colour mixed with white (`amount` of white, 0..1), as "#rrggbb". */
export function pale(hex, amount = 0.55) {
  const v = Number.parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * amount);
  const [r, g, b] = [mix(v >> 16), mix((v >> 8) & 0xff), mix(v & 0xff)];
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

/**
 * The fill colour of a node: its assistant's status while it lives; once it has exited, the same colour
 * paler, so a run's outcome (done, error, waiting) stays visible; failed (dark red), spawning (pale) and
 * an exited agent without a status (grey) by lifecycle.
 */
export function nodeColor(row) {
  const state = row[A_STATE];
  const status = STATUS_COLORS[row[A_STATUS]];
  if (state === "live") return status ?? STATUS_COLORS[""];
  if ((state === "exited" || state === "exiting") && status && row[A_STATUS]) return pale(status);
  return STATE_COLORS[state] ?? STATE_COLORS.unknown;
}

/** The graph's legend: [label, colour, kind] with kind "fill", "ring" (a fault) or "select". */
export const LEGEND = [
  ["processing", STATUS_COLORS.processing, "fill"],
  ["waiting", STATUS_COLORS.waiting, "fill"],
  ["done", STATUS_COLORS.done, "fill"],
  ["error", STATUS_COLORS.error, "fill"],
  ["no status", STATUS_COLORS[""], "fill"],
  ["exited: its last status, paler", pale(STATUS_COLORS.done), "fill"],
  ["exited, no status", STATE_COLORS.exited, "fill"],
  ["failed", STATE_COLORS.failed, "fill"],
  ["spawning", STATE_COLORS.spawning, "fill"],
  ["actor fault", "#d64545", "ring"],
  ["message just sent", "#ff8c00", "ring"],
];

const COMMON = "wasmind.common.";

/** `wasmind.common.assistant.StatusUpdate` -> `assistant.StatusUpdate`; custom types unchanged. */
export function shortType(type) {
  return type.startsWith(COMMON) ? type.slice(COMMON.length) : type;
}

/** A label for an agent: its name, or its scope when it has none. */
export function agentLabel(row) {
  return row ? row[A_NAME] || row[A_SCOPE] : "";
}

/** A one-line status description for an agent row: `live, 1 actor failed · processing · ...`. */
export function statusLabel(row) {
  const state = row[A_STATE];
  const status = row[A_STATUS];
  const detail = row[A_DETAIL];
  const failed = row[A_FAILED] ?? 0;
  const parts = [state !== "failed" && failed ? `${state}, ${failed} actor${failed > 1 ? "s" : ""} failed` : state];
  const reason = status === "waiting" ? waitingFor(detail) : "";
  if (reason) parts.push(reason);
  else {
    if (status) parts.push(status);
    if (detail) parts.push(detail);
  }
  return parts.join(" · ");
}

/** `WaitingForUserInput` -> `waiting for user input` ("" for a reason of another form). */
export function waitingFor(reason) {
  if (!reason?.startsWith("WaitingFor")) return "";
  return `waiting for ${reason
    .slice("WaitingFor".length)
    .replace(/(?<=[a-z])(?=[A-Z])/g, " ")
    .toLowerCase()}`;
}

/** The graph's tooltip of an agent: name and scope, status, actors, and its model usage if any. */
export function agentTooltip(row) {
  const lines = [`${agentLabel(row)} (${row[A_SCOPE]})`, statusLabel(row), row[A_ACTORS].join(", ")];
  const usage = usageLabel(row);
  if (usage) lines.push(usage);
  return lines.join("\n");
}

/** An agent's model usage: `1,234 tokens (1,000 in, 234 out), $0.0012 · 3 calls`, or "" without calls. */
export function usageLabel(row) {
  const usage = row[A_USAGE];
  if (!usage || !usage[0]) return "";
  const [calls, prompt, completion, cost] = usage;
  const n = (x) => x.toLocaleString("en-US");
  const money = cost === null || cost === undefined ? "" : `, ${costLabel(cost)}`;
  const each = `${calls} call${calls > 1 ? "s" : ""}`;
  return `${n(prompt + completion)} tokens (${n(prompt)} in, ${n(completion)} out)${money} · ${each}`;
}

/** Dollars as the kernel writes them: `$0.0012`, `$1.25`. */
export function costLabel(cost) {
  return cost < 1
    ? `$${cost.toFixed(4)}`
    : `$${cost.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Bytes in a human unit. */
export function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Pretty-prints JSON text; returns the text unchanged when it is not valid JSON. */
export function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Creates an element with a class and optional text. */
export function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
