"""Per-actor grants for commands and HTTP hosts."""

from __future__ import annotations

import pytest

from wasmind_nb.host.policy import CommandPolicy, HttpPolicy


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("api.example.com", True),
        ("a.b.example.com", True),
        ("API.Example.COM.", True),
        ("example.com", False),
        ("badexample.com", False),
        ("openai.com", True),
        ("api.openai.com", False),
        ("::1", True),
    ],
)
def test_http_policy_matches_hosts_and_wildcards(host: str, allowed: bool) -> None:
    policy = HttpPolicy(("*.example.com", "OpenAI.com", "[::1]"), "bot")
    assert (policy.check(host) is None) is allowed


def test_http_policy_none_allows_all_and_star_allows_all() -> None:
    assert HttpPolicy(None, "bot").check("anything.test") is None
    assert HttpPolicy(("*",), "bot").check("anything.test") is None
    assert HttpPolicy((), "bot").check("x.test") == "host 'x.test' is not allowed for actor 'bot'"


def test_command_policy_matches_name_or_basename() -> None:
    policy = CommandPolicy(("git", "/opt/tool"), "coder")
    assert policy.check("git") is None
    assert policy.check("/usr/bin/git") is None
    assert policy.check("/opt/tool") is None
    assert policy.check("rm") == "command 'rm' is not allowed for actor 'coder'"
    assert CommandPolicy(None, "coder").check("rm") is None
