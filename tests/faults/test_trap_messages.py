"""A fault keeps a trap's real cause and its wasm backtrace, not only wasmtime's header line."""

from __future__ import annotations

from wasmind_nb.host.instance import _trap_parts

STACK_EXHAUSTED = (
    "error while executing at wasm backtrace:\n"
    "    0: libpython3.14.so!_PyMem_RawMalloc\n"
    "    1: 0xefcf15 - libpython3.14.so!_parse_array_unicode\n"
    + "".join(f"   {i}: 0xefacad - libpython3.14.so!scan_once_unicode\n" for i in range(2, 60))
    + "\nCaused by:\n    wasm trap: call stack exhausted\n"
)


def test_the_cause_comes_first_and_the_backtrace_is_kept_but_bounded() -> None:
    cause, backtrace = _trap_parts(Exception(STACK_EXHAUSTED))
    assert cause == "wasm trap: call stack exhausted"
    lines = backtrace.splitlines()
    assert "_PyMem_RawMalloc" in lines[0] and "_parse_array_unicode" in lines[1]
    assert lines[-1].strip() == "... 36 more frames" and len(lines) == 25


def test_a_one_line_error_is_its_own_cause() -> None:
    assert _trap_parts(Exception("out of fuel")) == ("out of fuel", "")
