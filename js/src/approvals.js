// Held tool calls and their Approve / Reject buttons, from the model's `approvals` state
// (wasmind_nb/notebook/approval_view.py). The buttons send {kind: "approval", id, action, reason}.
import { h } from "./format.js";

/** One line per call: `a1 edit_file · root (000000) · file_interaction`. */
export function approvalTitle(row) {
  return `${row.id} ${row.tool} · ${row.agent_name} (${row.agent}) · ${row.actor}`;
}

/** A diff as <pre> lines, each classed by its first character (+, -, @). */
export function diffBlock(diff) {
  const pre = h("pre", "wm-approval-diff");
  for (const line of diff.replace(/\n$/, "").split("\n")) {
    const kind =
      line.startsWith("+++") || line.startsWith("---") ? "file" : { "+": "add", "-": "del", "@": "hunk" }[line[0]];
    const span = h("span", kind ? `wm-diff-${kind}` : "", `${line}\n`);
    pre.append(span);
  }
  return pre;
}

export class Approvals {
  constructor(model) {
    this.model = model;
    this.el = h("div", "wm-approvals");
    this.el.setAttribute("role", "region");
    this.el.setAttribute("aria-label", "tool calls waiting for approval");
    this.onChange = () => this.update();
    model.on("change:approvals", this.onChange);
    this.update();
  }

  update() {
    const state = this.model.get("approvals") ?? {};
    const pending = state.pending ?? [];
    this.el.hidden = !state.available || (pending.length === 0 && !state.error);
    this.el.dataset.count = String(state.count ?? 0);
    const rows = [];
    if (pending.length) {
      const more = state.count > pending.length ? ` (${pending.length} shown)` : "";
      rows.push(h("div", "wm-approvals-head", `${state.count} tool call(s) wait for approval${more}`));
    }
    for (const row of pending) rows.push(this.card(row));
    if (state.error) rows.push(h("div", "wm-approvals-error", state.error));
    this.el.replaceChildren(...rows);
  }

  card(row) {
    const card = h("div", "wm-approval");
    card.dataset.approval = row.id;
    card.append(h("div", "wm-approval-title", approvalTitle(row)));
    if (row.diff) card.append(diffBlock(row.diff));
    else card.append(h("pre", "wm-approval-args", row.arguments));
    const reason = h("input", "wm-filter wm-approval-reason");
    reason.placeholder = "reason (sent to the assistant)";
    reason.setAttribute("aria-label", `reason for rejecting ${row.id}`);
    const approve = h("button", "wm-button wm-approve", "Approve");
    approve.title = "run this call unchanged";
    approve.addEventListener("click", () => this.decide(card, row.id, "approve", ""));
    const reject = h("button", "wm-button wm-reject", "Reject");
    reject.title = "refuse this call: the assistant gets an error result with the reason";
    reject.addEventListener("click", () => this.decide(card, row.id, "reject", reason.value));
    reason.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.decide(card, row.id, "reject", reason.value);
    });
    const actions = h("div", "wm-approval-actions");
    actions.append(approve, reason, reject);
    card.append(actions);
    return card;
  }

  decide(card, id, action, reason) {
    for (const button of card.querySelectorAll("button")) button.disabled = true;
    this.model.send({ kind: "approval", id, action, reason });
  }

  destroy() {
    this.model.off("change:approvals", this.onChange);
  }
}
