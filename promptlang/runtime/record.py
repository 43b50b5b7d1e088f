"""What a call tells its observers (metrics, the audit log) once it is over."""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

import attrs

from promptlang.runtime.errors import PromptError


@attrs.frozen(kw_only=True)
class PromptInfo:
    """What the SDK knows about the prompt it calls: the name and version that label
    metrics, the content hash that identifies the prompt's text in the audit log and in
    replay keys, and the paths of its `@pii` inputs (`ticket.email`; through a list,
    `tickets.email` names the field of every item), which the audit log redacts."""

    name: str
    version: str = ""
    content_hash: str = ""
    pii: tuple[str, ...] = ()


@attrs.frozen
class Violation:
    """A runtime rule that matched. A `warning` policy's violations are only recorded;
    an `error` policy's also raise `PolicyViolation`."""

    policy: str
    rule: str
    where: t.Literal["input", "output"]
    severity: str = "error"


@attrs.frozen(kw_only=True)
class CallRecord:
    """One call from start to end, across retries and fallbacks. `provider` and `model`
    are those of the last model tried; tokens add up every answer received, because
    every one was paid for; `inputs` are the prompt's inputs as plain data, unredacted
    (observers redact what they keep)."""

    prompt: PromptInfo | None
    inputs: Mapping[str, object] | None
    provider: str
    model: str
    started_at: float
    latency_s: float
    attempts: int
    input_tokens: int
    output_tokens: int
    violations: tuple[Violation, ...] = ()
    error: PromptError | None = None

    @property
    def ok(self) -> bool:
        """Whether the call returned an answer."""
        return self.error is None

    @property
    def prompt_name(self) -> str:
        """The metrics label of the prompt; empty for a call made without one."""
        return self.prompt.name if self.prompt else ""

    @property
    def prompt_version(self) -> str:
        """The metrics label of the prompt's version; empty when unknown."""
        return self.prompt.version if self.prompt else ""
