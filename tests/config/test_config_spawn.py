"""``Config.expand_spawn`` and ``Config.with_actor``."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmind_nb.config import ActorSpec, Config
from wasmind_nb.errors import ConfigError


def _spec(name: str, *required: str, auto_spawn: bool = False) -> ActorSpec:
    return ActorSpec(
        name=name,
        source_path=Path("/actors") / name,
        kind="python",
        required_spawn_with=required,
        auto_spawn=auto_spawn,
    )


def _config(*specs: ActorSpec) -> Config:
    return Config(actors={spec.name: spec for spec in specs}, source_file="test.toml")


def test_requested_names_come_first_in_order() -> None:
    assert _config(_spec("a"), _spec("b")).expand_spawn(["b", "a"]) == ["b", "a"]


def test_required_actors_expand_transitively_depth_first() -> None:
    config = _config(_spec("a", "b", "d"), _spec("b", "c"), _spec("c"), _spec("d"), _spec("e"))
    assert config.expand_spawn(["a", "e"]) == ["a", "b", "c", "d", "e"]


def test_duplicates_are_dropped_keeping_the_first() -> None:
    config = _config(_spec("a", "c"), _spec("b", "c"), _spec("c", "a"))
    assert config.expand_spawn(["a", "b", "a"]) == ["a", "c", "b"]


def test_auto_spawn_actors_join_every_request_with_their_requirements() -> None:
    config = _config(_spec("a"), _spec("logger", "sink", auto_spawn=True), _spec("sink"))
    assert config.expand_spawn(["a"]) == ["a", "logger", "sink"]
    assert config.expand_spawn([]) == ["logger", "sink"]


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown actor 'x' \(known actors: a, b\)") as caught:
        _config(_spec("b"), _spec("a")).expand_spawn(["a", "x"])
    assert caught.value.file == "test.toml"


def test_unknown_requirement_of_a_hand_made_config_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown actor 'ghost'"):
        _config(_spec("a", "ghost")).expand_spawn(["a"])


def test_with_actor_adds_and_replaces_without_touching_the_original() -> None:
    base = _config(_spec("a"))
    added = base.with_actor(_spec("b", "a"))
    replaced = added.with_actor(_spec("a", auto_spawn=True))
    assert list(base.actors) == ["a"]
    assert list(added.actors) == ["a", "b"]
    assert replaced.actors["a"].auto_spawn and not added.actors["a"].auto_spawn
    assert replaced.expand_spawn(["b"]) == ["b", "a"]
    assert replaced.source_file == base.source_file


def test_with_actor_rejects_unknown_requirements() -> None:
    with pytest.raises(ConfigError, match="unknown actor 'ghost'"):
        _config(_spec("a")).with_actor(_spec("b", "ghost"))


def test_actor_id_defaults_to_the_name() -> None:
    assert _spec("a").actor_id == "a"
    assert ActorSpec(name="a", actor_id="x:a", source_path=Path("/a"), kind="wasm").actor_id == "x:a"


def test_expand_spawn_on_a_loaded_config(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "actor.py").write_text("")
        (tmp_path / name / "Wasmind.toml").write_text(f'actor_id = "{name}"')
    config = Config.from_toml(
        """
        [actors.a]
        source = { path = "a" }
        required_spawn_with = ["b"]
        [actors.b]
        source = { path = "b" }
        [actors.c]
        source = { path = "c" }
        auto_spawn = true
        """,
        base_dir=tmp_path,
    )
    assert config.expand_spawn(["a"]) == ["a", "b", "c"]
