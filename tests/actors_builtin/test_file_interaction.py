"""The ``file_interaction`` tool actor (``read_file``, ``edit_file``), driven by ``ExecuteToolCall``."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from tests.actors_builtin.tools_helpers import (
    builtin_config,
    call,
    contributions,
    send_call,
    statuses_for,
    tools_offered,
)
from wasmind_nb import Wasmind
from wasmind_sdk.messages import SystemPromptData

pytestmark = pytest.mark.anyio

ROOT = "000000"
KEY = "file_interaction:open_files"


def mind_for(tmp_path: Path, actor_config: str = "", *, fs: str | None = None) -> Wasmind:
    """A Wasmind running ``file_interaction``; by default ``tmp_path`` is a writable ``/work``."""
    if fs is None:
        fs = f'[{{ host = "{tmp_path}", guest = "/work", read_only = false }}]'
    text = f"""
        starting_actors = ["file_interaction"]
        [actors.file_interaction]
        source = {{ path = "file_interaction" }}
        config = {{ {actor_config} }}
        [actors.file_interaction.capabilities]
        fs = {fs}
    """
    return Wasmind(builtin_config(text), working_dir=tmp_path, progress=False)


def lines(count: int) -> str:
    return "".join(f"line {n}\n" for n in range(1, count + 1))


# ---------------------------------------------------------------------------------------------- tools


async def test_offers_read_file_and_edit_file(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        offered = tools_offered(mind, ROOT)
    assert set(offered) == {"read_file", "edit_file"}
    assert offered["read_file"]["required"] == ["path"]
    assert offered["edit_file"]["required"] == ["path", "edits"]
    edit_item = offered["edit_file"]["properties"]["edits"]["items"]
    assert set(edit_item["properties"]) == {"old_string", "new_string", "replace_all"}


async def test_allow_edits_false_offers_and_runs_only_read_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("keep\n")
    async with mind_for(tmp_path, "allow_edits = false") as mind:
        assert set(tools_offered(mind, ROOT)) == {"read_file"}
        assert not (await call(mind, ROOT, "read_file", {"path": "a.txt"})).failed
        edit = {"path": "a.txt", "edits": [{"old_string": "keep", "new_string": "lost"}]}
        call_id = await send_call(mind, ROOT, "edit_file", edit)
        await mind.wait_idle()
        assert statuses_for(mind, call_id) == []
    assert (tmp_path / "a.txt").read_text() == "keep\n"


# ---------------------------------------------------------------------------------------------- read_file


async def test_read_file_numbers_the_lines(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "read_file", {"path": "notes.txt"})
    assert not outcome.failed
    assert outcome.content == "notes.txt (lines 1-3 of 3):\n1\talpha\n2\tbeta\n3\tgamma"
    assert outcome.result.ui_display_info.collapsed == "read_file notes.txt (lines 1-3 of 3)"
    assert outcome.result.ui_display_info.expanded == "1\talpha\n2\tbeta\n3\tgamma"


async def test_read_file_with_a_range(tmp_path: Path) -> None:
    (tmp_path / "ten.txt").write_text(lines(10))
    async with mind_for(tmp_path) as mind:
        middle = await call(mind, ROOT, "read_file", {"path": "ten.txt", "start_line": 8, "end_line": 9})
        tail = await call(mind, ROOT, "read_file", {"path": "ten.txt", "start_line": 9})
        clamped = await call(mind, ROOT, "read_file", {"path": "ten.txt", "start_line": 10, "end_line": 99})
        head = await call(mind, ROOT, "read_file", {"path": "ten.txt", "end_line": 2})
    assert middle.content == "ten.txt (lines 8-9 of 10):\n8\tline 8\n9\tline 9"
    assert tail.content == "ten.txt (lines 9-10 of 10):\n 9\tline 9\n10\tline 10"
    assert clamped.content == "ten.txt (lines 10-10 of 10):\n10\tline 10"
    assert head.content == "ten.txt (lines 1-2 of 10):\n1\tline 1\n2\tline 2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"start_line": 5, "end_line": 4}, "'end_line' (4) is before 'start_line' (5)"),
        ({"start_line": 11}, "'start_line' 11 is past the end of ten.txt (10 lines)"),
        ({"start_line": 0}, "'start_line' must be a positive integer, got 0"),
        ({"end_line": "last"}, "'end_line' must be a positive integer, got 'last'"),
    ],
)
async def test_read_file_rejects_bad_ranges(tmp_path: Path, args: dict[str, object], message: str) -> None:
    (tmp_path / "ten.txt").write_text(lines(10))
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "read_file", {"path": "ten.txt", **args})
    assert outcome.failed
    assert outcome.content == message


async def test_long_files_are_cut_with_a_notice(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text(lines(1200))
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "read_file", {"path": "big.txt"})
        rest = await call(mind, ROOT, "read_file", {"path": "big.txt", "start_line": 1001})
    assert outcome.content.startswith("big.txt (lines 1-1000 of 1200):\n   1\tline 1\n")
    assert outcome.content.endswith(
        "1000\tline 1000\n[cut at line 1000 of 1200: read on with start_line=1001]"
    )
    assert rest.content.startswith("big.txt (lines 1001-1200 of 1200):")
    assert "cut at line" not in rest.content


async def test_the_cut_is_configurable_in_lines_and_characters(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text(lines(50))
    (tmp_path / "wide.txt").write_text("x" * 100 + "\n" + "y" * 100 + "\n")
    async with mind_for(tmp_path, "max_lines = 5, max_chars = 150") as mind:
        by_lines = await call(mind, ROOT, "read_file", {"path": "big.txt"})
        by_chars = await call(mind, ROOT, "read_file", {"path": "wide.txt"})
    assert by_lines.content.startswith("big.txt (lines 1-5 of 50):")
    assert by_lines.content.endswith("[cut at line 5 of 50: read on with start_line=6]")
    assert by_chars.content.startswith("wide.txt (lines 1-1 of 2):")
    assert "y" not in by_chars.content.split("\n", 1)[1].split("[cut")[0]


async def test_an_empty_file_reads_as_empty(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "read_file", {"path": "empty.txt"})
    assert outcome.content == "empty.txt (empty file): (no content)"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "target does not exist"),
        (lambda p: (p / "target").mkdir(), "target is a directory, not a file"),
        (lambda p: (p / "target").write_bytes(b"ab\0cd"), "target is a binary file, not text"),
        (lambda p: (p / "target").write_bytes(b"caf\xe9\n"), "target is not UTF-8 text"),
    ],
)
async def test_unreadable_targets_are_errors(tmp_path: Path, setup, message: str) -> None:
    setup(tmp_path)
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "read_file", {"path": "target"})
    assert outcome.failed
    assert outcome.content == message


async def test_absolute_paths_inside_the_root_work(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f.txt").write_text("hi\n")
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "read_file", {"path": str(tmp_path / "sub" / "f.txt")})
    assert outcome.content == "sub/f.txt (lines 1-1 of 1):\n1\thi"


@pytest.mark.parametrize("path", ["../outside.txt", "sub/../../outside.txt", "/etc/hostname"])
async def test_paths_outside_every_root_are_refused(tmp_path: Path, path: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("secret\n")
    fs = f'[{{ host = "{root}", guest = "/work", read_only = false }}]'
    async with mind_for(root, fs=fs) as mind:
        outcome = await call(mind, ROOT, "read_file", {"path": path})
        created = await call(
            mind, ROOT, "edit_file", {"path": path, "edits": [{"old_string": "", "new_string": "x"}]}
        )
    for result in (outcome, created):
        assert result.failed
        assert "is outside what this actor may touch" in result.content
        assert "secret" not in result.content
    assert (tmp_path / "outside.txt").read_text() == "secret\n"


async def test_symlinks_cannot_lead_out_of_the_granted_folder(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET\n")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "dirlink").symlink_to(outside)
    fs = f'[{{ host = "{root}", guest = "/work", read_only = false }}]'
    async with mind_for(root, fs=fs) as mind:
        by_file = await call(mind, ROOT, "read_file", {"path": "link.txt"})
        by_dir = await call(mind, ROOT, "read_file", {"path": "dirlink/secret.txt"})
        created = await call(mind, ROOT, "edit_file", edit("dirlink/new.txt", ("", "x")))
    for outcome in (by_file, by_dir, created):
        assert outcome.failed and "TOP SECRET" not in outcome.content
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


async def test_without_a_filesystem_grant_the_error_says_how_to_grant_it(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    async with mind_for(tmp_path, fs="[]") as mind:
        outcome = await call(mind, ROOT, "read_file", {"path": "a.txt"})
    assert outcome.failed
    assert outcome.content == (
        f"this actor has no access to {tmp_path}: grant it in the config with "
        f'capabilities.fs = [{{ host = "{tmp_path}", guest = "/work", read_only = false }}]'
    )


async def test_roots_map_other_folders_to_other_guest_paths(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "main.py").write_text("print(1)\n")
    (tmp_path / "loose.txt").write_text("no\n")
    fs = f'[{{ host = "{tmp_path / "project"}", guest = "/src", read_only = false }}]'
    roots = 'roots = [{ host = "project", guest = "/src" }]'
    async with mind_for(tmp_path, roots, fs=fs) as mind:
        inside = await call(mind, ROOT, "read_file", {"path": "project/main.py"})
        outside = await call(mind, ROOT, "read_file", {"path": "loose.txt"})
    assert inside.content == "project/main.py (lines 1-1 of 1):\n1\tprint(1)"
    assert outside.failed and "outside what this actor may touch" in outside.content


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "'path' is required and must be a non-empty string"),
        ({"path": ""}, "'path' is required and must be a non-empty string"),
        ({"path": 3}, "'path' is required and must be a non-empty string"),
    ],
)
async def test_read_file_needs_a_path(tmp_path: Path, args: dict[str, object], message: str) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "read_file", args)
    assert outcome.failed and outcome.content == message


# ---------------------------------------------------------------------------------------------- edit_file


def edit(path: str, *edits: tuple[str, str] | tuple[str, str, bool]) -> dict[str, object]:
    return {
        "path": path,
        "edits": [
            {"old_string": e[0], "new_string": e[1], **({"replace_all": e[2]} if len(e) > 2 else {})}
            for e in edits
        ],
    }


async def test_edit_needs_a_prior_read(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "edit_file", edit("a.py", ("x = 1", "x = 2")))
    assert outcome.failed
    assert outcome.content == "read a.py with read_file before editing it"
    assert (tmp_path / "a.py").read_text() == "x = 1\n"


async def test_edit_after_read_writes_the_file_and_returns_a_unified_diff(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a = 1\nb = 2\nc = 3\n")
    async with mind_for(tmp_path) as mind:
        await call(mind, ROOT, "read_file", {"path": "a.py", "start_line": 3})  # a partial read counts
        outcome = await call(mind, ROOT, "edit_file", edit("a.py", ("b = 2\n", "b = 20\nbb = 21\n")))
    assert not outcome.failed
    assert (tmp_path / "a.py").read_text() == "a = 1\nb = 20\nbb = 21\nc = 3\n"
    diff = "--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,4 @@\n a = 1\n-b = 2\n+b = 20\n+bb = 21\n c = 3\n"
    assert outcome.content == f"Edited a.py: 1 edit, 1 replacement (+2 -1 lines).\n\n{diff.rstrip()}"
    assert outcome.result.ui_display_info.collapsed == "edit_file a.py (+2 -1)"
    assert outcome.result.ui_display_info.expanded == diff


async def test_edits_apply_in_order_and_later_edits_need_no_new_read(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one two\n")
    async with mind_for(tmp_path) as mind:
        await call(mind, ROOT, "read_file", {"path": "a.txt"})
        first = await call(mind, ROOT, "edit_file", edit("a.txt", ("one", "1"), ("1 two", "1 2")))
        second = await call(mind, ROOT, "edit_file", edit("a.txt", ("1 2", "done")))
    assert not first.failed and not second.failed
    assert first.content.startswith("Edited a.txt: 2 edits, 2 replacements")
    assert (tmp_path / "a.txt").read_text() == "done\n"


@pytest.mark.parametrize("instances", ["isolated", "pooled"])
async def test_a_read_by_another_agent_does_not_count(tmp_path: Path, instances: str) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    fs = f'[{{ host = "{tmp_path}", guest = "/work", read_only = false }}]'
    text = f"""
        starting_actors = ["file_interaction"]
        [actors.file_interaction]
        source = {{ path = "file_interaction" }}
        capabilities = {{ fs = {fs} }}
        [runtime]
        instances = "{instances}"
    """
    async with Wasmind(builtin_config(text), working_dir=tmp_path, progress=False) as mind:
        other = await mind.spawn_agent(["file_interaction"], name="other")
        await call(mind, ROOT, "read_file", {"path": "a.txt"})
        outcome = await call(mind, other, "edit_file", edit("a.txt", ("a", "b")))
    assert outcome.failed and outcome.content == "read a.txt with read_file before editing it"


async def test_a_file_changed_since_it_was_read_must_be_read_again(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("v1\n")
    async with mind_for(tmp_path) as mind:
        await call(mind, ROOT, "read_file", {"path": "a.txt"})
        target.write_text("v1\nadded by someone else\n")
        stale = await call(mind, ROOT, "edit_file", edit("a.txt", ("v1", "v2")))
        assert stale.failed
        assert stale.content == "a.txt has changed since you last read it; read it again with read_file first"
        assert target.read_text() == "v1\nadded by someone else\n"
        await call(mind, ROOT, "read_file", {"path": "a.txt"})
        fresh = await call(mind, ROOT, "edit_file", edit("a.txt", ("v1", "v2")))
    assert not fresh.failed
    assert target.read_text() == "v2\nadded by someone else\n"


async def test_an_old_string_that_is_not_found_names_the_edit_and_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\nbeta\n")
    async with mind_for(tmp_path) as mind:
        await call(mind, ROOT, "read_file", {"path": "a.txt"})
        outcome = await call(mind, ROOT, "edit_file", edit("a.txt", ("alpha", "ALPHA"), ("gamma", "GAMMA")))
    assert outcome.failed
    assert outcome.content.startswith("edits[1]: old_string was not found in a.txt")
    assert outcome.content.endswith("Nothing was changed.")
    assert (tmp_path / "a.txt").read_text() == "alpha\nbeta\n"  # edits[0] was not applied either


async def test_an_ambiguous_old_string_is_an_error_unless_replace_all(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x = 1\ny = 1\nz = 1\n")
    async with mind_for(tmp_path) as mind:
        await call(mind, ROOT, "read_file", {"path": "a.txt"})
        ambiguous = await call(mind, ROOT, "edit_file", edit("a.txt", ("= 1", "= 2")))
        assert ambiguous.failed
        assert ambiguous.content.startswith("edits[0]: old_string matches 3 places in a.txt")
        assert "replace_all" in ambiguous.content
        assert (tmp_path / "a.txt").read_text() == "x = 1\ny = 1\nz = 1\n"
        everywhere = await call(mind, ROOT, "edit_file", edit("a.txt", ("= 1", "= 2", True)))
    assert not everywhere.failed
    assert everywhere.content.startswith("Edited a.txt: 1 edit, 3 replacements (+3 -3 lines).")
    assert (tmp_path / "a.txt").read_text() == "x = 2\ny = 2\nz = 2\n"


async def test_an_empty_old_string_creates_a_file_with_its_folders(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        created = await call(
            mind, ROOT, "edit_file", edit("pkg/new/mod.py", ("", "def f():\n    return 1\n"))
        )
        changed = await call(mind, ROOT, "edit_file", edit("pkg/new/mod.py", ("return 1", "return 2")))
    assert not created.failed
    assert created.content == (
        "Created pkg/new/mod.py (+2 lines).\n\n"
        "--- a/pkg/new/mod.py\n+++ b/pkg/new/mod.py\n@@ -0,0 +1,2 @@\n+def f():\n+    return 1"
    )
    assert not changed.failed  # the actor wrote it, so it knows the content
    assert (tmp_path / "pkg" / "new" / "mod.py").read_text() == "def f():\n    return 2\n"


async def test_creating_over_a_non_empty_file_is_refused_but_an_empty_file_may_be_filled(
    tmp_path: Path,
) -> None:
    (tmp_path / "full.txt").write_text("precious\n")
    (tmp_path / "empty.txt").write_text("")
    async with mind_for(tmp_path) as mind:
        refused = await call(mind, ROOT, "edit_file", edit("full.txt", ("", "overwritten\n")))
        filled = await call(mind, ROOT, "edit_file", edit("empty.txt", ("", "content\n")))
    assert refused.failed
    assert refused.content.startswith("full.txt already exists and is not empty")
    assert (tmp_path / "full.txt").read_text() == "precious\n"
    assert not filled.failed
    assert (tmp_path / "empty.txt").read_text() == "content\n"


async def test_editing_a_missing_file_explains_how_to_create_it(tmp_path: Path) -> None:
    async with mind_for(tmp_path) as mind:
        outcome = await call(mind, ROOT, "edit_file", edit("ghost.txt", ("a", "b")))
    assert outcome.failed
    assert outcome.content.startswith("ghost.txt does not exist; to create it, send one edit")


async def test_line_endings_and_a_missing_final_newline_are_kept(tmp_path: Path) -> None:
    (tmp_path / "dos.txt").write_bytes(b"one\r\ntwo\r\nthree")
    async with mind_for(tmp_path) as mind:
        await call(mind, ROOT, "read_file", {"path": "dos.txt"})
        outcome = await call(mind, ROOT, "edit_file", edit("dos.txt", ("two", "2")))
    assert (tmp_path / "dos.txt").read_bytes() == b"one\r\n2\r\nthree"
    assert outcome.content.endswith(" three\n\\ No newline at end of file")


async def test_a_read_only_grant_allows_reading_but_not_editing(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    fs = f'[{{ host = "{tmp_path}", guest = "/work", read_only = true }}]'
    async with mind_for(tmp_path, fs=fs) as mind:
        read = await call(mind, ROOT, "read_file", {"path": "a.txt"})
        outcome = await call(mind, ROOT, "edit_file", edit("a.txt", ("a", "b")))
    assert not read.failed
    assert outcome.failed and outcome.content.startswith("cannot write a.txt: ")
    assert (tmp_path / "a.txt").read_text() == "a\n"


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (None, "'edits' must be a non-empty array of {old_string, new_string, replace_all?}"),
        ([], "'edits' must be a non-empty array of {old_string, new_string, replace_all?}"),
        (["x"], "edits[0] must be an object with old_string and new_string"),
        ([{"old_string": "a"}], "edits[0]: old_string and new_string are required strings"),
        ([{"old_string": "a", "new_string": "b", "replace_all": "yes"}], "edits[0]: replace_all must be"),
        ([{"old_string": "a", "new_string": "a"}], "edits[0]: old_string and new_string are the same"),
        (
            [{"old_string": "a", "new_string": "b"}, {"old_string": "", "new_string": "c"}],
            "edits[1]: an empty old_string creates a file and must be the only edit",
        ),
    ],
)
async def test_invalid_edits_are_errors(tmp_path: Path, edits: object, message: str) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    async with mind_for(tmp_path) as mind:
        await call(mind, ROOT, "read_file", {"path": "a.txt"})
        outcome = await call(mind, ROOT, "edit_file", {"path": "a.txt", "edits": edits})
    assert outcome.failed
    assert outcome.content.startswith(message)
    assert (tmp_path / "a.txt").read_text() == "a\n"


# ---------------------------------------------------------------------------------------------- system prompt


async def test_files_read_and_edited_are_shown_through_a_data_contribution(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\ny = 2\n")
    async with mind_for(tmp_path) as mind:
        assert contributions(mind, KEY) == []
        await call(mind, ROOT, "read_file", {"path": "a.py", "start_line": 2})
        after_read = contributions(mind, KEY)
        await call(mind, ROOT, "edit_file", edit("a.py", ("x = 1", "x = 10")))
        after_edit = contributions(mind, KEY)
    assert len(after_read) == 1 and len(after_edit) == 2
    read, edited = after_read[0], after_edit[-1]
    assert (read.agent, read.section, read.priority) == (ROOT, "context", 0)
    assert isinstance(read.content, SystemPromptData)
    assert read.content.data == {
        "files": [
            {
                "path": "a.py",
                "start_line": 2,
                "end_line": 2,
                "total_lines": 2,
                "content": "2\ty = 2",
                "truncated": False,
            }
        ]
    }
    assert isinstance(edited.content, SystemPromptData)  # after an edit the whole, current file is shown
    (file,) = edited.content.data["files"]
    assert (file["start_line"], file["end_line"], file["content"]) == (1, 2, "1\tx = 10\n2\ty = 2")
    rendered = jinja2.Template(edited.content.default_template).render(data=edited.content.data)
    assert '<file path="a.py" lines="1-2" total_lines="2">\n1\tx = 10\n2\ty = 2\n</file>' in rendered
    assert "line number" in rendered


async def test_the_prompt_keeps_the_most_recent_files(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).write_text(f"{name}\n")
    async with mind_for(tmp_path, "max_open_files = 2") as mind:
        for name in ("a", "b", "c", "a"):
            await call(mind, ROOT, "read_file", {"path": name})
        latest = contributions(mind, KEY)[-1]
    assert isinstance(latest.content, SystemPromptData)
    assert [f["path"] for f in latest.content.data["files"]] == ["c", "a"]
    rendered = jinja2.Template(latest.content.default_template).render(data=latest.content.data)
    assert "only part of this file" not in rendered


async def test_a_truncated_view_says_so_in_the_prompt(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text(lines(30))
    async with mind_for(tmp_path, "max_lines = 10") as mind:
        await call(mind, ROOT, "read_file", {"path": "big.txt"})
        (latest,) = contributions(mind, KEY)
    assert isinstance(latest.content, SystemPromptData)
    rendered = jinja2.Template(latest.content.default_template).render(data=latest.content.data)
    assert "(only part of this file is shown" in rendered
