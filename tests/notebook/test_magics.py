"""``%wasmind`` without a kernel: argument parsing, the await transformer, errors, and the subcommands
run in an in-process IPython shell (whose asyncio runner awaits the blocking ones)."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell

from wasmind_nb.errors import BuildError, ConfigError, IdleTimeout, SpawnError, WasmindError
from wasmind_nb.notebook.awaiting import Pending, await_magic_calls
from wasmind_nb.notebook.magics import BLOCKING, SUBCOMMANDS, send_text, split_subcommand, unquote

ACTORS = Path(__file__).parents[1] / "actors"
CONFIG = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "actors/echo" }
[actors.probe]
source = { path = "actors/probe" }
capabilities = { commands = ["sleep"] }
"""


# -- the await transformer ----------------------------------------------------------------------------


def transformed(cell: str) -> str:
    """A cell as IPython would run it with the extension loaded."""
    lines = TransformerManager().transform_cell(cell).splitlines(keepends=True)
    return "".join(await_magic_calls(lines, magic="wasmind", blocking=BLOCKING))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("%wasmind wait\n", "await get_ipython().run_line_magic('wasmind', 'wait')\n"),
        ("x = %wasmind wait\n", "x = await get_ipython().run_line_magic('wasmind', 'wait')\n"),
        (
            "for i in range(2):\n    %wasmind spawn echo\n",
            "for i in range(2):\n    await get_ipython().run_line_magic('wasmind', 'spawn echo')\n",
        ),
        (
            "%%wasmind config\nstarting_actors = []\n",
            "await get_ipython().run_cell_magic('wasmind', 'config', 'starting_actors = []\\n')\n",
        ),
        (
            "print('é')\n%wasmind stop\n",
            "print('é')\nawait get_ipython().run_line_magic('wasmind', 'stop')\n",
        ),
    ],
)
def test_blocking_subcommands_are_awaited(cell: str, expected: str) -> None:
    assert transformed(cell) == expected


@pytest.mark.parametrize(
    "cell",
    [
        "%wasmind status\n",  # does not wait
        "%wasmind\n",
        "%time 1\n",  # another magic
        "def f():\n    %wasmind wait\n",  # await would be a syntax error inside a def
        "f = lambda: get_ipython().run_line_magic('wasmind', 'wait')\n",
        "class C:\n    x = get_ipython().run_line_magic('wasmind', 'wait')\n",
        "await get_ipython().run_line_magic('wasmind', 'wait')\n",  # already awaited
        "%wasmind wait\nif (:\n",  # a syntax error stays IPython's to report
    ],
)
def test_other_code_is_left_alone(cell: str) -> None:
    assert transformed(cell) == TransformerManager().transform_cell(cell)


def test_every_blocking_subcommand_is_known_and_the_rest_display_at_once() -> None:
    assert {"start", "config", "spawn", "send", "wait", "step", "stop", "actor"} == BLOCKING
    assert set(SUBCOMMANDS) > BLOCKING


def test_pending_does_nothing_until_awaited() -> None:
    calls: list[str] = []

    async def work() -> str:
        calls.append("ran")
        return "done"

    pending = Pending("%wasmind wait", work)
    assert "write `await` before it" in repr(pending) and calls == []
    assert asyncio.run(_await(pending)) == "done" and calls == ["ran"]


async def _await(pending: Pending) -> object:
    return await pending


# -- parsing ---------------------------------------------------------------------------------------


def test_split_and_unquote() -> None:
    assert split_subcommand("  spawn echo --name w ") == ("spawn", "echo --name w")
    assert split_subcommand("") == ("", "")
    assert unquote('"my file.toml"') == "my file.toml"
    assert unquote("'x'") == "x" and unquote("'x\"") == "'x\""


@pytest.mark.parametrize(
    ("rest", "cell", "expected"),
    [
        ("worker hello there", None, ("worker", "hello there")),
        ("worker What's new", None, ("worker", "What's new")),
        ('worker "What\'s up? {x}"', None, ("worker", "What's up? {x}")),
        ("Ab3dE9   spaced   text", None, ("Ab3dE9", "spaced   text")),
        ("worker", "line one\nline two\n", ("worker", "line one\nline two")),
    ],
)
def test_send_takes_the_rest_of_the_line_or_the_cell(rest: str, cell: str | None, expected: tuple) -> None:
    assert send_text(rest, cell) == expected


@pytest.mark.parametrize(
    ("rest", "cell", "message"),
    [("", None, "name the agent"), ("worker", None, "empty"), ("worker hi", "body", "not both")],
)
def test_send_errors(rest: str, cell: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        send_text(rest, cell)


# -- the magics in a shell ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    ip.extension_manager.load_extension("wasmind_nb")
    yield ip
    ip.extension_manager.unload_extension("wasmind_nb")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shell: InteractiveShell) -> Iterator[Path]:
    """The working directory of a notebook: ``wasmind.toml`` and copies of the echo and probe actors."""
    for name in ("echo", "probe"):
        shutil.copytree(
            ACTORS / name, tmp_path / "actors" / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    (tmp_path / "wasmind.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    shell.run_cell("%wasmind stop")


def run(shell: InteractiveShell, code: str) -> ExecutionResult:
    return shell.run_cell(code, store_history=False)


def error_of(result: ExecutionResult) -> BaseException:
    error = result.error_before_exec or result.error_in_exec
    assert error is not None, "the cell succeeded"
    return error


def ok(shell: InteractiveShell, code: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    result = run(shell, code)
    assert result.success, repr(result.error_in_exec)
    return capsys.readouterr().out


def test_unknown_subcommand_lists_the_known_ones(shell: InteractiveShell) -> None:
    error = error_of(run(shell, "%wasmind launch"))
    assert isinstance(error, UsageError)
    assert "unknown subcommand 'launch'" in str(error) and "start, config, spawn" in str(error)


def test_bad_arguments_show_the_usage(shell: InteractiveShell) -> None:
    error = error_of(run(shell, "%wasmind spawn --name w"))
    assert isinstance(error, UsageError)
    assert "%wasmind spawn: the following arguments are required: ACTOR" in str(error)
    assert "usage: %wasmind spawn" in str(error)
    assert "--timeout must be positive" in str(error_of(run(shell, "%wasmind wait --timeout 0")))


def test_cell_use_is_checked(shell: InteractiveShell) -> None:
    assert "is a cell magic" in str(error_of(run(shell, "%wasmind config")))
    assert "takes no cell body" in str(error_of(run(shell, "%%wasmind status\nbody\n")))
    assert "Python source" in str(error_of(run(shell, "%%wasmind actor a\n\n")))
    assert "invalid actor name" in str(error_of(run(shell, "%%wasmind actor 9lives\nclass Actor: pass\n")))


def test_missing_config_file_is_named(shell: InteractiveShell, project: Path) -> None:
    error = error_of(run(shell, "%wasmind start nowhere.toml"))
    assert isinstance(error, ConfigError)
    assert "config file not found" in str(error) and "nowhere.toml" in str(error)
    assert error._render_traceback_() == [f"ConfigError: {error}"]  # type: ignore[attr-defined]


def test_bad_config_cell_names_the_key(shell: InteractiveShell, project: Path) -> None:
    error = error_of(run(shell, "%%wasmind config\nstarting_actor = []\n"))
    assert isinstance(error, ConfigError)
    assert "starting_actor" in str(error) and "%%wasmind config" in str(error)


def test_commands_need_a_running_wasmind(shell: InteractiveShell, project: Path) -> None:
    for line in ("%wasmind spawn echo", "%wasmind send w hi", "%wasmind wait", "%wasmind status"):
        error = error_of(run(shell, line))
        assert isinstance(error, WasmindError) and "no Wasmind is running" in str(error)


def test_help(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    overview = ok(shell, "%wasmind", capsys)
    assert all(f"%wasmind {name}" in overview or f"%%wasmind {name}" in overview for name in SUBCOMMANDS)
    assert "usage" not in overview
    assert "--timeout S" in ok(shell, "%wasmind help wait", capsys)
    assert "--parent PARENT" in ok(shell, "%wasmind spawn -h", capsys)  # a blocking subcommand's help
    doc = shell.find_line_magic("wasmind").__doc__  # what `%wasmind?` shows
    assert all(f"wasmind {name} " in doc or f"wasmind {name}\n" in doc for name in SUBCOMMANDS)


def test_start_spawn_send_wait_status_timeline_stop(
    shell: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = ok(shell, "%wasmind start wasmind.toml", capsys)
    assert started.splitlines() == [
        "Wasmind started: root scope 000000 (echo); LLM embedded; `mind` is the Wasmind object"
    ]
    mind = shell.user_ns["mind"]
    spawned = ok(shell, "%wasmind spawn echo --name worker", capsys)
    scope = mind.scope_of("worker")
    assert spawned == f"spawned 'worker' in scope {scope} (echo)\n"
    assert ok(shell, "%wasmind spawn echo --name child --parent worker", capsys).startswith("spawned 'child'")
    assert mind.agents[mind.scope_of("child")].parent == scope
    assert ok(shell, "%wasmind send worker 'Hello, worker'", capsys) == f"sent to 'worker' (scope {scope})\n"
    (add,) = [m for m in mind.messages if m.message_type.endswith("AddMessage")]
    assert add.json() == {"agent": scope, "message": {"role": "user", "content": "Hello, worker"}}
    ok(shell, f"await mind.broadcast('demo.Ping', {{}}, scope='{scope}')", capsys)
    assert ok(shell, "%wasmind wait", capsys) == f"idle: 3 live agents, {len(mind.messages)} messages\n"
    status = ok(shell, "%wasmind status", capsys).splitlines()
    assert status[:2] == [
        f"Wasmind running: 3 live agents, {len(mind.messages)} messages",
        "scope   name    state    actors",
    ]
    assert status[3] == f"{scope}  worker  running  echo"
    timeline = ok(shell, "%wasmind timeline --last 2 --scope worker", capsys).splitlines()
    assert re.fullmatch(r"Wasmind timeline: last 2 of \d+ matching messages \(\d+ in all\)", timeline[0])
    assert timeline[1].split() == ["scope", "#", "type", "from"]
    assert [line.split()[2:] for line in timeline[2:]] == [
        ["demo.Ping", "wasmind__context"],
        ["demo.Pong", "echo"],
    ]
    assert ok(shell, "%wasmind stop", capsys) == "Wasmind stopped (3 agents)\n"
    assert not mind.running
    assert ok(shell, "%wasmind stop", capsys) == "no Wasmind is running\n"
    assert ok(shell, "%wasmind status", capsys).startswith("Wasmind stopped: 0 live agents")
    assert "has stopped" in str(error_of(run(shell, "%wasmind spawn echo")))


def test_starting_again_stops_the_running_wasmind_first(
    shell: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(shell, "%wasmind start wasmind.toml --var first", capsys)
    first = shell.user_ns["first"]
    out = ok(
        shell,
        "%%wasmind config --var second\n"
        "starting_actors = ['probe']\n[actors.probe]\nsource = { path = 'actors/probe' }\n",
        capsys,
    )
    assert out.splitlines()[0] == "stopped the previous Wasmind"
    assert not first.running and first.agents["000000"].state == "exited"
    assert any(m.message_type == "demo.Bye" for m in first.messages)  # echo's destructor ran
    second = shell.user_ns["second"]
    assert second.running and second.agents["000000"].actors == ("probe",)


def test_a_failed_start_keeps_the_running_wasmind(
    shell: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(shell, "%wasmind start wasmind.toml", capsys)
    mind = shell.user_ns["mind"]
    assert isinstance(error_of(run(shell, "%wasmind start nowhere.toml")), ConfigError)
    assert mind.running and shell.user_ns["mind"] is mind


def test_spawn_and_send_errors_name_the_agent(shell: InteractiveShell, project: Path) -> None:
    run(shell, "%wasmind start wasmind.toml")
    assert "nosuch" in str(error_of(run(shell, "%wasmind spawn nosuch")))
    assert "no agent named or scoped 'ghost'" in str(error_of(run(shell, "%wasmind send ghost hi")))
    assert "'ghost'" in str(error_of(run(shell, "%wasmind spawn echo --parent ghost")))


def test_wait_timeout_names_what_is_busy(shell: InteractiveShell, project: Path) -> None:
    run(shell, "%wasmind start wasmind.toml\n%wasmind spawn probe --name p")
    command = {"program": "sleep", "args": ["3"]}
    run(shell, f"await mind.broadcast('probe.Command', {command!r}, scope=mind.scope_of('p'))")
    error = error_of(run(shell, "%wasmind wait --timeout 0.2"))
    assert isinstance(error, IdleTimeout) and "probe" in str(error)
    assert run(shell, "%wasmind wait").success


GREETER = """
from wasmind_sdk import ActorBase, broadcast, on


class Actor(ActorBase):
    @on("wasmind.common.assistant.AddMessage")
    def greet(self, payload, envelope) -> None:
        if payload["agent"] == self.scope:
            broadcast("demo.Greeting", {"text": "VERSION " + payload["message"]["content"]})
"""


def test_actor_cell_builds_an_actor_for_later_starts_and_the_running_wasmind(
    shell: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ok(shell, "%%wasmind actor greeter\n" + GREETER.replace("VERSION", "v1"), capsys)
    assert out == "actor 'greeter' is ready; it joins the next start\n"
    ok(shell, "%%wasmind config\nstarting_actors = ['greeter']\n", capsys)  # names the inline actor
    mind = shell.user_ns["mind"]
    assert mind.agents["000000"].actors == ("greeter",)
    ok(shell, "%wasmind send 000000 hi\n%wasmind wait", capsys)
    # Redefined while running: new spawns get the new code, running agents keep theirs.
    out = ok(shell, "%%wasmind actor greeter\n" + GREETER.replace("VERSION", "v2"), capsys)
    assert out == "actor 'greeter' is ready; spawn it with `%wasmind spawn greeter`\n"
    ok(
        shell,
        "%wasmind spawn greeter --name g2\n%wasmind send g2 hi\n%wasmind send 000000 hi\n%wasmind wait",
        capsys,
    )
    greetings = [(m.from_scope, m.json()["text"]) for m in mind.messages if m.message_type == "demo.Greeting"]
    g2 = mind.scope_of("g2")
    assert greetings[0] == ("000000", "v1 hi")
    assert sorted(greetings[1:]) == sorted([(g2, "v2 hi"), ("000000", "v1 hi")])  # two agents, in parallel


def test_actor_cell_requirements_must_exist(shell: InteractiveShell, project: Path) -> None:
    run(shell, "%wasmind start wasmind.toml")
    error = error_of(run(shell, "%%wasmind actor lonely --requires nobody\n" + GREETER))
    assert isinstance(error, ConfigError) and "nobody" in str(error)


def test_without_autoawait_a_waiting_magic_returns_what_to_await(shell: InteractiveShell) -> None:
    shell.autoawait = False
    try:
        assert run(shell, "pending = %wasmind stop").success
    finally:
        shell.autoawait = True
    pending = shell.user_ns.pop("pending")
    assert isinstance(pending, Pending) and "%wasmind stop: not run" in repr(pending)


def test_workdir_sets_the_agents_working_directory(
    shell: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "sub").mkdir()
    ok(shell, "%wasmind start wasmind.toml --workdir sub", capsys)
    assert shell.user_ns["mind"].working_dir == project / "sub"
    shell.user_ns["there"] = project / "sub"
    ok(shell, "%%wasmind config --workdir {there} --var other\nstarting_actors = []\n", capsys)
    assert shell.user_ns["other"].working_dir == project / "sub"
    ok(shell, "%wasmind start wasmind.toml", capsys)
    assert shell.user_ns["mind"].working_dir == project  # the default: the current directory
    error = error_of(run(shell, "%wasmind start wasmind.toml --workdir nowhere"))
    assert isinstance(error, UsageError) and "--workdir nowhere: no such folder" in str(error)


def test_an_actor_cell_with_a_syntax_error_points_at_the_cells_line(shell: InteractiveShell) -> None:
    cell = "from wasmind_sdk import ActorBase\n\n\nclass Actor(ActorBase)\n    pass\n"
    result = run(shell, "%%wasmind actor broken\n" + cell)
    error = error_of(result)
    assert isinstance(error, BuildError)
    text = "\n".join(error._render_traceback_())
    assert "cell %%wasmind actor broken, line 4" in text and "SyntaxError" in text
    assert "notebook-actors" not in text and "/.wasmind" not in text  # no cache path, no guest path


def test_crashes_names_questions_and_filters(
    shell: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12: a dead agent is failed in the status, a spawn cell run twice is a clear error, a text
    ending in `?` is sent verbatim, and a filter that matches nothing says so."""
    ok(shell, "%wasmind start wasmind.toml", capsys)
    mind = shell.user_ns["mind"]
    ok(shell, "%wasmind spawn echo --name boom", capsys)
    again = error_of(run(shell, "%wasmind spawn echo --name boom"))
    assert isinstance(again, SpawnError)
    assert f"an agent named 'boom' already runs under 'root' (000000) (scope {mind.scope_of('boom')})" in str(
        again
    )
    assert again._render_traceback_() == [f"SpawnError: {again}"]  # type: ignore[attr-defined]

    sent = ok(shell, "%wasmind send boom What now?", capsys)
    assert sent.startswith("sent to 'boom'")
    (add,) = [m for m in mind.messages if m.message_type.endswith("AddMessage")]
    assert add.json()["message"]["content"] == "What now?"

    ok(shell, "await mind.broadcast('demo.Trap', None, scope=mind.scope_of('boom'))", capsys)
    waited = ok(shell, "%wasmind wait", capsys)
    assert "actor 'echo' in scope" in waited and "failed" in waited
    status = ok(shell, "%wasmind status", capsys).splitlines()
    (boom,) = [line for line in status if " boom " in line]
    assert boom.split()[2] == "failed"
    assert status[0].startswith("Wasmind running: 1 live agent,")

    none = ok(shell, "%wasmind timeline --search 'no such text'", capsys)
    assert none == f"Wasmind timeline: 0 of {len(mind.messages)} messages match\n"
    named = ok(shell, "%wasmind timeline --scope boom --search 'what now'", capsys).splitlines()
    assert named[0] == f"Wasmind timeline: 1 of {len(mind.messages)} messages match"
    assert named[2].split()[2] == "assistant.AddMessage"


def test_a_question_mark_ends_the_text_of_a_wasmind_line_only(shell: InteractiveShell) -> None:
    transform = shell.input_transformer_manager.transform_cell
    assert (
        transform("%wasmind send w What now?\n")
        == "get_ipython().run_line_magic('wasmind', 'send w What now?')\n"
    )
    assert transform("%wasmind?\n") == "get_ipython().run_line_magic('pinfo', '%wasmind')\n"
    assert transform("len?\n") == "get_ipython().run_line_magic('pinfo', 'len')\n"
    assert transform("%wasmind send w Why?\nlen?\n").endswith("run_line_magic('pinfo', 'len')\n")
