"""Built-in stand-ins for upstream Wasmind's own Rust actors, when they cannot be built here.

An actor folder that is a Rust crate whose manifest names one of upstream's shipped actors
(``actor_id = "wasmind:assistant"``, ...) is served, when ``cargo component`` is not installed, by the
equivalent built-in: the upstream manifest still says who the actor is and what it depends on, the
built-in's manifest says what its code listens to and needs. Where upstream's config keys differ, the
config is translated, and the actors a stand-in spawns (named in its config) are granted to it.
Turn this off with ``[runtime] stand_ins = false`` or ``WASMIND_NB_STAND_INS=0``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wasmind_nb.config.merge import Layer, Merged
from wasmind_nb.config.notices import ConfigWarning

STAND_INS_ENV = "WASMIND_NB_STAND_INS"
_OFF = {"0", "false", "no", "off"}

ActorConfig = dict[str, Any]


def _same(config: ActorConfig) -> ActorConfig:
    return config


def _spawn_agent(config: ActorConfig) -> ActorConfig:
    """Upstream's ``worker_actors`` / ``sub_manager_actors`` become ``agent_types``."""
    types = {
        agent_type: config[key]
        for agent_type, key in (("Worker", "worker_actors"), ("SubManager", "sub_manager_actors"))
        if key in config
    }
    rest = {key: value for key, value in config.items() if key not in ("worker_actors", "sub_manager_actors")}
    return {"agent_types": types, **rest} if types and "agent_types" not in config else rest


def _check_health(config: ActorConfig) -> ActorConfig:
    """Upstream's check_health spawns ``check_health_assistant``, ``flag_issue`` and ``report_normal``."""
    return {"analyzer_actors": ["check_health_assistant", "flag_issue", "report_normal"], **config}


def _request_plan_review(config: ActorConfig) -> ActorConfig:
    """Upstream's reviewers get ``rpr__review_plan`` (its manifest's name for the review tool)."""
    return {"review_actors": ["rpr__review_plan"], **config}


def _file_interaction_with_approval(config: ActorConfig) -> ActorConfig:
    """Upstream's approvers get ``hcwe_approve`` and ``hcwe_request_changes`` (its manifest's names)."""
    return {"tool_actors": ["hcwe_approve", "hcwe_request_changes"], **config}


def _lists(*values: Any) -> list[str]:
    """Every name in ``values``: lists of names, or tables of them (``{approver: [names]}``), in order."""
    names: list[str] = []
    for value in values:
        for group in value.values() if isinstance(value, Mapping) else [value]:
            names += [name for name in group if isinstance(name, str)] if isinstance(group, list) else []
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class StandIn:
    """The built-in that serves one upstream actor, how its config translates, and whom it spawns."""

    builtin: str
    adapt: Callable[[ActorConfig], ActorConfig] = _same
    spawns: Callable[[ActorConfig], list[str]] | None = None


STAND_INS: dict[str, StandIn] = {
    **{
        f"wasmind:{name}": StandIn(name)
        for name in (
            "assistant", "execute_bash", "file_interaction", "conversation_compaction",
            "delegation_network_coordinator", "send_message", "send_manager_message", "wait", "planner",
            "complete", "flag_issue", "report_normal", "review_plan",
        )
    },
    "wasmind:spawn_agent": StandIn("spawn_agent", _spawn_agent, lambda c: _lists(c.get("agent_types", {}))),
    "wasmind:check_health": StandIn("check_health", _check_health, lambda c: _lists(c["analyzer_actors"])),
    "wasmind:request_plan_review": StandIn(
        "request_plan_review",
        _request_plan_review,
        lambda c: _lists(c.get("reviewers", {}), c["review_actors"]),
    ),
    "wasmind_code_with_experts:file_interaction_with_approval": StandIn(
        "file_interaction_with_approval",
        _file_interaction_with_approval,
        lambda c: _lists(c.get("approvers", {}), c["tool_actors"]),
    ),
    "wasmind_code_with_experts:approve": StandIn("approve"),
    "wasmind_code_with_experts:request_changes": StandIn("request_changes"),
}  # fmt: skip
"""Upstream's shipped actors by ``actor_id``, each with its built-in stand-in."""


def stand_ins_enabled(setting: bool) -> bool:
    """Stand-ins are used unless ``[runtime] stand_ins = false`` or ``WASMIND_NB_STAND_INS=0``."""
    return setting and os.environ.get(STAND_INS_ENV, "").strip().lower() not in _OFF


def serve(actor_id: str, merged: Merged, layers: Iterable[Layer]) -> None:
    """Translate the merged config for ``actor_id``'s stand-in and grant it the actors it spawns,
    unless a trusted declaration of the config grants ``spawn`` itself."""
    stand_in = STAND_INS[actor_id]
    config = stand_in.adapt(dict(merged.values.get("config", {})))
    merged.values["config"] = config
    if stand_in.spawns is None:
        return
    if any(layer.trusted and "spawn" in layer.values.get("capabilities", {}) for layer in layers):
        return
    merged.capabilities["spawn"] = stand_in.spawns(config)
    merged.ungranted.pop("spawn", None)


def warn_served(served: Mapping[str, tuple[str, str]], why: str) -> None:
    """One warning listing every logical actor served by a built-in: name -> (actor_id, built-in)."""
    if not served:
        return
    by_id: dict[tuple[str, str], list[str]] = {}
    for name, key in served.items():
        by_id.setdefault(key, []).append(name)
    lines = "; ".join(
        f"{actor_id} by built-in '{builtin}' (for {', '.join(names)})"
        for (actor_id, builtin), names in by_id.items()
    )
    warnings.warn(
        f"upstream Wasmind's Rust actors are served by wasmind-nb's built-ins, since {why}: {lines}. "
        f"They behave alike but are not upstream's code (docs/config.md, 'Upstream configs'); set "
        f"[runtime] stand_ins = false or {STAND_INS_ENV}=0 to refuse them instead",
        ConfigWarning,
        stacklevel=3,
    )
