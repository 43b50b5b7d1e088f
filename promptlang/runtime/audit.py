"""A JSON-lines audit log of prompt calls: which prompt (name, version, content hash),
which model, how long, how many tokens, how it ended, and the inputs with every `@pii`
field replaced by a placeholder, so that the log can be kept and read where personal
data may not be."""

from __future__ import annotations

import json
import os
import threading
import typing as t
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import datetime
from datetime import timezone
from types import TracebackType

from promptlang.runtime.record import CallRecord

REDACTED = "[redacted]"


def redact(inputs: Mapping[str, object], paths: Iterable[str]) -> dict[str, object]:
    """A copy of `inputs` with the value at each dotted path replaced by `[redacted]`.
    A path goes through lists item by item (`tickets.email` redacts every ticket's
    email); a path that leads nowhere changes nothing."""
    result: dict[str, object] = dict(inputs)
    for path in paths:
        redacted = _redact(result, path.split("."))
        assert isinstance(redacted, dict)
        result = redacted
    return result


def _redact(value: object, path: list[str]) -> object:
    if not path:
        return REDACTED
    if isinstance(value, (list, tuple)):
        return [_redact(item, path) for item in value]
    if isinstance(value, Mapping) and path[0] in value:
        return {key: _redact(item, path[1:]) if key == path[0] else item
                for key, item in value.items()}
    return value


def audit_entry(record: CallRecord) -> dict[str, object]:
    """The audit line of a call, as data."""
    prompt = record.prompt
    inputs = redact(record.inputs, prompt.pii if prompt else ()) if record.inputs else None
    return {
        "time": datetime.fromtimestamp(record.started_at, timezone.utc).isoformat(),
        "prompt": record.prompt_name,
        "version": record.prompt_version,
        "content_hash": prompt.content_hash if prompt else "",
        "provider": record.provider,
        "model": record.model,
        "latency_s": round(record.latency_s, 6),
        "attempts": record.attempts,
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "outcome": "ok" if record.error is None else record.error.kind,
        "error": None if record.error is None else str(record.error),
        "violations": [{"policy": v.policy, "rule": v.rule, "where": v.where,
                        "severity": v.severity} for v in record.violations],
        "inputs": inputs,
    }


class AuditLog:
    """Appends one JSON object per call to a file (opened in append mode and owned) or
    to a text stream (left open). Lines are written whole under a lock and flushed, so
    threads do not interleave and a crash loses at most the call in flight. `write` is
    a call observer: `call(..., on_metrics=audit.write)`."""

    def __init__(self, target: str | os.PathLike[str] | t.TextIO) -> None:
        self._lock = threading.Lock()
        if isinstance(target, (str, os.PathLike)):
            self._stream: t.TextIO = open(target, "a", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._stream, self._owned = target, False

    def write(self, record: CallRecord) -> None:
        """Append the call's line. Values JSON cannot hold are written as their `str`."""
        line = json.dumps(audit_entry(record), ensure_ascii=False, sort_keys=True, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        """Close the file if this log opened it."""
        if self._owned:
            self._stream.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
