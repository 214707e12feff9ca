"""Git sources, against local repositories made in the test's temporary folder (no network)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from wasmind_nb.config import Config
from wasmind_nb.errors import ConfigError

WriteConfig = Callable[..., Path]


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _write_actor(repo: Path, actor_id: str) -> None:
    folder = repo / "actors" / "echo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "actor.py").write_text("")
    (folder / "Wasmind.toml").write_text(
        f'actor_id = "{actor_id}"\n[dependencies.helper]\nsource = {{ path = "../helper" }}\n'
    )
    helper = repo / "actors" / "helper"
    helper.mkdir(exist_ok=True)
    (helper / "actor.py").write_text("")
    (helper / "Wasmind.toml").write_text('actor_id = "helper"\n')


def _commit(repo: Path, actor_id: str) -> str:
    _write_actor(repo, actor_id)
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", actor_id)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main: v1 (tagged v1) then v2; branch dev: v1 then dev."""
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Test\n\temail = test@example.com\n[commit]\n\tgpgsign = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "--quiet", "--initial-branch=main")
    _commit(path, "echo:v1")
    _git(path, "tag", "v1")
    _git(path, "branch", "dev")
    _commit(path, "echo:v2")
    _git(path, "checkout", "--quiet", "dev")
    _commit(path, "echo:dev")
    _git(path, "checkout", "--quiet", "main")
    return path


def _load(write_config: WriteConfig, source: str) -> Config:
    return Config.from_file(write_config(f"[actors.echo]\nsource = {source}\n"))


def test_branch(repo: Path, write_config: WriteConfig) -> None:
    config = _load(
        write_config,
        f'{{ git = "{repo.as_uri()}", git_ref = {{ branch = "dev" }}, sub_dir = "actors/echo" }}',
    )
    assert config.actors["echo"].actor_id == "echo:dev"


def test_tag(repo: Path, write_config: WriteConfig) -> None:
    config = _load(
        write_config, f'{{ git = "{repo.as_uri()}", git_ref = {{ tag = "v1" }}, sub_dir = "actors/echo" }}'
    )
    assert config.actors["echo"].actor_id == "echo:v1"


@pytest.mark.parametrize("length", [40, 8])
def test_rev(repo: Path, write_config: WriteConfig, length: int) -> None:
    rev = _git(repo, "rev-parse", "v1")[:length]
    config = _load(
        write_config, f'{{ git = "{repo.as_uri()}", git_ref = {{ rev = "{rev}" }}, sub_dir = "actors/echo" }}'
    )
    assert config.actors["echo"].actor_id == "echo:v1"


def test_default_branch_and_dependencies_inside_the_clone(
    repo: Path, write_config: WriteConfig, tmp_path: Path
) -> None:
    config = _load(write_config, f'{{ git = "{repo.as_uri()}", sub_dir = "actors/echo" }}')
    echo, helper = config.actors["echo"], config.actors["helper"]
    assert echo.actor_id == "echo:v2"
    clone = echo.source_path.parent.parent
    assert clone.parent == tmp_path / "cache" / "git"
    assert len(clone.name) == 16 and all(char in "0123456789abcdef" for char in clone.name)
    assert helper.source_path == clone / "actors" / "helper"


def test_relative_local_url_resolves_from_the_declaring_file(repo: Path, write_config: WriteConfig) -> None:
    config = _load(write_config, '{ git = "./repo", git_ref = { tag = "v1" }, sub_dir = "actors/echo" }')
    assert config.actors["echo"].actor_id == "echo:v1"


def test_tag_clone_is_reused_without_the_remote(repo: Path, write_config: WriteConfig) -> None:
    source = f'{{ git = "{repo.as_uri()}", git_ref = {{ tag = "v1" }}, sub_dir = "actors/echo" }}'
    first = _load(write_config, source)
    (repo / ".git").rename(repo / "moved.git")  # the remote is gone: a second clone or fetch would fail
    second = _load(write_config, source)
    assert second.actors["echo"].source_path == first.actors["echo"].source_path
    assert second.actors["echo"].actor_id == "echo:v1"


def test_branch_clone_is_fetched_again(repo: Path, write_config: WriteConfig) -> None:
    source = f'{{ git = "{repo.as_uri()}", git_ref = {{ branch = "dev" }}, sub_dir = "actors/echo" }}'
    assert _load(write_config, source).actors["echo"].actor_id == "echo:dev"
    _git(repo, "checkout", "--quiet", "dev")
    _commit(repo, "echo:dev2")
    assert _load(write_config, source).actors["echo"].actor_id == "echo:dev2"


def test_missing_sub_dir(repo: Path, write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError, match="sub_dir 'nope' does not exist") as caught:
        _load(write_config, f'{{ git = "{repo.as_uri()}", sub_dir = "nope" }}')
    assert caught.value.key == "actors.echo.source.sub_dir"


def test_clone_failure_names_the_url_and_git_stderr(tmp_path: Path, write_config: WriteConfig) -> None:
    url = (tmp_path / "no-such-repo").as_uri()
    path = write_config(f'[actors.echo]\nsource = {{ git = "{url}" }}\n')
    with pytest.raises(ConfigError, match=f"cannot fetch {url}: git clone failed: .+") as caught:
        Config.from_file(path)
    assert (caught.value.file, caught.value.key) == (str(path), "actors.echo.source.git")
    assert not list((tmp_path / "cache" / "git").iterdir())  # no half-made clone is left behind


def test_unknown_ref_names_the_url(repo: Path, write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError, match=r"git checkout failed: .*nope"):
        _load(write_config, f'{{ git = "{repo.as_uri()}", git_ref = {{ tag = "nope" }} }}')


@pytest.mark.parametrize(
    ("git_ref", "expected"),
    [
        ("{}", "exactly one of 'branch', 'tag' or 'rev'"),
        ('{ branch = "a", tag = "b" }', "exactly one of 'branch', 'tag' or 'rev'"),
        ('{ branch = "--upload-pack=x" }', "not a valid git ref name"),
        ('{ commit = "abc" }', "unknown key 'commit'"),
    ],
)
def test_bad_git_ref(write_config: WriteConfig, git_ref: str, expected: str) -> None:
    path = write_config(f'[actors.a]\nsource = {{ git = "file:///x", git_ref = {git_ref} }}\n')
    with pytest.raises(ConfigError, match=expected) as caught:
        Config.from_file(path)
    assert caught.value.key.startswith("actors.a.source.git_ref")


def test_runtime_cache_dir_holds_the_clones(repo: Path, write_config: WriteConfig, tmp_path: Path) -> None:
    source = f'{{ git = "{repo.as_uri()}", sub_dir = "actors/echo" }}'
    path = write_config(f'[runtime]\ncache_dir = "my-cache"\n[actors.echo]\nsource = {source}\n')
    clone = Config.from_file(path).actors["echo"].source_path.parent.parent
    assert clone.parent == tmp_path / "my-cache" / "git"
