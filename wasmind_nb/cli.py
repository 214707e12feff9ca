"""The ``wasmind-nb`` command: ``demo``, ``run`` a config, ``build`` its actors ahead of time."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from wasmind_nb.errors import WasmindError


def _demo(args: argparse.Namespace) -> int:
    from wasmind_nb.demo import main

    if args.workdir:
        return main(Path(args.workdir))
    with tempfile.TemporaryDirectory(prefix="wasmind-demo-") as tmp:
        return main(Path(tmp))


def _run(args: argparse.Namespace) -> int:
    from wasmind_nb.mind import Wasmind
    from wasmind_nb.transcript import CONVERSATION, transcript

    async def go() -> int:
        async with Wasmind(args.config, working_dir=args.workdir, llm=args.script) as mind:
            for text in args.message:
                await mind.send_user_message(mind.scope_of(args.agent), text)
            await mind.wait_idle(timeout=args.timeout)
            for line in transcript(mind.messages, types=None if args.all else CONVERSATION):
                print(line)
            if mind.llm is not None:
                mind.llm.check()
            return 1 if mind.faults else 0

    return asyncio.run(go())


def _build(args: argparse.Namespace) -> int:
    from wasmind_nb.build.componentize import component_path
    from wasmind_nb.build.javascript import component_path as js_component_path
    from wasmind_nb.build.loader import load_all
    from wasmind_nb.config import Config
    from wasmind_nb.host.engine import shared_engine
    from wasmind_nb.paths import cache_dir

    config = Config.from_file(args.config)
    standalone = args.standalone or config.runtime.python_build == "standalone"
    cache = cache_dir(config.runtime.cache_dir)
    components = load_all(config.actors.values(), shared_engine(), cache, standalone=standalone)
    how = "built standalone and compiled" if standalone else "prepared and compiled"
    print(f"{len(components)} actor(s) {how}: {', '.join(sorted(components))}")
    for spec in config.actors.values():
        if spec.kind == "python" and standalone:
            print(f"  {spec.name}: {component_path(spec.source_path, cache, spec.name, spec.python_path)}")
        elif spec.kind == "javascript":
            print(f"  {spec.name} (JavaScript): {js_component_path(spec.source_path, cache)}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="wasmind-nb", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the offline demo: an agent edits and runs a file")
    demo.add_argument("--workdir", help="keep the demo project here (default: a temporary folder)")
    demo.set_defaults(func=_demo)
    run = commands.add_parser("run", help="start a config, send messages, print the transcript")
    run.add_argument("config", help="the TOML config file")
    run.add_argument("-m", "--message", action="append", default=[], help="a user message (repeatable)")
    run.add_argument(
        "--agent", default="000000", help="scope or name of the agent to talk to (default: root)"
    )
    run.add_argument("--script", help="a script file for the embedded offline model (overrides [llm] script)")
    run.add_argument("--workdir", help="the working directory actors see (default: current directory)")
    run.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the run to go idle")
    run.add_argument("--all", action="store_true", help="print every message, not just the conversation")
    run.set_defaults(func=_run)
    build = commands.add_parser("build", help="build and compile every actor of a config into the cache")
    build.add_argument("config", help="the TOML config file")
    build.add_argument(
        "--standalone",
        action="store_true",
        help="build each Python actor into a component of its own (to ship it to another Wasmind host)",
    )
    build.set_defaults(func=_build)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except WasmindError as err:
        print(f"wasmind-nb: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
