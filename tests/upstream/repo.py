"""A git repository laid out like upstream Wasmind's: Rust crate folders with Cargo.toml and Wasmind.toml.

Every manifest here is written for these tests (same shape and logical names as upstream's, shorter
prompts). ``make_upstream_repo`` commits the tree; ``url_rewrite`` makes git reach it through the URL
upstream's configs use, so the fixture configs keep upstream's exact ``source`` lines.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

UPSTREAM_URL = "https://github.com/SilasMarvin/wasmind"
CONFIGS = Path(__file__).parent / "configs"


def _git(*parts: str) -> str:
    return f'{{ git = "{UPSTREAM_URL}", sub_dir = "{"/".join(parts)}" }}'


ASSISTANT = _git("actors", "assistant")
BASH = _git("actors", "execute_bash")
FILES = _git("actors", "file_interaction", "crates", "file_interaction_actor")
NETWORK = ("actors", "delegation_network", "crates")
REVIEW = ("actors", "review_plan", "crates")
EXPERTS = ("actors", "code_with_experts", "crates")


def _assistant(name: str, identity: str, *, require_tool_call: bool = False) -> str:
    extra = f"\n[dependencies.{name}.config]\nrequire_tool_call = true\n" if require_tool_call else ""
    return (
        f"\n[dependencies.{name}]\nsource = {ASSISTANT}\n{extra}"
        f"\n[dependencies.{name}.config.system_prompt.defaults]\nidentity = '''{identity}'''\n"
    )


COORDINATOR = (
    textwrap.dedent(
        f"""\
        # The network's top actor: its manifest declares every agent type and tool of the network.
        actor_id = "wasmind:delegation_network_coordinator"
        required_spawn_with = ["main_manager_assistant", "spawn_agent", "send_message",
                               "main_manager_request_plan_review", "planner", "wait"]

        [dependencies.main_manager_request_plan_review]
        source = {_git(*REVIEW, "request_plan_review")}

        [dependencies.main_manager_request_plan_review.config.reviewers]
        plan_critic = ["plan_critic_assistant", "read_file", "execute_bash"]

        [dependencies.worker_file_interaction_with_approval]
        source = {_git(*EXPERTS, "file_interaction_with_approval")}

        [dependencies.worker_file_interaction_with_approval.config.approvers]
        correctness = ["correctness_assistant", "read_file"]

        [dependencies.spawn_agent]
        source = {_git(*NETWORK, "spawn_agent")}

        [dependencies.spawn_agent.config]
        sub_manager_actors = ["sub_manager_assistant", "spawn_agent", "send_message", "send_manager_message",
                              "wait", "complete"]
        worker_actors = ["worker_assistant", "execute_bash", "worker_file_interaction_with_approval",
                         "complete", "send_manager_message", "check_health"]

        [dependencies.send_message]
        source = {_git(*NETWORK, "send_message")}

        [dependencies.send_manager_message]
        source = {_git(*NETWORK, "send_manager_message")}

        [dependencies.planner]
        source = {_git(*NETWORK, "planner")}

        [dependencies.wait]
        source = {_git(*NETWORK, "wait")}

        [dependencies.check_health]
        source = {_git(*NETWORK, "check_health")}

        [dependencies.check_health.config]
        check_interval = 60

        # Upstream writes this setting one level too high; upstream's loader ignores it, and so do we.
        [dependencies.read_file]
        source = {FILES}
        allow_edits = false

        [dependencies.complete]
        source = {_git(*NETWORK, "complete")}

        [dependencies.execute_bash]
        source = {BASH}

        [dependencies.conversation_compaction]
        source = {_git("actors", "conversation_compaction")}
        auto_spawn = true
        """
    )
    + _assistant("main_manager_assistant", "You are the Main Manager [role:main]. Delegate everything.")
    + _assistant("sub_manager_assistant", "You are a SubManager [role:sub].", require_tool_call=True)
    + _assistant("worker_assistant", "You are a Worker [role:worker].", require_tool_call=True)
    + _assistant("plan_critic_assistant", "You review plans [role:critic].", require_tool_call=True)
    + _assistant("correctness_assistant", "You review edits [role:correctness].")
)

CHECK_HEALTH = textwrap.dedent(
    f"""\
        actor_id = "wasmind:check_health"

        [dependencies.flag_issue]
        source = {_git(*NETWORK, "flag_issue")}

        [dependencies.report_normal]
        source = {_git(*NETWORK, "report_normal")}
        """
) + _assistant(
    "check_health_assistant", "You judge whether an agent is stuck [role:health].", require_tool_call=True
)


def _tool_manifest(actor_id: str, title: str) -> str:
    """A tool's manifest with the descriptive keys upstream's carry (and its loader ignores)."""
    return textwrap.dedent(
        f"""\
        actor_id = "{actor_id}"
        display_name = "{title}"
        description = "The {title.lower()} of the test repository."

        [system_prompt_contributions.usage]
        section = "Tools"
        priority = 900
        content = "Use it when it fits."
        """
    )


MANIFESTS: dict[tuple[str, ...], str] = {
    ("actors", "assistant"): 'actor_id = "wasmind:assistant"\n',
    ("actors", "execute_bash"): 'actor_id = "wasmind:execute_bash"\n',
    ("actors", "conversation_compaction"): 'actor_id = "wasmind:conversation_compaction"\n',
    ("actors", "file_interaction", "crates", "file_interaction_actor"): (
        'actor_id = "wasmind:file_interaction"\n'
    ),
    (*NETWORK, "delegation_network_coordinator"): COORDINATOR,
    (*NETWORK, "check_health"): CHECK_HEALTH,
    **{(*NETWORK, name): f'actor_id = "wasmind:{name}"\n' for name in (
        "spawn_agent", "send_message", "send_manager_message", "planner", "wait", "complete", "flag_issue",
        "report_normal",
    )},
    (*REVIEW, "request_plan_review"): (
        'actor_id = "wasmind:request_plan_review"\n\n[dependencies.rpr__review_plan]\n'
        f"source = {_git(*REVIEW, 'review_plan')}\n"
    ),
    (*REVIEW, "review_plan"): _tool_manifest("wasmind:review_plan", "Review Plan Tool"),
    (*EXPERTS, "file_interaction_with_approval"): (
        'actor_id = "wasmind_code_with_experts:file_interaction_with_approval"\n\n'
        f"[dependencies.hcwe_approve]\nsource = {_git(*EXPERTS, 'approve')}\n\n"
        f"[dependencies.hcwe_request_changes]\nsource = {_git(*EXPERTS, 'request_changes')}\n"
    ),
    (*EXPERTS, "approve"): _tool_manifest("wasmind_code_with_experts:approve", "Approve Tool"),
    (*EXPERTS, "request_changes"): _tool_manifest(
        "wasmind_code_with_experts:request_changes", "Request Changes Tool"
    ),
}  # fmt: skip


def _crate(folder: Path, manifest: str) -> None:
    """A Rust actor crate: Cargo.toml, Wasmind.toml and a source file (never compiled here)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = folder.name
    (folder / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2024"\n\n[lib]\ncrate-type = ["cdylib"]\n'
    )
    (folder / "Wasmind.toml").write_text(manifest)
    (folder / "src").mkdir(exist_ok=True)
    (folder / "src" / "lib.rs").write_text(f"// the {name} actor (not built by these tests)\n")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def make_upstream_repo(path: Path) -> Path:
    """Write and commit the tree at ``path`` (a workspace of actor crates, as upstream's)."""
    path.mkdir(parents=True)
    (path / "Cargo.toml").write_text('[workspace]\nresolver = "2"\nmembers = ["actors/*"]\n')
    for parts, manifest in MANIFESTS.items():
        _crate(path.joinpath(*parts), manifest)
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "add", "-A")
    git(path, "commit", "--quiet", "-m", "upstream-shaped actors")
    return path


def url_rewrite(gitconfig: Path, repo: Path) -> None:
    """A git config that sends ``UPSTREAM_URL`` to the local ``repo`` (no network)."""
    gitconfig.write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n[commit]\n\tgpgsign = false\n"
        f'[url "{repo.as_uri()}"]\n\tinsteadOf = {UPSTREAM_URL}\n'
    )
