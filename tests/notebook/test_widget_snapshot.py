"""AgentView's static output: ``text/plain`` and ``text/html`` must be informative and stable run to run."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from wasmind_nb.notebook.snapshot import MAX_TREE, render_html, summary_text
from wasmind_nb.notebook.widget import AgentView
from wasmind_nb.runtime.events import ActorFault, AgentEvent, Envelope

ROOT = "000000"
STATUS = "wasmind.common.assistant.StatusUpdate"


def run(scopes: list[str]) -> AgentView:
    """The same little run, with the given (random-looking) scope ids."""
    manager, worker = scopes
    view = AgentView()
    view._state.apply(
        [
            AgentEvent("spawned", ROOT, "root", None, ("assistant",)),
            AgentEvent("spawned", manager, "manager", ROOT, ("assistant", "spawn_agent")),
            AgentEvent("spawned", worker, "worker", manager, ("assistant", "execute_bash")),
            Envelope(
                0,
                f"root:{manager}",
                STATUS,
                "assistant",
                manager,
                b'{"status":{"Processing":{"request_id":"x"}}}',
            ),
            Envelope(
                1,
                f"{manager}:{worker}",
                "wasmind.common.assistant.AddMessage",
                "spawn_agent",
                manager,
                json.dumps(
                    {"agent": worker, "message": {"role": "user", "content": f"hi {worker}"}}
                ).encode(),
            ),
            Envelope(
                2,
                f"{worker}:abcdef",
                STATUS,
                "assistant",
                worker,
                b'{"status":{"Wait":{"reason":{"WaitingForTools":{"tool_calls":{}}}}}}',
            ),
            Envelope(3, "x:y", "custom.Blob", "execute_bash", worker, b"\x00\x01"),
            ActorFault(worker, "execute_bash", "trap"),
            AgentEvent("exited", worker, "worker", manager, ("assistant", "execute_bash")),
        ]
    )
    view._state.take_delta()
    return view


def test_text_plain_is_a_short_stable_summary() -> None:
    view = run(["q1w2e3", "r4t5y6"])
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "AgentView: 3 agents, 4 messages"
    assert repr(view) == "AgentView: 3 agents, 4 messages"
    assert summary_text([], 1) == "AgentView: 0 agents, 1 message"


def test_outputs_do_not_depend_on_scope_or_message_ids() -> None:
    one, two = run(["q1w2e3", "r4t5y6"]), run(["zz9zz9", "a0a0a0"])
    assert one._repr_mimebundle_()[0]["text/html"] == two._repr_mimebundle_()[0]["text/html"]
    html = one.snapshot_html()
    for unstable in ("q1w2e3", "r4t5y6", "root:", "abcdef"):
        assert unstable not in html


def test_html_shows_the_tree_statuses_and_last_messages() -> None:
    html = run(["q1w2e3", "r4t5y6"]).snapshot_html()
    HTMLParser().feed(html)  # well-formed enough to parse
    for expected in (
        "root",
        "manager",
        "worker",
        "000000",
        "#1",
        "#2",
        "live · processing",
        "exited, 1 actor failed · waiting · WaitingForTools",  # its execute_bash trapped
        "1 fault",
        "assistant.StatusUpdate",
        "status: waiting for tools",  # common messages read as one line, scope ids aliased in it too
        "manager -&gt; worker: &quot;hi #2&quot;",
        ">text</td>",  # a non-JSON payload: its kind, never its run-dependent size
        "4 messages",
    ):
        assert expected in html, expected
    assert "<script" not in html
    # The exited worker keeps its last status's colour (waiting, amber) on a paler line; a legend says so.
    assert '<div style="padding-left:3em;opacity:0.6"><span style="color:#e0a030">●</span> <b>worker' in html
    assert "</span> failed · paler: exited, its last status</div>" in html
    # Children are indented under their parent, in spawn order.
    assert html.index("manager") < html.index("worker")


def test_html_keeps_only_the_last_messages_and_caps_the_tree() -> None:
    agents = [[f"s{i:05d}", f"a{i}", None, "live", "", "", [], 0] for i in range(MAX_TREE + 5)]
    messages = [[i, f"id{i}", "t", "a", "s00000", "", "null", 4, 0] for i in range(50)]
    html = render_html(agents, messages, total=70, last=10)
    assert "last 10 of 70 messages" in html
    assert html.count("<tr>") == 11  # header + 10 rows
    assert "… and 5 more agents" in html


def test_empty_view_renders() -> None:
    data, _ = AgentView()._repr_mimebundle_()
    assert data["text/plain"] == "AgentView: 0 agents, 0 messages"
    assert "no agents" in data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in data


def test_payloads_cut_short_are_summarised_without_their_size() -> None:
    from wasmind_nb.notebook import snapshot

    row = [None] * 16
    row[snapshot.M_TEXT], row[snapshot.M_SIZE], row[snapshot.M_TYPE] = (
        '{"chat_state": {"messages": [',
        4713,
        "x.Y",
    )
    assert snapshot._payload_shape(row) == "{…}"
    row[snapshot.M_TEXT] = "plain words"
    assert snapshot._payload_shape(row) == "text"


def test_rows_saved_without_a_summary_show_the_payload_shape() -> None:
    message = [
        0,
        "id0",
        STATUS,
        "assistant",
        ROOT,
        "",
        '{"status":{"Wait":{"reason":"WaitingForUserInput"}}}',
        52,
        0,
    ]
    html = render_html([[ROOT, "root", None, "exited", "done", "", [], 0]], [message])
    assert "Wait(WaitingForUserInput)" in html  # a notebook saved before summaries existed
    assert '<span style="color:#27ae60">●</span> <b>root' in html  # exited, last status done: green
