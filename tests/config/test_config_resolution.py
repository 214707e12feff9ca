"""Dependency resolution: recursion, relative paths, precedence, deep merge, cycles and conflicts."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from wasmind_nb.config import Config, ConfigWarning
from wasmind_nb.errors import ConfigError

MakeActor = WriteConfig = Callable[..., Path]


def test_dependencies_resolve_recursively_from_the_manifest_folder(
    make_actor: MakeActor, write_config: WriteConfig, tmp_path: Path
) -> None:
    make_actor("actors/top", 'actor_id = "t"\n[dependencies.mid]\nsource = { path = "../mid" }\n')
    make_actor("actors/mid", 'actor_id = "m"\n[dependencies.leaf]\nsource = { path = "./leaf" }\n')
    make_actor("actors/mid/leaf", 'actor_id = "l"')
    config = Config.from_file(write_config('[actors.top]\nsource = { path = "actors/top" }\n'))
    assert list(config.actors) == ["top", "mid", "leaf"]
    assert config.actors["mid"].source_path == tmp_path / "actors" / "mid"
    assert config.actors["leaf"].source_path == tmp_path / "actors" / "mid" / "leaf"
    assert config.actors["leaf"].declared_in == str(tmp_path / "actors" / "mid" / "Wasmind.toml")


def test_missing_dependency_path_names_the_manifest(make_actor: MakeActor, write_config: WriteConfig) -> None:
    top = make_actor("top", 'actor_id = "t"\n[dependencies.dep]\nsource = { path = "../nowhere" }\n')
    with pytest.raises(ConfigError, match="does not exist") as caught:
        Config.from_file(write_config('[actors.top]\nsource = { path = "top" }\n'))
    assert caught.value.file == str(top / "Wasmind.toml")
    assert caught.value.key == "dependencies.dep.source.path"


def test_dependency_without_source_names_the_manifest(
    make_actor: MakeActor, write_config: WriteConfig
) -> None:
    top = make_actor("top", 'actor_id = "t"\n[dependencies.dep]\nauto_spawn = true\n')
    with pytest.raises(ConfigError, match="missing required key 'source'") as caught:
        Config.from_file(write_config('[actors.top]\nsource = { path = "top" }\n'))
    assert (caught.value.key, caught.value.file) == ("dependencies.dep.source", str(top / "Wasmind.toml"))


def test_key_in_the_wrong_table_of_a_manifest_is_a_warning(
    make_actor: MakeActor, write_config: WriteConfig
) -> None:
    """Upstream's loader ignores manifest keys it does not read; so do we, saying where each belongs."""
    top = make_actor("top", 'actor_id = "t"\nauto_spawn = true\n')
    wrong_table = r"'auto_spawn' \(it is a key of \[actors.NAME\]\)"
    with pytest.warns(ConfigWarning, match=wrong_table) as caught:
        config = Config.from_file(write_config('[actors.top]\nsource = { path = "top" }\n'))
    assert str(top / "Wasmind.toml") in str(caught[0].message)
    assert config.actors["top"].auto_spawn is False


def test_precedence_manifest_then_actors_then_overrides(
    make_actor: MakeActor, write_config: WriteConfig
) -> None:
    make_actor(
        "top",
        """
        actor_id = "t"
        [dependencies.helper]
        source = { path = "../helper" }
        auto_spawn = true
        instance = "pooled"
        listens_to = ["m.A"]
        config = { level = "info", format = "text", nested = { a = 1, b = 2 }, list = [1, 2] }
        [dependencies.tool]
        source = { path = "../tool" }
        scope_filter = "own"
        config = { keep = "manifest", change = "manifest" }
        """,
    )
    make_actor("helper")
    make_actor("tool")
    path = write_config(
        """
        [actors.top]
        source = { path = "top" }
        [actors.tool]
        source = { path = "tool" }
        config = { change = "actors" }
        [actor_overrides.helper]
        auto_spawn = false
        config = { level = "debug", nested = { b = 3, c = 4 }, list = [9] }
        """
    )
    config = Config.from_file(path)
    helper = config.actors["helper"]
    assert helper.config == {
        "level": "debug",
        "format": "text",
        "nested": {"a": 1, "b": 3, "c": 4},
        "list": [9],
    }
    assert helper.auto_spawn is False  # the override wins
    assert (helper.instance, helper.listens_to) == ("pooled", ("m.A",))  # unset in the override: kept
    tool = config.actors["tool"]
    assert tool.config == {"keep": "manifest", "change": "actors"}
    assert tool.scope_filter == "own"
    assert tool.declared_in == str(path)


def test_actors_entry_source_replaces_a_manifest_dependency_source(
    make_actor: MakeActor, write_config: WriteConfig, tmp_path: Path
) -> None:
    make_actor("top", 'actor_id = "t"\n[dependencies.tool]\nsource = { path = "../tool_v1" }\n')
    make_actor("tool_v1")
    make_actor("tool_v2")
    path = write_config(
        '[actors.top]\nsource = { path = "top" }\n[actors.tool]\nsource = { path = "tool_v2" }\n'
    )
    assert Config.from_file(path).actors["tool"].source_path == tmp_path / "tool_v2"


def test_override_source_replaces_the_dependency_and_its_own_dependencies(
    make_actor: MakeActor, write_config: WriteConfig, tmp_path: Path
) -> None:
    make_actor("top", 'actor_id = "t"\n[dependencies.logger]\nsource = { path = "../logger" }\n')
    make_actor("logger", 'actor_id = "old"\n[dependencies.old_dep]\nsource = { path = "../old_dep" }\n')
    make_actor("old_dep")
    make_actor("my_logger", 'actor_id = "new"\n[dependencies.new_dep]\nsource = { path = "../new_dep" }\n')
    make_actor("new_dep")
    path = write_config(
        """
        [actors.top]
        source = { path = "top" }
        [actor_overrides.logger]
        source = { path = "my_logger" }
        auto_spawn = true
        """
    )
    config = Config.from_file(path)
    assert config.actors["logger"].actor_id == "new"
    assert config.actors["logger"].auto_spawn is True
    assert "new_dep" in config.actors
    assert "old_dep" not in config.actors


def test_own_manifest_settings_are_the_lowest_layer(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("b")
    make_actor("c")
    make_actor(
        "a",
        """
        actor_id = "a"
        required_spawn_with = ["b"]
        listens_to = ["x.Y"]
        scope_filter = "own"
        instance = "pooled"
        [dependencies.b]
        source = { path = "../b" }
        """,
    )
    path = write_config(
        """
        [actors.a]
        source = { path = "a" }
        required_spawn_with = ["c"]
        instance = "isolated"
        [actors.c]
        source = { path = "c" }
        """
    )
    spec = Config.from_file(path).actors["a"]
    assert spec.required_spawn_with == ("b", "c")  # the manifest's own list is kept, the config's is added
    assert (spec.listens_to, spec.scope_filter, spec.instance) == (("x.Y",), "own", "isolated")


def test_dependency_required_spawn_with_replaces_across_declarations(
    make_actor: MakeActor, write_config: WriteConfig
) -> None:
    make_actor(
        "top",
        """
        actor_id = "t"
        [dependencies.w]
        source = { path = "../w" }
        required_spawn_with = ["x"]
        [dependencies.x]
        source = { path = "../x" }
        [dependencies.y]
        source = { path = "../y" }
        """,
    )
    for name in ("w", "x", "y"):
        make_actor(name)
    path = write_config(
        '[actors.top]\nsource = { path = "top" }\n[actor_overrides.w]\nrequired_spawn_with = ["y"]\n'
    )
    assert Config.from_file(path).actors["w"].required_spawn_with == ("y",)


def test_circular_dependency_names_the_cycle(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a", 'actor_id = "a"\n[dependencies.b]\nsource = { path = "../b" }\n')
    b = make_actor("b", 'actor_id = "b"\n[dependencies.c]\nsource = { path = "../c" }\n')
    c = make_actor("c", 'actor_id = "c"\n[dependencies.a]\nsource = { path = "../a" }\n')
    with pytest.raises(ConfigError, match="circular dependency: a -> b -> c -> a") as caught:
        Config.from_file(write_config('[actors.a]\nsource = { path = "a" }\n'))
    assert (caught.value.file, caught.value.key) == (str(c / "Wasmind.toml"), "dependencies.a")
    assert b.exists()


def test_self_dependency_is_a_cycle(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a", 'actor_id = "a"\n[dependencies.a]\nsource = { path = "." }\n')
    with pytest.raises(ConfigError, match="circular dependency: a -> a"):
        Config.from_file(write_config('[actors.a]\nsource = { path = "a" }\n'))


def test_shared_dependency_is_not_a_cycle(make_actor: MakeActor, write_config: WriteConfig) -> None:
    """a -> b, a -> c, b -> c: a diamond, resolved once."""
    make_actor("a", 'actor_id = "a"\n[dependencies.b]\nsource = { path = "../b" }\n'
               '[dependencies.c]\nsource = { path = "../c" }\n')  # fmt: skip
    make_actor("b", 'actor_id = "b"\n[dependencies.c]\nsource = { path = "../c" }\n')
    make_actor("c")
    assert list(Config.from_file(write_config('[actors.a]\nsource = { path = "a" }\n')).actors) == [
        "a",
        "b",
        "c",
    ]


def _diamond(make_actor: MakeActor, v2: str) -> Path:
    make_actor("app", 'actor_id = "app"\n[dependencies.parser]\nsource = { path = "../parser" }\n'
               '[dependencies.validator]\nsource = { path = "../validator" }\n')  # fmt: skip
    make_actor("parser", 'actor_id = "p"\n[dependencies.tool]\nsource = { path = "../tools/v1" }\n')
    validator = make_actor(
        "validator", f'actor_id = "v"\n[dependencies.tool]\nsource = {{ path = "{v2}" }}\n'
    )
    make_actor("tools/v1")
    make_actor("tools/v2")
    return validator


def test_conflicting_sources_in_two_manifests(make_actor: MakeActor, write_config: WriteConfig) -> None:
    validator = _diamond(make_actor, "../tools/v2")
    with pytest.raises(ConfigError, match="conflicting sources for actor 'tool'") as caught:
        Config.from_file(write_config('[actors.app]\nsource = { path = "app" }\n'))
    assert (caught.value.file, caught.value.key) == (
        str(validator / "Wasmind.toml"),
        "dependencies.tool.source",
    )
    assert "v1" in str(caught.value) and "v2" in str(caught.value)


def test_same_source_written_differently_is_not_a_conflict(
    make_actor: MakeActor, write_config: WriteConfig, tmp_path: Path
) -> None:
    _diamond(make_actor, "../validator/../tools/v1")
    config = Config.from_file(write_config('[actors.app]\nsource = { path = "app" }\n'))
    assert config.actors["tool"].source_path == tmp_path / "tools" / "v1"


def test_a_pinned_source_settles_a_conflict(
    make_actor: MakeActor, write_config: WriteConfig, tmp_path: Path
) -> None:
    _diamond(make_actor, "../tools/v2")
    path = write_config(
        '[actors.app]\nsource = { path = "app" }\n[actor_overrides.tool]\nsource = { path = "tools/v2" }\n'
    )
    assert Config.from_file(path).actors["tool"].source_path == tmp_path / "tools" / "v2"


def test_same_source_with_other_settings_warns_and_keeps_the_first(
    make_actor: MakeActor, write_config: WriteConfig
) -> None:
    make_actor("app", 'actor_id = "app"\n[dependencies.p]\nsource = { path = "../p" }\n'
               '[dependencies.q]\nsource = { path = "../q" }\n')  # fmt: skip
    make_actor("p", 'actor_id = "p"\n[dependencies.t]\nsource = { path = "../t" }\nconfig = { v = 1 }\n')
    make_actor("q", 'actor_id = "q"\n[dependencies.t]\nsource = { path = "../t" }\nconfig = { v = 2 }\n')
    make_actor("t")
    with pytest.warns(ConfigWarning, match="declared by .* and again"):
        config = Config.from_file(write_config('[actors.app]\nsource = { path = "app" }\n'))
    assert config.actors["t"].config == {"v": 1}


def test_name_in_actors_and_overrides_is_an_error(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a")
    path = write_config('[actors.a]\nsource = { path = "a" }\n[actor_overrides.a]\nconfig = { x = 1 }\n')
    with pytest.raises(ConfigError, match=r"both declared in \[actors\] and overridden") as caught:
        Config.from_file(path)
    assert (caught.value.file, caught.value.key) == (str(path), "actor_overrides.a")


def test_override_for_nothing_warns_and_is_ignored(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a")
    make_actor("b")
    path = write_config(
        '[actors.a]\nsource = { path = "a" }\n[actor_overrides.ghost]\nsource = { path = "b" }\n'
    )
    with pytest.warns(ConfigWarning, match=r"\[actor_overrides.ghost\].*matches no actor"):
        config = Config.from_file(path)
    assert list(config.actors) == ["a"]


def test_no_warning_when_every_override_matches(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("top", 'actor_id = "t"\n[dependencies.dep]\nsource = { path = "../dep" }\n')
    make_actor("dep")
    path = write_config(
        '[actors.top]\nsource = { path = "top" }\n[actor_overrides.dep]\nconfig = { x = 1 }\n'
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Config.from_file(path).actors["dep"].config == {"x": 1}


def test_bad_key_in_override_is_rejected(write_config: WriteConfig) -> None:
    path = write_config("[actor_overrides.x]\nconfg = { a = 1 }\n")
    with pytest.raises(ConfigError, match=r"unknown key 'confg' \(did you mean 'config'\?\)") as caught:
        Config.from_file(path)
    assert caught.value.key == "actor_overrides.x.confg"


# --- .wasm sources -------------------------------------------------------------------------------


def test_wasm_file_without_manifest_uses_the_logical_name(write_config: WriteConfig, tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "echo.wasm").write_bytes(b"\0asm")
    spec = Config.from_file(write_config('[actors.echo]\nsource = { path = "bin/echo.wasm" }\n')).actors[
        "echo"
    ]
    assert (spec.kind, spec.actor_id, spec.source_path) == ("wasm", "echo", tmp_path / "bin" / "echo.wasm")


def test_wasm_file_with_manifest_beside_it(make_actor: MakeActor, write_config: WriteConfig) -> None:
    folder = make_actor("echo", 'actor_id = "x:echo"\nlistens_to = ["a.B"]\n', python=False)
    (folder / "echo.wasm").write_bytes(b"\0asm")
    spec = Config.from_file(write_config('[actors.e]\nsource = { path = "echo/echo.wasm" }\n')).actors["e"]
    assert (spec.kind, spec.actor_id, spec.listens_to) == ("wasm", "x:echo", ("a.B",))


def test_folder_with_component_is_a_wasm_actor(make_actor: MakeActor, write_config: WriteConfig) -> None:
    folder = make_actor("echo", 'actor_id = "x:echo"\ncomponent = "build/echo.wasm"\n', python=False)
    (folder / "build").mkdir()
    (folder / "build" / "echo.wasm").write_bytes(b"\0asm")
    spec = Config.from_file(write_config('[actors.e]\nsource = { path = "echo" }\n')).actors["e"]
    assert (spec.kind, spec.source_path) == ("wasm", folder / "build" / "echo.wasm")


def test_missing_component_names_the_manifest(make_actor: MakeActor, write_config: WriteConfig) -> None:
    folder = make_actor("echo", 'actor_id = "x:echo"\ncomponent = "echo.wasm"\n')
    with pytest.raises(ConfigError, match="does not exist") as caught:
        Config.from_file(write_config('[actors.e]\nsource = { path = "echo" }\n'))
    assert (caught.value.file, caught.value.key) == (str(folder / "Wasmind.toml"), "component")


def test_source_file_that_is_not_wasm(write_config: WriteConfig, tmp_path: Path) -> None:
    (tmp_path / "actor.py").write_text("")
    with pytest.raises(ConfigError, match=r"neither a folder nor a \.wasm file"):
        Config.from_file(write_config('[actors.e]\nsource = { path = "actor.py" }\n'))
