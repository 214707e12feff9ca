"""The offline demo (``wasmind-nb demo``): one agent reads, edits and runs a file, on a scripted model.

Everything is real but the model: built-in actors compiled to components, the embedded OpenAI-compatible
server on loopback answering from a script, a real file edited on disk, a real process run.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable
from pathlib import Path

from wasmind_nb.config import Config
from wasmind_nb.llm.script import Reply, ScriptedReplies, ToolCallSpec
from wasmind_nb.mind import Wasmind
from wasmind_nb.transcript import transcript

DEMO_CONFIG = """
starting_actors = ["assistant", "execute_bash", "file_interaction"]

[actors.assistant]
source = { builtin = "assistant" }
config = { model_name = "wasmind-offline" }

[actors.execute_bash]
source = { builtin = "execute_bash" }

[actors.file_interaction]
source = { builtin = "file_interaction" }
"""

GREETING = 'print("Hello, world")\n'
TASK = "Make greeting.py greet Wasmind instead of the world, then run it."


def demo_script() -> ScriptedReplies:
    """What the offline model answers, one reply per request."""
    return ScriptedReplies(
        [
            Reply(tool_calls=[ToolCallSpec("read_file", {"path": "greeting.py"})]),
            Reply(
                tool_calls=[
                    ToolCallSpec(
                        "edit_file",
                        {"path": "greeting.py", "edits": [{"old_string": "world", "new_string": "Wasmind"}]},
                    )
                ]
            ),
            Reply(tool_calls=[ToolCallSpec("execute_bash", {"command": "python3 greeting.py"})]),
            Reply("Done: greeting.py now prints 'Hello, Wasmind'."),
        ],
        models=["wasmind-offline"],
    )


async def run_demo(workdir: Path, emit: Callable[[str], None] = print, *, progress: bool = True) -> Wasmind:
    """Run the demo in ``workdir`` (a scratch project is written there) and print what happens."""
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "greeting.py"
    target.write_text(GREETING)
    config = Config.from_toml(DEMO_CONFIG, base_dir=workdir, source_name="<demo>")
    async with Wasmind(config, working_dir=workdir, llm=demo_script(), progress=progress) as mind:
        emit(f"task: {TASK}")
        await mind.send_user_message("000000", TASK)
        await mind.wait_idle(timeout=120)
        for line in transcript(mind.messages):
            emit(line)
        mind.llm.check()
    emit("")
    emit("diff of greeting.py:")
    diff = difflib.unified_diff(
        GREETING.splitlines(), target.read_text().splitlines(), "before", "after", lineterm=""
    )
    for line in diff:
        emit(line)
    return mind


def main(workdir: Path) -> int:
    """Entry point of ``wasmind-nb demo``."""
    mind = asyncio.run(run_demo(workdir))
    return 1 if mind.faults else 0
