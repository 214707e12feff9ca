"""``ConfigWarning``: what a config loads with but does not use, or uses in another way than written."""

from __future__ import annotations


class ConfigWarning(UserWarning):
    """Something in a config is ignored or replaced: an upstream-only table, an override for no actor,
    a manifest key upstream Wasmind ignores too, an upstream actor served by a built-in, ..."""
