// Timeline filters. Same semantics as `MessageFilter` in wasmind_nb/notebook/filters.py:
// scope: the sender's scope or the payload's target agent is the scope typed, or that of an agent with
// that name (any case); type, actor and text: case-insensitive substring of the message type, the sender
// actor id and the payload preview.
import { A_NAME, A_SCOPE, M_ACTOR, M_SCOPE, M_TARGET, M_TEXT, M_TYPE } from "./format.js";

/** Normalises raw filter values into a matcher-ready object; `agents` (rows) resolve a name. */
export function makeFilter({ scope = "", type = "", actor = "", text = "" } = {}, agents = []) {
  return {
    scope: scope.trim(),
    scopes: scopesNamed(scope, agents),
    type: type.trim().toLowerCase(),
    actor: actor.trim().toLowerCase(),
    text: text.trim().toLowerCase(),
  };
}

/** The scopes a scope filter means: the scope typed, and every agent named so (any case). */
export function scopesNamed(value, agents) {
  const typed = value.trim();
  if (!typed) return new Set();
  const lower = typed.toLowerCase();
  const scopes = new Set([typed]);
  for (const row of agents) if (row[A_NAME].toLowerCase() === lower) scopes.add(row[A_SCOPE]);
  return scopes;
}

/** True when no filter is set. */
export function isEmptyFilter(f) {
  return !f.scope && !f.type && !f.actor && !f.text;
}

/** True when two filters keep the same rows. */
export function sameFilter(a, b) {
  if (a.type !== b.type || a.actor !== b.actor || a.text !== b.text || a.scopes.size !== b.scopes.size) return false;
  for (const s of a.scopes) if (!b.scopes.has(s)) return false;
  return true;
}

/** True when a message row passes the filter. */
export function matches(row, f) {
  if (f.scopes.size && !f.scopes.has(row[M_SCOPE]) && !f.scopes.has(row[M_TARGET])) return false;
  if (f.type && !row[M_TYPE].toLowerCase().includes(f.type)) return false;
  if (f.actor && !row[M_ACTOR].toLowerCase().includes(f.actor)) return false;
  if (f.text && !row[M_TEXT].toLowerCase().includes(f.text)) return false;
  return true;
}
