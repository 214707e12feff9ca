"""Per-actor capabilities: deny-by-default filesystem, path resolution, merging and validation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from wasmind_nb.config import Capabilities, Config, Preopen
from wasmind_nb.errors import ConfigError

MakeActor = WriteConfig = Callable[..., Path]


def test_defaults_deny_everything(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a")
    spec = Config.from_file(write_config('[actors.a]\nsource = { path = "a" }\n')).actors["a"]
    assert spec.capabilities == Capabilities()
    assert spec.capabilities.fs == ()
    assert (spec.capabilities.commands, spec.capabilities.http_hosts, spec.capabilities.spawn) == ((), (), ())
    caps = spec.capabilities
    assert not (caps.llm or caps.call_tools or caps.command_network or caps.message_agents)


def test_capabilities_are_read(make_actor: MakeActor, write_config: WriteConfig, tmp_path: Path) -> None:
    make_actor("a")
    path = write_config(
        """
        [actors.a]
        source = { path = "a" }
        [actors.a.capabilities]
        fs = [{ host = "./work", guest = "/work", read_only = false }, { host = "data", guest = "/data" }]
        commands = ["bash", "ls"]
        http_hosts = ["127.0.0.1", "API.openai.com", "*.example.com"]
        handler_timeout_s = 30
        max_memory_bytes = 1048576
        max_output_bytes = 1000
        """
    )
    caps = Config.from_file(path).actors["a"].capabilities
    assert caps.fs == (
        Preopen(host_path=tmp_path / "work", guest_path="/work", read_only=False),
        Preopen(host_path=tmp_path / "data", guest_path="/data", read_only=True),
    )
    assert caps.commands == ("bash", "ls")
    assert caps.http_hosts == ("127.0.0.1", "api.openai.com", "*.example.com")
    assert (caps.handler_timeout_s, caps.max_memory_bytes, caps.max_output_bytes) == (30.0, 1048576, 1000)


def test_fs_hosts_resolve_from_the_declaring_file(
    make_actor: MakeActor, write_config: WriteConfig, tmp_path: Path
) -> None:
    make_actor(
        "pkg/top",
        """
        actor_id = "t"
        [capabilities]
        fs = [{ host = "assets", guest = "/assets" }]
        [dependencies.dep]
        source = { path = "../dep" }
        capabilities = { fs = [{ host = "../shared", guest = "/shared" }] }
        [dependencies.other]
        source = { path = "../other" }
        capabilities = { fs = [{ host = "../shared", guest = "/shared" }] }
        """,
    )
    make_actor("pkg/dep")
    make_actor("pkg/other")
    config = Config.from_file(
        write_config(
            """
            [actors.top]
            source = { path = "../pkg/top" }
            [actor_overrides.dep.capabilities]
            fs = [{ host = "out", guest = "/out" }]
            """,
            name="conf/wasmind.toml",
        )
    )
    assert config.actors["top"].capabilities.fs[0].host_path == tmp_path / "pkg" / "top" / "assets"
    assert config.actors["other"].capabilities.fs[0].host_path == tmp_path / "pkg" / "shared"
    assert config.actors["dep"].capabilities.fs[0].host_path == tmp_path / "conf" / "out"


def test_override_capabilities_merge_key_by_key(
    make_actor: MakeActor, write_config: WriteConfig, tmp_path: Path
) -> None:
    make_actor(
        "top",
        """
        actor_id = "t"
        [dependencies.dep]
        source = { path = "../dep" }
        capabilities = { commands = ["bash"], http_hosts = ["a.com"] }
        """,
    )
    make_actor("dep")
    path = write_config(
        """
        [actors.top]
        source = { path = "top" }
        [actor_overrides.dep.capabilities]
        http_hosts = ["b.com"]
        fs = [{ host = "w", guest = "/w" }]
        """
    )
    caps = Config.from_file(path).actors["dep"].capabilities
    assert caps.commands == ("bash",)  # kept from the manifest
    assert caps.http_hosts == ("b.com",)  # replaced by the override
    assert caps.fs == (Preopen(tmp_path / "w", "/w", True),)  # resolved from the config's folder


@pytest.mark.parametrize(
    ("table", "key", "expected"),
    [
        ('fs = [{ host = ".", guest = "work" }]', "fs[0].guest", "absolute path"),
        ('fs = [{ host = "." }]', "fs[0].guest", "missing required key 'guest'"),
        ('fs = [{ host = ".", guest = "/w", readonly = true }]', "fs[0].readonly", "unknown key"),
        ('http_hosts = ["https://api.openai.com/v1"]', "http_hosts", "not a host entry"),
        ('http_hosts = ["api.*.com"]', "http_hosts", "leading '*.'"),
        ('commands = "bash"', "commands", "expected a valid list"),
        ("handler_timeout_s = 0", "handler_timeout_s", "greater than 0"),
        ("max_memory_bytes = -1", "max_memory_bytes", "greater than 0"),
        ("max_output_bytes = 1.5", "max_output_bytes", "valid integer"),
        ("network = true", "network", "unknown key 'network'"),
    ],
)
def test_bad_capabilities_name_the_key(
    make_actor: MakeActor, write_config: WriteConfig, table: str, key: str, expected: str
) -> None:
    make_actor("a")
    path = write_config(f'[actors.a]\nsource = {{ path = "a" }}\n[actors.a.capabilities]\n{table}\n')
    with pytest.raises(ConfigError, match=re.escape(expected)) as caught:
        Config.from_file(path)
    assert (caught.value.file, caught.value.key) == (str(path), f"actors.a.capabilities.{key}")


def test_workdir_preopens_stay_relative_to_the_run(tmp_path) -> None:
    from wasmind_nb.config import Config

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "actor.py").write_text("")
    (tmp_path / "a" / "Wasmind.toml").write_text('actor_id = "t:a"\n')
    config = Config.from_toml(
        '[actors.a]\nsource = { path = "a" }\n'
        'capabilities = { fs = [{ host = "$WORKDIR", guest = "/work" }, '
        '{ host = "$WORKDIR/sub", guest = "/sub", read_only = false }] }\n',
        base_dir=tmp_path,
    )
    whole, sub = config.actors["a"].capabilities.fs
    assert whole.workdir_relative and sub.workdir_relative and not sub.read_only
    run_dir = tmp_path / "run"
    assert whole.resolve(run_dir) == run_dir.resolve()
    assert sub.resolve(run_dir) == (run_dir / "sub").resolve()
