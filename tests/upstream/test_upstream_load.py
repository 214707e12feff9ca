"""Upstream Wasmind's example configs (shaped like them) load unchanged.

Rust actors fetched by git are built with ``cargo component`` when it works, else served by built-ins;
manifest keys that upstream ignores are warnings; ``[litellm]`` gives the models when ``[llm]`` is absent.
"""

from __future__ import annotations

import os
import stat
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from tests.upstream.repo import CONFIGS
from wasmind_nb.config import Config, ConfigWarning
from wasmind_nb.errors import ConfigError
from wasmind_nb.paths import builtin_actors_dir


def load(name: str, extra: str = "") -> tuple[Config, list[str]]:
    """Load a fixture config (``extra`` appended to its text), returning it and its warnings' texts."""
    path = CONFIGS / f"{name}.toml"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = Config.from_toml(path.read_text() + extra, base_dir=CONFIGS, source_name=str(path))
    assert all(issubclass(w.category, ConfigWarning) for w in caught), [str(w.message) for w in caught]
    return config, [str(w.message) for w in caught]


def served(messages: list[str]) -> str:
    found = [m for m in messages if m.startswith("upstream Wasmind's Rust actors are served")]
    assert len(found) == 1, messages
    return found[0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("assistant", {"assistant": ("wasmind:assistant", "assistant")}),
        (
            "code_with_experts",
            {
                "root_assistant": ("wasmind:assistant", "assistant"),
                "execute_bash": ("wasmind:execute_bash", "execute_bash"),
                "expert_file_reader": ("wasmind:file_interaction", "file_interaction"),
                "file_interaction_with_approval": (
                    "wasmind_code_with_experts:file_interaction_with_approval",
                    "file_interaction_with_approval",
                ),
                "hcwe_approve": ("wasmind_code_with_experts:approve", "approve"),
                "conversation_compaction": ("wasmind:conversation_compaction", "conversation_compaction"),
            },
        ),
        (
            "delegation_network",
            {
                "delegation_network_coordinator": (
                    "wasmind:delegation_network_coordinator",
                    "delegation_network_coordinator",
                ),
                "main_manager_assistant": ("wasmind:assistant", "assistant"),
                "rpr__review_plan": ("wasmind:review_plan", "review_plan"),
                "check_health_assistant": ("wasmind:assistant", "assistant"),
                "read_file": ("wasmind:file_interaction", "file_interaction"),
            },
        ),
    ],
)
def test_upstream_example_configs_load_with_stand_ins(upstream_repo: Path, name: str, expected: dict) -> None:
    config, messages = load(name)
    for actor, (actor_id, builtin) in expected.items():
        spec = config.actors[actor]
        assert spec.stand_in == builtin
        assert (spec.actor_id, spec.source_path, spec.kind) == (
            actor_id,
            (builtin_actors_dir() / builtin).resolve(),
            "python",
        )
    notice = served(messages)
    assert "they cannot be built here (no `cargo component`" in notice and "stand_ins = false" in notice
    assert "wasmind:assistant by built-in 'assistant'" in notice
    assert any("ignoring upstream-only table(s) [tui]" in m for m in messages)


def test_the_network_has_upstream_logical_names_and_the_builtins_needs(upstream_repo: Path) -> None:
    config, _ = load("delegation_network")
    assert config.starting_actors == ["delegation_network_coordinator"]
    assert config.expand_spawn(["delegation_network_coordinator"]) == [
        "delegation_network_coordinator", "main_manager_assistant", "spawn_agent", "send_message",
        "main_manager_request_plan_review", "planner", "wait", "conversation_compaction",
    ]  # fmt: skip
    manager = config.actors["main_manager_assistant"]
    assert manager.config["model_name"] == "qwen/qwen3-coder"  # the config's override
    assert "[role:main]" in manager.config["system_prompt"]["defaults"]["identity"]  # the manifest's prompt
    # what the built-in code needs comes from the built-in's own manifest, trusted
    assert manager.capabilities.llm and manager.capabilities.call_tools
    bash = config.actors["execute_bash"].capabilities
    assert bash.commands == ("bash",) and [p.guest_path for p in bash.fs] == ["/work"]
    assert config.actors["execute_bash"].scope_filter == "own"


def test_stand_ins_translate_upstream_config_keys_and_get_the_spawns_they_are_configured_for(
    upstream_repo: Path,
) -> None:
    config, _ = load("delegation_network")
    spawner = config.actors["spawn_agent"]
    worker = ["worker_assistant", "execute_bash", "worker_file_interaction_with_approval", "complete",
              "send_manager_message", "check_health"]  # fmt: skip
    assert spawner.config["agent_types"]["Worker"] == worker
    assert "worker_actors" not in spawner.config and "sub_manager_actors" not in spawner.config
    assert set(spawner.capabilities.spawn) == {*worker, *spawner.config["agent_types"]["SubManager"]}
    assert spawner.capabilities.message_agents == ("children",)

    health = config.actors["check_health"]
    assert health.config["analyzer_actors"] == ["check_health_assistant", "flag_issue", "report_normal"]
    assert health.capabilities.spawn == ("check_health_assistant", "flag_issue", "report_normal")

    review = config.actors["main_manager_request_plan_review"]
    assert review.config["review_actors"] == ["rpr__review_plan"]
    assert review.capabilities.spawn == (
        "plan_critic_assistant",
        "read_file",
        "execute_bash",
        "rpr__review_plan",
    )

    approval = config.actors["worker_file_interaction_with_approval"]
    assert approval.config["tool_actors"] == ["hcwe_approve", "hcwe_request_changes"]
    assert approval.capabilities.spawn == (
        "correctness_assistant",
        "read_file",
        "hcwe_approve",
        "hcwe_request_changes",
    )
    # the built-in's python_path (it shares file_interaction's code) comes along
    assert approval.python_path == ((builtin_actors_dir() / "file_interaction").resolve(),)


def test_a_spawn_grant_in_the_users_config_wins_over_the_derived_one(upstream_repo: Path) -> None:
    extra = '\n[actor_overrides.spawn_agent.capabilities]\nspawn = ["worker_assistant"]\n'
    config, _ = load("delegation_network", extra)
    assert config.actors["spawn_agent"].capabilities.spawn == ("worker_assistant",)


def test_manifest_keys_upstream_ignores_are_warnings_naming_file_and_key(upstream_repo: Path) -> None:
    config, messages = load("delegation_network")
    [misplaced] = [m for m in messages if "allow_edits" in m]
    assert "delegation_network_coordinator/Wasmind.toml" in misplaced
    assert "'dependencies.read_file.allow_edits' (a setting of the actor itself goes under" in misplaced
    assert "allow_edits" not in config.actors["read_file"].config  # ignored, as upstream does
    [descriptive] = [m for m in messages if "crates/approve/Wasmind.toml" in m]
    assert "'display_name', 'description', 'system_prompt_contributions'" in descriptive


def test_a_typo_in_a_manifest_key_is_a_warning_with_a_hint(make_crate, write_text) -> None:
    folder = make_crate("mine", 'actor_id = "me:mine"\ncomponent = "x.wasm"\nlistens_too = ["a.B"]\n')
    (folder / "x.wasm").write_bytes(b"")
    with pytest.warns(ConfigWarning, match=r"'listens_too' \(did you mean 'listens_to'\?\)") as caught:
        config = Config.from_toml(f'[actors.mine]\nsource = {{ path = "{folder}" }}\n')
    assert str(folder / "Wasmind.toml") in str(caught[0].message)
    assert config.actors["mine"].listens_to is None


@pytest.mark.parametrize("how", ["config", "env"])
def test_stand_ins_can_be_turned_off(upstream_repo: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    extra = ""
    if how == "config":
        extra = "\n[runtime]\nstand_ins = false\n"
    else:
        monkeypatch.setenv("WASMIND_NB_STAND_INS", "0")
    with pytest.raises(ConfigError) as caught:
        load("assistant", extra)
    message = str(caught.value)
    assert "actors/assistant' is a Rust crate (wasmind:assistant)" in message
    assert "needs `cargo component`, which is not installed (stand-ins are turned off)" in message
    assert "cargo install cargo-component" in message
    assert caught.value.key == "actors.assistant.source"


def test_a_rust_actor_upstream_does_not_ship_names_the_tool_to_install(make_crate) -> None:
    folder = make_crate("custom", 'actor_id = "me:custom"\n')
    with pytest.raises(
        ConfigError, match="Rust crate \\(me:custom\\): building it needs `cargo component`"
    ) as err:
        Config.from_toml(f'[actors.custom]\nsource = {{ path = "{folder}" }}\n')
    assert "rustup target add wasm32-wasip1" in str(err.value)
    assert "stand-ins" not in str(err.value)


# ---------------------------------------------------------------------------------------------- cargo


def test_with_cargo_component_installed_a_rust_actor_is_built_and_no_stand_in_is_used(
    fake_cargo: Path, make_crate, tmp_path: Path
) -> None:
    folder = make_crate("execute_bash", 'actor_id = "wasmind:execute_bash"\n', package="execute-bash")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stand-in notice
        config = Config.from_toml(f'[actors.bash]\nsource = {{ path = "{folder}" }}\n')
    spec = config.actors["bash"]
    target = tmp_path / "cache" / "cargo"
    [digest] = [p.name for p in target.iterdir()]
    assert spec.kind == "wasm" and spec.actor_id == "wasmind:execute_bash" and spec.stand_in is None
    assert spec.source_path == target / digest / "wasm32-wasip1" / "release" / "execute_bash.wasm"
    calls = (fake_cargo / "calls.log").read_text().splitlines()
    assert calls[0].endswith(": component --version")  # detection
    assert calls[1:] == [f"{folder}: component build --release --target-dir {target / digest}"]
    # the build (and the crate's build scripts) never see the host's secrets
    seen = (fake_cargo / "env.log").read_text().splitlines()
    assert {"PATH", "CARGO_HOME"} <= set(seen) and "OPENAI_API_KEY" not in seen


def test_a_failed_cargo_build_is_an_error_with_cargos_message(
    fake_cargo: Path, make_crate, monkeypatch
) -> None:
    monkeypatch.setenv("CARGO_FAKE_FAIL", "error[E0432]: unresolved import `wasmind_actor_utils`")
    folder = make_crate("broken", 'actor_id = "me:broken"\n')
    with pytest.raises(ConfigError) as err:
        Config.from_toml(f'[actors.a]\nsource = {{ path = "{folder}" }}\n')
    assert f"cargo component build of {folder} failed (exit 101)" in str(err.value)
    assert "unresolved import `wasmind_actor_utils`" in str(err.value)
    assert err.value.key == "actors.a.source"


def test_an_upstream_actor_whose_build_fails_is_served_by_its_stand_in_saying_why(
    fake_cargo: Path, make_crate, monkeypatch
) -> None:
    """Upstream's crates need their dependencies from the network: offline, their build fails."""
    monkeypatch.setenv("CARGO_FAKE_FAIL", "error: failed to download `serde v1.0.219`")
    folder = make_crate("assistant", 'actor_id = "wasmind:assistant"\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = Config.from_toml(f'[actors.a]\nsource = {{ path = "{folder}" }}\n')
    assert config.actors["a"].source_path == (builtin_actors_dir() / "assistant").resolve()
    failed, served_by = (str(w.message) for w in caught)
    assert f"cargo component build of {folder} failed" in failed and "failed to download" in failed
    assert failed.endswith("the built-in 'assistant' serves it instead")
    assert "wasmind:assistant by built-in 'assistant' (for a)" in served_by
    monkeypatch.setenv("WASMIND_NB_STAND_INS", "0")
    with pytest.raises(ConfigError, match="failed to download"):
        Config.from_toml(f'[actors.a]\nsource = {{ path = "{folder}" }}\n')


# ---------------------------------------------------------------------------------------------- [litellm]


def test_litellm_models_become_the_offered_models_and_the_key_variable_api_key_env(
    upstream_repo: Path,
) -> None:
    config, messages = load("assistant")
    assert (config.llm.mode, config.llm.base_url) == ("auto", None)  # still the embedded model: offline
    assert config.llm.models == ["openai/gpt-5-mini"]
    assert config.llm.api_key_env == "OPENAI_API_KEY"
    [notice] = [m for m in messages if "[litellm] is not run here" in m]
    assert 'write [llm] base_url = "https://api.openai.com", api_key_env = "OPENAI_API_KEY"' in notice
    assert not any("[litellm]" in m and "ignoring upstream-only" in m for m in messages)


def test_litellm_models_with_different_keys_say_what_to_set(upstream_repo: Path) -> None:
    config, messages = load("code_with_experts")
    assert config.llm.models == ["gpt-4o", "gemini-2.5-flash"]
    assert config.llm.api_key_env is None
    [notice] = [m for m in messages if "[litellm] is not run here" in m]
    assert "different keys (OPENAI_API_KEY (gpt-4o), OPENROUTER_API_KEY (gemini-2.5-flash))" in notice
    assert "point [llm] base_url at it" in notice


def test_a_litellm_route_that_is_not_openai_compatible_or_a_written_key_is_said() -> None:
    text = textwrap.dedent(
        """
        [[litellm.models]]
        model_name = "claude"
        litellm_params = { model = "anthropic/claude-sonnet-4", api_key = "os.environ/ANTHROPIC_API_KEY" }

        [[litellm.models]]
        model_name = "local"
        litellm_params = { model = "openai/llama", api_base = "http://127.0.0.1:8000", api_key = "sk-1" }
        """
    )
    with pytest.warns(ConfigWarning) as caught:
        config = Config.from_toml(text)
    notice = str(caught[0].message)
    assert config.llm.models == ["claude", "local"] and config.llm.api_key_env is None
    assert "'claude' routes to 'anthropic/claude-sonnet-4', which does not speak OpenAI's API" in notice
    assert "'local' has an api_key written in the file, which is never used" in notice
    assert 'base_url = "http://127.0.0.1:8000"' in notice
    assert "sk-1" not in notice and "sk-1" not in repr(config)


def test_with_an_llm_section_litellm_is_ignored(upstream_repo: Path) -> None:
    config, messages = load("assistant", '\n[llm]\nbase_url = "http://127.0.0.1:9"\nmodels = ["m"]\n')
    assert (config.llm.base_url, config.llm.models, config.llm.api_key_env) == (
        "http://127.0.0.1:9",
        ["m"],
        None,
    )
    assert any("ignoring upstream-only table(s) [tui], [litellm]" in m for m in messages)


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def make_crate(tmp_path: Path):
    """``make_crate(name, manifest)``: a Rust crate folder (``Cargo.toml`` + ``Wasmind.toml``)."""

    def make(name: str, manifest: str, *, package: str | None = None) -> Path:
        folder = tmp_path / "crates" / name
        folder.mkdir(parents=True)
        (folder / "Cargo.toml").write_text(f'[package]\nname = "{package or name}"\nversion = "0.1.0"\n')
        (folder / "Wasmind.toml").write_text(manifest)
        return folder

    return make


@pytest.fixture
def write_text(tmp_path: Path):
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


FAKE_CARGO = """\
#!{python}
# A stand-in for `cargo` with cargo-component: logs each call, "builds" by copying a prebuilt component.
import os, pathlib, shutil, sys, tomllib
here = pathlib.Path(__file__).parent
with open(here / "calls.log", "a") as log:
    log.write(f"{{os.getcwd()}}: {{' '.join(sys.argv[1:])}}\\n")
(here / "env.log").write_text("\\n".join(sorted(os.environ)))
if sys.argv[1:3] == ["component", "--version"]:
    print("cargo-component-component 0.21.1")
    sys.exit(0)
if os.environ.get("CARGO_FAKE_FAIL"):
    print("   Compiling assistant v0.1.0", file=sys.stderr)
    print(os.environ["CARGO_FAKE_FAIL"], file=sys.stderr)
    sys.exit(101)
assert sys.argv[1:4] == ["component", "build", "--release"] and sys.argv[4] == "--target-dir", sys.argv
name = tomllib.loads(pathlib.Path("Cargo.toml").read_text())["package"]["name"].replace("-", "_")
out = pathlib.Path(sys.argv[5]) / "wasm32-wasip1" / "release" / f"{{name}}.wasm"
out.parent.mkdir(parents=True, exist_ok=True)
shutil.copy(os.environ["CARGO_FAKE_COMPONENT"], out)
"""


@pytest.fixture
def fake_cargo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_echo_wasm: Path) -> Path:
    """A fake ``cargo`` first on ``PATH`` (its folder is returned; ``calls.log`` records each call)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cargo = bin_dir / "cargo"
    cargo.write_text(FAKE_CARGO.format(python=sys.executable))
    cargo.chmod(cargo.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("CARGO_FAKE_COMPONENT", str(raw_echo_wasm))
    monkeypatch.setenv("CARGO_HOME", str(tmp_path / "cargo-home"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-for-builds")
    monkeypatch.setenv("WASMIND_NB_CACHE", str(tmp_path / "cache"))
    return bin_dir


def test_one_repository_is_cloned_or_fetched_once_per_load(upstream_repo: Path, monkeypatch) -> None:
    """The network takes 24 actors from one repository: one clone, then one fetch per later load."""
    from wasmind_nb.config import git as git_module

    calls: list[str] = []
    run = git_module._GitRunner.run

    def counting(self, *args: str, cwd: Path) -> None:
        calls.append(args[0])
        run(self, *args, cwd=cwd)

    monkeypatch.setattr(git_module._GitRunner, "run", counting)
    first, _ = load("delegation_network")
    assert calls == ["clone"] and len(first.actors) == 24
    calls.clear()
    load("delegation_network")
    assert calls == ["fetch", "reset"]
