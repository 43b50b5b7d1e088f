"""What a diagnostic is: a code, a severity, a primary span and message, labels, help."""

from __future__ import annotations

import enum

import attrs

from promptlang.source import Span


class Severity(str, enum.Enum):
    """How bad: errors fail the check, warnings are shown and pass."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen(slots=True)
class Label:
    """A secondary span with a short message ("declared here")."""

    span: Span
    message: str


@attrs.frozen(slots=True)
class Diagnostic:
    """One finding, produced by a compiler stage and rendered only by the CLI.

    `message` is the terse first line; `label` annotates the primary span; `help`
    says what to write instead; `notes` add context."""

    code: str
    severity: Severity
    message: str
    span: Span
    label: str = ""
    secondary: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        return (self.span.file, self.span.start, self.span.end, self.code, self.message)


class InternalError(Exception):
    """A bug in popsc (never a user mistake): reported with a request for a bug report."""
