"""Per-actor grants for commands and HTTP hosts, ports and addresses."""

from __future__ import annotations

import pytest

from wasmind_nb.host.policy import HttpPolicy


@pytest.mark.parametrize(
    ("host", "port", "allowed"),
    [
        ("api.example.com", 443, True),
        ("a.b.example.com", 80, True),
        ("API.Example.COM.", 443, True),
        ("api.example.com", 8443, False),
        ("example.com", 443, False),
        ("badexample.com", 443, False),
        ("openai.com", 443, True),
        ("openai.com", 8080, False),
        ("api.openai.com", 443, False),
        ("::1", 8080, True),
        ("[0:0::1]", 8080, True),
        ("::1", 8081, False),
        ("gpu.test", 7001, True),
        ("gpu.test", 80, True),
    ],
)
def test_http_policy_matches_hosts_ports_and_wildcards(host: str, port: int, allowed: bool) -> None:
    policy = HttpPolicy(("*.example.com", "OpenAI.com", "[::1]:8080", "gpu.test:*"), "bot")
    assert (policy.check(host, port) is None) is allowed


def test_star_grants_every_public_host_on_every_port_and_empty_grants_nothing() -> None:
    assert HttpPolicy(("*",), "bot").check("anything.test", 8443) is None
    denial = HttpPolicy((), "bot").check("x.test", 443)
    assert denial is not None
    assert (denial.actor, denial.capability, denial.target) == ("bot", "http_hosts", "x.test:443")
    assert denial.reason == "actor 'bot' is not allowed to reach x.test:443: it has no http_hosts grant"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.169.254",
     "0.0.0.0", "0.1.2.3", "224.0.0.1", "::1", "::", "fe80::1", "fd00::1", "fc00::5", "::ffff:127.0.0.1",
     "::ffff:10.0.0.1", "2002:7f00:1::", "64:ff9b::a00:1", "::127.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_refused_under_wildcards(address: str) -> None:
    policy = HttpPolicy(("*", "*.example.com", "api.example.com"), "bot")
    for host in ("rebind.test", "api.example.com", "x.example.com"):
        denial = policy.check_address(host, 443, address)
        assert denial is not None and "address" in denial.reason, (host, address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "::ffff:93.184.215.14"])
def test_public_addresses_pass_the_address_check(address: str) -> None:
    assert HttpPolicy(("*",), "bot").check_address("example.org", 443, address) is None


def test_a_private_address_needs_an_entry_naming_it_on_that_port() -> None:
    policy = HttpPolicy(("127.0.0.1:8080", "10.0.0.5", "gpu.test:8080", "*"), "bot")
    assert policy.check_address("127.0.0.1", 8080, "127.0.0.1") is None
    assert policy.check_address("127.0.0.1", 8081, "127.0.0.1") is not None
    assert policy.check_address("10.0.0.5", 443, "10.0.0.5") is None
    assert policy.check_address("10.0.0.5", 8080, "10.0.0.5") is not None
    # a name granted exactly, plus its address, may resolve to it; a name granted by '*' may not
    assert policy.check_address("gpu.test", 8080, "127.0.0.1") is None
    denial = policy.check_address("rebind.test", 8080, "127.0.0.1")
    assert denial is not None
    assert denial.reason == (
        "actor 'bot' is not allowed to reach rebind.test:8080: rebind.test resolves to 127.0.0.1, "
        "a loopback address; only http_hosts listing both 'rebind.test:8080' and '127.0.0.1:8080' grant it, "
        "never a wildcard"
    )


def test_localhost_entry_grants_loopback_for_localhost_only() -> None:
    policy = HttpPolicy(("localhost:8888",), "bot")
    assert policy.check("localhost", 8888) is None
    assert policy.check_address("localhost", 8888, "127.0.0.1") is None
    assert policy.check_address("localhost", 8888, "::1") is None
    assert policy.check_address("localhost", 8888, "10.0.0.1") is not None
    assert policy.check_address("localhost", 9999, "127.0.0.1") is not None


@pytest.mark.parametrize(
    "entry", ["https://a.com", "a.*.com", "*:443", "a.com:0", "a.com:http", "[::1", "[x]"]
)
def test_malformed_entries_are_rejected(entry: str) -> None:
    with pytest.raises(ValueError, match=entry.replace("[", r"\[").replace("*", r"\*")):
        HttpPolicy((entry,), "bot")


def test_a_port_denial_names_the_granted_ports() -> None:
    denial = HttpPolicy(("a.test", "a.test:8080"), "bot").check("a.test", 9000)
    assert denial is not None
    assert denial.reason == (
        "actor 'bot' is not allowed to reach a.test:9000: its http_hosts grant this host on port "
        "80, 443, 8080 only (an entry without a port means 80 and 443); grant 'a.test:9000' for this port"
    )
