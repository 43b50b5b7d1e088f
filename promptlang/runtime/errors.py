"""The typed errors of a prompt call.

Callers react differently to each failure: a rate limit or a timeout is worth retrying
(the runtime already did, then tried the fallbacks), a missing API key or base URL is
fixed in configuration, an invalid answer or a policy refusal is about what the model
said. Each class has a `kind`, the label it carries in metrics and the audit log.
"""

from __future__ import annotations

import typing as t
from pathlib import Path


class PromptError(Exception):
    """Every error a prompt call raises on purpose; catch this to catch them all."""

    kind: t.ClassVar[str] = "error"


class ConfigurationError(PromptError):
    """The model's settings cannot work as they are (no base URL, deployment or recordings
    folder, an unknown provider): retrying or falling back would only hide it."""

    kind = "configuration"


class MissingApiKey(ConfigurationError):
    """The API key is not in the environment. `env_var` is the variable the model names,
    or None when the model names none but its provider needs a key."""

    kind = "missing_api_key"

    def __init__(self, env_var: str | None, model: str) -> None:
        self.env_var = env_var
        self.model = model
        if env_var is None:
            message = (f"model {model} needs an API key but names none; "
                       f'set `api_key = env("VAR")` in its declaration')
        else:
            message = f"environment variable {env_var} is not set; it holds the API key of model {model}"
        super().__init__(message)


class ProviderError(PromptError):
    """The provider failed to answer: an HTTP error status (`status`), a connection
    failure (`status` None) or a response of an unexpected shape. `retryable` says whether
    the same request may succeed later; `retry_after` is how long the server asked to
    wait, in seconds, when it said."""

    kind = "provider_error"

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class RateLimited(ProviderError):
    """HTTP 429: the provider asks to slow down, often saying for how long."""

    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status=429, retryable=True, retry_after=retry_after)


class Timeout(ProviderError):
    """No answer within the model's `timeout`."""

    kind = "timeout"

    def __init__(self, message: str) -> None:
        super().__init__(message, status=None, retryable=True)


class InvalidOutput(PromptError):
    """The answer did not parse into the output type, even after the model was shown the
    validation error once. `error` is that error's text, `raw` the last answer."""

    kind = "invalid_output"

    def __init__(self, error: str, raw: str) -> None:
        super().__init__(f"the model's answer is not a valid output: {error}")
        self.error = error
        self.raw = raw


class PolicyViolation(PromptError):
    """A runtime rule of an applied policy refused the call: `where` is `input` (nothing
    was sent) or `output` (the answer is withheld). The offending text is deliberately
    not kept: it may be the very secret the rule guards."""

    kind = "policy_violation"

    def __init__(self, policy: str, rule: str, where: str) -> None:
        super().__init__(f"policy {policy} refused the {where}: {rule}")
        self.policy = policy
        self.rule = rule
        self.where = where


class MissingRecording(PromptError):
    """A `replay` model has no recorded response for this prompt and these inputs."""

    kind = "missing_recording"

    def __init__(self, key: str, path: Path) -> None:
        super().__init__(f"no recorded response {key}: {path} does not exist")
        self.key = key
        self.path = path


class MissingSlots(PromptError):
    """A routed call run before the text gave every slot its prompt needs (`refund my
    order` without the order number): ask the user for `missing`, then call the match
    with them as keyword arguments."""

    kind = "missing_slots"

    def __init__(self, intent: str, missing: tuple[str, ...], why: str = "") -> None:
        self.intent = intent
        self.missing = missing
        what = why or "needs " + ", ".join(f"`{m}`" for m in missing) + " that the text did not give"
        super().__init__(f"intent {intent} {what}")
