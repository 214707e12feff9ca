"""``[llm] prices``: what a model's tokens cost, for the usage figures (``mind.usage()``, the view)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

_Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ModelPrice(BaseModel):
    """The price of one model, in US dollars per million tokens (``{ input_per_mtok = 0.15, ... }``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    input_per_mtok: _Price
    """Prompt tokens."""
    output_per_mtok: _Price
    """Completion tokens."""

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """The dollars that many tokens cost."""
        return (prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok) / 1e6
