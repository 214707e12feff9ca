"""What one actor's commands may do, and how a guest's request maps onto it.

A :class:`CommandGrant` is built from the actor's capabilities: the programs it may run, the folders it
sees (its ``fs`` grants, at the same guest paths), network, environment and limits. :func:`plan_launch`
checks a request against it: the program is resolved with the sandbox's fixed ``PATH`` (never the
guest's) and compared by file identity with each granted program resolved the same way, and the working
directory must lie inside a granted folder or ``/tmp``.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from wasmind_nb.config import CommandLimits
from wasmind_nb.host.denial import Denial

if TYPE_CHECKING:
    from wasmind_nb.config import Capabilities

#: The only ``PATH`` programs are looked up in, whatever the guest sets.
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
#: System folders every sandbox sees read-only, at the same paths.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
#: The scratch folder every sandbox gets, empty and private.
SCRATCH = "/tmp"
ANY_PROGRAM = "*"


@dataclass(frozen=True, slots=True)
class Mount:
    """A host folder the command sees at ``guest_path``."""

    host_path: Path
    guest_path: str
    read_only: bool = True


@dataclass(frozen=True, slots=True)
class CommandGrant:
    """Everything one actor's commands are allowed; see ``docs/security.md``."""

    actor: str
    programs: tuple[str, ...] = ()
    network: bool = False
    env: tuple[tuple[str, str], ...] = ()
    limits: CommandLimits = field(default_factory=CommandLimits)
    mounts: tuple[Mount, ...] = ()
    default_cwd: str = SCRATCH
    max_output_bytes: int | None = None
    unsandboxed: bool = False

    @classmethod
    def for_actor(cls, actor: str, caps: Capabilities, working_dir: Path) -> CommandGrant:
        """The grant of ``actor`` for a run in ``working_dir`` (its ``fs`` grants become mounts)."""
        mounts = tuple(Mount(p.resolve(working_dir), p.guest_path, p.read_only) for p in caps.fs)
        return cls(
            actor=actor,
            programs=caps.commands,
            network=caps.command_network,
            env=caps.command_env,
            limits=caps.command_limits,
            mounts=mounts,
            default_cwd=_guest_dir_of(working_dir, mounts),
            max_output_bytes=caps.max_output_bytes,
        )


def _guest_dir_of(working_dir: Path, mounts: tuple[Mount, ...]) -> str:
    """The guest path of ``working_dir`` through the deepest mount that contains it, else ``/tmp``."""
    here = working_dir.resolve()
    best: tuple[int, str] | None = None
    for mount in mounts:
        host = mount.host_path.resolve()
        if here == host or host in here.parents:
            guest = posixpath.normpath(posixpath.join(mount.guest_path, here.relative_to(host).as_posix()))
            if best is None or len(host.parts) > best[0]:
                best = (len(host.parts), guest)
    return SCRATCH if best is None else best[1]


def _inside(path: str, folder: str) -> bool:
    return folder == "/" or path == folder or path.startswith(folder.rstrip("/") + "/")


class SandboxView:
    """How guest paths inside the sandbox map to host paths, for the grant's mounts."""

    def __init__(self, mounts: tuple[Mount, ...]) -> None:
        self.mounts = sorted(mounts, key=lambda m: len(posixpath.normpath(m.guest_path)), reverse=True)

    def mount_of(self, guest: str) -> Mount | None:
        """The mount (deepest first) ``guest`` lies in."""
        return next((m for m in self.mounts if _inside(guest, posixpath.normpath(m.guest_path))), None)

    def to_host(self, guest: str) -> str | None:
        """The host path behind ``guest`` (normalised, absolute), or ``None`` (scratch, or not visible)."""
        mount = self.mount_of(guest)
        if mount is not None:
            rel = posixpath.relpath(guest, posixpath.normpath(mount.guest_path))
            return os.path.normpath(os.path.join(mount.host_path, rel))
        if any(_inside(guest, d) for d in SYSTEM_DIRS):
            return guest
        return None

    def to_guest(self, host: str) -> str | None:
        """The guest path of the real host path ``host``, or ``None`` if the sandbox cannot see it."""
        if any(_inside(host, d) for d in SYSTEM_DIRS) and self.mount_of(host) is None:
            return host
        for mount in sorted(self.mounts, key=lambda m: len(m.host_path.resolve().parts), reverse=True):
            root = str(mount.host_path.resolve())
            if _inside(host, root):
                return posixpath.normpath(posixpath.join(mount.guest_path, os.path.relpath(host, root)))
        return None


@dataclass(frozen=True, slots=True)
class Launch:
    """A checked request: the guest path to execute and the guest working directory."""

    executable: str
    cwd: str


def plan_launch(program: str, cwd: str | None, grant: CommandGrant) -> Launch | Denial | str:
    """Check ``program`` run in ``cwd`` against ``grant``: a :class:`Launch`, a denial, or why it
    cannot start."""
    view = SandboxView(grant.mounts)
    guest_cwd = posixpath.normpath(posixpath.join(grant.default_cwd, cwd or ""))
    where = _check_cwd(guest_cwd, view, grant)
    if where is not None:
        return where
    found = _find(program, guest_cwd, view)
    unseen = isinstance(found, str) and found.startswith("/") and view.to_host(found) is None
    if ANY_PROGRAM in grant.programs and unseen and _inside(str(found), SCRATCH):
        return Launch(str(found), guest_cwd)
    if isinstance(found, _Found):
        if _granted(found, grant, view):
            return _launchable(found, guest_cwd, view)
    elif program in grant.programs or ANY_PROGRAM in grant.programs:
        reason = "no such file in the sandbox" if found.startswith("/") else found
        return f"cannot run '{program}': {reason}"
    return Denial(
        grant.actor,
        "commands",
        program,
        f"program '{program}' is not allowed for actor '{grant.actor}': capabilities.commands grants "
        f"{list(grant.programs) or 'no programs'} (matched by resolved path, with PATH={SANDBOX_PATH})",
    )


def _check_cwd(guest_cwd: str, view: SandboxView, grant: CommandGrant) -> Denial | str | None:
    mount = view.mount_of(guest_cwd)
    if mount is None and not _inside(guest_cwd, SCRATCH):
        folders = [m.guest_path for m in grant.mounts] + [SCRATCH]
        return Denial(
            grant.actor,
            "fs",
            guest_cwd,
            f"working directory '{guest_cwd}' is outside the folders actor '{grant.actor}' may use "
            f"({', '.join(folders)}; capabilities.fs)",
        )
    if mount is None:
        return None if guest_cwd == SCRATCH else f"working directory '{guest_cwd}' does not exist"
    host = view.to_host(guest_cwd)
    if host is None or not os.path.isdir(host):
        return f"working directory '{guest_cwd}' does not exist"
    if grant.unsandboxed and not _inside(os.path.realpath(host), str(mount.host_path.resolve())):
        return Denial(
            grant.actor,
            "fs",
            guest_cwd,
            f"working directory '{guest_cwd}' leads outside its folder through a symlink",
        )
    return None


@dataclass(frozen=True, slots=True)
class _Found:
    """A program found on the host: its guest path as asked, and its real host file."""

    guest: str
    real: str


def _find(program: str, guest_cwd: str, view: SandboxView) -> _Found | str:
    """Resolve ``program`` as the sandbox would; a ``str`` is why it was not found (or its guest path)."""
    if not program or "\0" in program:
        return "not a program name"
    if "/" not in program:
        for folder in SANDBOX_PATH.split(":"):
            guest = posixpath.join(folder, program)
            host = view.to_host(guest)
            if host is not None and os.path.isfile(host):
                return _executable(guest, host)
        return f"{os.strerror(2)} (searched PATH={SANDBOX_PATH})"
    guest = posixpath.normpath(posixpath.join(guest_cwd, program))
    host = view.to_host(guest)
    if host is None:
        return guest
    if not os.path.isfile(host):
        return os.strerror(2)
    return _executable(guest, host)


def _executable(guest: str, host: str) -> _Found | str:
    if not os.access(host, os.X_OK):
        return os.strerror(13)
    return _Found(guest, os.path.realpath(host))


def _granted(found: _Found, grant: CommandGrant, view: SandboxView) -> bool:
    if ANY_PROGRAM in grant.programs:
        return True
    target = os.stat(found.real)
    system = SandboxView(())
    for entry in grant.programs:
        if "/" in entry and not entry.startswith("/"):
            continue
        # A granted name means the system's program: a folder granted over /usr/local/bin cannot redefine it.
        allowed = _find(entry, "/", view if "/" in entry else system)
        if isinstance(allowed, _Found):
            other = os.stat(allowed.real)
            if (other.st_dev, other.st_ino) == (target.st_dev, target.st_ino):
                return True
    return False


def _launchable(found: _Found, guest_cwd: str, view: SandboxView) -> Launch | str:
    """Execute a system program by the name it was found under (read-only, so ``unxz`` stays ``unxz``);
    anything else by its real path, so a symlink swapped after the check cannot change what runs."""
    if view.mount_of(found.guest) is None:
        return Launch(found.guest, guest_cwd)
    real_guest = view.to_guest(found.real)
    if real_guest is None:
        return f"cannot run '{found.guest}': it resolves to a file outside the sandbox"
    return Launch(real_guest, guest_cwd)


__all__ = ["ANY_PROGRAM", "SANDBOX_PATH", "SCRATCH", "CommandGrant", "Launch", "Mount", "plan_launch"]
