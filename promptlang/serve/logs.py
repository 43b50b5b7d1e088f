"""The gateway's logs: one JSON object per line in the Elastic Common Schema
(`ecs-logging`), which Filebeat and Logstash ship to Elasticsearch without parsing
rules. Request lines carry `http.*`, `url.path` and `event.duration` (nanoseconds);
prompt calls the runtime's audit entry under `popsc` (`@pii` inputs redacted);
failures their stack trace under `error.stack_trace`, in the log only."""

from __future__ import annotations

import contextlib
import logging
import sys
import typing as t
from collections.abc import Iterator

import ecs_logging

# Where the line was written from and the process ids say nothing an operator needs;
# uvicorn's `color_message` is its message again with terminal colours.
_LEFT_OUT = ["log.origin", "process", "log.original", "color_message"]
FIELD = "popsc"  # the gateway's own fields, under one key
# Loggers that say a line per model request at INFO: the gateway's call line says more.
_CHATTY = ("httpx", "httpcore")


class Formatter(ecs_logging.StdlibFormatter):
    """ECS lines, with the `popsc` field (a call's audit entry) added as it is: it holds
    no dotted keys to expand, and walking it as the library walks extra fields cost as
    much as the rest of a request."""

    def format_to_ecs(self, record: logging.LogRecord) -> dict[str, t.Any]:
        payload = record.__dict__.pop(FIELD, None)
        try:
            result = super().format_to_ecs(record)
        finally:
            if payload is not None:
                record.__dict__[FIELD] = payload
        if payload is not None:
            result[FIELD] = payload
        return result


_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


@contextlib.contextmanager
def configured(level: str = "info", stream: t.TextIO | None = None) -> Iterator[logging.Handler]:
    """While inside, every logger's records (the gateway's, the runtime's, uvicorn's) go
    as ECS JSON lines to `stream` (stdout, as containers log); the loggers are as they
    were afterwards (the command may run inside another program, such as a test)."""
    touched = [logging.getLogger(), *map(logging.getLogger, _UVICORN + _CHATTY)]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in touched]
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(Formatter(exclude_fields=_LEFT_OUT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _UVICORN:
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    try:
        yield handler
    finally:
        for lg, handlers, lvl, propagate in saved:
            lg.handlers[:], lg.level, lg.propagate = handlers, lvl, propagate
