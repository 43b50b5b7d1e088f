"""What goes to a model and what comes back, independent of any provider's wire format."""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

import attrs

Role = t.Literal["system", "user", "assistant"]


@attrs.frozen
class Message:
    """One chat message of a rendered prompt."""

    role: Role
    content: str


@attrs.frozen(kw_only=True)
class Completion:
    """A model's answer. `text` is what gets parsed: the message text, or for structured
    output the JSON the model produced. Token counts are 0 when the server does not
    report them; `raw` is the decoded response, kept out of equality and repr because
    it is large and provider-specific."""

    text: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    raw: Mapping[str, object] = attrs.field(factory=dict, eq=False, repr=False)
