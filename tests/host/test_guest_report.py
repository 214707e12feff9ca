"""What a trapped guest wrote, cleaned: Python tracebacks end with the reason, JavaScript errors start
with it; the language runtimes' own lines and ComponentizeJS's generated frames are dropped."""

from __future__ import annotations

from wasmind_nb.host.guest_report import guest_report

NOISE = "Redirecting call to abort() to mozalloc_abort\n"
PANIC = (
    "thread '<unnamed>' panicked at src/lib.rs:1:1:\nPython function threw\nnote: run with `RUST_BACKTRACE=1`"
)


def test_a_python_traceback_gives_its_last_line() -> None:
    traceback = 'Traceback (most recent call last):\n  File "actor.py", line 3, in f\nValueError: no'
    assert guest_report(f"{traceback}\n{PANIC}\n") == ("ValueError: no", traceback)


def test_a_javascript_error_gives_its_first_line_without_the_engine_noise() -> None:
    output = (
        "Redirecting call to abort() to mozalloc_abort\n"
        "TypeError: the handler failed\n"
        "Stack:\n"
        "  fail@actor.js:13:40\n"
        "  handleMessage@__wasmind__/wasmind.js:108:26\n"
        "  export_actor_0_1_0$actor$method$handleMessage@/tmp/e652ba23c45c/sources/initializer.js:1377:45\n"
        "\n"
        "Redirecting call to abort() to mozalloc_abort\n"
    )
    assert guest_report(output) == (
        "TypeError: the handler failed",
        "TypeError: the handler failed\nStack:\n  fail@actor.js:13:40\n"
        "  handleMessage@__wasmind__/wasmind.js:108:26",
    )


def test_a_javascript_error_with_only_generated_frames_keeps_its_message() -> None:
    output = "Error: boom\nStack:\n  f@/tmp/x/sources/initializer.js:1:1\n" + NOISE
    assert guest_report(output) == ("Error: boom", "Error: boom")


def test_only_noise_is_no_report() -> None:
    assert guest_report("Redirecting call to abort() to mozalloc_abort\n") == ("", "")
    assert guest_report("") == ("", "")
