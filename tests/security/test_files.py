"""Files: a read-write grant cannot be turned into a door out by a symlink the actor plants in it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import tomli_w

from tests.helpers import payloads
from wasmind_nb import Wasmind
from wasmind_nb.config import Config

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "tests" / "actors" / "probe"


def probe_with(folder: Path, *, instance: str = "isolated") -> Config:
    fs = [{"host": str(folder), "guest": "/work", "read_only": False}]
    data = {
        "starting_actors": ["probe"],
        "actors": {
            "probe": {"source": {"path": str(PROBE)}, "instance": instance, "capabilities": {"fs": fs}}
        },
    }
    return Config.from_toml(tomli_w.dumps(data), base_dir=ROOT)


async def symlink(mind: Wasmind, target: str, link: str) -> dict:
    await mind.broadcast("probe.Symlink", {"target": target, "link": link})
    await mind.wait_idle()
    return payloads(mind, "probe.SymlinkResult")[-1]


@pytest.mark.parametrize("instance", ["isolated", "pooled"])
async def test_an_escaping_symlink_is_removed_before_the_handler_returns(tmp_path, instance) -> None:
    work = tmp_path / "work"
    (work / "notes").mkdir(parents=True)
    async with Wasmind(probe_with(work, instance=instance), working_dir=work, progress=False) as mind:
        assert (await symlink(mind, "../../../etc/shadow", "/work/evil"))["ok"]
        assert not os.path.lexists(work / "evil"), "the escaping link outlived the handler"
        absolute = await symlink(mind, "/etc", "/work/notes/etc")
        assert not absolute["ok"] and not os.path.lexists(work / "notes" / "etc")  # WASI refuses these
        assert (await symlink(mind, "../../../../etc", "/work/notes/up"))["ok"]
        assert not os.path.lexists(work / "notes" / "up")
        (first, second) = mind.denials
        assert (first.actor, first.scope, first.capability) == ("probe", "000000", "fs")
        assert first.target.endswith("evil -> ../../../etc/shadow")
        assert "outside its fs grants" in str(first) and second.target.endswith("up -> ../../../../etc")
        await symlink(mind, "notes", "/work/inside")  # a link that stays inside is the actor's business
        assert os.readlink(work / "inside") == "notes"
        assert len(mind.denials) == 2
        await mind.broadcast("probe.HostInfo", {})
        await mind.wait_idle()
        assert payloads(mind, "probe.HostInfoResult"), "the actor keeps working after a denial"
