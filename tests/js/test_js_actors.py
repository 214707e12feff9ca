"""JavaScript actors built by ComponentizeJS (js/actors, installed by .ci/run), run end to end: the
example tool with the built-in assistant on the embedded scripted model, isolated and pooled, and the
faults (constructor throws, handler throws, rejected promise, endless loop) with clean messages while the
rest keeps running. Builds are cached by content, so only a cold cache pays ComponentizeJS's build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.actors_builtin.conftest import assistant_settings, llm_requests, messages_of, say
from tests.host.loopback import LoopbackServer
from wasmind_nb import Wasmind
from wasmind_nb.build.javascript import build_js_actor, toolchain
from wasmind_nb.cli import main
from wasmind_nb.config import Config
from wasmind_nb.errors import BuildError, SpawnError
from wasmind_nb.llm import Reply, ToolCallSpec
from wasmind_nb.paths import cache_dir
from wasmind_sdk.messages import Err, ExecuteToolCall, Ok, ToolCallDone, ToolCallStatusUpdate, ToolsAvailable

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
WORD_STATS = REPO / "examples" / "js_word_stats"
FAULTS = REPO / "tests" / "actors" / "js_faults"
FETCHER = REPO / "tests" / "actors" / "js_helper_fetch"
NOISE = "Redirecting call to abort()"


@pytest.fixture(scope="session")
def js_components() -> dict[str, Path]:
    """The example and the fault actor, built once (or found in the cache)."""
    try:
        toolchain()
    except BuildError as err:
        pytest.skip(str(err))
    actors = (("word_stats", WORD_STATS), ("faults", FAULTS), ("fetcher", FETCHER))
    return {name: build_js_actor(path, cache_dir(), name) for name, path in actors}


def config(actors: dict[str, dict[str, Any]], **runtime: Any) -> Config:
    data: dict[str, Any] = {"starting_actors": list(actors), "actors": actors}
    if runtime:
        data["runtime"] = runtime
    return Config.from_toml(tomli_w.dumps(data), base_dir=REPO)


def word_stats_config(instances: str) -> Config:
    return config(
        {
            "assistant": {"source": {"builtin": "assistant"}, "config": assistant_settings()},
            "word_stats": {"source": {"path": str(WORD_STATS)}, "config": {"min_length": 3}},
        },
        instances=instances,
    )


@pytest.mark.parametrize("instances", ["isolated", "pooled"])
async def test_the_assistant_calls_a_javascript_tool(js_components, instances: str) -> None:
    call = ToolCallSpec("word_stats", {"text": "The cat and the hat.\nThe end"}, id="c1")
    script = [Reply(content="Counting.", tool_calls=[call]), "Seven words; 'the' comes three times."]
    async with Wasmind(word_stats_config(instances), progress=False, llm=script) as mind:
        await say(mind, "Count the words")
        assert not mind.faults
        (tools,) = messages_of(mind, ToolsAvailable)
        assert [tool.function.name for tool in tools.tools] == ["word_stats"]
        assert tools.tools[0].function.parameters["required"] == ["text"]
        (update,) = messages_of(mind, ToolCallStatusUpdate)
        (request,) = messages_of(mind, ExecuteToolCall)
        assert (update.id, update.originating_request_id) == ("c1", request.originating_request_id)
        assert isinstance(update.status, ToolCallDone) and isinstance(update.status.result, Ok)
        result = update.status.result.value
        summary = "7 words, 2 lines, 28 characters"
        assert (result.content, result.ui_display_info.collapsed) == (
            f'{summary}; most frequent: "the" (3x)',
            summary,
        )
        second = llm_requests(mind)[1]
        assert second["messages"][-1] == {
            "role": "tool",
            "tool_call_id": "c1",
            "name": "word_stats",
            "content": f'{summary}; most frequent: "the" (3x)',
        }


def faults_config(fail: str, instances: str = "isolated") -> Config:
    """``broken`` fails as ``fail`` says; ``healthy`` is the same code with nothing to fail."""
    return config(
        {
            "broken": {"source": {"path": str(FAULTS)}, "config": {"fail": fail}},
            "healthy": {"source": {"path": str(FAULTS)}},
        },
        instances=instances,
        handler_timeout_s=0.5,
    )


def assert_clean(error: str, first_line: str) -> None:
    assert error.splitlines()[0] == first_line
    assert NOISE not in error
    assert "initializer.js" not in error  # ComponentizeJS's generated glue, in a deleted build folder


async def pongs(mind: Wasmind) -> list[dict[str, Any]]:
    await mind.broadcast("test.Ping", {"n": 1})
    await mind.wait_idle()
    return [m.json() for m in mind.messages if m.message_type == "test.Pong"]


async def test_a_constructor_that_throws_fails_the_spawn_with_the_js_error(js_components) -> None:
    with pytest.raises(SpawnError) as caught:
        async with Wasmind(faults_config("constructor"), progress=False):
            pass
    error = str(caught.value)
    assert_clean(
        error.split(": ", 1)[1] if error.startswith("agent ") else error,
        "broken@000000: constructor trapped: Error: the constructor failed on purpose",
    )
    assert "Stack:\n  setup@actor.js:7:" in error  # the author's own file and line
    assert "explain" not in error.split("Stack:")[0]


@pytest.mark.parametrize("instances", ["isolated", "pooled"])
@pytest.mark.parametrize(
    ("fail", "reason", "frame"),
    [
        ("handler", "TypeError: the handler failed on purpose", "fail@actor.js:13:"),
        ("reject", "RangeError: the promise failed on purpose", "fail@actor.js:14:"),
        ("loop", "ran past its deadline (epoch interruption)", None),
    ],
)
async def test_a_failing_handler_gives_a_clean_fault_and_the_rest_keeps_running(
    js_components, fail: str, reason: str, frame: str | None, instances: str
) -> None:
    async with Wasmind(faults_config(fail, instances), progress=False) as mind:
        assert await pongs(mind) == [{"from": "000000", "got": {"n": 1}}] * 2
        await mind.broadcast("test.Fail", {})
        await mind.wait_idle()
        (fault,) = mind.faults
        label = "broken@000000" if instances == "isolated" else "broken (pool)"
        assert (fault.actor, fault.scope) == ("broken", "000000")
        assert_clean(fault.error, f"{label}: handle-message trapped: {reason}")
        if frame is not None:
            assert f"Stack:\n  {frame}" in fault.error
        assert await pongs(mind) == [{"from": "000000", "got": {"n": 1}}] * 3  # only healthy answers now
        assert mind.agents["000000"].failed_actors == ("broken",)


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path, js_components) -> None:
    (tmp_path / "Wasmind.toml").write_text('actor_id = "test:bad"\n')
    (tmp_path / "actor.js").write_text(
        'import { Actor } from "wasmind";\nimport "./util.js";\nexport const actor = { Actor };\n'
    )
    (tmp_path / "util.js").write_text("export const ok = 1;\nexport function broken( {\n")
    with pytest.raises(BuildError) as caught:
        build_js_actor(tmp_path, tmp_path / "cache", "bad")
    message = str(caught.value)
    assert message.startswith(f"actor 'bad' ({tmp_path / 'actor.js'}) failed to build:\n")
    assert message.endswith("failed to build:\nutil.js:3:1: SyntaxError: Expected `}` but found `EOF`")
    assert not list((tmp_path / "cache").rglob("*.wasm"))


def test_an_entry_without_the_actor_export_is_a_clear_build_error(tmp_path: Path, js_components) -> None:
    (tmp_path / "Wasmind.toml").write_text('actor_id = "test:bad"\n')
    (tmp_path / "actor.js").write_text("export const notActor = 1;\n")
    with pytest.raises(BuildError, match=r'"actor\.js" does not export a "actor" interface'):
        build_js_actor(tmp_path, tmp_path / "cache", "bad")


def test_without_componentize_js_the_error_says_how_to_install_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WASMIND_NB_JS_TOOLCHAIN", str(tmp_path / "nowhere"))
    with pytest.raises(
        BuildError,
        match=r"ComponentizeJS is not installed \(looked in .*nowhere\): run `npm ci` in js/actors",
    ):
        build_js_actor(WORD_STATS, tmp_path, "word_stats")


def test_wasmind_nb_build_and_run_the_example(js_components, capsys, monkeypatch) -> None:
    monkeypatch.chdir(REPO / "examples")
    assert main(["build", "js_word_stats.toml"]) == 0
    out = capsys.readouterr().out
    assert f"  word_stats (JavaScript): {js_components['word_stats']}\n" in out
    assert main(["run", "js_word_stats.toml", "-m", "How many words are in 'the cat and the hat'?"]) == 0
    out = capsys.readouterr().out
    assert "word_stats: tool ok: 5 words, 1 line, 19 characters" in out
    assert out.rstrip().endswith('assistant: answers: It has 5 words; the most frequent is "the".')


def test_wasmind_nb_build_reports_a_js_error_and_exits_2(tmp_path: Path, capsys, js_components) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "Wasmind.toml").write_text('actor_id = "test:bad"\n')
    (folder / "actor.js").write_text("export const actor = { Actor: class { constructor( } };\n")
    (tmp_path / "config.toml").write_text(
        'starting_actors = ["bad"]\n[actors.bad]\nsource = { path = "bad" }\n[runtime]\n'
        f'cache_dir = "{tmp_path / "cache"}"\n'
    )
    assert main(["build", str(tmp_path / "config.toml")]) == 2
    err = capsys.readouterr().err
    assert f"wasmind-nb: actor 'bad' ({folder / 'actor.js'}) failed to build:\n" in err
    assert err.endswith(
        "actor.js:1:52: SyntaxError: Unexpected token\n    " + (folder / "actor.js").read_text()
    )


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ("{not json", "invalid arguments for tool 'word_stats': "),
        ('{"text": "  "}', "text is empty"),
        ("null", "tool 'word_stats' failed: TypeError: "),
    ],
)
async def test_a_bad_tool_call_is_an_err_result_not_a_fault(
    js_components, arguments: str, error: str
) -> None:
    call = {"id": "c9", "type": "function", "function": {"name": "word_stats", "arguments": arguments}}
    async with Wasmind(word_stats_config("isolated"), progress=False, llm=[]) as mind:
        await mind.broadcast(
            ExecuteToolCall.MESSAGE_TYPE, {"tool_call": call, "originating_request_id": "r9"}
        )
        await mind.wait_idle()
        assert not mind.faults
        (update,) = messages_of(mind, ToolCallStatusUpdate)
        assert (update.id, update.originating_request_id) == ("c9", "r9")
        assert isinstance(update.status, ToolCallDone) and isinstance(update.status.result, Err)
        assert update.status.result.error.content.startswith(error)


@pytest.mark.parametrize("instances", ["isolated", "pooled"])
async def test_fetch_in_an_async_handler_obeys_the_http_grant(js_components, instances: str) -> None:
    """The build keeps ComponentizeJS's ``http`` feature: fetch() works where granted, is denied elsewhere."""
    server = LoopbackServer()
    server.respond = lambda request: (200, [], b"hello " + request.target.encode())
    try:
        granted = {
            "source": {"path": str(FETCHER)},
            "capabilities": {"http_hosts": [f"127.0.0.1:{server.port}"]},
        }
        async with Wasmind(config({"fetcher": granted}, instances=instances), progress=False) as mind:
            await mind.broadcast("test.Fetch", {"url": server.url("/a")})
            await mind.wait_idle()
            await mind.broadcast("test.Fetch", {"url": "http://127.0.0.1:1/b"})  # a port nobody granted
            await mind.wait_idle()
            first, second = [m.json() for m in mind.messages if m.message_type == "test.Fetched"]
            assert first == {"status": 200, "body": "hello /a"}
            assert second["error"].startswith("TypeError")
            assert [r.target for r in server.requests] == ["/a"]
            (denial,) = mind.denials
            assert (denial.actor, denial.capability) == ("fetcher", "http_hosts")
            assert not mind.faults
    finally:
        server.close()
