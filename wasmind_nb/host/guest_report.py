"""What a trapped guest wrote about its failure, without the language runtime's noise.

componentize-py guests print a Python traceback (the reason is its last line); ComponentizeJS guests
print the error's message, then ``Stack:`` and one frame per line (the reason is the first line). Both
runtimes add lines of their own (a Rust panic, SpiderMonkey's ``Redirecting call to abort() to
mozalloc_abort``), which are dropped, as are frames of ComponentizeJS's generated bindings.
"""

from __future__ import annotations

_RUNTIME_NOISE = (
    "thread '<unnamed>'",
    "Python function threw",
    "note: run with",
    "error while executing at",
    "Redirecting call to abort() to mozalloc_abort",
)
_JS_STACK = "Stack:"
_JS_BINDINGS = "/sources/initializer.js:"  # ComponentizeJS's generated glue, in a deleted build folder


def guest_report(output: str) -> tuple[str, str]:
    """``(reason, report)``: the line saying what failed and the whole cleaned report ("" if none)."""
    lines = [line for line in output.strip().splitlines() if not line.startswith(_RUNTIME_NOISE)]
    while lines and not lines[-1].strip():
        lines.pop()
    if _JS_STACK in lines:
        at = lines.index(_JS_STACK)
        message = [line for line in lines[:at] if line.strip()]
        frames = [line for line in lines[at + 1 :] if line.strip() and _JS_BINDINGS not in line]
        reason = message[0] if message else "uncaught exception"
        return reason, "\n".join([*message, _JS_STACK, *frames] if frames else message)
    report = "\n".join(lines).strip()
    return (report.splitlines()[-1] if report else ""), report
