"""Recording exchanges through a real embedded server, and replaying them with the server stopped."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from wasmind_nb.errors import ConfigError, ReplayMismatch
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.transport import (
    HttpResponse,
    TransportNetworkError,
    TransportRefused,
    TransportTimeout,
    UrllibTransport,
)
from wasmind_nb.llm import EmbeddedLLM, Raw, RecordingTransport, ReplayTransport, Reply, Router, ToolCallSpec

from .helpers import user

API_KEY = "sk-test-0123456789abcdef"
JSON = (("Content-Type", "application/json"),)


def _send(
    transport: object, url: str, payload: object, headers: tuple[tuple[str, str], ...] = JSON
) -> object:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return transport.send("POST", url, headers, body, 5.0)  # type: ignore[attr-defined]


def _script() -> Router:
    return Router(
        {
            "model:gpt-manager": [
                Reply(tool_calls=[ToolCallSpec("spawn_agent", {"agents_to_spawn": []})]),
                Reply("done"),
            ],
            "default": ["hello", "streamed reply"],
        }
    )


def _run(transport: object, base_url: str) -> list[object]:
    auth = (*JSON, ("Authorization", f"Bearer {API_KEY}"))
    return [
        _send(transport, f"{base_url}/v1/chat/completions", user("plan", model="gpt-manager"), auth),
        _send(transport, f"{base_url}/v1/chat/completions", user("hi"), auth),
        _send(transport, f"{base_url}/v1/chat/completions", user("go", model="gpt-manager"), auth),
        _send(transport, f"{base_url}/v1/chat/completions", user("s", stream=True), auth),
        transport.send("GET", f"{base_url}/v1/models", (), None, 5.0),  # type: ignore[attr-defined]
    ]


def test_replay_with_the_server_stopped_gives_identical_responses(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    with EmbeddedLLM(_script()) as llm, RecordingTransport(UrllibTransport(), trace) as recorder:
        recorded = _run(recorder, llm.base_url)
        assert recorder.count == 5
    replay = ReplayTransport(trace)
    # Another port: host and port are not compared.
    replayed = _run(replay, "http://127.0.0.1:9")
    assert replayed == recorded
    assert replay.remaining == 0
    replay.check(complete=True)

    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [0, 1, 2, 3, 4]
    first = lines[0]
    assert first["method"] == "POST" and first["url"].endswith("/v1/chat/completions")
    assert first["request_body"] == {"json": user("plan", model="gpt-manager")}
    assert first["status"] == 200
    assert (
        first["response_body"]["json"]["choices"][0]["message"]["tool_calls"][0]["id"] == "call_gpt_manager_1"
    )
    assert first["error"] is None and first["elapsed_ms"] >= 0
    assert "text" in lines[3]["response_body"]  # an SSE stream is kept as text
    assert lines[4]["request_body"] is None


def test_the_api_key_never_reaches_the_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "hunter2-secret-value"
    monkeypatch.setenv("MY_LLM_KEY", secret)
    monkeypatch.setenv("SHORT_SECRET", "abc")
    trace = tmp_path / "run.jsonl"
    headers = (
        *JSON,
        ("Authorization", f"Bearer {API_KEY}"),
        ("X-Api-Key", API_KEY),
        ("X-Custom", secret),
        ("X-Embedded", f"token={secret}"),
        ("X-Short", "abc"),
    )
    payload = {**user(f"my key is {secret}"), "api_key": secret, "note": "abc", "other": "abcdef"}
    with EmbeddedLLM(["ok"]) as llm:
        recorder = RecordingTransport(
            UrllibTransport(), trace, secret_env=["MY_LLM_KEY", "SHORT_SECRET", "UNSET_ONE"]
        )
        _send(recorder, f"{llm.base_url}/v1/chat/completions?key={secret}&k2=abc", payload, headers)
        recorder.close()
    text = trace.read_text()
    assert API_KEY not in text
    assert secret not in text
    entry = json.loads(text)
    assert dict(entry["request_headers"]) == {
        "Content-Type": "application/json",
        "Authorization": "<redacted>",
        "X-Api-Key": "<redacted>",
        "X-Custom": "<redacted>",
        "X-Embedded": "token=<redacted>",
        "X-Short": "<redacted>",
    }
    body = entry["request_body"]["json"]
    assert body["api_key"] == "<redacted>" and body["note"] == "<redacted>" and body["other"] == "abcdef"
    assert body["messages"][0]["content"] == "my key is <redacted>"
    assert "key=%3Credacted%3E" in entry["url"] or "key=<redacted>" in entry["url"]

    # Replay redacts the incoming request the same way, so the real key still matches the recording.
    replay = ReplayTransport(trace, secret_env=["MY_LLM_KEY", "SHORT_SECRET"])
    got = _send(replay, f"http://127.0.0.1:1/v1/chat/completions?key={secret}&k2=abc", payload, headers)
    assert got.status == 200  # type: ignore[attr-defined]


def test_mismatch_names_the_seq_and_shows_a_short_diff(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    with EmbeddedLLM(["one", "two"]) as llm, RecordingTransport(UrllibTransport(), trace) as recorder:
        _send(recorder, f"{llm.base_url}/v1/chat/completions", user("first"))
        _send(
            recorder,
            f"{llm.base_url}/v1/chat/completions",
            user("second question, long enough to be cut" * 3),
        )
    replay = ReplayTransport(trace)
    # Key order and spacing do not matter: JSON is compared as values.
    reordered = json.dumps({"messages": user("first")["messages"], "model": "gpt-test"}, indent=2).encode()
    _send(replay, "http://localhost:1/v1/chat/completions", reordered)
    changed = user("second question, long enough to be CUT" * 3, temperature=0.5)
    with pytest.raises(ReplayMismatch) as caught:
        _send(
            replay, "http://localhost:1/v1/chat/completions?x=1", changed, (("Content-Type", "text/plain"),)
        )
    message = str(caught.value)
    assert message.startswith(
        "replay mismatch at seq 1 of run.jsonl (request #1, POST /v1/chat/completions?x=1)"
    )
    assert "url: /v1/chat/completions vs /v1/chat/completions?x=1" in message
    assert 'header content-type: ["application/json"] vs ["text/plain"]' in message
    assert 'body.messages[0].content: "..., long enough to be cutsecond' in message
    assert '"..., long enough to be CUTsecond' in message
    assert "body.temperature: (absent) vs 0.5" in message
    with pytest.raises(ReplayMismatch, match="seq 1"):
        replay.check()
    assert len(replay.mismatches) == 1


def test_exhausted_trace_and_unused_exchanges_are_reported(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    with EmbeddedLLM(["one", "two"]) as llm, RecordingTransport(UrllibTransport(), trace) as recorder:
        _send(recorder, f"{llm.base_url}/v1/chat/completions", user("a"))
        _send(recorder, f"{llm.base_url}/v1/chat/completions", user("b"))
    replay = ReplayTransport(trace)
    _send(replay, "http://h/v1/chat/completions", user("a"))
    with pytest.raises(
        ReplayMismatch, match=r"1 recorded exchanges unused, from seq 1 \(POST /v1/chat/completions\)"
    ):
        replay.check(complete=True)
    _send(replay, "http://h/v1/chat/completions", user("b"))
    with pytest.raises(ReplayMismatch, match=r"exhausted: request #2 \(POST /v1/chat/completions\)"):
        _send(replay, "http://h/v1/chat/completions", user("c"))


def test_failures_are_recorded_and_raised_again(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    with (
        EmbeddedLLM([Reply("late", delay_s=0.5)]) as llm,
        RecordingTransport(UrllibTransport(), trace) as recorder,
    ):
        with pytest.raises(TransportTimeout):
            recorder.send(
                "POST", f"{llm.base_url}/v1/chat/completions", JSON, json.dumps(user("a")).encode(), 0.1
            )
        url = llm.base_url
    with (
        RecordingTransport(UrllibTransport(), trace, append=True) as recorder,
        pytest.raises(TransportNetworkError),
    ):
        _send(recorder, f"{url}/v1/chat/completions", user("b"))
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [(line["seq"], line["error"]["type"], line["status"]) for line in lines] == [
        (0, "TransportTimeout", None),
        (1, "TransportNetworkError", None),
    ]
    replay = ReplayTransport(trace)
    with pytest.raises(TransportTimeout, match="timed out"):
        _send(replay, "http://h/v1/chat/completions", user("a"))
    with pytest.raises(TransportNetworkError):
        _send(replay, "http://h/v1/chat/completions", user("b"))


def test_bodies_that_are_not_compact_json_are_replayed_byte_for_byte(tmp_path: Path) -> None:
    pretty = b'{\n  "id": "x",\n  "n": 1.50\n}'
    binary = bytes(range(256))
    script = [Raw(pretty), Raw(binary, content_type="application/octet-stream")]
    with EmbeddedLLM(script) as llm, RecordingTransport(UrllibTransport(), tmp_path / "t.jsonl") as recorder:
        first = _send(recorder, f"{llm.base_url}/v1/chat/completions", user("a"))
        second = _send(recorder, f"{llm.base_url}/v1/chat/completions", user("b"))
        third = _send(recorder, f"{llm.base_url}/v1/chat/completions", b"\xff\xfe not utf-8")
    lines = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert "text" in lines[0]["response_body"] and "base64" in lines[1]["response_body"]
    assert "base64" in lines[2]["request_body"] and "json" in lines[2]["response_body"]
    replay = ReplayTransport(tmp_path / "t.jsonl")
    assert _send(replay, "http://h/v1/chat/completions", user("a")) == first
    assert _send(replay, "http://h/v1/chat/completions", user("b")) == second
    assert _send(replay, "http://h/v1/chat/completions", b"\xff\xfe not utf-8") == third
    assert first.body == pretty and second.body == binary  # type: ignore[attr-defined]


def test_concurrent_recording_and_out_of_order_replay(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    names = [f"w{n}" for n in range(6)]
    router = Router({f"model:{name}": [f"reply to {name}"] for name in names})
    with EmbeddedLLM(router) as llm, RecordingTransport(UrllibTransport(), trace) as recorder:
        threads = [
            threading.Thread(
                target=_send, args=(recorder, f"{llm.base_url}/v1/chat/completions", user("x", model=n))
            )
            for n in names
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [json.loads(line)["seq"] for line in trace.read_text().splitlines()] == list(range(6))

    replay = ReplayTransport(trace, strict_order=False)
    for name in reversed(names):
        got = _send(replay, "http://h/v1/chat/completions", user("x", model=name))
        assert json.loads(got.body)["choices"][0]["message"]["content"] == f"reply to {name}"  # type: ignore[attr-defined]
    replay.check(complete=True)

    strict = ReplayTransport(trace)
    recorded_first = json.loads(trace.read_text().splitlines()[0])["request_body"]["json"]["model"]
    other = next(name for name in names if name != recorded_first)
    with pytest.raises(ReplayMismatch, match=f'(?s)seq 0 .*body.model: "{recorded_first}" vs "{other}"'):
        _send(strict, "http://h/v1/chat/completions", user("x", model=other))


def test_a_broken_trace_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"seq": 0, "method": "GET", "url": "http://h/"}\nnot json\n')
    with pytest.raises(ConfigError, match="trace line 2 is not valid JSON"):
        ReplayTransport(path)


def test_credential_headers_and_query_params_are_redacted_and_still_replay(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    secrets = {
        "Cookie": "session=abc123",
        "X-Auth-Token": "tok-1",
        "PRIVATE-TOKEN": "glpat-1",
        "X-Api-Key": "k-1",
        "X-Team-Secret": "team-1",
    }
    query = (
        "?api_key=q1&token=q2&access_token=q3&key=q4&password=q5&secret=q6&sig=q7&X-Amz-Signature=q8&page=2"
    )
    url_path = "/v1/chat/completions" + query
    with EmbeddedLLM(["ok"]) as llm:
        recorder = RecordingTransport(UrllibTransport(), trace, redact_headers=["x-team-secret"])
        _send(recorder, llm.base_url + url_path, user("hi"), (*JSON, *secrets.items()))
        recorder.close()
    text = trace.read_text()
    for value in [*secrets.values(), "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]:
        assert value not in text, value
    entry = json.loads(text)
    assert all(value == "<redacted>" for name, value in entry["request_headers"] if name in secrets)
    assert "page=2" in entry["url"]

    # Different secrets in the same places still match the recording.
    replay = ReplayTransport(trace, redact_headers=["X-Team-Secret"])
    other = {name: value + "-other" for name, value in secrets.items()}
    got = _send(
        replay, "http://127.0.0.1:1" + url_path.replace("q", "z"), user("hi"), (*JSON, *other.items())
    )
    assert got.status == 200  # type: ignore[attr-defined]
    replay.check(complete=True)


def test_set_cookie_in_responses_is_redacted(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"

    class Inner:
        def send(self, method, url, headers, body, timeout_s, *, check_address=None):  # type: ignore[no-untyped-def]
            return HttpResponse(200, (("set-cookie", "sid=s3cr3t; HttpOnly"), ("x-ok", "1")), b"{}")

    with RecordingTransport(Inner(), trace) as recorder:  # type: ignore[arg-type]
        recorder.send("GET", "http://api.test/x", (), None, 5.0)
    entry = json.loads(trace.read_text())
    assert entry["response_headers"] == [["set-cookie", "<redacted>"], ["x-ok", "1"]]


def test_a_refused_address_is_recorded_and_replayed_as_a_refusal(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    transport = UrllibTransport(resolver=lambda host, port: ["127.0.0.1"])

    def refuse(host: str, port: int, address: str) -> Denial:
        return Denial("a", "http_hosts", f"{host}:{port}", f"{host} resolves to {address}")

    with RecordingTransport(transport, trace) as recorder, pytest.raises(TransportRefused):
        recorder.send("GET", "http://rebind.test:1/?token=t0p", (), None, 5.0, check_address=refuse)
    entry = json.loads(trace.read_text())
    assert entry["error"] == {
        "type": "TransportRefused",
        "message": "rebind.test resolves to 127.0.0.1",
        "target": "rebind.test:1",
    }
    assert "t0p" not in trace.read_text()
    with pytest.raises(TransportRefused, match="resolves to") as raised:
        ReplayTransport(trace).send("GET", "http://rebind.test:1/?token=t0p", (), None, 5.0)
    assert raised.value.target == "rebind.test:1"
