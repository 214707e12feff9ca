"""Loading a config file: syntax, types, unknown keys, sources, settings and upstream compatibility."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from wasmind_nb.config import Config, ConfigWarning
from wasmind_nb.errors import ConfigError

MakeActor = WriteConfig = Callable[..., Path]


def test_minimal_config_resolves_one_python_actor(make_actor: MakeActor, write_config: WriteConfig) -> None:
    folder = make_actor("actors/assistant", 'actor_id = "wasmind:assistant"')
    path = write_config(
        """
        starting_actors = ["assistant"]
        [actors.assistant]
        source = { path = "./actors/assistant" }
        config = { model_name = "gpt-4o-mini" }
        """
    )
    config = Config.from_file(path)
    spec = config.actors["assistant"]
    assert config.starting_actors == ["assistant"]
    assert config.source_file == str(path)
    assert config.base_dir == path.parent
    assert spec.actor_id == "wasmind:assistant"
    assert spec.kind == "python"
    assert spec.source_path == folder
    assert spec.config == {"model_name": "gpt-4o-mini"}
    assert spec.declared_in == str(path)
    assert (spec.auto_spawn, spec.required_spawn_with, spec.instance) == (False, (), None)
    assert (spec.listens_to, spec.scope_filter) == (None, "all")


def test_empty_text_is_an_empty_config() -> None:
    config = Config.from_toml("")
    assert (config.actors, config.starting_actors, config.source_file) == ({}, [], "<string>")


def test_from_toml_resolves_paths_from_base_dir(make_actor: MakeActor, tmp_path: Path) -> None:
    make_actor("sub/actors/a")
    config = Config.from_toml('[actors.a]\nsource = { path = "actors/a" }', base_dir=tmp_path / "sub")
    assert config.actors["a"].source_path == tmp_path / "sub" / "actors" / "a"
    assert config.base_dir == tmp_path / "sub"


def test_malformed_toml_names_file_line_and_column() -> None:
    with pytest.raises(ConfigError, match=r"malformed TOML.*line 2, column \d+") as caught:
        Config.from_toml("starting_actors = []\n[actors.a\n", source_name="broken.toml")
    assert caught.value.file == "broken.toml"
    assert "broken.toml" in str(caught.value)


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found") as caught:
        Config.from_file(tmp_path / "nope.toml")
    assert caught.value.file == str(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        ('auto_spawn = "yes"', "actors.a.auto_spawn", "expected a valid boolean, got 'yes'"),
        ('required_spawn_with = "b"', "actors.a.required_spawn_with", "expected a valid list"),
        ('instance = "pool"', "actors.a.instance", "expected 'isolated' or 'pooled', got 'pool'"),
        ('scope_filter = "mine"', "actors.a.scope_filter", "expected 'all' or 'own'"),
        ("config = 3", "actors.a.config", "expected a valid dictionary"),
        ("listens_to = [1]", "actors.a.listens_to[0]", "expected a valid string, got 1"),
    ],
)
def test_wrong_types_name_the_dotted_key(
    make_actor: MakeActor, write_config: WriteConfig, body: str, key: str, expected: str
) -> None:
    make_actor("a")
    path = write_config(f'[actors.a]\nsource = {{ path = "a" }}\n{body}\n')
    with pytest.raises(ConfigError) as caught:
        Config.from_file(path)
    assert caught.value.key == key
    assert caught.value.file == str(path)
    assert expected in str(caught.value)


def test_wrong_type_of_starting_actors(write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError, match="expected a valid list") as caught:
        Config.from_file(write_config('starting_actors = "a"'))
    assert caught.value.key == "starting_actors"


def test_unknown_key_inside_actor_is_rejected_with_a_hint(
    make_actor: MakeActor, write_config: WriteConfig
) -> None:
    make_actor("a")
    path = write_config('[actors.a]\nsource = { path = "a" }\nauto_spwan = true\n')
    with pytest.raises(
        ConfigError, match=r"unknown key 'auto_spwan' \(did you mean 'auto_spawn'\?\)"
    ) as caught:
        Config.from_file(path)
    assert (caught.value.key, caught.value.file) == ("actors.a.auto_spwan", str(path))


def test_unknown_key_inside_source_is_rejected(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a")
    path = write_config('[actors.a]\nsource = { path = "a", branch = "main" }\n')
    wrong_table = r"'branch' does not belong here \(it is a key of git_ref\)"
    with pytest.raises(ConfigError, match=wrong_table) as caught:
        Config.from_file(path)
    assert caught.value.key == "actors.a.source.branch"


def test_unknown_top_level_key_is_rejected(write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError, match="unknown key 'starting_actor'") as caught:
        Config.from_file(write_config('starting_actor = ["a"]'))
    assert caught.value.key == "starting_actor"


def test_several_problems_are_all_reported(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a")
    path = write_config('[actors.a]\nsource = { path = "a" }\nauto_spawn = 1\ninstance = "x"\n')
    with pytest.raises(ConfigError) as caught:
        Config.from_file(path)
    assert caught.value.key == "actors.a.auto_spawn"
    assert "also 'actors.a.instance'" in str(caught.value)


def test_missing_source_is_an_error(write_config: WriteConfig) -> None:
    path = write_config("[actors.a]\nconfig = { x = 1 }\n")
    with pytest.raises(ConfigError, match="missing required key 'source'") as caught:
        Config.from_file(path)
    assert (caught.value.key, caught.value.file) == ("actors.a.source", str(path))


def test_source_of_the_wrong_shape_is_an_error(write_config: WriteConfig) -> None:
    path = write_config('[actors.a]\nsource = "./a"\n')
    with pytest.raises(ConfigError, match="expected a table with 'path'") as caught:
        Config.from_file(path)
    assert caught.value.key == "actors.a.source"


def test_source_path_that_does_not_exist(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config('[actors.a]\nsource = { path = "./missing" }\n')
    with pytest.raises(ConfigError, match="does not exist") as caught:
        Config.from_file(path)
    assert (caught.value.key, caught.value.file) == ("actors.a.source.path", str(path))
    assert str(tmp_path / "missing") in str(caught.value)


def test_python_folder_without_manifest_names_the_folder(
    make_actor: MakeActor, write_config: WriteConfig
) -> None:
    folder = make_actor("a", "")
    path = write_config('[actors.a]\nsource = { path = "a" }\n')
    with pytest.raises(ConfigError, match=r"has no Wasmind\.toml") as caught:
        Config.from_file(path)
    assert str(folder) in str(caught.value)
    assert caught.value.key == "actors.a.source"


def test_folder_with_neither_actor_py_nor_component(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a", python=False)
    with pytest.raises(ConfigError, match=r"neither actor\.py"):
        Config.from_file(write_config('[actors.a]\nsource = { path = "a" }\n'))


def test_manifest_without_actor_id(make_actor: MakeActor, write_config: WriteConfig) -> None:
    folder = make_actor("a", "required_spawn_with = []")
    with pytest.raises(ConfigError, match="missing required key 'actor_id'") as caught:
        Config.from_file(write_config('[actors.a]\nsource = { path = "a" }\n'))
    assert caught.value.file == str(folder / "Wasmind.toml")


def test_malformed_manifest_names_the_manifest(make_actor: MakeActor, write_config: WriteConfig) -> None:
    folder = make_actor("a", "actor_id = \n")
    with pytest.raises(ConfigError, match="malformed TOML") as caught:
        Config.from_file(write_config('[actors.a]\nsource = { path = "a" }\n'))
    assert caught.value.file == str(folder / "Wasmind.toml")


def test_unknown_starting_actor_lists_known_names(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a")
    path = write_config('starting_actors = ["b"]\n[actors.a]\nsource = { path = "a" }\n')
    with pytest.raises(ConfigError, match=r"unknown actor 'b' \(known actors: a\)") as caught:
        Config.from_file(path)
    assert (caught.value.key, caught.value.file) == ("starting_actors", str(path))


def test_unknown_required_spawn_with_in_config(make_actor: MakeActor, write_config: WriteConfig) -> None:
    make_actor("a")
    path = write_config('[actors.a]\nsource = { path = "a" }\nrequired_spawn_with = ["ghost"]\n')
    with pytest.raises(ConfigError, match="requires unknown actor 'ghost'") as caught:
        Config.from_file(path)
    assert (caught.value.key, caught.value.file) == ("actors.a.required_spawn_with", str(path))


def test_unknown_required_spawn_with_in_manifest(make_actor: MakeActor, write_config: WriteConfig) -> None:
    folder = make_actor("a", 'actor_id = "a"\nrequired_spawn_with = ["ghost"]\n')
    with pytest.raises(ConfigError, match="requires unknown actor 'ghost'") as caught:
        Config.from_file(write_config('[actors.a]\nsource = { path = "a" }\n'))
    assert (caught.value.key, caught.value.file) == ("required_spawn_with", str(folder / "Wasmind.toml"))


# --- [llm] and [runtime] -------------------------------------------------------------------------


def test_settings_defaults() -> None:
    config = Config.from_toml("")
    assert config.llm.mode == "auto"
    assert (config.llm.base_url, config.llm.api_key_env, config.llm.models) == (None, None, [])
    assert (config.runtime.instances, config.runtime.workers, config.runtime.handler_timeout_s) == (
        "isolated",
        8,
        60.0,
    )
    assert config.runtime.replayable == ["wasmind.common.litellm.BaseUrlUpdate"]
    assert config.runtime.cache_dir is None


def test_settings_are_read_and_paths_resolved(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(
        """
        [llm]
        mode = "replay"
        base_url = "http://127.0.0.1:4000"
        api_key_env = "OPENAI_API_KEY"
        models = ["gpt-4o-mini"]
        script = "llm/script.json"
        trace = "traces/run.jsonl"
        [runtime]
        instances = "pooled"
        workers = 2
        handler_timeout_s = 1.5
        replayable = []
        cache_dir = ".cache"
        """
    )
    config = Config.from_file(path)
    assert config.llm.mode == "replay"
    assert config.llm.base_url == "http://127.0.0.1:4000"
    assert config.llm.api_key_env == "OPENAI_API_KEY"
    assert config.llm.script == str(tmp_path / "llm" / "script.json")
    assert config.llm.trace == str(tmp_path / "traces" / "run.jsonl")
    assert (config.runtime.instances, config.runtime.workers) == ("pooled", 2)
    assert config.runtime.replayable == []
    assert config.runtime.cache_dir == tmp_path / ".cache"


def test_inline_api_key_is_rejected(write_config: WriteConfig) -> None:
    path = write_config('[llm]\napi_key = "sk-123"\n')
    with pytest.raises(ConfigError, match="api_key_env") as caught:
        Config.from_file(path)
    assert (caught.value.key, caught.value.file) == ("llm.api_key", str(path))
    assert "sk-123" not in str(caught.value)


def test_api_key_env_must_be_a_variable_name(write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError, match="NAME of an environment variable") as caught:
        Config.from_file(write_config('[llm]\napi_key_env = "sk-live-123"\n'))
    assert caught.value.key == "llm.api_key_env"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[llm]\nmode = "online"', "llm.mode"),
        ('[llm]\nbase_url = "localhost:4000"', "llm.base_url"),
        ("[llm]\ntimeout_s = 0", "llm.timeout_s"),
        ("[llm]\nmodel = []", "llm.model"),
        ("[runtime]\nworkers = 0", "runtime.workers"),
        ('[runtime]\ninstances = "shared"', "runtime.instances"),
        ("[runtime]\ncache_dir = 3", "runtime.cache_dir"),
        ("[runtime]\nworker = 2", "runtime.worker"),
    ],
)
def test_bad_settings_name_the_key(write_config: WriteConfig, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_file(write_config(text))
    assert caught.value.key == key


# --- upstream compatibility ----------------------------------------------------------------------


def test_upstream_only_tables_are_ignored_with_one_warning(write_config: WriteConfig) -> None:
    path = write_config(
        """
        [tui.chat.key_bindings]
        "ctrl-a" = "Assist"
        [litellm]
        image = "ghcr.io/berriai/litellm:main-latest"
        [[litellm.models]]
        model_name = "m"
        [docker]
        enabled = true
        """
    )
    with pytest.warns(ConfigWarning) as record:
        config = Config.from_file(path)
    # without [llm], [litellm] is read for its models (one warning of its own, see tests/upstream)
    assert [str(w.message).split(": ", 1)[1][:35] for w in record] == [
        "[litellm] is not run here (upstream",
        "ignoring upstream-only table(s) [do",
    ]
    assert all(name in str(record[1].message) for name in ("[docker]", "[tui]"))
    assert config.llm.models == ["m"]


def test_with_llm_every_upstream_only_table_is_ignored_with_one_warning(write_config: WriteConfig) -> None:
    path = write_config(
        '[tui]\nx = 1\n[litellm]\nport = 4000\n[docker]\nenabled = true\n[llm]\nmodels = ["a"]\n'
    )
    with pytest.warns(ConfigWarning) as record:
        config = Config.from_file(path)
    assert len(record) == 1
    assert all(name in str(record[0].message) for name in ("[docker]", "[tui]", "[litellm]"))
    assert config.llm.models == ["a"]


def test_upstream_style_config_loads(make_actor: MakeActor, write_config: WriteConfig) -> None:
    """A config in upstream's shape: [actors], overrides of manifest dependencies, a TUI table."""
    make_actor(
        "actors/coordinator/crates/coordinator",
        """
        actor_id = "wasmind:coordinator"
        required_spawn_with = ["worker_assistant", "execute_bash"]

        [dependencies.worker_assistant]
        source = { path = "../../../assistant" }

        [dependencies.worker_assistant.config]
        require_tool_call = true

        [dependencies.worker_assistant.config.system_prompt.defaults]
        identity = "You are a worker."

        [dependencies.execute_bash]
        source = { path = "../../../execute_bash" }
        """,
    )
    make_actor("actors/assistant", 'actor_id = "wasmind:assistant"')
    make_actor("actors/execute_bash", 'actor_id = "wasmind:execute_bash"')
    path = write_config(
        """
        starting_actors = ["coordinator"]

        [tui.dashboard.key_bindings]
        "ctrl-c" = "Exit"

        [actors.coordinator]
        source = { path = "./actors/coordinator", package = "crates/coordinator" }

        [actor_overrides.worker_assistant.config]
        model_name = "gemini-2.5-flash"
        """
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        config = Config.from_file(path)
    assert list(config.actors) == ["coordinator", "worker_assistant", "execute_bash"]
    assert config.actors["worker_assistant"].config == {
        "require_tool_call": True,
        "system_prompt": {"defaults": {"identity": "You are a worker."}},
        "model_name": "gemini-2.5-flash",
    }
    assert config.expand_spawn(config.starting_actors) == ["coordinator", "worker_assistant", "execute_bash"]
    assert config.actors["coordinator"].actor_id == "wasmind:coordinator"


def test_upstream_git_source_spelling_url_and_package_is_accepted(write_config: WriteConfig) -> None:
    """Upstream's loader reads ``url``/``package``; they mean ``git``/``sub_dir`` (here: the URL fails)."""
    path = write_config('[actors.a]\nsource = { url = "./no-such-repo", package = "x" }\n')
    with pytest.raises(ConfigError, match="cannot fetch") as caught:
        Config.from_file(path)
    assert caught.value.key == "actors.a.source.git"


def test_config_toml_serialises_the_config_for_the_constructor(
    make_actor: MakeActor, write_config: WriteConfig
) -> None:
    make_actor("a")
    make_actor("b")
    config = Config.from_file(
        write_config(
            '[actors.a]\nsource = { path = "a" }\nconfig = { x = 1 }\n[actors.b]\nsource = { path = "b" }\n'
        )
    )
    assert config.actors["a"].config_toml() == "x = 1\n"
    assert config.actors["b"].config_toml() == ""


def test_builtin_sources_name_the_shipped_actors(tmp_path) -> None:
    from wasmind_nb.config import Config
    from wasmind_nb.errors import ConfigError
    from wasmind_nb.paths import builtin_actors_dir

    config = Config.from_toml('[actors.bash]\nsource = { builtin = "execute_bash" }\n', base_dir=tmp_path)
    assert config.actors["bash"].source_path == (builtin_actors_dir() / "execute_bash").resolve()
    with pytest.raises(ConfigError, match=r"no built-in actor 'nosuch'.*execute_bash") as err:
        Config.from_toml('[actors.x]\nsource = { builtin = "nosuch" }\n', base_dir=tmp_path)
    assert err.value.key == "actors.x.source.builtin"


@pytest.mark.parametrize(
    ("text", "key", "table"),
    [
        ('base_url = "http://localhost:8000"\n', "base_url", "[llm]"),
        ("[llm]\nworkers = 2\n", "llm.workers", "[runtime]"),
    ],
)
def test_a_key_in_the_wrong_table_names_the_right_one(text: str, key: str, table: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_toml(text)
    assert f"does not belong here (it is a key of {table})" in str(caught.value)
    assert caught.value.key == key
