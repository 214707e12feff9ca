"""How a stdio MCP server is started: the command sandbox's command line, with an environment built from
nothing.

The server runs as a granted command would (``host.sandbox``): under ``prlimit`` with the actor's
``command_limits``, inside bubblewrap with the system's read-only folders, a private ``/tmp``, the actor's
``fs`` grants at their guest paths and network only with ``command_network``. ``env -i`` starts the chain,
so the server's environment is ``PATH``, ``HOME``, ``LANG``, the actor's ``command_env`` and the source's
``env`` table, and nothing of the host's (the MCP SDK would otherwise pass on ``PATH``, ``HOME``, ``USER``,
...). bwrap dies with the host process (``--die-with-parent``), and every process inside with it. Where the
host can give one, the server runs in its own pids cgroup (``host.cgroup``), as a command does: its
processes are bounded by ``command_limits.processes`` even when wasmind-nb runs as root (which
``RLIMIT_NPROC`` does not bind), and the cgroup kills whatever the server left when it is removed.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from mcp.client.stdio import StdioServerParameters

from wasmind_nb.config.specs import McpServer
from wasmind_nb.host.cgroup import PidsCgroup
from wasmind_nb.host.command_grant import SCRATCH, CommandGrant, Launch, plan_launch
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.process import CommandSpec, _unsandboxed, child_env
from wasmind_nb.host.sandbox import bwrap_argv, identity_texts, limits_argv, missing_mount, sandbox_status

ENV = "/usr/bin/env"


def server_parameters(
    server: McpServer, grant: CommandGrant, scratch: Path, cgroup: PidsCgroup | None = None
) -> StdioServerParameters | Denial | str:
    """The SDK's parameters starting ``server`` for ``grant``, or why it cannot start (a denial: its
    ``cwd`` is outside the actor's folders).

    ``server.command`` needs no ``commands`` grant (the config that names it is the grant) but is looked
    up as a granted command is: in the sandbox's ``PATH`` or at a guest path. ``scratch`` is a private
    folder for the identity files (and, unsandboxed, the server's ``/tmp``); the caller removes it, and
    ``cgroup`` (the server joins it first), which the caller removes when the server is done.
    """
    assert server.command is not None
    grant = dataclasses.replace(grant, programs=(server.command,))
    plan = plan_launch(server.command, server.cwd, grant)
    if isinstance(plan, Denial | str):
        return plan
    problem = missing_mount(grant) or (None if grant.unsandboxed else sandbox_status())
    if problem is not None:
        return problem
    spec = CommandSpec(server.command, server.args, server.cwd, env=server.env)
    if grant.unsandboxed:
        argv, cwd, env = _unsandboxed(spec, grant, plan, str(scratch))
    else:
        argv, cwd, env = _sandboxed(spec, grant, plan, scratch), "/", child_env(spec, grant, SCRATCH)
    if cgroup is not None:
        argv = cgroup.join_argv(argv)
    assignments = [f"{name}={value}" for name, value in env.items()]
    return StdioServerParameters(command=ENV, args=["-i", *assignments, *argv], env={}, cwd=cwd)


def _sandboxed(spec: CommandSpec, grant: CommandGrant, plan: Launch, scratch: Path) -> list[str]:
    passwd, group = scratch / "passwd", scratch / "group"
    for path, text in zip((passwd, group), identity_texts(), strict=True):
        path.write_text(text)
    return [*limits_argv(grant.limits), *bwrap_argv(plan, grant, spec.args, str(passwd), str(group))]


def scratch_folder() -> Path:
    """A new private folder for one server's launch files."""
    return Path(tempfile.mkdtemp(prefix="wasmind-mcp-"))
