"""``[runtime].handler_timeout_s`` must be a finite number a deadline can reach."""

from __future__ import annotations

import pytest

from wasmind_nb.config import Config
from wasmind_nb.errors import ConfigError


@pytest.mark.parametrize("value", ["inf", "nan", "1e300", "86401", "0", "-1"])
def test_an_unreachable_handler_timeout_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="handler_timeout_s"):
        Config.from_toml(f"[runtime]\nhandler_timeout_s = {value}\n")


def test_a_day_is_the_longest_handler_timeout() -> None:
    assert Config.from_toml("[runtime]\nhandler_timeout_s = 86400\n").runtime.handler_timeout_s == 86_400
