"""Fetching git sources with the ``git`` command into a local cache folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from wasmind_nb.config.models import GitRef
from wasmind_nb.errors import ConfigError
from wasmind_nb.paths import cache_dir

GIT_TIMEOUT_S = 600


def normalize_url(url: str, base_dir: Path) -> str:
    """Make a local-path URL (``./repo``, ``~/repo``) absolute; leave remote URLs untouched."""
    if url.startswith((".", "~")) or Path(url).is_absolute():
        return str((base_dir / Path(url).expanduser()).resolve())
    return url


def ref_label(ref: GitRef | None) -> str:
    """``branch=main``, ``tag=v1``, ``rev=abc`` or ``default`` for the remote's default branch."""
    return f"{ref.kind}={ref.value}" if ref else "default"


def checkout(
    url: str, ref: GitRef | None, *, cache: Path | None, file: str, key: str, fresh: set[Path] | None = None
) -> Path:
    """Return a local work tree of ``url`` at ``ref``, cloning it or reusing (and updating) a cached one.

    Clones live in ``<cache>/git/``; ``cache=None`` means the default cache folder (see ``paths.cache_dir``).

    Tags and revisions are fixed, so a cached clone is reused as is; a branch (or the default branch) is
    fetched again and the work tree reset to it, once per load: ``fresh`` holds the clones already
    brought up to date by this load (upstream's configs take dozens of actors from one repository).
    """
    digest = hashlib.sha256(f"{url}#{ref_label(ref)}".encode()).hexdigest()[:16]
    dest = cache_dir(cache) / "git" / digest
    if fresh is not None and dest in fresh:
        return dest
    runner = _GitRunner(url, file=file, key=key)
    if (dest / ".git").is_dir():
        if ref is None or ref.kind == "branch":
            runner.run("fetch", "--quiet", "origin", ref.value if ref else "HEAD", cwd=dest)
            runner.run("reset", "--quiet", "--hard", "FETCH_HEAD", cwd=dest)
    else:
        _clone(runner, ref, dest)
    if fresh is not None:
        fresh.add(dest)
    return dest


def _clone(runner: _GitRunner, ref: GitRef | None, dest: Path) -> None:
    """Clone into a temporary sibling, check out ``ref``, then move it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        runner.run("clone", "--quiet", "--", runner.url, str(tmp), cwd=dest.parent)
        if ref is not None:
            target = {"branch": f"origin/{ref.value}", "tag": f"refs/tags/{ref.value}", "rev": ref.value}
            runner.run("checkout", "--quiet", "--detach", target[ref.kind], cwd=tmp)
        try:
            tmp.rename(dest)
        except OSError:
            if not (dest / ".git").is_dir():  # not a concurrent clone that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class _GitRunner:
    """Runs git commands for one URL; failures become ``ConfigError`` naming the URL and git's stderr."""

    def __init__(self, url: str, *, file: str, key: str) -> None:
        self.url = url
        self.file = file
        self.key = key

    def run(self, *args: str, cwd: Path) -> None:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        try:
            done = subprocess.run(
                ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=GIT_TIMEOUT_S
            )
        except FileNotFoundError:
            raise self._error("the 'git' command is not installed") from None
        except subprocess.TimeoutExpired:
            raise self._error(f"git {args[0]} did not finish within {GIT_TIMEOUT_S} s") from None
        if done.returncode != 0:
            raise self._error(f"git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def _error(self, message: str) -> ConfigError:
        return ConfigError(f"cannot fetch {self.url}: {message}", file=self.file, key=self.key)
