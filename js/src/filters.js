// Timeline filters. Same semantics as `message_matches` in wasmind_nb/notebook/widget.py:
// scope: exact match of the sender's scope or of the payload's target agent;
// type and actor: case-insensitive substring of the message type / sender actor id.
import { M_ACTOR, M_SCOPE, M_TARGET, M_TYPE } from "./format.js";

/** Normalises raw filter values into a matcher-ready object. */
export function makeFilter({ scope = "", type = "", actor = "" } = {}) {
  return {
    scope: scope.trim(),
    type: type.trim().toLowerCase(),
    actor: actor.trim().toLowerCase(),
  };
}

/** True when no filter is set. */
export function isEmptyFilter(f) {
  return !f.scope && !f.type && !f.actor;
}

/** True when a message row passes the filter. */
export function matches(row, f) {
  if (f.scope && row[M_SCOPE] !== f.scope && row[M_TARGET] !== f.scope) return false;
  if (f.type && !row[M_TYPE].toLowerCase().includes(f.type)) return false;
  if (f.actor && !row[M_ACTOR].toLowerCase().includes(f.actor)) return false;
  return true;
}
