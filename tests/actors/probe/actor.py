"""Test actor: runs host capabilities on request and reports what came back.

probe.Command {program, args?, cwd?, timeout_s?, max_output_bytes?, env?, env_clear?}
    -> probe.CommandResult
probe.Http {method, url, headers?, body?, timeout_s?, max_attempts?, base_delay_ms?, retry_on?}
    -> probe.HttpResult
probe.HostInfo -> probe.HostInfoResult;  probe.ParentOf {scope} -> probe.ParentOfResult
probe.Broadcast {type, payload} -> broadcasts ``payload`` (JSON) as ``type`` from the probe's scope
probe.Spawn {actors, name} -> probe.SpawnResult {ok, scope | error}
probe.Symlink {target, link} -> probe.SymlinkResult {ok, error?}
"""

import json
from dataclasses import asdict

from wasmind_sdk import (
    ActorBase,
    HostError,
    broadcast,
    http_request,
    on,
    os_info,
    parent_scope_of,
    run_command,
    spawn_agent,
    working_directory,
)


class Actor(ActorBase):
    @on("probe.Command", own_scope=True)
    def command(self, req, envelope) -> None:
        try:
            result = run_command(
                req["program"],
                req.get("args"),
                cwd=req.get("cwd"),
                timeout_s=req.get("timeout_s"),
                max_output_bytes=req.get("max_output_bytes"),
                env=req.get("env"),
                env_clear=req.get("env_clear", False),
            )
            broadcast("probe.CommandResult", {"ok": True, **asdict(result)})
        except HostError as err:
            broadcast("probe.CommandResult", {"ok": False, "error": str(err)})

    @on("probe.Http", own_scope=True)
    def http(self, req, envelope) -> None:
        try:
            resp = http_request(
                req.get("method", "GET"),
                req["url"],
                headers=req.get("headers"),
                body=req.get("body"),
                timeout_s=req.get("timeout_s"),
                max_attempts=req.get("max_attempts", 1),
                base_delay_ms=req.get("base_delay_ms", 0),
                retry_on_status=req.get("retry_on"),
            )
            broadcast(
                "probe.HttpResult",
                {"ok": True, "status": resp.status, "headers": resp.headers, "body": resp.body.decode()},
            )
        except HostError as err:
            broadcast("probe.HttpResult", {"ok": False, "error": str(err)})

    @on("probe.HostInfo", own_scope=True)
    def host_info(self, req, envelope) -> None:
        os_name, arch = os_info()
        broadcast("probe.HostInfoResult", {"cwd": working_directory(), "os": os_name, "arch": arch})

    @on("probe.ParentOf", own_scope=True)
    def parent_of(self, req, envelope) -> None:
        broadcast("probe.ParentOfResult", {"parent": parent_scope_of(req["scope"])})

    @on("probe.ReadFile", own_scope=True)
    def read_file(self, req, envelope) -> None:
        try:
            with open(req["path"]) as handle:
                broadcast("probe.ReadFileResult", {"ok": True, "text": handle.read()})
        except OSError as err:
            broadcast("probe.ReadFileResult", {"ok": False, "error": f"{type(err).__name__}: {err}"})

    @on("probe.Broadcast", own_scope=True)
    def forge(self, req, envelope) -> None:
        broadcast(req["type"], json.dumps(req["payload"]))

    @on("probe.Spawn", own_scope=True)
    def spawn(self, req, envelope) -> None:
        try:
            broadcast("probe.SpawnResult", {"ok": True, "scope": spawn_agent(req["actors"], req["name"])})
        except HostError as err:
            broadcast("probe.SpawnResult", {"ok": False, "error": str(err)})

    @on("probe.Symlink", own_scope=True)
    def symlink(self, req, envelope) -> None:
        import os

        try:
            os.symlink(req["target"], req["link"])
            broadcast("probe.SymlinkResult", {"ok": True})
        except OSError as err:
            broadcast("probe.SymlinkResult", {"ok": False, "error": f"{type(err).__name__}: {err}"})
