"""The shipped notebooks: executed by nbval against their saved outputs, and checked for stability."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from wasmind_nb.paths import cache_dir

REPO = Path(__file__).parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SANITIZE = REPO / "notebooks" / "nbval_sanitize.cfg"
# Paths of the machine that ran the notebook, which its saved outputs must not show. (Not the checkout's
# parent folder: it may be /work, the guest path at which the built-in actors see the working directory.)
MACHINE_PATHS = {
    path
    for path in (str(REPO), tempfile.gettempdir(), str(Path.home()), sys.prefix)
    if len(Path(path).parts) > 1  # never "/" itself
}


def sanitize(text: str) -> str:
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text()):
        text = re.sub(regex, replace, text)
    return text


def test_there_are_notebooks() -> None:
    assert {REPO / "notebooks" / name for name in ("quickstart.ipynb", "delegation.ipynb")} <= set(NOTEBOOKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_saved_executed_in_order_without_errors(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    for cell in code:
        assert all(out.output_type != "error" for out in cell.outputs), cell.source
        outputs = json.dumps(cell.outputs)
        assert not [path for path in MACHINE_PATHS if path in outputs], cell.source
    assert "widgets" not in nb.metadata  # no saved widget state (large, and random model ids)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_matches_its_saved_outputs_under_nbval(notebook: Path, tmp_path: Path) -> None:
    """What CI runs: ``pytest --nbval NOTEBOOK --nbval-sanitize-with notebooks/nbval_sanitize.cfg``."""
    env = {**os.environ, "WASMIND_NB_CACHE": str(cache_dir())}
    command = [
        sys.executable, "-m", "pytest", "--nbval", str(notebook.relative_to(REPO)),
        "--nbval-sanitize-with", str(SANITIZE.relative_to(REPO)),
        "-p", "no:cacheprovider", "-q", "--rootdir", str(REPO), "-o", f"cache_dir={tmp_path}",
    ]  # fmt: skip
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_sanitizer_hides_scope_ids_but_keeps_the_root_and_the_words() -> None:
    status = (
        "scope   name    state    actors\n000000  root    running  greeter\nWsDK4F  friend  running  greeter"
    )
    assert sanitize(status).splitlines()[1:] == [
        "000000  root    running  greeter",
        "SCOPE  friend  running  greeter",
    ]
    assert sanitize("spawned 'loud' in scope 0UAqFz (shouter)") == "spawned 'loud' in scope SCOPE (shouter)"
    assert sanitize("in scope 000000 (greeter)") == "in scope 000000 (greeter)"
    assert sanitize("<td><code>0UAqFz</code></td><code>000000</code>") == (
        "<td><code>SCOPE</code></td><code>000000</code>"
    )
    bar = "Loading actors:   0%|          | 0/2 [00:00<?, ?actor/s]"
    assert sanitize(bar) == "Loading actors: N%|BAR| N/2 [TIME]"
    done = "Loading actors: 100%|##########| 2/2 [00:00<00:00, 20.06actor/s, echo]"  # frozen at the end
    assert sanitize(done) == sanitize(bar)
    prose = "worker  answers\nThe scope of an agent\nstatus  of  it"  # only the table row is a scope
    assert sanitize(prose) == "worker  answers\nThe scope of an agent\nSCOPE  of  it"
