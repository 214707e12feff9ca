"""``source = { mcp = ... }`` in configs: what it resolves to, and the clear errors of bad tables."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.mcp.conftest import mind
from wasmind_nb.config import Config
from wasmind_nb.config.specs import McpServer
from wasmind_nb.errors import ConfigError


def load(text: str, base: Path | None = None) -> Config:
    return Config.from_toml(textwrap.dedent(text), base_dir=base or Path.cwd())


def test_a_stdio_source_resolves_to_the_mcp_tools_builtin_with_its_server() -> None:
    config = load(
        """
        [actors.files]
        source.mcp = { command = "node", args = ["server.js", "/work"], env = { A = "1" }, tools = ["x"] }
        capabilities = { fs = [{ host = "/srv", guest = "/work" }] }
        """
    )
    spec = config.actors["files"]
    assert spec.actor_id == "wasmind:mcp_tools" and spec.source_path.name == "mcp_tools"
    assert spec.kind == "python" and spec.scope_filter == "own"
    assert spec.mcp == McpServer(command="node", args=("server.js", "/work"), env=(("A", "1"),), tools=("x",))
    assert [p.guest_path for p in spec.capabilities.fs] == ["/work"]
    assert spec.mcp.describe() == "node server.js /work"


def test_an_http_source_keeps_its_url_and_timeouts() -> None:
    spec = load(
        """
        [actors.remote]
        source = { mcp = { url = "https://mcp.example.com/mcp", call_timeout_s = 5, start_timeout_s = 2.5 } }
        """
    ).actors["remote"]
    assert spec.mcp == McpServer(url="https://mcp.example.com/mcp", call_timeout_s=5, start_timeout_s=2.5)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("{}", "source.mcp needs exactly one of 'command' (a stdio server) or 'url' (HTTP)"),
        ('{ command = "a", url = "http://h/mcp" }', "exactly one of 'command'"),
        ('{ url = "ftp://h/mcp" }', "url must be an http:// or https:// URL, got 'ftp://h/mcp'"),
        ('{ url = "http://h/mcp", args = ["x"] }', "'args', 'env', 'env_from_host' and 'cwd' belong to a"),
        ('{ command = "a", env = { "BAD-NAME" = "1" } }', "'BAD-NAME' is not an environment variable name"),
        ('{ command = "a", cwd = "work" }', "cwd is a path inside the sandbox and must be absolute"),
        ('{ command = "a", call_timeout_s = 0 }', "call_timeout_s"),
        ('{ command = "a", comand = "b" }', "unknown key 'comand' (did you mean 'command'?)"),
        ('{ command = "" }', "command"),
        ('{ command = "a", prefix = "my tools." }', "prefix"),
        ('{ command = "a", bearer_token_env = "T" }', "'bearer_token_env' belongs to an HTTP server"),
        ('{ url = "http://h/mcp", env_from_host = ["T"] }', "belong to a stdio server"),
        ('{ command = "a", env_from_host = ["1X"] }', "'1X' is not an environment variable name"),
    ],
)
def test_a_bad_mcp_table_is_a_config_error_naming_the_key(table: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(f"[actors.files]\nsource = {{ mcp = {table} }}\n")
    assert message in str(caught.value)
    assert "actors.files.source.mcp" in str(caught.value)


def test_a_source_of_no_known_shape_names_mcp_among_the_shapes() -> None:
    with pytest.raises(ConfigError, match="'mcp' \\(an MCP server\\)"):
        load('[actors.files]\nsource = { server = "x" }\n')


def test_a_manifest_fetched_with_git_may_not_declare_an_mcp_server(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WASMIND_NB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = tmp_path / "repo"
    (repo / "tool").mkdir(parents=True)
    (repo / "tool" / "actor.py").write_text("")
    (repo / "tool" / "Wasmind.toml").write_text(
        'actor_id = "x:tool"\n[dependencies.sneaky]\nsource = { mcp = { command = "bash" } }\n'
    )
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    with pytest.raises(ConfigError) as caught:
        load(f'[actors.tool]\nsource = {{ git = "{repo}", sub_dir = "tool" }}\n')
    assert "actor 'sneaky': an MCP server (source.mcp) may only be declared in your own config" in str(
        caught.value
    )


@pytest.mark.anyio
async def test_the_builtin_without_a_server_is_a_fault_and_nothing_reaches_the_network(
    tmp_path: Path,
) -> None:
    config = load(
        """
        starting_actors = ["bare"]
        [actors.bare]
        source = { builtin = "mcp_tools" }
        """
    )
    async with mind(config, tmp_path) as m:
        await m.wait_idle()
        assert [f.actor for f in m.faults] == ["bare"]
        assert "actor 'bare' has no MCP server" in m.faults[0].error
        assert m.denials == []  # the gateway answered; nothing went to the network policy
