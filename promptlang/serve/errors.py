"""How the gateway answers a failure: a status and a JSON body
`{"error": {"code", "message", "field"?, "request_id"}}`.

Bad requests are 4xx and name the field. A failing provider is 5xx with a fixed
message: the provider's own text may quote a request header or a key, and a stack trace
belongs in the gateway's log (which has the request id), never in a response."""

from __future__ import annotations

import re

import attrs

from promptlang.runtime import errors as rt

# `input.ticket: ...` (a converter), `input.order_id does not match ...` (a parameter's rule)
_PATH = re.compile(r"^(?P<path>[\w.\[\]]+)(?::| ) ?(?P<rest>.*)$", re.DOTALL)
_NAMED = re.compile(r"^(?:missing fields? `(?P<missing>\w+)`|`(?P<field>\w+)` )")


@attrs.frozen
class Failure(Exception):
    """An answer other than 200: `status`, a stable `code`, a message safe to show,
    and the request field at fault when there is one."""

    status: int
    code: str
    message: str
    field: str | None = None
    headers: dict[str, str] = attrs.field(factory=dict)

    def body(self, request_id: str) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message,
                                    "request_id": request_id}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


def bad_input(error: Exception, root: str = "input") -> Failure:
    """A 422 for what a prompt's `arguments` refused (its message starts with the path,
    `input.ticket.email: ...`); the field is that path without the root."""
    message = str(error)
    return Failure(422, "invalid_input", message, field_of(message, root))


def field_of(message: str, root: str = "input") -> str | None:
    """`ticket.subject` for `input.ticket: `subject` has 300 characters...` (or for
    `input.ticket: missing field `subject``); None when the message names no field."""
    found = _PATH.match(message)
    if found is None or not (found["path"] + ".").startswith(root + "."):
        return None
    path, rest = found["path"], found["rest"]
    named = _NAMED.match(rest)
    if named is not None:
        path = f"{path}.{named['missing'] or named['field']}"
    if path == root:
        return None
    return path[len(root) + 1:] if path.startswith(root + ".") else path


def from_prompt_error(error: rt.PromptError) -> Failure:
    """The answer to a failed call."""
    if isinstance(error, rt.PolicyViolation):
        status = 422 if error.where == "input" else 502
        return Failure(status, "policy_violation",
                       f"policy {error.policy} refused the {error.where}")
    if isinstance(error, rt.MissingSlots):
        return Failure(422, "missing_slots", str(error))
    for cls, status, message in _UPSTREAM:
        if isinstance(error, cls):
            headers = _retry_after(error)
            return Failure(status, error.kind, message, headers=headers)
    return Failure(500, "internal", "the gateway failed; the log has the details")


_UPSTREAM: tuple[tuple[type[rt.PromptError], int, str], ...] = (
    (rt.InvalidOutput, 502, "the model's answer did not fit the output type"),
    (rt.RateLimited, 503, "the model provider is rate limiting; retry later"),
    (rt.Timeout, 504, "the model provider did not answer in time"),
    (rt.ProviderError, 502, "the model provider failed"),
    (rt.MissingRecording, 502, "no recorded answer for these inputs"),
    (rt.MissingApiKey, 503, "the gateway has no API key for this prompt's model"),
    (rt.ConfigurationError, 503, "the gateway is not configured for this prompt's model"),
)


def _retry_after(error: rt.PromptError) -> dict[str, str]:
    after = getattr(error, "retry_after", None)
    return {"Retry-After": str(max(1, round(after)))} if after else {}
