"""The OS sandbox a granted command runs in: bubblewrap's argv and the resource limits around it.

``bwrap`` gives the command fresh user, pid, network, ipc, uts and cgroup namespaces, no capabilities,
an unprivileged uid, the system folders read-only, a fresh ``/proc``, ``/dev`` and ``/tmp``, a synthetic
``/etc/passwd``, and the actor's ``fs`` grants at their guest paths. Nothing else of the host is visible.
``prlimit`` (util-linux) applies the rlimits to bwrap before it starts, so everything inside inherits
them; a pids cgroup, where writable, bounds the number of processes. See ``docs/security.md``.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess

from wasmind_nb.config import CommandLimits
from wasmind_nb.host.command_grant import (
    SANDBOX_PATH,
    SCRATCH,
    SYSTEM_DIRS,
    CommandGrant,
    Launch,
    Mount,
)
from wasmind_nb.host.running import RunningCommands

#: The uid and gid commands run as inside the sandbox (mapped to the host user outside it).
SANDBOX_UID = 1000
SANDBOX_USER = "wasmind"
HOSTNAME = "wasmind"
#: The host's own folders to search for ``bwrap`` and ``prlimit`` (never the process's ``PATH``).
_TOOL_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
#: /etc entries ordinary tools need; none holds a secret.
_ETC = (
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/nsswitch.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/mime.types",
    "/etc/magic",
)
#: /etc entries that only matter with network.
_ETC_NETWORK = ("/etc/resolv.conf", "/etc/hosts", "/etc/gai.conf", "/etc/host.conf")
_HOW_TO_ENABLE = (
    "install bubblewrap (apt-get install bubblewrap) and allow user namespaces "
    "(sysctl kernel.unprivileged_userns_clone=1, or user.max_user_namespaces > 0), "
    "or opt out with [runtime] unsandboxed_commands = true (commands then run unconfined)"
)


def tool(name: str) -> str | None:
    """The host's ``name`` executable from the system folders, or ``None``."""
    return shutil.which(name, path=_TOOL_PATH)


def limits_argv(limits: CommandLimits) -> list[str]:
    """``prlimit`` and its options: CPU seconds, address space, file size and processes. Past the CPU
    limit a process gets ``SIGXCPU``, and ``SIGKILL`` a second later; the others are hard limits."""
    prlimit = tool("prlimit") or "prlimit"
    cpu = max(1, math.ceil(limits.cpu_s))
    return [
        prlimit,
        f"--cpu={cpu}:{cpu + 1}",
        f"--as={limits.memory_bytes}:{limits.memory_bytes}",
        f"--fsize={limits.file_size_bytes}:{limits.file_size_bytes}",
        f"--nproc={limits.processes}:{limits.processes}",
        "--",
    ]


def bwrap_argv(
    launch: Launch, grant: CommandGrant, args: tuple[str, ...], passwd_fd: int | str, group_fd: int | str
) -> list[str]:
    """The bwrap command line running ``launch`` for ``grant``; ``passwd_fd`` and ``group_fd`` hold the
    synthetic ``/etc/passwd`` and ``/etc/group`` (see :func:`identity_fds`), or are the paths of files
    holding them (:func:`identity_texts`; for a process started without passed descriptors)."""
    argv = [tool("bwrap") or "bwrap", "--unshare-all", "--unshare-user", "--disable-userns"]
    if grant.network:
        argv.append("--share-net")
    argv += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    argv += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", HOSTNAME]
    argv += _system_binds(grant.network)
    size = str(grant.limits.file_size_bytes)
    argv += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        size,
        "--tmpfs",
        "/dev/shm",
        "--remount-ro",
        "/dev",
    ]
    argv += ["--size", size, "--tmpfs", SCRATCH]
    for source, target in ((passwd_fd, "/etc/passwd"), (group_fd, "/etc/group")):
        argv += ["--ro-bind-data" if isinstance(source, int) else "--ro-bind", str(source), target]
    argv += _mount_binds(grant.mounts)
    argv += ["--chdir", launch.cwd, "--", launch.executable, *args]
    return argv


def _system_binds(network: bool) -> list[str]:
    argv: list[str] = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            argv += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            argv += ["--ro-bind", folder, folder]
    for entry in _ETC + (_ETC_NETWORK if network else ()):
        if os.path.exists(entry):
            argv += ["--ro-bind", os.path.realpath(entry), entry]
    return argv


def _mount_binds(mounts: tuple[Mount, ...]) -> list[str]:
    argv: list[str] = []
    for mount in sorted(mounts, key=lambda m: len(os.path.normpath(m.guest_path).split("/"))):
        argv += ["--ro-bind" if mount.read_only else "--bind", str(mount.host_path), mount.guest_path]
    return argv


def identity_texts() -> tuple[str, str]:
    """The sandbox's ``/etc/passwd`` and ``/etc/group``: the sandbox user and ``nobody`` only."""
    uid = SANDBOX_UID
    passwd = (
        f"{SANDBOX_USER}:x:{uid}:{uid}:wasmind sandbox:{SCRATCH}:/bin/sh\n"
        "nobody:x:65534:65534::/:/bin/false\n"
    )
    group = f"{SANDBOX_USER}:x:{uid}:\nnogroup:x:65534:\n"
    return passwd, group


def identity_fds() -> tuple[int, int]:
    """Readable pipes holding :func:`identity_texts`, for bwrap's ``--ro-bind-data``; the caller closes
    them once bwrap has started."""
    passwd, group = identity_texts()
    return _pipe_with(passwd.encode()), _pipe_with(group.encode())


def _pipe_with(data: bytes) -> int:
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)
    finally:
        os.close(write_end)
    return read_end


def missing_mount(grant: CommandGrant) -> str | None:
    """Why a granted folder cannot be mounted (it does not exist), or ``None``."""
    for mount in grant.mounts:
        if not mount.host_path.is_dir():
            return f"granted folder '{mount.host_path}' (guest '{mount.guest_path}') does not exist"
    return None


@functools.cache
def sandbox_status() -> str | None:
    """``None`` if commands can be sandboxed here, else why not and how to enable it (probed once)."""
    for name in ("bwrap", "prlimit"):
        if tool(name) is None:
            return f"the command sandbox is unavailable: '{name}' is not installed; {_HOW_TO_ENABLE}"
    grant = CommandGrant(actor="probe")
    passwd_r, group_r = identity_fds()
    probe = Launch("/bin/true", SCRATCH)
    argv = [*limits_argv(grant.limits), *bwrap_argv(probe, grant, (), passwd_r, group_r)]
    try:
        done = subprocess.run(
            argv,
            env={},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            pass_fds=(passwd_r, group_r),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the command sandbox is unavailable: probing it failed ({exc}); {_HOW_TO_ENABLE}"
    finally:
        os.close(passwd_r)
        os.close(group_r)
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        return f"the command sandbox is unavailable: bwrap failed ({detail}); {_HOW_TO_ENABLE}"
    return None


__all__ = [
    "SANDBOX_PATH",
    "CommandGrant",
    "Mount",
    "RunningCommands",
    "bwrap_argv",
    "identity_fds",
    "identity_texts",
    "limits_argv",
    "sandbox_status",
]
