"""``connect``: what an LLM connection grants (the host entry) and holds back (the API key)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmind_nb.config import LLMSettings
from wasmind_nb.host.credential import Credential
from wasmind_nb.llm.connection import connect
from wasmind_nb.llm.trace import RecordingTransport


def test_embedded_connection_grants_its_loopback_origin_and_holds_no_credential() -> None:
    connection = connect(LLMSettings())
    try:
        assert connection.mode == "embedded" and connection.credential is None
        assert connection.server is not None
        assert f"http://{connection.grant_host}" == connection.server.base_url.rstrip("/")
    finally:
        connection.close()


def test_remote_connection_holds_the_key_as_a_credential_for_chat_completions_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", "sk-live-0123456789")
    connection = connect(LLMSettings(base_url="https://llm.example.com/proxy/", api_key_env="TEST_LLM_KEY"))
    credential = connection.credential
    assert credential == Credential(
        "https",
        "llm.example.com",
        443,
        ("/proxy/v1/chat/completions",),
        "Authorization",
        "Bearer sk-live-0123456789",
    )
    assert "sk-live" not in repr(credential) and "sk-live" not in repr(connection)
    assert connection.grant_host == "llm.example.com:443"
    assert credential.applies_to("https://llm.example.com/proxy/v1/chat/completions")
    assert credential.applies_to("https://LLM.example.com:443/proxy/v1/chat/completions?x=1")
    for url in [
        "http://llm.example.com/proxy/v1/chat/completions",
        "https://llm.example.com:8443/proxy/v1/chat/completions",
        "https://llm.example.com/proxy/v1/models",
        "https://llm.example.com/proxy/v1/chat/completions/",
        "https://llm.example.com/v1/chat/completions",
        "https://evil.example.com/proxy/v1/chat/completions",
    ]:
        assert not credential.applies_to(url), url


def test_remote_connection_without_a_key_has_no_credential() -> None:
    connection = connect(LLMSettings(base_url="http://[::1]:4000"))
    assert connection.credential is None and connection.grant_host == "[::1]:4000"


def test_record_and_replay_use_the_extra_redacted_headers(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    connection = connect(LLMSettings(mode="record", trace=str(trace), redact_headers=["X-Team-Secret"]))
    try:
        assert isinstance(connection.transport, RecordingTransport)
        connection.transport.send(
            "GET", connection.base_url + "/v1/models", (("X-Team-Secret", "t-1"),), None, 5.0
        )
    finally:
        connection.close()
    assert "t-1" not in trace.read_text()
    replay = connect(LLMSettings(mode="replay", trace=str(trace), redact_headers=["X-Team-Secret"]))
    assert replay.grant_host == connection.grant_host
    response = replay.transport.send(
        "GET", replay.base_url + "/v1/models", (("X-Team-Secret", "t-2"),), None, 5.0
    )
    assert response.status == 200
