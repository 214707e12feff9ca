"""Python actors on the shared interpreter: no build of their own, the whole standard library, derived
subscriptions, errors that name the actor's own files, and the standalone route still working."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import payloads
from wasmind_nb import Config, Wasmind
from wasmind_nb.build import componentize
from wasmind_nb.errors import BuildError, ConfigError
from wasmind_nb.paths import cache_dir

BUILTIN_ACTORS = Path(__file__).parents[2] / "actors"

pytestmark = pytest.mark.anyio

LAZY_IMPORTS = """\
from wasmind_sdk import ActorBase, broadcast, on

MODULES = ["fractions", "statistics", "decimal", "difflib", "csv", "textwrap", "heapq", "string", "calendar"]


class Actor(ActorBase):
    @on("demo.Ping")
    def ping(self, payload, envelope) -> None:
        loaded = []
        for name in MODULES:
            __import__(name)  # imported in the handler, not at the top of the file
            loaded.append(name)
        broadcast("demo.Loaded", loaded)
"""


STANDALONE_SOURCE = (
    "from wasmind_sdk import ActorBase, broadcast, on\n\n"
    "class Actor(ActorBase):\n"
    "    @on('demo.Ping')\n"
    "    def ping(self, payload, envelope):\n"
    "        broadcast('demo.Pong', ['standalone'])\n"
)


def actor_folder(root: Path, source: str, name: str = "probe") -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "Wasmind.toml").write_text(f'actor_id = "tests:{name}"\n')
    (folder / "actor.py").write_text(source)
    return folder


def config_for(folder: Path, extra: str = "") -> Config:
    return Config.from_toml(
        f'starting_actors = ["probe"]\n{extra}\n[actors.probe]\nsource = {{ path = "{folder}" }}\n'
    )


async def test_every_listed_stdlib_module_imports_inside_a_handler(tmp_path) -> None:
    async with Wasmind(config_for(actor_folder(tmp_path, LAZY_IMPORTS)), progress=False) as mind:
        await mind.broadcast("demo.Ping", {})
        await mind.wait_idle()
        assert mind.faults == []
        assert payloads(mind, "demo.Loaded") == [
            [
                "fractions",
                "statistics",
                "decimal",
                "difflib",
                "csv",
                "textwrap",
                "heapq",
                "string",
                "calendar",
            ]
        ]


async def test_an_sdk_actor_is_called_only_for_what_its_handlers_take(tmp_path) -> None:
    source = LAZY_IMPORTS.replace("demo.Loaded", "demo.Pong")
    async with Wasmind(config_for(actor_folder(tmp_path, source)), progress=False) as mind:
        assert mind.runtime.components["probe"].handled_types == ("demo.Ping",)
        [actor] = [a for a in mind.runtime.agents["000000"].actors if a.name == "probe"]
        assert actor.listens_to == ("demo.Ping",)


async def test_a_catch_all_actor_still_hears_everything(tmp_path) -> None:
    source = (
        "from wasmind_sdk import ActorBase, broadcast\n\n"
        "class Actor(ActorBase):\n"
        "    def on_message(self, envelope):\n"
        "        if envelope.message_type == 'demo.Any':\n"
        "            broadcast('demo.Heard', [envelope.message_type])\n"
    )
    async with Wasmind(config_for(actor_folder(tmp_path, source)), progress=False) as mind:
        assert mind.runtime.components["probe"].handled_types is None
        await mind.broadcast("demo.Any", {})
        await mind.wait_idle()
        assert payloads(mind, "demo.Heard") == [["demo.Any"]]


async def test_an_override_declared_not_catch_all_is_called_only_for_its_handlers(tmp_path) -> None:
    source = (
        "from wasmind_sdk import ActorBase, broadcast, on\n\n"
        "class Actor(ActorBase, catch_all=False):\n"
        "    def handle_message(self, message):\n"
        "        broadcast('demo.Seen', [message.message_type])\n"
        "        super().handle_message(message)\n\n"
        "    @on('demo.Ping')\n"
        "    def ping(self, payload, envelope):\n"
        "        pass\n"
    )
    async with Wasmind(config_for(actor_folder(tmp_path, source)), progress=False) as mind:
        assert mind.runtime.components["probe"].handled_types == ("demo.Ping",)
        await mind.broadcast("demo.Other", {})
        await mind.broadcast("demo.Ping", {})
        await mind.wait_idle()
        assert payloads(mind, "demo.Seen") == [["demo.Ping"]]


async def test_every_builtin_sdk_actor_subscribes_by_its_handlers_alone() -> None:
    """Derived, not copied: no built-in's manifest repeats its handlers' types, and none is a catch-all."""
    names = sorted(p.name for p in BUILTIN_ACTORS.iterdir() if (p / "Wasmind.toml").is_file())
    actors = "\n".join(f'[actors.{n}]\nsource = {{ builtin = "{n}" }}' for n in names)
    config = Config.from_toml(f"starting_actors = []\n{actors}\n")
    for name in names:
        assert "listens_to" not in (BUILTIN_ACTORS / name / "Wasmind.toml").read_text(), name
    async with Wasmind(config, progress=False) as mind:
        catch_all = [n for n in names if mind.runtime.components[n].handled_types is None]
    assert catch_all == []


async def test_a_syntax_error_names_the_actors_file_and_line_without_internal_frames(tmp_path) -> None:
    folder = actor_folder(tmp_path, "from wasmind_sdk import ActorBase\n\nclass Actor(ActorBase)\n    pass\n")
    with pytest.raises(BuildError) as caught:
        await Wasmind(config_for(folder), progress=False).start()
    text = str(caught.value)
    assert f'"{folder}/actor.py", line 3' in text or f"{folder}/actor.py" in text
    assert "SyntaxError" in text
    assert "/.wasmind" not in text and "_prepare" not in text


async def test_an_import_error_names_the_missing_module(tmp_path) -> None:
    folder = actor_folder(tmp_path, "import no_such_module_here\n")
    with pytest.raises(BuildError, match="No module named 'no_such_module_here'") as caught:
        await Wasmind(config_for(folder), progress=False).start()
    assert f"{folder}/actor.py" in str(caught.value)


async def test_an_edit_takes_effect_without_a_component_build(tmp_path) -> None:
    source = 'from wasmind_sdk import ActorBase, broadcast, on\n\nclass Actor(ActorBase):\n    @on("demo.Ping")\n    def ping(self, payload, envelope):\n        broadcast("demo.Pong", ["v1"])\n'  # noqa: E501
    folder = actor_folder(tmp_path, source)
    for version in ("v1", "v2"):
        (folder / "actor.py").write_text(source.replace("v1", version))
        async with Wasmind(config_for(folder), progress=False) as mind:
            await mind.broadcast("demo.Ping", {})
            await mind.wait_idle()
            assert payloads(mind, "demo.Pong") == [[version]]
    assert not componentize.component_path(folder, cache_dir(), "probe").is_file()  # no build of its own


async def test_pooled_actors_share_the_interpreter_and_keep_their_own_state(tmp_path) -> None:
    source = (
        "from wasmind_sdk import ActorBase, broadcast, on\n\n"
        "class Actor(ActorBase):\n"
        "    def setup(self):\n"
        "        self.count = 0\n"
        "    @on('demo.Ping', own_scope=True)\n"
        "    def ping(self, payload, envelope):\n"
        "        self.count += 1\n"
        "        broadcast('demo.Count', [self.scope, self.count])\n"
    )
    folder = actor_folder(tmp_path, source)
    async with Wasmind(config_for(folder, '[runtime]\ninstances = "pooled"'), progress=False) as mind:
        other = await mind.spawn_agent(["probe"], "second")
        await mind.broadcast("demo.Ping", {}, scope=other)
        await mind.broadcast("demo.Ping", {}, scope=other)
        await mind.wait_idle()
        assert payloads(mind, "demo.Count") == [[other, 1], [other, 2]]


async def test_the_standalone_route_still_builds_and_runs_an_actor(tmp_path) -> None:
    folder = actor_folder(tmp_path, STANDALONE_SOURCE)
    config = config_for(folder, '[runtime]\npython_build = "standalone"')
    async with Wasmind(config, progress=False) as mind:
        assert mind.runtime.components["probe"].preopens == ()  # its own component, no interpreter grants
        await mind.broadcast("demo.Ping", {})
        await mind.wait_idle()
        assert payloads(mind, "demo.Pong") == [["standalone"]]
    assert componentize.component_path(folder, cache_dir(), "probe").is_file()


def test_the_interpreters_guest_paths_are_reserved(tmp_path) -> None:
    folder = actor_folder(tmp_path, LAZY_IMPORTS)
    for guest in ("/python", "/.wasmind/actor"):
        extra = f'[actors.probe.capabilities]\nfs = [{{ host = "{tmp_path}", guest = "{guest}" }}]\n'
        with pytest.raises(ConfigError, match="reserved for the Python interpreter"):
            Config.from_toml(
                f'starting_actors = ["probe"]\n[actors.probe]\nsource = {{ path = "{folder}" }}\n{extra}'
            )


def test_the_cli_builds_standalone_components_and_prints_where(tmp_path, capsys) -> None:
    from wasmind_nb.cli import main

    folder = actor_folder(tmp_path, STANDALONE_SOURCE)
    config = tmp_path / "wasmind.toml"
    config.write_text(f'[actors.probe]\nsource = {{ path = "{folder}" }}\n')
    assert main(["build", "--standalone", str(config)]) == 0
    out = capsys.readouterr().out
    wasm = componentize.component_path(folder, cache_dir(), "probe")
    assert "built standalone" in out and f"probe: {wasm}" in out and wasm.is_file()


MODULE_PROBE = """\
import importlib.machinery
import inspect
import sys

import helper
import pkg.mod
from wasmind_sdk import ActorBase, broadcast, on

LOADS = []
LOADS.append(1)


class Actor(ActorBase):
    @on("demo.Ping")
    def ping(self, payload, envelope) -> None:
        module = sys.modules["actor"]
        spec = module.__spec__
        broadcast("demo.Module", {
            "same": module is sys.modules[type(self).__module__] and module.Actor is Actor,
            "name": __name__, "file": __file__, "cached": __cached__, "package": __package__,
            "spec": [spec.name, spec.origin, spec.cached, spec.has_location, spec.parent],
            "loader": isinstance(__loader__, importlib.machinery.SourceFileLoader),
            "loads": len(LOADS), "helper": helper.VALUE, "config": self.config,
            "source": inspect.getsource(Actor).splitlines()[0],
            "pkg": [pkg.mod.VALUE, pkg.mod.__spec__.parent, pkg.__path__, pkg.__file__, pkg.mod.__file__],
            "data": __loader__.get_data("/.wasmind/actor/pkg/data.txt").decode(),
        })
"""


async def test_the_actor_module_is_imported_as_importlib_would_with_or_without_a_bundle(tmp_path) -> None:
    """Its folder's modules come from the bundle handed to the constructor, or from their files."""
    folder = actor_folder(tmp_path, MODULE_PROBE)
    (folder / "helper.py").write_text("VALUE = 'from the folder'\n")
    (folder / "pkg").mkdir()
    (folder / "pkg" / "__init__.py").write_text("")
    (folder / "pkg" / "mod.py").write_text("VALUE = 'in a package'\n")
    (folder / "pkg" / "data.txt").write_text("data beside it")
    expected = {
        "same": True,
        "name": "actor",
        "file": "/.wasmind/actor/actor.py",
        "cached": "/.wasmind/actor/__pycache__/actor.cpython-314.pyc",
        "package": "",
        "spec": ["actor", "/.wasmind/actor/actor.py", "/.wasmind/actor/__pycache__/actor.cpython-314.pyc",
                 True, ""],
        "loader": True,
        "source": "class Actor(ActorBase):",
        "loads": 1,
        "helper": "from the folder",
        "config": {"greeting": "hi"},
        "pkg": ["in a package", "pkg", ["/.wasmind/actor/pkg"], "/.wasmind/actor/pkg/__init__.py",
                "/.wasmind/actor/pkg/mod.py"],
        "data": "data beside it",
    }  # fmt: skip
    actor_config = '[actors.probe.config]\ngreeting = "hi"\n'
    for instances in ("isolated", "pooled"):
        config = config_for(folder, f'[runtime]\ninstances = "{instances}"\n{actor_config}')
        async with Wasmind(config, progress=False) as mind:
            loaded = mind.runtime.components["probe"]
            assert loaded.boot.startswith("\0")  # the bundle goes to the constructor
            await mind.spawn_agent(["probe"], "second")
            await mind.broadcast("demo.Ping", {})
            await mind.wait_idle()
            assert mind.faults == []
            assert payloads(mind, "demo.Module") == [expected, expected]
            prepared = Path(loaded.preopens[1].host_path).parent
    bundle = prepared / "bundle"
    data = bundle.read_bytes()
    bundle.unlink()  # a prepared copy without a bundle: the modules import from their files
    try:
        async with Wasmind(config_for(folder, actor_config), progress=False) as mind:
            assert mind.runtime.components["probe"].boot == ""
            await mind.broadcast("demo.Ping", {})
            await mind.wait_idle()
            assert mind.faults == []
            assert payloads(mind, "demo.Module") == [expected]
    finally:
        bundle.write_bytes(data)  # the cache as it was
