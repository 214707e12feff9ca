"""The ``execute_bash`` tool actor, driven by ``ExecuteToolCall`` messages (no LLM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.actors_builtin.tools_helpers import builtin_config, call, send_call, statuses_for, tools_offered
from wasmind_nb import SpawnError, Wasmind
from wasmind_sdk.messages import ToolCallReceived

pytestmark = pytest.mark.anyio

ROOT = "000000"
TEST_ACTORS = Path(__file__).resolve().parents[1] / "actors"


def bash_config(extra: str = "", actor_config: str = "") -> str:
    return f"""
        starting_actors = ["execute_bash"]
        [actors.execute_bash]
        source = {{ path = "execute_bash" }}
        config = {{ {actor_config} }}
        {extra}
    """


def mind_for(tmp_path: Path, extra: str = "", actor_config: str = "") -> Wasmind:
    return Wasmind(builtin_config(bash_config(extra, actor_config)), working_dir=tmp_path, progress=False)


async def test_offers_execute_bash_with_its_schema(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        schema = tools_offered(mind, ROOT)["execute_bash"]
    assert schema["required"] == ["command"]
    assert set(schema["properties"]) == {"command", "args", "directory", "timeout"}
    assert (schema["properties"]["timeout"]["minimum"], schema["properties"]["timeout"]["maximum"]) == (
        1,
        600,
    )


async def test_exit_zero_is_ok_with_both_streams_and_a_one_line_summary(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "echo hello; echo warning >&2"})
    assert not outcome.failed
    assert outcome.content == "Exit code: 0\n\nstdout:\nhello\n\nstderr:\nwarning"
    info = outcome.result.ui_display_info
    assert info.collapsed == "$ echo hello; echo warning >&2  (exit 0)"
    assert info.expanded == "stdout:\nhello\n\nstderr:\nwarning"
    assert isinstance(outcome.statuses[0], ToolCallReceived)  # the UI sees the call before it finishes
    assert outcome.statuses[0].display_info.collapsed == "$ echo hello; echo warning >&2"


async def test_no_output_is_said_so(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "true"})
    assert outcome.content == "Exit code: 0\n\n(no output)"


async def test_non_zero_exit_is_err_with_exit_code_stdout_and_stderr(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "echo partial; echo broken >&2; exit 3"})
    assert outcome.failed
    assert outcome.content.startswith("The command failed with exit code 3.")
    assert "stdout:\npartial\n" in outcome.content and "stderr:\nbroken" in outcome.content
    assert outcome.result.ui_display_info.collapsed.endswith("(exit 3)")


async def test_killed_by_a_signal_is_err(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "kill -9 $$"})
    assert outcome.failed
    assert outcome.content.startswith("The command was killed by signal 9.")


async def test_each_stream_is_capped_at_5000_bytes_with_a_notice(tmp_path: Path) -> None:
    command = "head -c 12000 /dev/zero | tr '\\0' Z; echo short >&2"
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": command})
    assert not outcome.failed
    assert outcome.content.count("Z") == 5000
    assert "[stdout truncated: only the first 5000 bytes are shown" in outcome.content
    assert "stderr truncated" not in outcome.content
    assert "stderr:\nshort" in outcome.content


async def test_output_cap_is_configurable(tmp_path: Path) -> None:
    async with mind_for(tmp_path, actor_config="max_output_bytes = 10") as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "echo 0123456789abcdef >&2"})
    assert "stderr:\n0123456789\n[stderr truncated: only the first 10 bytes are shown" in outcome.content


async def test_timeout_kills_the_command_and_says_so(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "echo started; sleep 60", "timeout": 1})
    assert outcome.failed
    assert outcome.content.startswith("The command timed out after 1 s and was killed.")
    assert "stdout:\nstarted" in outcome.content  # what it printed before is kept
    assert outcome.result.ui_display_info.collapsed.endswith("  (timed out after 1 s)")


async def test_timeout_default_comes_from_the_config(tmp_path: Path) -> None:
    async with mind_for(tmp_path, actor_config="timeout_default = 1") as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "sleep 60"})
    assert outcome.content.startswith("The command timed out after 1 s")


async def test_a_bad_timeout_default_fails_the_spawn_clearly(tmp_path: Path) -> None:
    with pytest.raises(SpawnError, match="timeout_default' must be between 1 and 600"):
        async with mind_for(tmp_path, actor_config="timeout_default = 0"):
            pass


async def test_runs_in_the_working_directory_at_its_guest_path_by_default(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "pwd > where.txt; pwd"})
    assert outcome.content == "Exit code: 0\n\nstdout:\n/work"  # $WORKDIR is granted at /work
    assert (tmp_path / "where.txt").read_text() == "/work\n"


async def test_relative_directory_resolves_against_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "pwd", "directory": "sub"})
    assert outcome.content == "Exit code: 0\n\nstdout:\n/work/sub"


async def test_absolute_directory_is_a_path_inside_the_sandbox(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    async with mind_for(tmp_path) as mind:
        inside = await call(mind, ROOT, "execute_bash", {"command": "pwd", "directory": "/work/a/b"})
        outside = await call(mind, ROOT, "execute_bash", {"command": "pwd", "directory": "/etc"})
    assert inside.content.endswith("stdout:\n/work/a/b")
    assert outside.failed and "/etc" in outside.content
    assert [d.capability for d in mind.denials] == ["fs"]


async def test_a_missing_directory_means_the_command_cannot_start(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "pwd", "directory": "nowhere"})
    assert outcome.failed
    assert outcome.content.startswith("The command could not be run: failed to start 'bash'")
    assert "nowhere" in outcome.content and "does not exist" in outcome.content


async def test_args_become_positional_parameters(tmp_path: Path) -> None:
    command = 'printf "%s|" "$@"; echo "$#"'
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": command, "args": ["a b", "$HOME", "c"]})
    assert outcome.content == "Exit code: 0\n\nstdout:\na b|$HOME|c|3"


async def test_a_command_the_host_forbids_is_an_error(tmp_path: Path) -> None:
    extra = "[actors.execute_bash.capabilities]\ncommands = []"
    async with mind_for(tmp_path, extra=extra) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "echo hi"})
    assert outcome.failed
    assert outcome.content.startswith(
        "The command could not be run: program 'bash' is not allowed for actor 'execute_bash'"
    )
    assert "capabilities.commands" in outcome.content


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "'command' is required and must be a non-empty string"),
        ({"command": "  "}, "'command' is required and must be a non-empty string"),
        ({"command": 5}, "'command' is required and must be a non-empty string"),
        (["echo"], "the arguments must be a JSON object"),
        ({"command": "true", "timeout": 0}, "'timeout' must be between 1 and 600 seconds, got 0"),
        ({"command": "true", "timeout": 601}, "'timeout' must be between 1 and 600 seconds, got 601"),
        ({"command": "true", "timeout": "soon"}, "'timeout' must be an integer number of seconds"),
        ({"command": "true", "timeout": 2.5}, "'timeout' must be an integer number of seconds"),
        ({"command": "true", "args": "x y"}, "'args' must be an array of strings"),
        ({"command": "true", "args": [1]}, "'args' must be an array of strings"),
        ({"command": "true", "directory": ""}, "'directory' must be a non-empty string"),
    ],
)
async def test_invalid_arguments_are_errors_and_nothing_runs(
    tmp_path: Path, args: object, message: str
) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", args)
    assert outcome.failed
    assert message in outcome.content
    assert len(outcome.statuses) == 1  # no Received: the command never started


async def test_arguments_that_are_not_json_are_an_error(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", raw="{not json")
    assert outcome.failed
    assert "arguments are not valid JSON" in outcome.content


async def test_a_timeout_given_as_digits_is_accepted(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "execute_bash", {"command": "echo ok", "timeout": "5"})
    assert not outcome.failed


async def test_calls_for_other_tools_or_from_other_scopes_are_ignored(tmp_path: Path) -> None:
    extra = f'[actors.bystander]\nsource = {{ path = "{TEST_ACTORS / "echo"}" }}'
    async with mind_for(tmp_path, extra=extra) as mind:
        other_scope = await mind.spawn_agent(["bystander"], name="other")
        foreign = await send_call(mind, other_scope, "execute_bash", {"command": "touch foreign"})
        other_tool = await send_call(mind, ROOT, "read_file", {"path": "x"})
        await mind.wait_idle()
        assert statuses_for(mind, foreign) == [] and statuses_for(mind, other_tool) == []
    assert not (tmp_path / "foreign").exists()
