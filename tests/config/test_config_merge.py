"""``deep_merge``: tables merge key by key, later wins, arrays are replaced, inputs are not modified."""

from __future__ import annotations

from wasmind_nb.config import deep_merge


def test_nested_tables_merge_key_by_key() -> None:
    base = {"a": 1, "t": {"x": 1, "deep": {"p": 1, "q": 2}}}
    top = {"b": 2, "t": {"y": 2, "deep": {"q": 3}}}
    assert deep_merge(base, top) == {"a": 1, "b": 2, "t": {"x": 1, "y": 2, "deep": {"p": 1, "q": 3}}}


def test_later_scalar_wins_and_arrays_are_replaced() -> None:
    assert deep_merge({"a": 1, "l": [1, 2]}, {"a": 2, "l": [3]}) == {"a": 2, "l": [3]}


def test_a_table_replaces_a_scalar_and_back() -> None:
    assert deep_merge({"a": 1, "b": {"x": 1}}, {"a": {"y": 2}, "b": 5}) == {"a": {"y": 2}, "b": 5}


def test_inputs_are_left_untouched_and_not_shared() -> None:
    base = {"t": {"x": [1]}}
    top = {"t": {"y": [2]}}
    merged = deep_merge(base, top)
    merged["t"]["x"].append(9)
    merged["t"]["y"].append(9)
    assert base == {"t": {"x": [1]}}
    assert top == {"t": {"y": [2]}}
