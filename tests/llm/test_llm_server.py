"""The embedded OpenAI-compatible server, over real HTTP on loopback."""

from __future__ import annotations

import json
import threading

import pytest

from wasmind_nb.errors import LLMScriptError
from wasmind_nb.llm import EmbeddedLLM, Fault, Raw, Reply, Router, ScriptedReplies, ToolCallSpec, Usage

from .helpers import chat, raw_exchange, request, user


def test_plain_reply_has_the_openai_shape() -> None:
    with EmbeddedLLM([Reply("Hello!", usage=Usage(12, 3))]) as llm:
        got = chat(llm.base_url, user("hi"))
    assert got.status == 200
    assert got.headers["Content-Type"] == "application/json"
    assert got.json() == {
        "id": "chatcmpl-default-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-test",
        "system_fingerprint": "wasmind-embedded-llm",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello!"},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    }


def test_tool_calls_get_deterministic_ids_and_json_arguments() -> None:
    script = [
        Reply(tool_calls=[ToolCallSpec("execute_bash", {"command": "ls"}), ToolCallSpec("wait", "{}")]),
        Reply("thinking", tool_calls=[ToolCallSpec("complete", {"summary": "ok"}, id="mine")]),
    ]
    with EmbeddedLLM(script) as llm:
        first = chat(llm.base_url, user("go")).json()["choices"][0]
        second = chat(llm.base_url, user("go")).json()["choices"][0]
    assert first["finish_reason"] == "tool_calls"
    assert first["message"]["content"] is None
    assert first["message"]["tool_calls"] == [
        {
            "id": "call_default_1",
            "type": "function",
            "function": {"name": "execute_bash", "arguments": '{"command":"ls"}'},
        },
        {"id": "call_default_2", "type": "function", "function": {"name": "wait", "arguments": "{}"}},
    ]
    assert second["message"]["content"] == "thinking"
    assert second["message"]["tool_calls"][0]["id"] == "mine"


def test_usage_is_estimated_when_the_reply_gives_none() -> None:
    with EmbeddedLLM(["a reply of some length"]) as llm:
        usage = chat(llm.base_url, user("a question")).json()["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] == 6
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_streaming_sends_sse_chunks_that_add_up_to_the_reply() -> None:
    script = [
        Reply("Hello there, world"),
        Reply(tool_calls=[ToolCallSpec("execute_bash", {"command": "ls"})]),
    ]
    with EmbeddedLLM(script) as llm:
        text = chat(llm.base_url, user("hi", stream=True))
        tools = chat(llm.base_url, user("hi", stream=True))
    assert text.status == 200
    assert text.headers["Content-Type"] == "text/event-stream"
    assert text.body.endswith(b"data: [DONE]\n\n")
    events = text.events()
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert {chunk["id"] for chunk in chunks} == {"chatcmpl-default-1"}
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)
    assert content == "Hello there, world"
    assert len(chunks) > 3
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] > 0

    calls: dict[int, dict[str, str]] = {}
    tool_chunks = tools.events()[:-1]
    for chunk in tool_chunks:
        for call in chunk["choices"][0]["delta"].get("tool_calls", []):
            slot = calls.setdefault(call["index"], {"id": "", "name": "", "arguments": ""})
            slot["id"] += call.get("id", "")
            slot["name"] += call.get("function", {}).get("name", "")
            slot["arguments"] += call.get("function", {}).get("arguments", "")
    assert calls == {0: {"id": "call_default_1", "name": "execute_bash", "arguments": '{"command":"ls"}'}}
    assert tool_chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_stream_options_include_usage_puts_usage_in_a_last_chunk_without_choices() -> None:
    with EmbeddedLLM(["ok"]) as llm:
        chunks = chat(llm.base_url, user("hi", stream=True, stream_options={"include_usage": True})).events()
    assert chunks[-1] == "[DONE]"
    assert chunks[-2]["choices"] == [] and chunks[-2]["usage"]["completion_tokens"] == 1
    assert "usage" not in chunks[-3]


def test_router_picks_the_script_by_model_then_marker_then_default() -> None:
    router = Router(
        {
            "model:gpt-manager": ["manager 1", "manager 2"],
            "marker:[role:worker]": ScriptedReplies(["worker 1"]),
            "regex:role=(critic|judge)": ["critic 1"],
            "default": ["other 1"],
        }
    )
    with EmbeddedLLM(router) as llm:

        def ask(**request: object) -> tuple[str, str]:
            body = chat(llm.base_url, request).json()
            return body["id"], body["choices"][0]["message"]["content"]

        assert ask(**user("plan", model="gpt-manager")) == ("chatcmpl-gpt_manager-1", "manager 1")
        assert ask(**user("do", system="You are [role:worker].")) == ("chatcmpl-role_worker-1", "worker 1")
        assert ask(**user("judge", system="role=judge")) == ("chatcmpl-role_critic_judge-1", "critic 1")
        assert ask(**user("hm")) == ("chatcmpl-default-1", "other 1")
        assert ask(**user("plan", model="gpt-manager")) == ("chatcmpl-gpt_manager-2", "manager 2")
        assert [r.agent for r in llm.requests] == [
            "model:gpt-manager",
            "marker:[role:worker]",
            "regex:role=(critic|judge)",
            "default",
            "model:gpt-manager",
        ]
        assert request(llm.base_url, "/v1/models").json()["data"][0]["id"] == "gpt-manager"


def test_router_marker_reads_system_messages_only_and_list_content() -> None:
    router = Router({"marker:[role:worker]": ["worker"], "default": ["default"]})
    with EmbeddedLLM(router) as llm:
        in_user = chat(llm.base_url, user("[role:worker]")).json()
        in_parts = chat(
            llm.base_url,
            {
                "model": "m",
                "messages": [{"role": "system", "content": [{"type": "text", "text": "x [role:worker]"}]}],
            },
        ).json()
    assert in_user["choices"][0]["message"]["content"] == "default"
    assert in_parts["choices"][0]["message"]["content"] == "worker"


def test_router_rejects_bad_keys() -> None:
    with pytest.raises(ValueError, match="must be 'model:NAME'"):
        Router({"agent:x": []})
    with pytest.raises(ValueError, match="same id prefix"):
        Router({"model:a-b": [], "marker:a_b": []})
    with pytest.raises(ValueError, match="regular expression"):
        Router({"regex:(": []})


def test_exhausted_script_answers_500_naming_agent_and_last_user_message() -> None:
    router = Router({"model:gpt-manager": ["one", "two", "three"]})
    with EmbeddedLLM(router) as llm:
        for _ in range(3):
            assert chat(llm.base_url, user("x", model="gpt-manager")).status == 200
        got = chat(llm.base_url, user("Please fix the failing test", model="gpt-manager"))
        assert got.status == 500
        error = got.json()["error"]
        assert error["type"] == "script_error"
        assert error["message"] == (
            "script exhausted for agent 'model:gpt-manager' after 3 replies; "
            'request: model "gpt-manager", last user message "Please fix the failing test"'
        )
        with pytest.raises(LLMScriptError, match="after 3 replies"):
            llm.check()
        assert llm.requests[-1].status == 500 and llm.requests[-1].agent is None


def test_unrouted_request_and_failing_function_are_script_errors() -> None:
    def broken(request: dict[str, object]) -> Reply:
        raise KeyError("nope")

    with EmbeddedLLM(Router({"model:a": ["x"]})) as llm:
        got = chat(llm.base_url, user("hello", model="b"))
        assert got.status == 500 and "no script route matches" in got.json()["error"]["message"]
    with EmbeddedLLM(broken) as llm:
        assert chat(llm.base_url, user("hello")).status == 500
        chat(llm.base_url, user("again"))
        with pytest.raises(LLMScriptError, match=r"broken failed .*KeyError.*\(and 1 more script errors\)"):
            llm.check()


def test_callable_script_sees_the_request() -> None:
    def echo(request: dict[str, object]) -> str:
        return f"you said {request['messages'][-1]['content']}"  # type: ignore[index]

    with EmbeddedLLM(echo) as llm:
        got = chat(llm.base_url, user("ping"))
    assert got.json()["choices"][0]["message"]["content"] == "you said ping"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (json.dumps({"messages": []}).encode(), "model"),
        (json.dumps({"model": "m", "messages": "hi"}).encode(), "messages"),
    ],
)
def test_malformed_requests_get_400_with_an_openai_error(body: bytes, param: str | None) -> None:
    with EmbeddedLLM(["unused"]) as llm:
        got = request(llm.base_url, "/v1/chat/completions", body, {"Content-Type": "application/json"})
        assert got.status == 400
        error = got.json()["error"]
        assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]
        assert llm.requests[0].status == 400
        llm.check()  # a bad request is the client's fault, not the script's


def test_models_health_and_unknown_paths() -> None:
    with EmbeddedLLM(ScriptedReplies([], models=["a"]), models=["b", "a"]) as llm:
        models = request(llm.base_url, "/v1/models").json()
        assert models["object"] == "list"
        assert [model["id"] for model in models["data"]] == ["a", "b"]
        assert request(llm.base_url, "/health").json() == {"status": "ok"}
        assert request(llm.base_url, "/v1/nothing").status == 404
        assert request(llm.base_url, "/v1/chat/completions").status == 405


def test_faults_and_raw_responses_are_sent_as_scripted() -> None:
    script = [Fault(429, "slow down", "rate_limit_error"), Raw("not json", content_type="text/plain"), "ok"]
    with EmbeddedLLM(script) as llm:
        fault = chat(llm.base_url, user("a"))
        raw = chat(llm.base_url, user("b"))
        ok = chat(llm.base_url, user("c"))
        llm.check()
    assert fault.status == 429 and fault.json()["error"]["message"] == "slow down"
    assert raw.body == b"not json" and raw.headers["Content-Type"] == "text/plain"
    assert ok.json()["id"] == "chatcmpl-default-1"


def test_two_runs_are_byte_identical() -> None:
    def run() -> list[bytes]:
        router = Router(
            {
                "model:m1": [Reply("a b c"), Reply(tool_calls=[ToolCallSpec("t", {"x": [1, "é"]})])],
                "default": ["fine"],
            }
        )
        with EmbeddedLLM(router) as llm:
            return [
                raw_exchange(llm.base_url, user("one", model="m1")),
                raw_exchange(llm.base_url, user("two", model="m1", stream=True)),
                raw_exchange(llm.base_url, user("three")),
                raw_exchange(llm.base_url, user("four")),  # exhausted: the error is deterministic too
            ]

    first, second = run(), run()
    assert first == second
    assert first[0].startswith(b"HTTP/1.0 200") or first[0].startswith(b"HTTP/1.1 200")
    assert b"Date:" not in first[0]


def test_reset_rewinds_the_script_and_the_ids() -> None:
    llm = EmbeddedLLM([Reply(tool_calls=[ToolCallSpec("t")])])
    with llm:
        first = chat(llm.base_url, user("x")).body
        llm.reset()
        assert llm.requests == []
        second = chat(llm.base_url, user("x")).body
    assert first == second


def test_stop_then_start_serves_again_on_the_same_port() -> None:
    llm = EmbeddedLLM(["a", "b"])
    url = llm.start()
    assert chat(url, user("x")).status == 200
    llm.stop()
    assert not llm.running
    assert llm.start() == url
    assert chat(url, user("x")).json()["choices"][0]["message"]["content"] == "b"
    llm.stop()
    llm.stop()


def test_concurrent_requests_each_get_one_reply() -> None:
    replies = [f"reply {n}" for n in range(40)]
    results: list[str] = []
    lock = threading.Lock()
    with EmbeddedLLM(replies) as llm:

        def worker() -> None:
            for _ in range(10):
                content = chat(llm.base_url, user("x")).json()["choices"][0]["message"]["content"]
                with lock:
                    results.append(content)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seqs = [r.seq for r in llm.requests]
    assert sorted(results) == sorted(replies)
    assert seqs == list(range(40))


def test_only_loopback_hosts_are_accepted() -> None:
    for host in ("0.0.0.0", "192.168.1.10", "example.com", ""):
        with pytest.raises(ValueError, match="loopback"):
            EmbeddedLLM([], host=host)
    with EmbeddedLLM(["hi"], host="localhost") as llm:
        assert llm.base_url.startswith("http://127.0.0.1:")


def test_secret_headers_are_not_kept_in_requests() -> None:
    with EmbeddedLLM(["hi"]) as llm:
        chat(llm.base_url, user("x"), headers={"Authorization": "Bearer sk-secret"})
        headers = dict(llm.requests[0].headers)
    assert headers["Authorization"] == "<redacted>"


def test_base_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not been started"):
        _ = EmbeddedLLM([]).base_url
